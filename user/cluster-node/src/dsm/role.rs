//! The DSM's test programs, a node role chosen by the network device's ARGUMENT
//! register: [`TESTS`] (threads on 3 nodes incrementing shared counters under the
//! bakery lock, the litmus tests, the fault round trips; node 1 checks and prints) and
//! [`NODE_DOWN`] (node 2 takes a page and is killed by the test; node 1's read of that
//! page and node 3's read of a page node 2 managed must fail with the defined fault,
//! and a page managed elsewhere must stay shared). Each node's coordinator registers
//! and looks up the DSM's names, meets the others on the control page, and runs its
//! part; node 1 then stops the others and halts with the status (0: all right).

use super::lock::Bakery;
use super::pager::{self, failure};
use super::{bench, connect, keeper, litmus, manager, me, node_down, nodes, now_ns, read, write};
use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use libsel4::{CPtr, Error, MessageInfo, tcb};
use rt::print::{Part::*, line};
use sel4rt::Env;

/// Program: counters under the lock, litmus tests, round trips.
pub const TESTS: u64 = 5;
/// Program: a node that owns a page dies.
pub const NODE_DOWN: u64 = 6;

/// The control page (managed by node 1) and its words: node n's arrival (word n), the
/// phase, each counter thread's end (from `DONE`), each litmus side's end (from
/// `LITMUS_DONE`), node 2's ownership of the doomed page (`OWNED`) and node n's
/// acknowledgement of it (`OWNED + n`).
pub(super) const CONTROL: usize = 0;
const PHASE: usize = 8;
const DONE: usize = 16;
const LITMUS_DONE: usize = 32;
pub(super) const OWNED: usize = 40;
/// Each node's page of bakery entries, and the two counters' pages.
const BAKERY: [usize; 3] = [1, 2, 3];
const COUNTER_A: usize = 4;
const COUNTER_B: usize = 5;
/// Counter threads a node, and increments each.
const PER_NODE: usize = 2;
const INCREMENTS: u64 = 5;
pub(super) const SECOND_NS: u64 = 1_000_000_000;

#[allow(clippy::declare_interior_mutable_const)]
const ZERO: AtomicU64 = AtomicU64::new(0);
static ENDPOINTS: [AtomicU64; 3] = [ZERO; 3];
/// The manager's, keeper's and reader's TCBs (resumed once the names are found).
static SERVERS: [AtomicU64; 3] = [ZERO; 3];
/// TCBs: the counter threads, the litmus side, the bench side.
static COUNTERS: [AtomicU64; PER_NODE] = [ZERO; PER_NODE];
static LITMUS: AtomicU64 = ZERO;
static BENCH: AtomicU64 = ZERO;
static BENCH_DONE: AtomicU64 = ZERO;

/// Starts the manager, keeper and reader on `endpoints`, makes the program's threads
/// (faults served by the pager) and starts the coordinator of `program`.
pub fn start(env: &mut Env, endpoints: [CPtr; 3], program: u64) -> Result<(), Error> {
    let [keeper, reader] = keeper::make(env, endpoints[1], endpoints[2])?;
    for (s, t) in SERVERS
        .iter()
        .zip([manager::make(env, endpoints[0])?, keeper, reader])
    {
        s.store(t, SeqCst);
    }
    for (s, e) in ENDPOINTS.iter().zip(endpoints) {
        s.store(e, SeqCst);
    }
    for (t, slot) in COUNTERS.iter().enumerate() {
        slot.store(pager::adopt(env, counter, t as u64)?.1.tcb, SeqCst);
    }
    LITMUS.store(pager::adopt(env, litmus_side, 0)?.1.tcb, SeqCst);
    BENCH.store(pager::adopt(env, bench_side, 0)?.1.tcb, SeqCst);
    node_down::make_probe(env)?;
    let (_, coordinator) = pager::adopt(env, coordinate, program)?;
    tcb::resume(coordinator.tcb)
}

