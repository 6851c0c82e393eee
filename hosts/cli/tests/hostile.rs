//! `selvm` under hostile use, one test per class of problem: numeric options out of
//! range, output that cannot be written, input without bound, `asm` writing what
//! nothing accepts, messages that confuse, stale help. Every invocation is bounded by
//! a timeout and must pass `Ran::check_sane` (no panic, no signal, no hang, a status
//! of the table, a line on stderr when it fails).

mod support;

use selvm_machine::status;
use std::time::Duration;
use support::{Out, asm_source, assembled, s, scratch, selvm, selvm_with};

#[test]
fn numeric_options_out_of_range_are_usage_errors_naming_the_range() {
    let dir = scratch("numbers");
    let hello = assembled(&dir, "hello");
    let hello = s(&hello);
    let fib = format!("{}/../../vm/programs/fib.s", env!("CARGO_MANIFEST_DIR"));
    let cases: &[(&[&str], &str)] = &[
        (&["run", hello, "--timeout", "inf"], "greater than 0"),
        (&["run", hello, "--timeout", "nan"], "greater than 0"),
        (&["run", hello, "--timeout", "-1"], "greater than 0"),
        (&["run", hello, "--timeout", "1e300"], "greater than 0"),
        (&["run", hello, "--timeout", "0"], "greater than 0"),
        (&["run", hello, "--memory", "0"], "from 1 to 4,096"),
        (&["run", hello, "--memory", "-64"], "from 1 to 4,096"),
        (&["run", hello, "--max-instructions", "0"], "from 1 to"),
        (
            &["run", hello, "--tick-instructions", "0"],
            "from 1 to 100,000,000",
        ),
        (
            &["run", hello, "--tick-instructions", "1e9"],
            "from 1 to 100,000,000",
        ),
        (
            &["exec", &fib, "--stack-words", "1000000000000000000"],
            "from 1 to",
        ),
        (&["exec", &fib, "--stack-words", "0"], "from 1 to"),
        (&["exec", &fib, "--max-depth", "0"], "from 1 to"),
        (&["exec", &fib, "--max-depth", "4294967296"], "from 1 to"),
        (&["bench", "vm", "--reps", "0"], "from 1 to 1,000"),
        (&["bench", "vm", "--top", "-1"], "from 1 to 1,000"),
        (&["bench", "ipc", "--rounds", "0"], "from 1 to"),
        (
            &["bench", "ipc", "--reps", "99999999999999999999"],
            "from 1 to 1,000",
        ),
        (&["bench", "wasm", "--reps", "nan"], "from 1 to 1,000"),
        (&["bench", "wasm", "--top", "0"], "from 1 to 1,000"),
        (&["selftest", "--steps", "0"], "from 1 to"),
        (&["selftest", "--steps", "-5"], "from 1 to"),
        (&["selftest", "--memory", "2000"], "from 1 to 1,024"),
        (&["selftest", "--seed", "-1"], "from 0 to"),
    ];
    for (args, range) in cases {
        let flag = args.iter().rev().nth(1).unwrap();
        selvm(args).expect(status::USAGE).says(flag).says(range);
    }
    // Options after the arguments of `exec` are options, not arguments.
    let r = selvm(&["exec", &fib, "--func", "fib", "20", "--stack-words", "10"]);
    r.expect(status::USAGE)
        .says("--stack-words 10 is too small");
}

#[test]
fn output_that_cannot_be_written_ends_the_command_with_status_8() {
    let dir = scratch("full");
    let hello = assembled(&dir, "hello");
    let wat = format!(
        "{}/../../user/examples/hello.wat",
        env!("CARGO_MANIFEST_DIR")
    );
    let sieve = format!("{}/../../vm/programs/sieve.s", env!("CARGO_MANIFEST_DIR"));
    let commands: &[&[&str]] = &[
        &["dis", s(&hello)],
        &["exec", &sieve],
        &["selftest", "--steps", "50"],
        &["demo"],
        &["run", s(&hello)],
        &[
            "bench", "ipc", "--rounds", "16", "--reps", "1", "--only", "yield",
        ],
        &["--help"],
        &["run", "--help"],
    ];
    for args in commands {
        let r = selvm_with(args, Out::Full, Duration::from_secs(60));
        r.check_sane(Out::Full);
        assert_eq!(
            r.code,
            Some(status::OUTPUT_FAILED.into()),
            "{args:?}: {}",
            r.stderr
        );
        assert!(
            r.stderr.contains("No space left on device"),
            "{args:?}: {}",
            r.stderr
        );
    }
    // Output files: nothing half-written is left behind as a module.
    let src = asm_source("hello");
    for args in [
        vec!["asm", s(&src), "-o", "/dev/full"],
        vec!["dx", &wat, "-o", "/dev/full"],
        vec!["run", s(&hello), "--trace", "/dev/full"],
        vec!["asm", s(&src), "-o", s(&dir)],
    ] {
        selvm(&args).expect(status::OUTPUT_FAILED).one_line();
    }
}

