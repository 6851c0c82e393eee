//! Recursive Fibonacci: call-heavy code with almost no memory traffic.
//! `run(n)` returns fib(n) computed the naive way.

#![no_std]
#![no_main]

use bench_common as _;

#[inline(never)]
fn fib(n: u32) -> u64 {
    if n < 2 { n as u64 } else { fib(n - 1).wrapping_add(fib(n - 2)) }
}

/// The benchmark entry: fib(n).
#[unsafe(no_mangle)]
pub extern "C" fn run(n: i32) -> i64 {
    fib(n as u32) as i64
}
