//! The session as the page's worker uses it, natively: booting files and built-in
//! programs, refusals in the command line's words, the IPC benchmarks, the trace limit.

use super::*;

/// Runs to the end with no input; the console and how it ended.
fn finish(s: &mut Session) -> (String, Ended) {
    let mut console = Vec::new();
    loop {
        let state = s.run(1 << 20);
        console.extend(s.console());
        match state {
            State::Running => {}
            State::WaitInput => {
                s.close_input();
                s.close_display_input();
            }
            State::WaitTime(_) => unreachable!("virtual time never waits"),
            State::Exited => break,
        }
    }
    (
        String::from_utf8(console).unwrap(),
        s.ended().unwrap().clone(),
    )
}

#[test]
fn the_demo_boots_and_finishes_cleanly() {
    let mut s = Session::boot_builtin("demo", 0, &Options::default()).unwrap();
    let (console, ended) = finish(&mut s);
    assert_eq!(
        ended,
        Ended {
            status: 0,
            message: None
        }
    );
    assert!(console.contains("root:"), "{console}");
}

#[test]
fn bad_files_are_refused_in_the_command_lines_words() {
    let e = Session::boot_file("x.bin", &[0xde, 0xad], &Options::default())
        .err()
        .unwrap();
    assert_eq!(e.status, status::BAD_INPUT);
    assert_eq!(
        e.message.unwrap(),
        selvm_load::image(Path::new("x.bin"), &[0xde, 0xad]).unwrap_err()
    );
    let e = Session::boot_file("e.wasm", &[], &Options::default())
        .err()
        .unwrap();
    assert_eq!(e.message.as_deref(), Some("e.wasm: an empty file"));
    let e = Session::boot_builtin("nope", 0, &Options::default())
        .err()
        .unwrap();
    assert!(e.message.unwrap().contains("there are: demo"));
    let o = Options {
        memory_mib: 0,
        ..Options::default()
    };
    assert_eq!(
        Session::boot_builtin("demo", 0, &o).err().unwrap().status,
        status::USAGE
    );
}

#[test]
fn an_endless_program_stops_at_its_instruction_limit_and_traps_are_reported() {
    let spin = "(module (memory 1) (func (export \"_start\") (loop br 0)))";
    let o = Options {
        max_instructions: Some(100_000),
        trace: true,
        ..Options::default()
    };
    let mut s = Session::boot_file("spin.wat", spin.as_bytes(), &o).unwrap();
    let (_, ended) = finish(&mut s);
    assert_eq!(ended.status, status::LIMIT);
    assert!(ended.message.unwrap().contains("maxInstructions"));
    let trace = s.trace();
    assert!(
        trace.lines().all(|l| l.starts_with("{\"name\":")),
        "{trace}"
    );
    let trap = "(module (memory 1) (func (export \"_start\") unreachable))";
    let mut s = Session::boot_file("trap.wat", trap.as_bytes(), &Options::default()).unwrap();
    let (_, ended) = finish(&mut s);
    assert_eq!(ended.status, status::UNHANDLED_FAULT);
    assert!(ended.message.unwrap().contains("`unreachable` trap"));
}

#[test]
fn every_ipc_benchmark_halts_cleanly() {
    for b in crate::builtin::ALL
        .iter()
        .filter(|b| b.name.starts_with("ipc-"))
    {
        let mut s = Session::boot_builtin(b.name, 100, &Options::default()).unwrap();
        let (_, ended) = finish(&mut s);
        assert_eq!(ended.status, 0, "{}: {ended:?}", b.name);
        assert!(s.stats().contains("\"threads\":["));
    }
}

#[test]
fn the_trace_stops_at_its_limit_and_counts_what_it_dropped() {
    let o = Options {
        trace: true,
        ..Options::default()
    };
    // An IPC benchmark makes several events per round trip: far more than the limit.
    let mut s = Session::boot_builtin("ipc-fastpath", 100_000, &o).unwrap();
    let mut events = 0;
    loop {
        let state = s.run(1 << 20);
        events += s.trace().lines().count();
        if state == State::Exited {
            break;
        }
    }
    assert_eq!(s.ended().map(|e| e.status), Some(0));
    assert_eq!(events, TRACE_LIMIT);
    assert!(s.trace_dropped() > 100_000, "{}", s.trace_dropped());
    assert_eq!(s.trace(), "");
}