pub(super) fn resume(tcb: &AtomicU64) {
    let _ = tcb::resume(tcb.load(SeqCst));
}

/// Yields until `ready` or `deadline` (machine time); says what timed out.
pub(super) fn wait_until(what: &str, deadline: u64, ready: impl Fn() -> bool) -> bool {
    while !ready() {
        if now_ns() > deadline {
            line(&[
                T("dsm: node "),
                N(me()),
                T(" timed out waiting for "),
                T(what),
            ]);
            return false;
        }
        libsel4::yield_now();
    }
    true
}

extern "C" fn coordinate(program: u64) {
    let status = if nodes() != 3 {
        line(&[T("dsm: the DSM programs need 3 nodes")]);
        4
    } else if !meet() {
        3
    } else if program == TESTS {
        tests()
    } else {
        node_down::run()
    };
    if me() == 1 {
        for n in 2..=nodes() {
            let stopped = libsel4::call(
                super::control_cap(n),
                MessageInfo::new(crate::service::STOP, 0, 0, 0).unwrap_or_default(),
            );
            let said = if stopped.label() == 0 {
                ": done"
            } else {
                ": it did not answer"
            };
            line(&[T("dsm: stopping node "), N(n), T(said)]);
        }
        line(&[T("dsm: status "), N(status)]);
        libsel4::debug_halt_status(status);
    }
}

/// Finds every node's DSM and waits until all arrived on the control page.
fn meet() -> bool {
    let e = |i: usize| ENDPOINTS[i].load(SeqCst);
    let t0 = now_ns();
    if !connect([e(0), e(1), e(2)], t0 + 60 * SECOND_NS) {
        line(&[
            T("dsm: node "),
            N(me()),
            T(" did not find every node's DSM"),
        ]);
        return false;
    }
    SERVERS.iter().for_each(resume);
    line(&[
        T("dsm: node "),
        N(me()),
        T(" found every node's DSM in "),
        N((now_ns() - t0) / 1_000_000),
        T(" ms"),
    ]);
    if me() == 1 {
        let t0 = now_ns();
        (0..20).for_each(|_| {
            node_down::node_2_down();
        });
        line(&[
            T("dsm: a remote Call took "),
            N((now_ns() - t0) / 20_000),
            T(" us"),
        ]);
    }
    write(CONTROL, me() as usize, 1);
    let all = || (1..=nodes() as usize).all(|n| read(CONTROL, n) == 1);
    wait_until("every node", now_ns() + 60 * SECOND_NS, all)
}

/// Counter thread `t` of this node: INCREMENTS times, under the lock, adds 1 to
/// counter A and its participant number + 1 to counter B.
extern "C" fn counter(t: u64) {
    let i = (me() as usize - 1) * PER_NODE + t as usize;
    let lock = Bakery {
        pages: &BAKERY,
        per_node: PER_NODE,
    };
    for _ in 0..INCREMENTS {
        lock.lock(i);
        write(COUNTER_A, 0, read(COUNTER_A, 0) + 1);
        write(COUNTER_B, 0, read(COUNTER_B, 0) + i as u64 + 1);
        lock.unlock(i);
    }
    write(CONTROL, DONE + i, 1);
}

extern "C" fn litmus_side(_: u64) {
    litmus::run(me() == 2);
    write(CONTROL, LITMUS_DONE + me() as usize, 1);
}

extern "C" fn bench_side(_: u64) {
    match me() {
        1 => bench::measure(),
        _ => bench::answer(),
    }
    BENCH_DONE.store(1, SeqCst);
}

