//! `cargo xtask test`: everything CI runs, in order, each step timed, stopping at the
//! first failure; a summary of the step times at the end.

use crate::process::{self, Error, Result, bail, cargo};
use crate::toolchain::{self, Cross};
use crate::{bench, conformance, cross, guard, user, valgrind, web, windows};
use clap::Args;
use std::time::{Duration, Instant};

const RISCV64: &str = "riscv64gc-unknown-none-elf";
const WASM32: &str = "wasm32-unknown-unknown";

/// The cross builds CI runs, each a step: (step, target, packages).
const CROSS_BUILDS: &[(&str, &str, &[&str])] = &[
    ("cross-riscv64", RISCV64, &["selvm-abi", "selvm-kernel"]),
    ("cross-wasm32", WASM32, &["selvm-abi"]),
    ("cross-wasm32-vm", WASM32, &["selvm-bytecode", "selvm-vm"]),
    ("cross-riscv64-bytecode", RISCV64, &["selvm-bytecode"]),
    ("cross-wasm32-host", WASM32, &["selvm-machine"]),
    ("cross-wasm32-libsel4", WASM32, &["libsel4"]),
    ("cross-riscv64-libsel4", RISCV64, &["libsel4"]),
];

/// Options of `cargo xtask test`.
#[derive(Args)]
pub struct Options {
    /// Skip the cross builds and everything built on them (user programs, the
    /// conformance suite, the mutation check, the benchmark modules): a quick local run.
    /// SELVM_SKIP_CROSS=1 does the same.
    #[arg(long)]
    skip_cross: bool,
    /// Do not run scripts/setup.sh first (it installs what is missing and is silent
    /// when nothing is).
    #[arg(long)]
    no_setup: bool,
}

/// The steps run so far and when the run started.
struct Steps {
    start: Instant,
    done: Vec<(&'static str, Duration)>,
}

impl Steps {
    /// Runs one step under a header line; on failure prints the summary and stops.
    fn step(&mut self, name: &'static str, f: impl FnOnce() -> Result) -> Result {
        println!("==> {name}");
        let t0 = Instant::now();
        if let Err(e) = f() {
            let took = t0.elapsed();
            eprintln!("==> FAILED: {name} (after {})\n{e}", secs(took));
            self.summary(&format!("FAILED: {name}"));
            bail!("step {name} failed");
        }
        let took = t0.elapsed();
        println!("    ok: {name} ({})", secs(took));
        self.done.push((name, took));
        Ok(())
    }

