//! Sorting: `core`'s unstable sort (what Rust programs use) on pseudo-random u32 keys.
//! `run(n)` sorts n keys (at most 2^18), checks the order and returns a position-weighted
//! sum of the sorted keys.

#![no_std]
#![no_main]

use bench_common::{Lcg, Static};

const MAX: usize = 1 << 18;
static KEYS: Static<[u32; MAX]> = Static::new([0; MAX]);

/// The benchmark entry (see the module doc).
#[unsafe(no_mangle)]
pub extern "C" fn run(n: i32) -> i64 {
    let n = (n as usize).min(MAX);
    // SAFETY: the only reference taken in this run.
    let keys = &mut unsafe { KEYS.get() }[..n];
    let mut rng = Lcg(7);
    for k in keys.iter_mut() {
        *k = rng.next_u32();
    }
    keys.sort_unstable();
    let mut sum = 0u64;
    for (i, w) in keys.windows(2).enumerate() {
        if w[0] > w[1] {
            core::arch::wasm32::unreachable();
        }
        sum = sum.wrapping_add((w[0] as u64).wrapping_mul(i as u64 + 1));
    }
    sum as i64
}
