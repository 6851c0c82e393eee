//! Litmus tests of the DSM's memory model, between threads on two nodes (side A on
//! node 2, side B on node 3), run `RUNS` times each on fresh words (run r uses word r
//! of each page, so nothing is reset between runs). Before run r each side waits
//! until the other finished run r - 1, so the two sides start each run together.
//!
//! - MP (message passing): A writes `data = 1` then `flag = 1`; B reads `flag` then
//!   `data`. Sequential consistency forbids flag 1 with data 0.
//! - SB (store buffering): A writes `x = 1` then reads `y`; B writes `y = 1` then reads
//!   `x`. Sequential consistency forbids both reading 0 (a model with store buffers,
//!   as x86-TSO, allows it).
//!
//! Each outcome is written to a result page (with bit 2 set, so an unwritten word
//! shows) and node 1 counts them ([`count`]).

use super::{read, write};

/// Runs of each test.
pub const RUNS: usize = 50;
/// Pages: MP's data and flag, SB's x and y, the two sides' progress, the results
/// (MP's, SB's side A and side B).
pub const MP_DATA: usize = 6;
pub const MP_FLAG: usize = 7;
pub const PROGRESS_A: usize = 8;
pub const PROGRESS_B: usize = 9;
pub const SB_X: usize = 10;
pub const SB_Y: usize = 11;
pub const RESULT_MP: usize = 12;
pub const RESULT_SB_A: usize = 13;
pub const RESULT_SB_B: usize = 14;
/// Bit set in every result word.
const WRITTEN: u64 = 4;

/// Waits until the other side's progress word `word` is at least `run`.
fn wait_for(other: usize, word: usize, run: usize) {
    while read(other, word) < run as u64 {
        libsel4::yield_now();
    }
}

/// Runs side A (`a` true, node 2) or side B of MP then SB.
pub fn run(a: bool) {
    let (mine, other) = match a {
        true => (PROGRESS_A, PROGRESS_B),
        false => (PROGRESS_B, PROGRESS_A),
    };
    for r in 0..RUNS {
        wait_for(other, 0, r);
        if a {
            write(MP_DATA, r, 1);
            write(MP_FLAG, r, 1);
        } else {
            let flag = read(MP_FLAG, r);
            let data = read(MP_DATA, r);
            write(RESULT_MP, r, WRITTEN | flag << 1 | data);
        }
        write(mine, 0, r as u64 + 1);
    }
    for r in 0..RUNS {
        wait_for(other, 1, r);
        let (store, load, result) = match a {
            true => (SB_X, SB_Y, RESULT_SB_A),
            false => (SB_Y, SB_X, RESULT_SB_B),
        };
        write(store, r, 1);
        let seen = read(load, r);
        write(result, r, WRITTEN | seen);
        write(mine, 1, r as u64 + 1);
    }
}

/// Outcomes counted: MP's by (flag, data) as `flag * 2 + data`, SB's by (A's read of
/// y, B's read of x) as `a * 2 + b`, and the runs whose results were missing.
pub struct Counts {
    pub mp: [u64; 4],
    pub sb: [u64; 4],
    pub missing: u64,
}

/// Reads every run's results.
pub fn count() -> Counts {
    let mut c = Counts {
        mp: [0; 4],
        sb: [0; 4],
        missing: 0,
    };
    for r in 0..RUNS {
        let (mp, a, b) = (
            read(RESULT_MP, r),
            read(RESULT_SB_A, r),
            read(RESULT_SB_B, r),
        );
        if mp & a & b & WRITTEN == 0 {
            c.missing += 1;
            continue;
        }
        c.mp[(mp & 3) as usize] += 1;
        c.sb[((a & 1) * 2 + (b & 1)) as usize] += 1;
    }
    c
}