    /// Every passed step with its time, then one line: how many passed, the total.
    fn summary(&self, note: &str) {
        println!("==> step times");
        for (name, took) in &self.done {
            println!("    {name:<24} {:>8}", secs(*took));
        }
        let note = if note.is_empty() {
            String::new()
        } else {
            format!("; {note}")
        };
        println!(
            "==> passed: {} steps{note} (total {})",
            self.done.len(),
            secs(self.start.elapsed())
        );
    }
}

fn secs(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}

/// `cargo ARGS` in the checkout (the arguments split at spaces).
fn cargo_step(args: &str) -> Result {
    process::run(
        cargo()
            .current_dir(crate::root())
            .args(args.split_whitespace()),
    )
}

/// Runs `cargo xtask test`.
pub fn run(o: &Options) -> Result {
    let root = crate::root();
    let scratch = scratch_dir()?;
    let mut s = Steps {
        start: Instant::now(),
        done: Vec::new(),
    };
    if !o.no_setup {
        s.step("setup", || {
            process::run(std::process::Command::new("bash").arg(root.join("scripts/setup.sh")))
        })?;
    }
    print_toolchains();
    s.step("fmt", || cargo_step("fmt --all --check"))?;
    // The user programs and libraries are crates of their own; rustfmt needs no target.
    // (user/bench is left as written: its built modules are compared byte for byte.)
    s.step("fmt-user", || {
        [
            "user/hello",
            "user/rt",
            "user/sel4rt",
            "user/conformance",
            "user/ipc-bench",
            "user/cluster-node",
            "user/cluster-system",
            "user/gui",
        ]
        .iter()
        .try_for_each(|c| cargo_step(&format!("fmt --manifest-path {c}/Cargo.toml --check")))
    })?;
    s.step("clippy", || {
        cargo_step("clippy --workspace --all-targets -- -D warnings")
    })?;
    if process::succeeds(cargo().args(["nextest", "--version"])) {
        // --no-tests=warn: a workspace (or filter) without tests is not a failure.
        s.step("tests", || {
            cargo_step("nextest run --workspace --no-tests=warn")
        })?;
        s.step("doctests", || cargo_step("test --workspace --doc"))?;
        // The register machine's suite again with the other dispatch technique as default.
        s.step("tests-threaded", || {
            cargo_step("nextest run -p selvm-vm --features threaded-dispatch")
        })?;
    } else {
        println!("==> no cargo-nextest: the tests run with cargo test");
        s.step("tests", || cargo_step("test --workspace"))?;
        s.step("tests-threaded", || {
            cargo_step("test -p selvm-vm --features threaded-dispatch")
        })?;
    }
    // Sibling-call dispatch (the default where vm/build.rs finds sibling calls
    // reliable) is compiled only at opt-level 2-3 without debug assertions, so the
    // debug runs above never execute it or its unchecked reads: the register machine's
    // suite once more in release.
    s.step("tests-sibling", || {
        if process::succeeds(cargo().args(["nextest", "--version"])) {
            cargo_step("nextest run --release -p selvm-vm")?;
            // The hosted machine's slices on both memory back ends on a small native
            // stack (machine/tests/mapped.rs), which only sibling dispatch can grow.
            cargo_step("nextest run --release -p selvm-machine --test mapped")
        } else {
            cargo_step("test --release -p selvm-vm")?;
            cargo_step("test --release -p selvm-machine --test mapped")
        }
    })?;
    // Tail-call threading needs nightly Rust (`become`): its run of the suite happens
    // only where a nightly toolchain with nextest is installed.
    if toolchain::nightly_nextest() {
        s.step("tests-tail-calls", || {
            cargo_step("+nightly nextest run -p selvm-vm --features tail-call-dispatch")
        })?;
    } else {
        println!("==> no nightly toolchain: the tail-call dispatch tests are skipped");
    }
    s.step("valgrind", valgrind::run)?;
    // The speed regression guard: callgrind's host instruction counts for the hosted
    // fastpath round trip and sha256 against xtask/perf-record.txt (10 % allowed).
    s.step("perf-guard", || guard::run(&guard::Options::ci()))?;
    // The desktop window (`selvm run --window`) on a virtual X server: it shows the
    // framebuffer's pixels and feeds the guest its pointer (hosts/cli/tests/window.rs,
    // ignored by the plain run: it needs Xvfb and xwd).
    s.step("window-xvfb", || {
        let mut cmd = cargo();
        cmd.current_dir(root);
        if process::succeeds(cargo().args(["nextest", "--version"])) {
            cmd.args("nextest run -p selvm --test window --run-ignored all".split(' '));
        } else {
            cmd.args("test -p selvm --test window -- --include-ignored".split(' '));
        }
        process::run(&mut cmd)
    })?;

    let env_skip = std::env::var("SELVM_SKIP_CROSS").is_ok_and(|v| v == "1");
    if o.skip_cross || env_skip {
        println!("==> cross builds skipped (--skip-cross or SELVM_SKIP_CROSS=1)");
        s.summary("cross builds SKIPPED");
        return Ok(());
    }
    for (name, target, packages) in CROSS_BUILDS {
        s.step(name, || cross::build(target, packages, &[]))?;
    }
    // A user program through the user build route, then checked against the wasm ABI
    // (imports, exports, pinned features, remapped paths).
    let out = crate::target_dir().join("user");
    let hello = out.join("hello.wasm");
    s.step("user-hello", || {
        user::build(&root.join("user/hello"), &out, false).and_then(|w| user::dx(&w))
    })?;
    s.step("user-hello-abi", || {
        let mut cmd = cargo();
        cmd.current_dir(root).env("SELVM_USER_WASM", &hello);
        process::run(
            cmd.args("test -q -p selvm-abi --test wasm_abi_doc built_user_programs".split(' ')),
        )
    })?;
    // The conformance suite on the hosted machine: no failure, and at least the tests
    // written so far; then each seeded kernel bug must make it fail.
    s.step("conformance", || {
        conformance::run(&conformance::Options::ci())
    })?;
    // The mmap memory back end (docs/hosted.md): the conformance suite on it, and the
    // machine's and the programs' tests with SELVM_MEMORY_BACKEND=mmap, which every
    // machine they boot with the default configuration then runs on.
    s.step("memory-mmap", || {
        conformance::run(&conformance::Options::ci_mmap())?;
        let mut cmd = cargo();
        cmd.current_dir(root).env("SELVM_MEMORY_BACKEND", "mmap");
        let runner = match process::succeeds(cargo().args(["nextest", "--version"])) {
            true => "nextest run",
            false => "test",
        };
        process::run(cmd.args(runner.split(' ')).args([
            "-p",
            "selvm-machine",
            "-p",
            "selvm-programs",
        ]))
    })?;
    s.step("mutation-check", conformance::mutation_check)?;
    // Rust + libsel4 -> wasm32 -> dx -> seL4 on the VM.
    s.step("user-hello-run", || {
        let mut cmd = cargo();
        cmd.current_dir(root)
            .args(["run", "-q", "-p", "selvm", "--", "run"])
            .arg(&hello);
        let stdout = process::output(&mut cmd)?;
        if !stdout.lines().any(|l| l == "hello from Rust on seLVM") {
            return Err(Error::new(format!(
                "hello printed no `hello from Rust on seLVM` line:\n{stdout}"
            )));
        }
        Ok(())
    })?;
    // Clusters of real `selvm node` processes on 127.0.0.1 running the cluster's user
    // program: 3 and 5 nodes calling each other, a node killed mid-run, a node joining
    // a running cluster, a stale proxy, caps across nodes (transfer, tokens, holders,
    // revocation, churn, a hostile node), remote spawn of a layout, shared rings and
    // shared frames, distributed shared memory across 3 nodes, a namespace partition
    // (as root), `selvm cluster demo`, 16 idle nodes seeing each other and each
    // other's names (hosts/cli/tests/cluster.rs and tests/cluster/, 26 tests; the
    // tests needing the program are ignored by the plain workspace run).
    s.step("cluster", || {
        let wasm = user::build(&root.join("user/cluster-node"), &out, false)?;
        user::dx(&wasm)?;
        // The layout that remote spawn's test runs across three nodes.
        let system = user::build(&root.join("user/cluster-system"), &out, false)?;
        user::dx(&system)?;
        let mut cmd = cargo();
        cmd.current_dir(root)
            .env("SELVM_CLUSTER_NODE", wasm.with_extension("sbc"))
            .env("SELVM_CLUSTER_SYSTEM", system.with_extension("sbc"));
        if process::succeeds(cargo().args(["nextest", "--version"])) {
            cmd.args("nextest run -p selvm --test cluster --run-ignored all".split(' '));
        } else {
            cmd.args("test -p selvm --test cluster -- --include-ignored".split(' '));
        }
        process::run(&mut cmd)
    })?;
    // The GUI system (docs/gui.md): a scripted `selvm gui` session's screenshot
    // checked pixel by pixel and byte-identical over two runs (hosts/cli/tests/gui.rs),
    // and the GUI in a window on Xvfb captured with xwd (gui_window.rs); ignored by the
    // plain workspace run: they need the program (about 5 s once built).
    s.step("gui", || {
        let wasm = user::build(&root.join("user/gui"), &out, false)?;
        user::dx(&wasm)?;
        let mut cmd = cargo();
        cmd.current_dir(root)
            .env("SELVM_GUI", wasm.with_extension("sbc"));
        if process::succeeds(cargo().args(["nextest", "--version"])) {
            let run = "nextest run -p selvm --test gui --test gui_window --run-ignored all";
            cmd.args(run.split(' '));
        } else {
            let run = "test -p selvm --test gui --test gui_window -- --include-ignored";
            cmd.args(run.split(' '));
        }
        process::run(&mut cmd)
    })?;
    // The native kernel on qemu riscv64 `virt`, with the conformance suite as its root
    // task: no failure, at least the native floor.
    s.step("conformance-riscv64", || {
        crate::riscv::conformance(crate::riscv::NATIVE_FLOOR)
    })?;
    // The committed modules of `selvm bench wasm`: rebuilt and compared byte for byte
    // when this toolchain is the recorded one, else checked by their checksums.
    s.step("bench-wasm", || {
        bench::wasm(&bench::WasmOptions { check: true })
    })?;
    // The browser page built (the machine's wasm with std from source, the menu's
    // programs, whose release std bench-wasm has just built) and its tests in headless
    // chromium (docs/web.md).
    s.step("web", || web::build().and_then(|site| web::test(&site)))?;
    // selvm.exe cross-built for Windows and run under wine: the demo's output, a run's
    // output and a scripted screenshot must equal the Linux build's (docs/windows.md).
    s.step("windows", || {
        windows::build().and_then(|exe| windows::test(&exe))
    })?;
    s.summary("");
    // Kept after a failure (for a look at what the failing test wrote); the next run
    // empties it anyway.
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}

/// Points `TMPDIR` (which Rust's `std::env::temp_dir` and node's `os.tmpdir` both
/// follow) of every step at one folder under `target/`, emptied now: the tests' scratch
/// files of a run never pile up in the system's temporary folder, where, run after run,
/// they once filled this machine's disk.
fn scratch_dir() -> Result<std::path::PathBuf> {
    let dir = crate::target_dir().join("test-tmp");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| Error::new(format!("{}: {e}", dir.display())))?;
    // SAFETY: xtask is single-threaded here (no step has started, nothing reads the
    // environment concurrently), which is what `set_var` requires.
    unsafe { std::env::set_var("TMPDIR", &dir) };
    println!("==> scratch files of this run: {} (TMPDIR)", dir.display());
    Ok(dir)
}

