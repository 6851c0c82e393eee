//! Scheduling tests [SEL4-FACTS "Scheduling and faults": priorities and MCP
//! checked against the authorising TCB; suspend/resume].
use crate::Test;
use crate::common::*;
use libsel4::{Error, tcb};
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
