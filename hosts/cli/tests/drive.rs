//! `selvm run`'s loop around the machine: stdin read only when the program asks (never
//! before boot, never taken from the caller's next command), runs under
//! `--deterministic` that do not depend on how input arrives, and a trace streamed to
//! its file and completed when the run ends by a timeout or Ctrl-C.

mod support;

use selvm_machine::status;
use std::io::Write;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use support::{assembled, s, scratch};

/// Waits for `child` for at most `limit`; kills it and fails the test if it hangs.
fn finish(mut child: Child, limit: Duration) -> Output {
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("selvm hung: {:?}", child.wait_with_output().unwrap());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().unwrap()
}

fn selvm() -> Command {
    Command::new(env!("CARGO_BIN_EXE_selvm"))
}

#[test]
fn a_program_that_reads_no_input_neither_waits_for_stdin_nor_takes_it() {
    let dir = scratch("drive-stdin");
    let hello = assembled(&dir, "hello");
    // stdin is a pipe nobody writes to or closes: the run must not wait for it.
    let mut open = selvm()
        .args(["run", s(&hello)])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let writer = open.stdin.take();
    let out = finish(open, Duration::from_secs(20));
    drop(writer);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stdout, b"hello from the root task\n");
    // The caller's next command gets the input the program did not ask for.
    let script = format!(
        "\"{}\" run \"{}\"; cat",
        env!("CARGO_BIN_EXE_selvm"),
        s(&hello)
    );
    let mut sh = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    sh.stdin
        .take()
        .unwrap()
        .write_all(b"for the next command\n")
        .unwrap();
    let out = finish(sh, Duration::from_secs(20));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "hello from the root task\nfor the next command\n"
    );
}

/// Runs the echo program under `--deterministic` with a trace, writing `pieces` to its
/// stdin with a pause between them; its stdout and trace.
fn echo_run(dir: &std::path::Path, tag: &str, pieces: &[&[u8]]) -> (Vec<u8>, String) {
    let echo = assembled(dir, "echo");
    let trace = dir.join(format!("{tag}.json"));
    let mut child = selvm()
        .args(["run", "--deterministic", "--trace", s(&trace), s(&echo)])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for p in pieces {
        stdin.write_all(p).unwrap();
        stdin.flush().unwrap();
        std::thread::sleep(Duration::from_millis(40));
    }
    drop(stdin);
    let out = finish(child, Duration::from_secs(30));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (out.stdout, std::fs::read_to_string(&trace).unwrap())
}

#[test]
fn deterministic_runs_do_not_depend_on_how_input_arrives() {
    let dir = scratch("drive-deterministic");
    let whole = echo_run(&dir, "whole", &[b"seL4 on a register VM\n"]);
    let pieces = echo_run(&dir, "pieces", &[b"seL4 ", b"on a ", b"register VM", b"\n"]);
    assert_eq!(whole.0, b"seL4 on a register VM\n");
    assert_eq!(whole.0, pieces.0, "the same output");
    assert!(
        whole.1.contains("\"irq 1\""),
        "the console interrupt is traced"
    );
    // A thread that waited for input mid-slice has its slice in two trace events; the
    // kernel entries, and the virtual times they happen at, are the same.
    let entries = |trace: &str| -> Vec<String> {
        trace
            .lines()
            .filter(|l| l.contains("\"ph\":\"i\""))
            .map(String::from)
            .collect()
    };
    assert_eq!(entries(&whole.1), entries(&pieces.1));
    let instructions = |trace: &str| -> u64 {
        trace
            .split("\"instructions\":")
            .skip(1)
            .map(|t| t.split('}').next().unwrap().parse::<u64>().unwrap())
            .sum()
    };
    assert_eq!(instructions(&whole.1), instructions(&pieces.1));
}

/// The trace file is a whole Chrome trace document with at least one event.
fn assert_complete_trace(path: &std::path::Path) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.starts_with("{\"traceEvents\":[\n"), "{text:.80}");
    assert!(
        text.ends_with("\n]}\n"),
        "not closed: ...{}",
        &text[text.len() - 80..]
    );
    assert!(text.contains("\"ph\":\"X\""), "no event");
}

#[test]
fn a_timeout_ends_the_run_with_its_trace_complete() {
    let dir = scratch("drive-timeout");
    let spin = assembled(&dir, "spin");
    let trace = dir.join("t.json");
    let out = finish(
        selvm()
            .args(["run", "--timeout", "0.3", "--trace", s(&trace), s(&spin)])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
        Duration::from_secs(20),
    );
    assert_eq!(out.status.code(), Some(status::LIMIT.into()));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--timeout"));
    assert_complete_trace(&trace);
}

#[test]
fn ctrl_c_stops_the_run_with_its_trace_complete() {
    let dir = scratch("drive-interrupt");
    let spin = assembled(&dir, "spin");
    let trace = dir.join("t.json");
    let child = selvm()
        .args(["run", "--trace", s(&trace), s(&spin)])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    // SAFETY: kill(2) on the child's pid, which is ours and still running (it spins
    // until stopped); it touches no memory of this process.
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    assert_eq!(sent, 0);
    let out = finish(child, Duration::from_secs(20));
    assert_eq!(
        out.status.code(),
        Some(status::INTERRUPTED.into()),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("interrupted"));
    assert_complete_trace(&trace);
}

#[test]
fn a_trace_that_cannot_be_written_ends_the_run_with_status_8() {
    let dir = scratch("drive-trace-full");
    let hello = assembled(&dir, "hello");
    let out = finish(
        selvm()
            .args(["run", "--trace", "/dev/full", s(&hello)])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
        Duration::from_secs(20),
    );
    assert_eq!(out.status.code(), Some(status::OUTPUT_FAILED.into()));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/dev/full"));
}