#[test]
fn a_closed_stdout_stops_the_command_quietly_with_status_8() {
    let dir = scratch("closed");
    let spin = assembled(&dir, "spin");
    let hello = assembled(&dir, "hello");
    let commands: &[&[&str]] = &[
        // Prints forever: must stop once nobody reads, not run on.
        &["run", s(&spin)],
        &["selftest", "--steps", "50"],
        &["demo"],
        &["dis", s(&hello)],
        &["--help"],
    ];
    for args in commands {
        let r = selvm_with(args, Out::Closed, Duration::from_secs(60));
        r.check_sane(Out::Closed);
        assert_eq!(
            r.code,
            Some(status::OUTPUT_FAILED.into()),
            "{args:?}: {}",
            r.stderr
        );
        assert!(
            !r.stderr.contains("selvm: stdout"),
            "not quiet: {args:?}: {}",
            r.stderr
        );
    }
}

#[test]
fn inputs_are_read_with_a_bound_and_never_block() {
    let dir = scratch("bound");
    let out = dir.join("out.sbc");
    let out = s(&out);
    for args in [
        vec!["run", "/dev/zero"],
        vec!["dis", "/dev/zero"],
        vec!["dx", "/dev/zero", "-o", out],
        vec!["exec", "/dev/zero"],
        vec!["asm", "/dev/zero", "-o", out],
    ] {
        selvm(&args)
            .expect(status::BAD_INPUT)
            .one_line()
            .says("more than 256 MiB");
    }
    // A file known to be too large is refused without reading it.
    let big = dir.join("big.sbc");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(300 << 20)
        .unwrap();
    selvm(&["run", s(&big)])
        .expect(status::BAD_INPUT)
        .says("more than 256 MiB");
    // A fifo nobody writes to reads as empty instead of blocking forever; one with an
    // endless writer is cut at the bound.
    let fifo = dir.join("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    selvm(&["run", s(&fifo)])
        .expect(status::BAD_INPUT)
        .says("fifo");
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new().write(true).open(fifo).unwrap();
            let zeros = vec![0u8; 1 << 16];
            while f.write_all(&zeros).is_ok() {}
        })
    };
    selvm(&["dis", s(&fifo)])
        .expect(status::BAD_INPUT)
        .says("more than 256 MiB");
    writer.join().unwrap();
    for (path, says) in [
        (s(&dir), "a directory"),
        ("/dev/null", "empty"),
        ("/nonexistent/x.sbc", "no such file"),
        ("-", "no such file"),
    ] {
        selvm(&["run", path])
            .expect(status::BAD_INPUT)
            .one_line()
            .says(says);
    }
}

#[test]
fn asm_takes_only_assembly_and_writes_only_verified_modules() {
    let dir = scratch("asm");
    let out = dir.join("out.sbc");
    let hello = assembled(&dir, "hello");
    let wasm = dir.join("m.wasm");
    std::fs::write(&wasm, wat::parse_str("(module)").unwrap()).unwrap();
    let garbage = dir.join("garbage.s");
    std::fs::write(&garbage, [0xffu8, 0, 1, 2, 3]).unwrap();
    for (input, says) in [
        (hello.clone(), "this is an .sbc module"),
        (wasm, "this is a WebAssembly module"),
        (garbage, "a binary file starting with bytes ff 00 01 02"),
    ] {
        let r = selvm(&["asm", s(&input), "-o", s(&out)]);
        r.expect(status::BAD_INPUT)
            .one_line()
            .says("not assembly source")
            .says(says);
        assert!(!out.exists(), "asm wrote {}", out.display());
    }
    // Assembles, but the verifier `run` uses refuses it: nothing is written.
    let unverified = dir.join("bad.s");
    std::fs::write(
        &unverified,
        ".func f () -> () frame 1\n i64.const r5, 0\n return r0, 0\n.end\n",
    )
    .unwrap();
    let r = selvm(&["asm", s(&unverified), "-o", s(&out)]);
    r.expect(status::BAD_INPUT)
        .one_line()
        .says("verifier refuses")
        .says("E302");
    assert!(!out.exists(), "asm wrote a module the verifier refuses");
    // What asm writes, run and dis accept.
    selvm(&["dis", s(&hello)]).expect(0);
    selvm(&["run", s(&hello)]).expect(0);
}

