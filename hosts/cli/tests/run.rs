//! `selvm run` end to end: the hosted machine boots each program of
//! `user/asm/` as its root task; the console, the exit status of every
//! way a run ends, and determinism.

use std::process::Command;

struct Ran {
    status: i32,
    stdout: Vec<u8>,
    stderr: String,
}

fn selvm(args: &[&str]) -> Ran {
    let out = Command::new(env!("CARGO_BIN_EXE_selvm"))
        .args(args)
        .output()
        .unwrap();
    Ran {
        status: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// Assembles `user/asm/NAME.s` and returns the `.sbc` path.
fn program(name: &str) -> String {
    // Cargo's scratch folder for integration tests (under target/), not /tmp.
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("selvm-run-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = format!("{}/../../user/asm/{name}.s", env!("CARGO_MANIFEST_DIR"));
    let sbc = dir
        .join(format!("{name}.sbc"))
        .to_str()
        .unwrap()
        .to_string();
    let r = selvm(&["asm", &src, "-o", &sbc]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    sbc
}

#[test]
fn hello_prints_through_the_kernel_and_halts_cleanly() {
    let r = selvm(&["run", &program("hello")]);
    assert_eq!(
        (r.status, r.stdout.as_slice()),
        (0, &b"hello from the root task\n"[..])
    );
    assert!(r.stderr.is_empty(), "{}", r.stderr);
}

#[test]
fn an_unhandled_fault_names_thread_function_pc_kind_and_address() {
    let r = selvm(&["run", &program("fault")]);
    assert_eq!(r.status, 3);
    for part in [
        "killed by an unhandled load fault",
        "in main (function 0, instruction 1)",
        "address 0x100008",
    ] {
        assert!(r.stderr.contains(part), "{part:?} missing: {}", r.stderr);
    }
}

#[test]
fn a_thread_waiting_forever_is_a_deadlock() {
    // The program also proves the IPC buffer path: its Retype's MR4, MR5 and
    // extra cap travel through the buffer; the Recv then needs the endpoint.
    let r = selvm(&["run", &program("deadlock")]);
    assert_eq!(r.status, 4, "{}", r.stderr);
    assert!(
        r.stderr.contains("deadlock: 1 thread(s) blocked"),
        "{}",
        r.stderr
    );
}

#[test]
fn the_instruction_limit_stops_the_machine_and_runs_are_deterministic() {
    let sbc = program("spin");
    let args = [
        "run",
        &sbc,
        "--max-instructions",
        "20000000",
        "--tick-instructions",
        "5000",
    ];
    let (a, b) = (selvm(&args), selvm(&args));
    assert_eq!(a.status, 5, "{}", a.stderr);
    assert!(a.stdout.len() >= 3, "{:?}", a.stdout);
    assert_eq!(
        (a.stdout, a.stderr),
        (b.stdout, b.stderr),
        "two runs differ"
    );
}

#[test]
fn bad_input_is_one_line_and_status_6() {
    let missing = selvm(&["run", "/nonexistent/x.sbc"]);
    assert_eq!(missing.status, 6);
    assert_eq!(missing.stderr.lines().count(), 1, "{}", missing.stderr);
    let src = format!("{}/../../user/asm/hello.s", env!("CARGO_MANIFEST_DIR"));
    let not_sbc = selvm(&["run", &src]);
    assert_eq!(not_sbc.status, 6);
    assert!(
        not_sbc.stderr.contains("not a valid .sbc module"),
        "{}",
        not_sbc.stderr
    );
}

#[test]
fn the_worked_wasm_abi_example_runs_on_the_hosted_kernel() {
    // docs/wasm-abi.md's example: WAT text -> dx (sel4 imports lowered to
    // syscalls) -> the kernel on the VM; its output is committed beside it.
    let dir = format!("{}/../../user/examples", env!("CARGO_MANIFEST_DIR"));
    let r = selvm(&["run", &format!("{dir}/hello.wat")]);
    let expected = std::fs::read(format!("{dir}/hello.out")).unwrap();
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert_eq!(
        String::from_utf8_lossy(&r.stdout),
        String::from_utf8_lossy(&expected)
    );
}

#[test]
fn a_second_thread_of_the_root_module_sends_over_an_endpoint() {
    // Retype (through the IPC buffer), TCB_SetSpace, TcbBindModule,
    // TcbBindRegisterStack, TcbSetEntry, SetPriority, Resume, then Send/Recv
    // between the two VM threads; the child's MR0 is printed.
    let r = selvm(&["run", &program("threads")]);
    assert_eq!(
        (r.status, r.stdout.as_slice()),
        (0, &b"k\n"[..]),
        "{}",
        r.stderr
    );
}

#[test]
fn console_input_arrives_as_an_interrupt_and_is_echoed_through_the_device() {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_selvm"))
        .args(["run", &program("echo")])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"typed input\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, b"typed input\n");
}

#[test]
fn the_user_timer_fires_after_virtual_time_jumps_to_its_deadline() {
    let r = selvm(&["run", &program("timer")]);
    assert_eq!(
        (r.status, r.stdout.as_slice()),
        (0, &b"tick\n"[..]),
        "{}",
        r.stderr
    );
}

#[test]
fn trace_records_both_threads_and_their_ipc() {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("selvm-trace-{}.json", std::process::id()));
    let r = selvm(&[
        "run",
        &program("threads"),
        "--trace",
        path.to_str().unwrap(),
    ]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    let json = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    assert!(json.starts_with("{\"traceEvents\":[") && json.trim_end().ends_with("]}"));
    for part in [
        "\"name\":\"Send\",\"cat\":\"ipc\"",
        "\"name\":\"Recv\",\"cat\":\"ipc\"",
        "\"cat\":\"thread\",\"ph\":\"X\"",
    ] {
        assert!(json.contains(part), "{part} missing");
    }
    let tids: std::collections::BTreeSet<&str> = json
        .split("\"tid\":")
        .skip(1)
        .filter_map(|s| s.split(',').next())
        .collect();
    assert_eq!(tids.len(), 2, "one track per thread: {tids:?}");
}

#[test]
fn stats_list_the_threads_and_the_endpoint_a_deadlock_left() {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("selvm-stats-{}.json", std::process::id()));
    let r = selvm(&[
        "run",
        "--deterministic",
        &program("deadlock"),
        "--stats",
        path.to_str().unwrap(),
    ]);
    assert_eq!(r.status, 4, "{}", r.stderr);
    let json = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    for part in [
        "\"name\":\"rootserver\",\"priority\":255,\"mcp\":255,\"state\":\"BlockedOnReceive\"",
        "\"name\":\"idle_thread\"",
        "\"state\":\"recv\",\"queue\":[\"0x",
        "\"cspace\":{\"cnode\":\"0x",
        "{\"index\":4000,\"cap\":{\"type\":\"endpoint\"",
    ] {
        assert!(json.contains(part), "{part} missing from {json}");
    }
    let r = selvm(&[
        "run",
        &program("hello"),
        "--stats",
        "/nonexistent/dir/s.json",
    ]);
    assert_eq!(r.status, 8, "an unwritable stats file: {}", r.stderr);
}

#[test]
fn the_timeout_stops_an_endless_program() {
    let r = selvm(&["run", &program("spin"), "--timeout", "0.2"]);
    assert_eq!(r.status, 5, "{}", r.stderr);
    assert!(r.stderr.contains("--timeout"), "{}", r.stderr);
}

#[test]
fn selvm_without_arguments_boots_the_embedded_demo() {
    let r = selvm(&[]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    let out = String::from_utf8(r.stdout).unwrap();
    for line in [
        "root: the client called the endpoint with MR0 = 21",
        "root: the client got the reply and sent back MR0 = 42",
        "root: the Call also carried a capability; the kernel put it in slot 4010: a notification",
        "root: woke on the notification through the transferred cap; halting",
    ] {
        assert!(out.contains(line), "{line:?} missing:\n{out}");
    }
}
