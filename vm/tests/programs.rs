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

#[test]
fn names_from_equ_and_from_the_embedder_stand_for_numbers() {
    use selvm_vm::asm::assemble_with;
    let named = ".equ SLOT 4000\n.equ BIG 0x1_0000_0000\n.entry main\n.func main () -> (i64) frame 2\n    i64.const r0, SLOT\n    ldc r1, BIG\n    i64.add_imm r0, r0, EXTRA\n    return r0, 1\n.end\n";
    let plain = ".entry main\n.func main () -> (i64) frame 2\n    i64.const r0, 4000\n    ldc r1, 0x100000000\n    i64.add_imm r0, r0, 7\n    return r0, 1\n.end\n";
    let symbols = |name: &str| (name == "EXTRA").then_some(7);
    assert_eq!(
        assemble_with(named, &symbols).unwrap(),
        assemble(plain).unwrap()
    );
    let err = assemble(named).unwrap_err();
    assert!(err.message.contains("unknown name `EXTRA`"), "{err}");
    let twice = ".equ A 1\n.equ A 2\n";
    assert!(
        assemble(twice)
            .unwrap_err()
            .message
            .contains("defined twice")
    );
    let range = ".equ HUGE 0x10000000000\n.entry main\n.func main () -> () frame 1\n    i64.const r0, HUGE\n    return r0, 0\n.end\n";
    assert!(
        assemble(range)
            .unwrap_err()
            .message
            .contains("out of range")
    );
}
