//! Scheduling tests [SEL4-FACTS "Scheduling and faults": priorities and MCP
//! checked against the authorising TCB; suspend/resume].
use crate::Test;
use crate::common::*;
use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use libsel4::{Error, ipc, tcb};
use sel4rt::{Env, ROOT_TCB, types};

/// The tests of this area.
pub const TESTS: &[Test] = &[
    (
        "sched.priority_above_authority_mcp_RangeError [priority vs MCP]",
        prio_above_mcp,
    ),
    (
        "sched.mcp_above_authority_mcp_RangeError [MCP vs MCP]",
        mcp_above_mcp,
    ),
    (
        "sched.priority_up_to_mcp_allowed [priority vs MCP]",
        prio_at_mcp,
    ),
    (
        "sched.priority_above_255_RangeError [priorities 0..255]",
        prio_above_255,
    ),
    (
        "sched.suspend_resume_inactive_thread [Suspend, Resume]",
        suspend_resume,
    ),
    (
        "sched.equal_priority_spinners_preempted [round robin, 5-tick time slice]",
        preemption,
    ),
    (
        "sched.higher_priority_runs_first [highest runnable runs]",
        priority_order,
    ),
    (
        "sched.yield_round_robins_equal_priority [Yield: tail of the own queue]",
        yield_round_robin,
    ),
    (
        "sched.suspend_stops_a_running_thread_resume_restarts [Suspend, Resume]",
        suspend_running,
    ),
    (
        "sched.suspend_blocked_receiver_resume_receives_again [Suspend cancels IPC; Resume restarts]",
        suspend_blocked,
    ),
];

fn tcb_obj(env: &mut Env) -> Result<u64, Fail> {
    ok(env.retype(types::TCB, 0), "retype TCB")
}

fn prio_above_mcp(env: &mut Env) -> R {
    let (a, t) = (tcb_obj(env)?, tcb_obj(env)?);
    ok(tcb::set_mc_priority(a, ROOT_TCB, 100), "MCP 100")?;
    err_mrs(
        tcb::set_priority(t, a, 101),
        Error::RangeError,
        &[0, 100],
        "priority 101 with MCP 100",
    )
}

fn mcp_above_mcp(env: &mut Env) -> R {
    let (a, t) = (tcb_obj(env)?, tcb_obj(env)?);
    ok(tcb::set_mc_priority(a, ROOT_TCB, 50), "MCP 50")?;
    err_mrs(
        tcb::set_mc_priority(t, a, 51),
        Error::RangeError,
        &[0, 50],
        "MCP 51 with MCP 50",
    )
}

fn prio_at_mcp(env: &mut Env) -> R {
    let (a, t) = (tcb_obj(env)?, tcb_obj(env)?);
    ok(tcb::set_mc_priority(a, ROOT_TCB, 100), "MCP 100")?;
    ok(tcb::set_priority(t, a, 100), "priority 100 with MCP 100")
}

fn prio_above_255(env: &mut Env) -> R {
    let t = tcb_obj(env)?;
    err_mrs(
        tcb::set_priority(t, ROOT_TCB, 256),
        Error::RangeError,
        &[0, 255],
        "priority 256",
    )
}

fn suspend_resume(env: &mut Env) -> R {
    let t = tcb_obj(env)?;
    ok(tcb::suspend(t), "suspend an inactive thread")?;
    ok(tcb::suspend(t), "twice")
}

/// Iterations a spinner gives the other one to show up (tens of time slices): the
/// hosted machine runs some 10^7 of these loops a second, qemu natively 10^8 or more.
const SPIN_LIMIT: u64 = if cfg!(target_arch = "riscv64") {
    200_000_000
} else {
    2_000_000
};

/// Spins, counting in shared word `me`, until shared word `1 - me` moves or the limit
/// is reached; reports `me` and whether it saw the other thread run.
extern "C" fn spinner(me: u64) {
    let (me, other) = (me as usize, 1 - me as usize);
    let mut saw = 0;
    for _ in 0..SPIN_LIMIT {
        set_shared(me, shared(me) + 1);
        if shared(other) != 0 {
            saw = 1;
            break;
        }
    }
    done(me as u64, &[saw]);
}

fn preemption(env: &mut Env) -> R {
    spawn(env, spinner, 0, 100)?;
    spawn(env, spinner, 1, 100)?;
    // Resume puts a thread at the head of its queue (seL4's tcbSchedEnqueue), so
    // thread 1 runs first; only the timer can hand the processor to thread 0, which
    // sees thread 1's count at once and reports first.
    let first = report()?;
    eq(
        first.label,
        0,
        "first report (1 = thread 1 never preempted)",
    )?;
    eq(mr(0), 1, "thread 0 saw thread 1's count")?;
    let second = report()?;
    eq(second.label, 1, "second report")?;
    eq(mr(0), 1, "thread 1 saw thread 0 run while it spun")
}

