//! Sieve of Eratosthenes, one byte per number: byte loads and stores in tight loops.
//! `run(n)` sieves below n (at most 2^20) and returns count * 2^32 + (sum of primes mod 2^32).

#![no_std]
#![no_main]

use bench_common::Static;

const MAX: usize = 1 << 20;
static FLAGS: Static<[u8; MAX]> = Static::new([0; MAX]);

/// The benchmark entry (see the module doc).
#[unsafe(no_mangle)]
pub extern "C" fn run(n: i32) -> i64 {
    let n = (n as usize).min(MAX);
    // SAFETY: the only reference taken in this run.
    let flags = unsafe { FLAGS.get() };
    flags[..n].fill(1);
    let mut i = 2;
    while i * i < n {
        if flags[i] != 0 {
            let mut j = i * i;
            while j < n {
                flags[j] = 0;
                j += i;
            }
        }
        i += 1;
    }
    let (mut count, mut sum) = (0u32, 0u32);
    for (k, &f) in flags.iter().enumerate().take(n).skip(2) {
        if f != 0 {
            count += 1;
            sum = sum.wrapping_add(k as u32);
        }
    }
    ((count as i64) << 32) | sum as i64
}
