//! Dense f64 matrix multiply C = A * B (naive i-k-j order): f64 loads, multiply-adds
//! and address arithmetic. `run(n)` multiplies n x n matrices (n at most 160) filled
//! from a generator and returns the bits of the sum of C.

#![no_std]
#![no_main]

use bench_common::{Lcg, Static};

const MAX: usize = 160;
struct Matrices {
    a: [f64; MAX * MAX],
    b: [f64; MAX * MAX],
    c: [f64; MAX * MAX],
}
static M: Static<Matrices> = Static::new(Matrices {
    a: [0.0; MAX * MAX],
    b: [0.0; MAX * MAX],
    c: [0.0; MAX * MAX],
});

/// The benchmark entry (see the module doc).
#[unsafe(no_mangle)]
pub extern "C" fn run(n: i32) -> i64 {
    let n = (n as usize).min(MAX);
    // SAFETY: the only reference taken in this run.
    let m = unsafe { M.get() };
    let mut rng = Lcg(42);
    for k in 0..n * n {
        m.a[k] = (rng.next_u32() >> 8) as f64 / 16_777_216.0 - 0.5;
        m.b[k] = (rng.next_u32() >> 8) as f64 / 16_777_216.0 - 0.5;
        m.c[k] = 0.0;
    }
    for i in 0..n {
        for k in 0..n {
            let aik = m.a[i * n + k];
            for j in 0..n {
                m.c[i * n + j] += aik * m.b[k * n + j];
            }
        }
    }
    let mut sum = 0.0;
    for &x in &m.c[..n * n] {
        sum += x;
    }
    f64::to_bits(sum) as i64
}
