//! The dispatch techniques agree: the example programs give the same results and
//! instruction counts under each, and a thread may switch technique between slices.
//! (Every other test runs under `Dispatch::DEFAULT`; `cargo xtask test` runs the suite
//! again with `--features threaded-dispatch`, and on nightly with
//! `--features tail-call-dispatch`, so every technique passes all of it.)

mod common;

use common::{Run, program};
use selvm_vm::{Dispatch, Stop};

/// The programs and their results (matmul's is the f64 bits of Σ (i + k)(k − j)).
const PROGRAMS: &[(&str, u64)] = &[
    ("fib.s", 832040),
    ("loop.s", 49999995000000),
    ("sieve.s", 9592),
    ("matmul.s", 0x4145_5000_0000_0000),
];

fn run_with(name: &str, slices: &[(Dispatch, u64)]) -> (u64, u64) {
    let mut run = Run::new(&program(name), None, &[]);
    let mut executed = 0;
    for i in 0.. {
        let (dispatch, budget) = slices[i % slices.len()];
        let exit = run.thread.run_with(
            dispatch,
            &run.module,
            &mut run.stack,
            &mut run.memory,
            budget,
        );
        executed += exit.executed;
        match exit.stop {
            Stop::Budget => {}
            Stop::Returned => break,
            other => panic!("{name}: {other:?}"),
        }
    }
    (run.results(1)[0], executed)
}

#[test]
fn all_techniques_agree_on_the_example_programs() {
    for &(name, result) in PROGRAMS {
        let mut counts = Vec::new();
        for &dispatch in Dispatch::ALL {
            let (got, executed) = run_with(name, &[(dispatch, u64::MAX)]);
            assert_eq!(got, result, "{name} under {dispatch:?}");
            counts.push(executed);
        }
        assert!(
            counts.iter().all(|&c| c == counts[0]),
            "{name}: instruction counts differ: {counts:?}"
        );
    }
}

#[test]
fn a_thread_can_switch_technique_between_slices() {
    for &(name, result) in PROGRAMS {
        let budgets = [1001, 777, 501];
        let mixed: Vec<_> = Dispatch::ALL.iter().copied().zip(budgets).collect();
        assert_eq!(run_with(name, &mixed).0, result, "{name}");
    }
}

#[test]
fn the_feature_selects_the_default() {
    let expected = if cfg!(feature = "tail-call-dispatch") {
        "tail-call"
    } else if cfg!(feature = "threaded-dispatch") {
        "threaded"
    } else if Dispatch::ALL.iter().any(|d| d.name() == "sibling") {
        // Built where sibling calls are reliable (`vm/build.rs`).
        "sibling"
    } else {
        "loop"
    };
    assert_eq!(Dispatch::DEFAULT.name(), expected);
}
