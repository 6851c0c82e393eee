//! The example programs in `programs/` run with checked results, and survive the
//! assemble → disassemble → assemble round trip byte for byte.

mod common;

use common::{Run, eval, program};
use selvm_vm::Stop;
use selvm_vm::asm::{assemble, disassemble};

const PROGRAMS: &[&str] = &["fib.s", "loop.s", "sieve.s", "matmul.s"];

#[test]
fn fib_30() {
    assert_eq!(eval(&program("fib.s"), &[], 1), Ok(vec![832040]));
}

#[test]
fn fib_export_with_argument() {
    let mut run = Run::new(&program("fib.s"), Some("fib"), &[20]);
    assert_eq!(run.finish(), Stop::Returned);
    assert_eq!(run.results(1), vec![6765]);
}

#[test]
fn counted_loop() {
    assert_eq!(eval(&program("loop.s"), &[], 1), Ok(vec![49999995000000]));
}

#[test]
fn sieve() {
    assert_eq!(eval(&program("sieve.s"), &[], 1), Ok(vec![9592]));
}

#[test]
fn matrix_multiply() {
    let n = 32i64;
    let expected: i64 = (0..n)
        .flat_map(|i| (0..n).flat_map(move |j| (0..n).map(move |k| (i + k) * (k - j))))
        .sum();
    let got = eval(&program("matmul.s"), &[], 1).unwrap();
    assert_eq!(f64::from_bits(got[0]), expected as f64);
}

#[test]
fn budget_stops_are_transparent() {
    // Running in slices of 7 instructions gives the same result as one long run.
    let mut run = Run::new(&program("sieve.s"), None, &[]);
    let mut executed = 0;
    loop {
        let exit = run.step(7);
        executed += exit.executed;
        match exit.stop {
            Stop::Budget => assert_eq!(exit.executed, 7),
            Stop::Returned => break,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(run.results(1), vec![9592]);
    let mut once = Run::new(&program("sieve.s"), None, &[]);
    assert_eq!(once.step(u64::MAX).executed, executed);
}

#[test]
fn round_trip_is_exact() {
    for name in PROGRAMS {
        let bytes = assemble(&program(name)).unwrap();
        let text = disassemble(&bytes).unwrap();
        let again = assemble(&text).unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
        assert_eq!(bytes, again, "{name}:\n{text}");
        assert_eq!(disassemble(&again).unwrap(), text);
    }
}
