//! `cargo xtask bench-wasm` (the committed modules of `selvm bench wasm`) and
//! `cargo xtask bench-ipc-callgrind` (host instructions per IPC operation).

use crate::process::{self, Error, Result, bail, cargo};
use crate::{toolchain, user};
use clap::Args;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The compute programs of `selvm bench wasm`, each a crate in user/bench/.
const PROGRAMS: &[&str] = &[
    "fib", "sieve", "matmul", "sha256", "nbody", "sort", "coremark",
];

/// Where the built modules are committed, with TOOLCHAIN: the `--version` lines of the
/// rustc and the wasm-ld that built them.
const DEST: &str = "user/bench/wasm";

/// Options of `cargo xtask bench-wasm`.
#[derive(Args)]
#[command(
    after_help = "The modules are committed because building wasm32 needs the \
rustc-web setup (or a rustup toolchain with rust-src) that stable-only machines lack; \
build-user remaps every path, so a rebuild with the same rustc and wasm-ld is \
byte-identical."
)]
pub struct WasmOptions {
    /// CI: if this machine's user-program toolchain is the one recorded in
    /// user/bench/wasm/TOOLCHAIN, rebuild and compare byte for byte; otherwise check
    /// that the committed modules still give their recorded checksums (in wasmi and in
    /// dx + the machine). Without it: rebuild and write the modules and TOOLCHAIN.
    #[arg(long)]
    pub check: bool,
}

/// Runs `cargo xtask bench-wasm`.
pub fn wasm(o: &WasmOptions) -> Result {
    let root = crate::root();
    let record = root.join(DEST).join("TOOLCHAIN");
    let recorded = fs::read_to_string(&record).unwrap_or_default();
    let current = current_toolchain();
    let same = current.as_deref() == Some(recorded.trim_end());
    if o.check && !same {
        let now = current.as_deref().unwrap_or("none").replace('\n', ", ");
        println!(
            "    bench-wasm: toolchain '{now}' is not the recorded '{}': no byte comparison",
            recorded.trim_end().replace('\n', ", ")
        );
        return checksums();
    }
    let Some(current) = current else {
        bail!("bench-wasm: no toolchain builds wasm32 user programs: run scripts/setup.sh")
    };
    let out = crate::target_dir().join("xtask/bench-wasm");
    let _ = fs::remove_dir_all(&out);
    let built: Vec<PathBuf> = PROGRAMS
        .iter()
        .map(|p| user::build(&root.join("user/bench").join(p), &out, true))
        .collect::<Result<_>>()?;
    if !o.check {
        for (p, wasm) in PROGRAMS.iter().zip(&built) {
            copy(wasm, &root.join(DEST).join(format!("{p}.wasm")))?;
        }
        fs::write(&record, format!("{current}\n"))
            .map_err(|e| Error::new(format!("{}: {e}", record.display())))?;
        println!(
            "    bench-wasm: wrote {} to {DEST} (built by {})",
            PROGRAMS.join(" "),
            current.replace('\n', ", ")
        );
        return Ok(());
    }
    let differ: Vec<&str> = PROGRAMS
        .iter()
        .zip(&built)
        .filter(|(p, wasm)| {
            fs::read(wasm).ok() != fs::read(root.join(DEST).join(format!("{p}.wasm"))).ok()
        })
        .map(|(p, _)| *p)
        .collect();
    checksums()?;
    if !differ.is_empty() {
        bail!(
            "bench-wasm: {} differ from the committed modules in {DEST} (rerun `cargo xtask bench-wasm` and commit)",
            differ.join(", ")
        );
    }
    println!("    bench-wasm: rebuilt modules identical to {DEST}");
    Ok(())
}

/// The `--version` lines of the rustc and wasm-ld build-user would use, as TOOLCHAIN
/// records them.
pub fn current_toolchain() -> Option<String> {
    let t = toolchain::user(user::TARGET).ok()?;
    Some(format!(
        "{}\n{}",
        toolchain::version(&t.rustc)?,
        toolchain::version(&t.linker)?
    ))
}