extern "C" fn reports_arg(arg: u64) {
    done(arg, &[]);
}

fn priority_order(env: &mut Env) -> R {
    // Started in the order 50, 70, 60; the root (255) keeps running until it waits.
    for prio in [50, 70, 60] {
        spawn(env, reports_arg, prio, prio)?;
    }
    for want in [70, 60, 50] {
        eq(report()?.label, want, "reports in priority order")?;
    }
    Ok(())
}

static LOG: AtomicU64 = AtomicU64::new(0);

extern "C" fn yielder(id: u64) {
    for _ in 0..3 {
        LOG.store(LOG.load(SeqCst) * 4 + id, SeqCst);
        libsel4::yield_now();
    }
    done(id, &[]);
}

fn yield_round_robin(env: &mut Env) -> R {
    LOG.store(0, SeqCst);
    for id in 1..=3 {
        spawn(env, yielder, id, 100)?;
    }
    // Each Resume enqueues at the head: 3 runs first, then 2, then 1; each Yield
    // moves the yielder to the tail.
    for id in [3, 2, 1] {
        eq(report()?.label, id, "report order")?;
    }
    // 3 2 1 3 2 1 3 2 1, base 4.
    let want = (0..9).fold(0, |acc, i| acc * 4 + (3 - i % 3));
    eq(
        LOG.load(SeqCst),
        want,
        "the run order, base 4 (3 2 1 3 2 1 3 2 1)",
    )
}

/// Counts in shared word 0 for many time slices (bounded, so that a kernel that never
/// preempts it fails the test instead of hanging the suite).
extern "C" fn counts_forever(_: u64) {
    for _ in 0..SPIN_LIMIT {
        set_shared(0, shared(0) + 1);
    }
}

extern "C" fn yields_then_reports(arg: u64) {
    yields(arg as usize);
    done(0x55, &[]);
}

fn suspend_running(env: &mut Env) -> R {
    // The counter, resumed last, runs first (head of the queue); the reporter shares
    // its priority and runs once the counter's time slice ends.
    spawn(env, yields_then_reports, 0, 100)?;
    let s = spawn(env, counts_forever, 0, 100)?;
    eq(report()?.label, 0x55, "reporter")?;
    let c1 = shared(0);
    check(c1 > 0, "the counter ran")?;
    ok(
        tcb::suspend(s.tcb),
        "suspend the counter (Running, preempted)",
    )?;
    // Yielding at the counter's priority would hand it the processor if it could run.
    spawn(env, yields_then_reports, 3, 100)?;
    eq(report()?.label, 0x55, "reporter")?;
    eq(shared(0), c1, "the suspended counter did not run")?;
    ok(tcb::resume(s.tcb), "resume the counter")?;
    spawn(env, yields_then_reports, 1, 100)?;
    eq(report()?.label, 0x55, "reporter")?;
    check(shared(0) > c1, "the resumed counter runs again")?;
    ok(tcb::suspend(s.tcb), "suspend it again")
}

static EP: AtomicU64 = AtomicU64::new(0);

extern "C" fn receives_once(_: u64) {
    done(0x61, &[]);
    let (i, _) = libsel4::recv(EP.load(SeqCst));
    done(0x62, &[i.label(), mr(0)]);
}

extern "C" fn sentinel(_: u64) {
    done(0xee, &[]);
}

fn suspend_blocked(env: &mut Env) -> R {
    let e = ok(env.retype(types::ENDPOINT, 0), "endpoint")?;
    EP.store(e, SeqCst);
    let t = spawn(env, receives_once, 0, 100)?;
    eq(report()?.label, 0x61, "receiver started")?;
    // The receiver (100) goes on to block in Recv before the sentinel (50) reports.
    spawn(env, sentinel, 0, 50)?;
    eq(report()?.label, 0xee, "sentinel")?;
    ok(tcb::suspend(t.tcb), "suspend the blocked receiver")?;
    // Suspend took it off the endpoint: an NBSend finds no receiver and is dropped.
    libsel4::nb_send(e, info(0x63, 0));
    spawn(env, sentinel, 0, 50)?;
    eq(
        report()?.label,
        0xee,
        "sentinel (0x62: the suspended thread received)",
    )?;
    ok(tcb::resume(t.tcb), "resume")?;
    // Resumed (Restart), it runs its Recv again and blocks before the sentinel reports.
    spawn(env, sentinel, 0, 50)?;
    eq(
        report()?.label,
        0xee,
        "sentinel (0x62: the resumed thread got the dropped send)",
    )?;
    ipc::set_mr(0, 0x64);
    libsel4::nb_send(e, info(0x65, 1));
    spawn(env, sentinel, 0, 50)?;
    eq(
        report()?.label,
        0x62,
        "the resumed receiver got the message (0xee: it did not)",
    )?;
    eq(mr(0), 0x65, "label it received")?;
    eq(mr(1), 0x64, "MR0 it received")
}