/// TESTS: every node runs its counter threads; node 1 checks the counters, then the
/// litmus sides run on nodes 2 and 3, node 1 counts their outcomes, then node 1 and
/// node 3 measure round trips. Node 1's status: 0 when all was right.
fn tests() -> u64 {
    let started = now_ns();
    COUNTERS.iter().for_each(resume);
    let threads = 3 * PER_NODE;
    if me() != 1 {
        let phase = |p| move || read(CONTROL, PHASE) >= p;
        if wait_until("the litmus phase", started + 120 * SECOND_NS, phase(2)) {
            resume(&LITMUS);
        }
        if me() == 3 && wait_until("the bench phase", started + 180 * SECOND_NS, phase(3)) {
            resume(&BENCH);
        }
        report_served();
        return 0;
    }
    let done = || (0..threads).all(|i| read(CONTROL, DONE + i) == 1);
    if !wait_until("the counter threads", started + 90 * SECOND_NS, done) {
        report_failures();
        report_served();
        line(&[T("dsm: counter A is "), N(read(COUNTER_A, 0))]);
        return 3;
    }
    let (a, b) = (read(COUNTER_A, 0), read(COUNTER_B, 0));
    let want_a = threads as u64 * INCREMENTS;
    let want_b = INCREMENTS * (1..=threads as u64).sum::<u64>();
    let exact = a == want_a && b == want_b;
    line(&[
        T("dsm: counters: "),
        N(threads as u64),
        T(" threads on 3 nodes, "),
        N(INCREMENTS),
        T(" locked increments each, in "),
        N((now_ns() - started) / 1_000_000),
        T(" ms: A = "),
        N(a),
        T(" (expected "),
        N(want_a),
        T("), B = "),
        N(b),
        T(" (expected "),
        N(want_b),
        T(if exact { "): exact" } else { "): WRONG" }),
    ]);
    write(CONTROL, PHASE, 2);
    let sides = || read(CONTROL, LITMUS_DONE + 2) == 1 && read(CONTROL, LITMUS_DONE + 3) == 1;
    if !wait_until("the litmus sides", now_ns() + 120 * SECOND_NS, sides) {
        return 3;
    }
    let c = litmus::count();
    let runs = litmus::RUNS as u64;
    line(&[
        T("dsm: litmus MP, "),
        N(runs),
        T(" runs: flag 0 data 0: "),
        N(c.mp[0]),
        T(", flag 0 data 1: "),
        N(c.mp[1]),
        T(", flag 1 data 1: "),
        N(c.mp[3]),
        T(", flag 1 data 0 (forbidden): "),
        N(c.mp[2]),
    ]);
    line(&[
        T("dsm: litmus SB, "),
        N(runs),
        T(" runs: a 0 b 1: "),
        N(c.sb[1]),
        T(", a 1 b 0: "),
        N(c.sb[2]),
        T(", a 1 b 1: "),
        N(c.sb[3]),
        T(", a 0 b 0 (forbidden): "),
        N(c.sb[0]),
        T("; runs missing: "),
        N(c.missing),
    ]);
    let litmus_right = c.mp[2] == 0 && c.sb[0] == 0 && c.missing == 0;
    write(CONTROL, PHASE, 3);
    resume(&BENCH);
    let benched = || BENCH_DONE.load(SeqCst) == 1;
    let bench_done = wait_until("the bench", now_ns() + 120 * SECOND_NS, benched);
    report_served();
    u64::from(!(exact && litmus_right && bench_done)) * 2
}

/// Prints how many faults this node's pager served.
fn report_served() {
    let served = |k: usize| pager::SERVED[k].load(SeqCst);
    line(&[
        T("dsm: node "),
        N(me()),
        T("'s pager served "),
        N(served(0)),
        T(" read faults, "),
        N(served(1)),
        T(" write faults, "),
        N(served(2)),
        T(" already mapped"),
    ]);
}

/// Prints the failure of every local DSM thread whose access failed.
fn report_failures() {
    for n in 0..pager::MAX_THREADS {
        if let Some((why, page)) = failure(n) {
            let (text, at) = why.describe();
            line(&[
                T("dsm: thread "),
                N(n as u64),
                T(" failed on page "),
                N(page),
                T(": "),
                T(text),
                N(at),
            ]);
        }
    }
}