/// The `selvm` test that checks the committed modules' checksums.
fn checksums() -> Result {
    println!("    bench-wasm: checking the committed modules' checksums");
    let mut cmd = cargo();
    cmd.current_dir(crate::root()).args([
        "test",
        "-q",
        "-p",
        "selvm",
        "--bin",
        "selvm",
        "bench_wasm::programs::tests",
    ]);
    process::run(&mut cmd)
}

fn copy(from: &Path, to: &Path) -> Result {
    fs::copy(from, to).map(drop).map_err(|e| {
        Error::new(format!(
            "copying {} to {}: {e}",
            from.display(),
            to.display()
        ))
    })
}

/// Options of `cargo xtask bench-ipc-callgrind`.
#[derive(Args)]
#[command(
    after_help = "Each case runs twice under callgrind with `selvm bench ipc --untimed` \
(no clock reads), for N1 and N2 operations; the difference of the two totals divided by \
N2 - N1 is the cost of one operation, boot and setup cancelling out. Needs valgrind."
)]
pub struct CallgrindOptions {
    /// Use target/release/selvm as it is.
    #[arg(long)]
    no_build: bool,
    /// Operations of the first run.
    #[arg(long, default_value_t = 5000)]
    n1: u64,
    /// Operations of the second run.
    #[arg(long, default_value_t = 25000)]
    n2: u64,
    /// The hosted cases to count [default: fastpath slowpath mr20 signal yield].
    cases: Vec<String>,
}

/// Runs `cargo xtask bench-ipc-callgrind`.
pub fn callgrind(o: &CallgrindOptions) -> Result {
    if o.n2 <= o.n1 {
        bail!("--n2 ({}) must be larger than --n1 ({})", o.n2, o.n1);
    }
    crate::valgrind::require()?;
    if !o.no_build {
        process::run(cargo().current_dir(crate::root()).args([
            "build",
            "-q",
            "--release",
            "-p",
            "selvm",
        ]))?;
    }
    let default = ["fastpath", "slowpath", "mr20", "signal", "yield"].map(String::from);
    let cases = if o.cases.is_empty() {
        &default[..]
    } else {
        &o.cases[..]
    };
    let bin = crate::target_dir().join("release/selvm");
    let tmp = crate::target_dir().join("xtask/callgrind");
    fs::create_dir_all(&tmp).map_err(|e| Error::new(format!("{}: {e}", tmp.display())))?;
    println!(
        "{:<10} {:>14} {:>14} {:>16}",
        "case",
        format!("I({})", o.n1),
        format!("I({})", o.n2),
        "host instr/op"
    );
    for c in cases {
        let a = total(&bin, &tmp, c, o.n1)?;
        let b = total(&bin, &tmp, c, o.n2)?;
        let per_op = b.saturating_sub(a) / (o.n2 - o.n1);
        println!("{c:<10} {a:>14} {b:>14} {per_op:>16}");
    }
    Ok(())
}

/// Instructions callgrind counts for a whole run of `case` with `rounds` operations.
pub fn total(bin: &Path, tmp: &Path, case: &str, rounds: u64) -> Result<u64> {
    let rounds = rounds.to_string();
    counted(
        bin,
        tmp,
        &[
            "bench",
            "ipc",
            "--untimed",
            "--only",
            case,
            "--rounds",
            &rounds,
        ],
    )
}

/// Instructions callgrind counts for a whole run of `bin ARGS` (its stdout dropped).
pub fn counted(bin: &Path, tmp: &Path, args: &[&str]) -> Result<u64> {
    let mut cmd = Command::new("valgrind");
    cmd.arg("--tool=callgrind")
        .arg(format!(
            "--callgrind-out-file={}",
            tmp.join("callgrind.out").display()
        ))
        .arg(bin)
        .args(args)
        .stdout(std::process::Stdio::null());
    let out = cmd
        .output()
        .map_err(|e| Error::new(format!("running valgrind: {e}")))?;
    let log = String::from_utf8_lossy(&out.stderr);
    process::check(&cmd, out.status).map_err(|e| Error::new(format!("{e}\n{log}")))?;
    let count = log
        .lines()
        .find_map(|l| l.split_once("Collected : ").map(|(_, n)| n.trim()));
    match count.and_then(|n| n.parse().ok()) {
        Some(n) => Ok(n),
        None => bail!(
            "no `Collected :` line in callgrind's output for {}:\n{log}",
            args.join(" ")
        ),
    }
}