/// The toolchains this run uses (docs/build.md): printed first so a log says them.
fn print_toolchains() {
    let v = |p: &str| toolchain::version(p.as_ref()).unwrap_or_else(|| format!("no {p}"));
    println!("==> toolchains");
    println!("    host: {}, {}", v("cargo"), v("rustc"));
    let nightly = if toolchain::nightly_nextest() {
        "cargo +nightly and its nextest: the tail-call dispatch tests run"
    } else {
        "no cargo +nightly with nextest: the tail-call dispatch tests are skipped"
    };
    println!("    nightly: {nightly}");
    for target in toolchain::CROSS_TARGETS {
        let how = match toolchain::cross(target) {
            Ok(Cross::Installed) => "the host toolchain (installed target)".to_string(),
            Ok(Cross::BuildStd(t)) => t.describe("core,alloc"),
            Err(e) => format!("none: {e}"),
        };
        println!("    {target}: {how}");
    }
    let user = match toolchain::user(user::TARGET) {
        Ok(t) => t.describe("core,alloc"),
        Err(e) => format!("none: {e}"),
    };
    println!("    user programs: {user}");
    let recorded = std::fs::read_to_string(crate::root().join("user/bench/wasm/TOOLCHAIN"))
        .unwrap_or_default();
    let same = bench::current_toolchain().as_deref() == Some(recorded.trim_end());
    let how = if same {
        "this toolchain: rebuilt and compared byte for byte"
    } else {
        "another toolchain: checksums only"
    };
    println!(
        "    bench modules: built by {} ({how})",
        recorded.trim_end().replace('\n', ", ")
    );
}