#[test]
fn a_wrong_file_is_named_for_what_it_is() {
    let dir = scratch("kinds");
    let text = dir.join("x.wasm");
    std::fs::write(&text, "not wasm at all\n").unwrap();
    let binary = dir.join("y.wasm");
    std::fs::write(&binary, [0x13u8, 0x37, 0, 0, 9]).unwrap();
    let hello = assembled(&dir, "hello");
    let wasm = dir.join("m.wasm");
    std::fs::write(&wasm, wat::parse_str("(module)").unwrap()).unwrap();
    let out = dir.join("out.sbc");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["run", s(&text)],
            "a text file (first line: `not wasm at all`)",
        ),
        (
            vec!["run", s(&binary)],
            "a binary file starting with bytes 13 37 00 00",
        ),
        (
            vec!["dx", s(&text), "-o", s(&out)],
            "not a WebAssembly module",
        ),
        (
            vec!["dx", s(&hello), "-o", s(&out)],
            "already an .sbc module",
        ),
        (vec!["dis", s(&wasm)], "translate it first"),
        (
            vec!["dis", s(&text)],
            "not an .sbc module: this is a text file",
        ),
        (vec!["exec", s(&binary)], "a binary file"),
    ];
    for (args, says) in &cases {
        let r = selvm(args);
        r.expect(status::BAD_INPUT).one_line().says(says);
        assert!(
            !r.stderr.contains("record"),
            "internal record numbers: {}",
            r.stderr
        );
    }
    // A program's `_start` of the wrong type is named with its type; none at all
    // is named with what would make one.
    let start = dir.join("start.wat");
    std::fs::write(&start, r#"(module (func (export "_start") (param i32)))"#).unwrap();
    for args in [vec!["run", s(&start)], vec!["dx", s(&start), "-o", s(&out)]] {
        selvm(&args)
            .expect(status::BAD_INPUT)
            .says("`_start` has type (func (param i32))")
            .says("no parameters and returns nothing");
    }
    selvm(&["run", s(&wasm)])
        .expect(status::BAD_INPUT)
        .says("no entry point")
        .says("`_start`");
    // WAT errors are one line with the place.
    let bad = dir.join("bad.wat");
    std::fs::write(&bad, "(module (func").unwrap();
    selvm(&["run", s(&bad)])
        .expect(status::BAD_INPUT)
        .one_line()
        .says("line 1, column");
}

#[test]
fn exec_reports_in_words() {
    let fib = format!("{}/../../vm/programs/fib.s", env!("CARGO_MANIFEST_DIR"));
    let dir = scratch("exec");
    let hello = assembled(&dir, "hello");
    let cases: &[(&[&str], u8, &str)] = &[
        (
            &["exec", &fib, "--func", "fib"],
            status::USAGE,
            "`fib` takes 1 argument(s) (i64), got 0",
        ),
        (
            &["exec", &fib, "--func", "fib", "x"],
            status::USAGE,
            "not a valid i64",
        ),
        (
            &["exec", &fib, "--func", "nope"],
            status::USAGE,
            "(its exports: fib)",
        ),
        (
            &["exec", &fib, "--stack-words", "100", "--func", "fib", "3"],
            status::USAGE,
            "needs at least",
        ),
        (
            &["exec", &fib, "--max-depth", "5", "--func", "fib", "30"],
            status::UNHANDLED_FAULT,
            "trap in `fib` at word",
        ),
        (
            &["exec", s(&hello)],
            status::UNHANDLED_FAULT,
            "system call 65527 in `main`",
        ),
    ];
    for (args, code, says) in cases {
        let r = selvm(args);
        r.expect(*code).one_line().says(says);
        for rust_name in [
            "StackTooSmall",
            "Arguments",
            "StackOverflow",
            "Read",
            "Write",
            "Trap(",
        ] {
            assert!(!r.stderr.contains(rust_name), "{rust_name} in {}", r.stderr);
        }
    }
    // Arguments are read by the parameter's type (an i32 zero-extended, as registers
    // hold it), and negative numbers are arguments, not flags.
    let widen = dir.join("widen.s");
    let source =
        ".export \"widen\" widen\n.func widen (i32) -> (i64) frame 1\n return r0, 1\n.end\n";
    std::fs::write(&widen, source).unwrap();
    let r = selvm(&["exec", s(&widen), "--func", "widen", "-5"]);
    assert_eq!(r.expect(0).stdout, b"4294967291\n");
    let r = selvm(&["exec", s(&widen), "--func", "widen", "4294967296"]);
    r.expect(status::USAGE).says("not a valid i32");
}

#[test]
fn help_text_matches_the_tool() {
    let help = |args: &[&str]| String::from_utf8(selvm(args).expect(0).stdout.clone()).unwrap();
    let top = help(&["--help"]);
    assert!(!top.contains("real hardware"), "{top}");
    assert!(top.contains("register VM"), "{top}");
    let dx = help(&["dx", "--help"]);
    assert!(!dx.contains("refused for now"), "{dx}");
    assert!(
        dx.contains("`sel4`") && dx.contains("lowered to system calls"),
        "{dx}"
    );
    let exec = help(&["exec", "--help"]);
    assert!(
        exec.contains("system call") && exec.contains("WebAssembly"),
        "{exec}"
    );
    let ipc = help(&["bench", "ipc", "--help"]);
    assert!(ipc.contains("eventfd"), "{ipc}");
    // Every subcommand documents itself, and every numeric option its range.
    for sub in [
        "demo", "selftest", "asm", "dis", "exec", "dx", "run", "bench",
    ] {
        assert!(
            top.contains(&format!("  {sub} ")),
            "{sub} missing from {top}"
        );
    }
}
