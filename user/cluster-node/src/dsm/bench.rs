//! DSM page-fault round trips, measured in machine time by the faulting thread around
//! the access: node 1 and node 3 take turns on two pages managed by node 2 (every
//! fault involves three nodes). Each round node 1 reads the turn word node 3 just
//! wrote (a read fault: node 3 downgraded, the page fetched from it), writes a word of
//! a page node 3 just wrote (a write fault: node 3's copy unmapped, the page fetched),
//! and writes the turn word (a write fault on a page it holds read-only: node 3's copy
//! unmapped, nothing fetched); beside them, one plain remote Call (a fetch message
//! from node 3's reader) as the peer figure. Node 1 prints the table.

use super::keeper::READ_WORDS;
use super::{now_ns, read, reader_cap, write};
use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use libsel4::MessageInfo;
use libsel4::ipc::set_mr;
use rt::print::{Part::*, line};

/// Rounds (the first, a warm-up, is not counted).
pub const ROUNDS: usize = 21;
/// The turn page and the other page (both managed by node 2 of 3).
const TURN: usize = 16;
const OTHER: usize = 19;
const KINDS: usize = 4;
const NAMES: [&str; KINDS] = [
    "remote Call (one fetch message)  ",
    "read fault, page fetched         ",
    "write fault, page fetched        ",
    "write fault, read copy upgraded  ",
];

#[allow(clippy::declare_interior_mutable_const)]
const ZERO: AtomicU64 = AtomicU64::new(0);
#[allow(clippy::declare_interior_mutable_const)]
const ROW: [AtomicU64; ROUNDS] = [ZERO; ROUNDS];
static TIMES: [[AtomicU64; ROUNDS]; KINDS] = [ROW; KINDS];

fn timed(f: impl FnOnce() -> u64) -> (u64, u64) {
    let t0 = now_ns();
    let v = f();
    (v, now_ns() - t0)
}

/// Node 1's side: measures and prints the table.
pub fn measure() {
    for i in 0..ROUNDS {
        let (_, call) = timed(|| {
            set_mr(0, 0);
            set_mr(1, 0);
            let info = MessageInfo::new(READ_WORDS, 0, 0, 2).unwrap_or_default();
            libsel4::call(reader_cap(3), info).label()
        });
        let turn = 2 * i as u64;
        let read_fault = loop {
            let (v, t) = timed(|| read(TURN, 0));
            if v == turn {
                break t;
            }
            libsel4::yield_now();
        };
        let (_, fetched) = timed(|| {
            write(OTHER, 0, i as u64);
            0
        });
        let (_, upgraded) = timed(|| {
            write(TURN, 0, turn + 1);
            0
        });
        for (k, t) in [call, read_fault, fetched, upgraded]
            .into_iter()
            .enumerate()
        {
            TIMES[k][i].store(t, SeqCst);
        }
    }
    line(&[
        T("dsm bench: "),
        N(ROUNDS as u64 - 1),
        T(" rounds, node 1 <-> node 3 on pages managed by node 2, microseconds"),
    ]);
    line(&[T("| access                           | median | p99    |")]);
    for (k, name) in NAMES.iter().enumerate() {
        let mut v = [0u64; ROUNDS - 1];
        for (d, s) in v.iter_mut().zip(&TIMES[k][1..]) {
            *d = s.load(SeqCst);
        }
        v.sort_unstable();
        let p99 = v[((v.len() * 99).div_ceil(100)).saturating_sub(1)];
        let us = |ns: u64| [N(ns / 1000), T("."), N(ns % 1000 / 100)];
        let [a, b, c] = us(v[v.len() / 2]);
        let [d, e, f] = us(p99);
        line(&[
            T("| "),
            T(name),
            T(" | "),
            a,
            b,
            c,
            T(" | "),
            d,
            e,
            f,
            T(" |"),
        ]);
    }
}

/// Node 3's side: takes its turns.
pub fn answer() {
    for i in 0..ROUNDS {
        let turn = 2 * i as u64 + 1;
        while read(TURN, 0) != turn {
            libsel4::yield_now();
        }
        write(OTHER, 1, i as u64);
        write(TURN, 0, turn + 1);
    }
}
