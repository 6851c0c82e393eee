//! System calls one by one (SEL4-FACTS "System calls").

use crate::Test;
use crate::common::*;
use libsel4::{CapRights, Error, ipc};
use sel4rt::{Env, types};

/// The tests of this area.
pub const TESTS: &[Test] = &[
    (
        "syscall.yield_returns [Yield: tail of own queue]",
        yield_returns,
    ),
    (
        "syscall.nbsend_dropped_without_receiver [NBSend: dropped if no receiver]",
        nbsend_dropped,
    ),
    (
        "syscall.nbrecv_empty_endpoint_badge0 [NBRecv: poll]",
        nbrecv_empty,
    ),
    ("syscall.send_recv_badge_and_mrs [Send/Recv]", send_recv),
    (
        "syscall.call_replyrecv_roundtrip [Call/ReplyRecv]",
        call_reply,
    ),
    (
        "syscall.reply_empty_caller_noop [Reply: no-op if empty]",
        reply_empty,
    ),
    (
        "syscall.signal_poll [Signal = Send, Poll = NBRecv]",
        signal_poll,
    ),
    (
        "syscall.wait_returns_and_clears [Wait returns and clears the word]",
        wait_clears,
    ),
    (
        "syscall.call_null_cap_InvalidCapability [Call: errors come back as the reply]",
        call_null,
    ),
    (
        "syscall.send_error_not_reported [Send: errors are not reported]",
        send_error_silent,
    ),
];

fn yield_returns(_: &mut Env) -> R {
    libsel4::yield_now();
    libsel4::yield_now();
    Ok(())
}

fn nbsend_dropped(env: &mut Env) -> R {
    let ep = ok(env.retype(types::ENDPOINT, 0), "retype")?;
    ipc::set_mr(0, 77);
    libsel4::nb_send(ep, info(5, 1));
    let (_, badge) = libsel4::nb_recv(ep);
    eq(badge, 0, "badge of an empty NBRecv")?;
    env.delete(ep).ok();
    Ok(())
}

fn nbrecv_empty(env: &mut Env) -> R {
    let s = scratch(0);
    ok(root_mint(s, test_ep(), CapRights::ALL, 0), "copy")?;
    let _ = env;
    let (_, badge) = libsel4::nb_recv(s);
    eq(badge, 0, "NBRecv badge")
}

extern "C" fn sender(arg: u64) {
    for i in 0..6 {
        ipc::set_mr(i, arg + i as u64);
    }
    libsel4::send(
        DONE.load(core::sync::atomic::Ordering::SeqCst),
        info(0x55, 6),
    );
}

fn send_recv(env: &mut Env) -> R {
    spawn(env, sender, 1000, 100)?;
    let m = collect();
    eq(m.badge, DONE_BADGE, "badge")?;
    eq(m.label, 0x55, "label")?;
    eq(m.len as u64, 6, "length")?;
    for i in 0..6 {
        eq(mr(i), 1000 + i as u64, "MR i")?;
    }
    Ok(())
}

extern "C" fn caller(arg: u64) {
    ipc::set_mr(0, arg);
    ipc::set_mr(1, arg * 2);
    let r = libsel4::call(DONE.load(core::sync::atomic::Ordering::SeqCst), info(9, 2));
    let (m0, m1) = (ipc::get_mr(0), ipc::get_mr(1));
    done(r.label(), &[m0, m1, r.length() as u64]);
}

fn call_reply(env: &mut Env) -> R {
    spawn(env, caller, 21, 100)?;
    let m = collect();
    eq(m.label, 9, "call label")?;
    eq(mr(1), 42, "call MR1")?;
    ipc::set_mr(0, 500);
    ipc::set_mr(1, 501);
    let (ri, badge) = libsel4::reply_recv(test_ep(), info(3, 2));
    eq(badge, DONE_BADGE, "report badge")?;
    eq(ri.label(), 3, "reply label seen by caller")?;
    eq(mr(0), 500, "reply MR0")?;
    eq(mr(1), 501, "reply MR1")?;
    eq(mr(2), 2, "reply length")
}

fn reply_empty(_: &mut Env) -> R {
    libsel4::reply(info(1, 0));
    Ok(())
}

fn signal_poll(env: &mut Env) -> R {
    let n = ok(env.retype(types::NOTIFICATION, 0), "retype")?;
    let s = scratch(0);
    ok(root_mint(s, n, CapRights::ALL, 0b100), "mint")?;
    libsel4::signal(s);
    let (_, b) = libsel4::poll(n);
    eq(b, 0b100, "polled word")?;
    let (_, b) = libsel4::poll(n);
    eq(b, 0, "word cleared")?;
    env.delete(n).ok();
    Ok(())
}

fn wait_clears(env: &mut Env) -> R {
    let n = ok(env.retype(types::NOTIFICATION, 0), "retype")?;
    for (i, badge) in [1u64, 8, 64].into_iter().enumerate() {
        ok(root_mint(scratch(i), n, CapRights::ALL, badge), "mint")?;
        libsel4::signal(scratch(i));
    }
    eq(libsel4::wait(n), 73, "OR of the badges")?;
    let (_, b) = libsel4::poll(n);
    eq(b, 0, "cleared")?;
    env.delete(n).ok();
    Ok(())
}

fn call_null(_: &mut Env) -> R {
    let r = libsel4::invoke(scratch(3), 1, &[], &[]);
    err_mrs(r, Error::InvalidCapability, &[0], "Call on an empty slot")
}

fn send_error_silent(env: &mut Env) -> R {
    // A Send of a bad invocation (Retype with no MRs) returns nothing and changes nothing.
    let ut = env.untypeds.device_untyped().unwrap_or(0);
    libsel4::send(ut, info(1, 0));
    let n = ok(env.retype(types::NOTIFICATION, 0), "kernel still answers")?;
    env.delete(n).ok();
    Ok(())
}
