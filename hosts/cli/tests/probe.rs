//! A bounded hostile-invocation probe: a few hundred `selvm` command lines built from
//! every subcommand and odd values (empty strings, `-`, directories, `/dev/zero`,
//! `/dev/null`, a fifo with no writer, missing paths, binary and text garbage, real
//! modules cut short, huge, negative and non-finite numbers, unknown flags), each run
//! with a timeout. Every one must end by itself without a panic or a signal, with a
//! status of the table and, when it fails, a message on stderr (`Ran::check_sane`).

mod support;

use selvm_machine::status;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use support::{Out, assembled, s, scratch, selvm_with};

/// Input files: real modules and their truncations, garbage, odd paths.
fn inputs(dir: &Path) -> Vec<String> {
    let mut files: Vec<PathBuf> = Vec::new();
    for name in ["hello", "fault", "deadlock", "threads"] {
        let sbc = assembled(dir, name);
        let bytes = std::fs::read(&sbc).unwrap();
        let n = bytes.len();
        for cut in [1, 4, 8, 16, 40, n / 4, n / 2, n - 1] {
            let path = dir.join(format!("{name}-{cut}.sbc"));
            std::fs::write(&path, &bytes[..cut.min(n)]).unwrap();
            files.push(path);
        }
        files.push(sbc);
    }
    let wasm = wat::parse_str(r#"(module (func (export "_start") (param i32)))"#).unwrap();
    let mut noise = Vec::new();
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..512 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        noise.push((x >> 56) as u8);
    }
    let written: [(&str, &[u8]); 8] = [
        ("text.wasm", b"not wasm at all\n"),
        ("noise.bin", &noise),
        ("start.wasm", &wasm),
        ("start-cut.wasm", &wasm[..wasm.len() - 3]),
        ("magic.wasm", b"\0asm"),
        ("magic.sbc", b"\x7fSBC"),
        ("open.wat", b"(module (func"),
        ("nul.s", b".func f () -> () frame 1\0\n"),
    ];
    for (name, bytes) in written {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        files.push(path);
    }
    let fifo = dir.join("fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.unwrap().success());
    files.push(fifo);
    files.push(dir.to_path_buf());
    let mut all: Vec<String> = files.iter().map(|p| s(p).to_string()).collect();
    all.extend(["", "-", "/", "/dev/null", "/nonexistent/x.sbc", "--", "-o"].map(String::from));
    all
}

/// Every command line of the probe.
fn invocations(dir: &Path) -> Vec<Vec<String>> {
    let out = s(&dir.join("out.sbc")).to_string();
    let hello = s(&dir.join("hello.sbc")).to_string();
    let fib = format!("{}/../../vm/programs/fib.s", env!("CARGO_MANIFEST_DIR"));
    let mut v: Vec<Vec<String>> = Vec::new();
    let mut add = |args: &[&str]| v.push(args.iter().map(|a| a.to_string()).collect());
    // Every file-taking command on every input (and /dev/zero once each).
    let mut files = inputs(dir);
    files.push("/dev/zero".into());
    for f in &files {
        add(&["run", f]);
        add(&["dis", f]);
        add(&["exec", f]);
        add(&["dx", f, "-o", &out]);
        add(&["asm", f, "-o", &out]);
    }
    // Every numeric option with odd values; a companion option that fails makes the
    // benchmarks stop before measuring anything when the value is accepted.
    let numbers = [
        "",
        "-",
        "0",
        "-1",
        "nan",
        "inf",
        "-inf",
        "1e300",
        "18446744073709551616",
        "0x10",
        "1.5",
        " 7",
        "99999999999999999999999",
    ];
    let options: Vec<(Vec<&str>, &str)> = vec![
        (vec!["run", &hello], "--memory"),
        (vec!["run", &hello], "--max-instructions"),
        (vec!["run", &hello], "--timeout"),
        (vec!["run", &hello], "--tick-instructions"),
        (vec!["exec", &fib, "--func", "fib"], "--stack-words"),
        (vec!["exec", &fib, "--func", "fib"], "--max-depth"),
        (vec!["selftest", "--steps", "1"], "--memory"),
        (vec!["selftest", "--steps", "1"], "--seed"),
        (vec!["selftest"], "--steps"),
        (vec!["bench", "vm", "--program", "none"], "--reps"),
        (vec!["bench", "vm", "--program", "none"], "--top"),
        (vec!["bench", "ipc", "--only", "none"], "--rounds"),
        (vec!["bench", "ipc", "--only", "none"], "--reps"),
        (vec!["bench", "wasm", "--only", "none"], "--reps"),
        (vec!["bench", "wasm", "--only", "none"], "--top"),
    ];
    for (base, option) in &options {
        for n in numbers {
            let mut args = base.clone();
            args.extend([*option, n]);
            add(&args);
            let joined = format!("{option}={n}");
            let mut args = base.clone();
            args.push(&joined);
            add(&args);
        }
    }
    // Odd arguments for `exec`.
    for a in [
        "",
        "-",
        "nan",
        "1e300",
        "-0x10",
        "0x",
        "99999999999999999999999",
        "--",
    ] {
        add(&["exec", &fib, "--func", "fib", a]);
        add(&["exec", &fib, "--func", a]);
    }
    // Unknown flags, missing values and stray arguments on every subcommand.
    let subcommands: [&[&str]; 10] = [
        &["run"],
        &["dis"],
        &["exec"],
        &["dx"],
        &["asm"],
        &["selftest"],
        &["demo"],
        &["bench", "vm"],
        &["bench", "ipc"],
        &["bench", "wasm"],
    ];
    for sub in subcommands {
        for odd in [
            &["--bogus"][..],
            &["-z"],
            &["--memory="],
            &["---"],
            &["x", "y", "z"],
        ] {
            let mut args = sub.to_vec();
            args.extend(odd);
            add(&args);
        }
        // Alone: a missing argument, or (demo) a quick run; the benchmarks and the
        // self-test alone would measure for minutes.
        if !matches!(sub[0], "bench" | "selftest") {
            add(sub);
        }
    }
    for odd in [
        &["bench"][..],
        &["nope"],
        &["--version"],
        &["help", "run"],
        &["-"],
    ] {
        add(odd);
    }
    v
}

#[test]
fn hostile_invocations_never_panic_hang_or_leave_the_table() {
    let dir = scratch("probe");
    let all = invocations(&dir);
    assert!(all.len() >= 300, "only {} invocations", all.len());
    let started = Instant::now();
    let next = Mutex::new(all.iter());
    let seen = Mutex::new(BTreeMap::<i32, usize>::new());
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                loop {
                    let Some(args) = next.lock().unwrap().next() else {
                        return;
                    };
                    let r = selvm_with(args, Out::Piped, Duration::from_secs(30));
                    r.check_sane(Out::Piped);
                    *seen.lock().unwrap().entry(r.code.unwrap()).or_default() += 1;
                }
            });
        }
    });
    let seen = seen.into_inner().unwrap();
    eprintln!(
        "{} invocations in {:.1?}, by exit status: {seen:?}",
        all.len(),
        started.elapsed()
    );
    // The probe reaches the usage, bad-input and success paths, not only one.
    for code in [status::CLEAN, status::USAGE, status::BAD_INPUT] {
        assert!(
            seen.contains_key(&code.into()),
            "no status {code}: {seen:?}"
        );
    }
}
