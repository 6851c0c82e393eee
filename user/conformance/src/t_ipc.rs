//! IPC tests [SEL4-FACTS "IPC within and across address spaces (send/recv,
//! call/replyrecv, nbsend, with many MRs)", "Mint can badge", "IPC rights",
//! "notification binding"].
use crate::Test;
use crate::common::*;
use libsel4::{CapRights, Error, cnode, ipc, tcb};
use sel4rt::{Env, ROOT_CNODE, ROOT_TCB, types};

/// The tests of this area.
pub const TESTS: &[Test] = &[
    ("ipc.many_mrs_through_the_buffer [120 MRs]", many_mrs),
    ("ipc.badged_send_delivers_the_badge [Mint badges]", badged),
    (
        "ipc.nbsend_without_receiver_is_dropped [NBSend]",
        nbsend_dropped,
    ),
    (
        "ipc.nbrecv_on_empty_endpoint_returns_nothing [NBRecv]",
        nbrecv_empty,
    ),
    ("ipc.signal_ors_badges [Signal ORs the badge]", signal_or),
    (
        "ipc.poll_clears_the_word [Wait returns and clears]",
        poll_clears,
    ),
    (
        "ipc.call_without_write_right_InvalidCapability [Endpoint: Write = send]",
        call_no_write,
    ),
    (
        "ipc.bound_notification_wakes_a_receiver [notification binding]",
        bound_wakes,
    ),
    (
        "ipc.bind_twice_IllegalOperation [notification binding]",
        bind_twice,
    ),
    (
        "ipc.unbind_unbound_IllegalOperation [notification binding]",
        unbind_unbound,
    ),
];

extern "C" fn sends_120(_: u64) {
    for i in 0..120 {
        ipc::set_mr(i, 1000 + i as u64);
    }
    done(0x77, &[]);
    let _ = ();
}

extern "C" fn sends_many(_: u64) {
    for i in 0..120 {
        ipc::set_mr(i, 1000 + i as u64);
    }
    libsel4::send(
        DONE.load(core::sync::atomic::Ordering::SeqCst),
        info(0x77, 120),
    );
}

fn many_mrs(env: &mut Env) -> R {
    let _ = sends_120;
    spawn(env, sends_many, 0, 100)?;
    let m = report()?;
    eq(m.len as u64, 120, "length")?;
    eq(mr(0), 1000, "MR0")?;
    eq(mr(4), 1004, "MR4 (in the buffer)")?;
    eq(mr(119), 1119, "MR119")
}

fn endpoint(env: &mut Env) -> Result<u64, Fail> {
    ok(env.retype(types::ENDPOINT, 0), "retype endpoint")
}

fn notification(env: &mut Env) -> Result<u64, Fail> {
    ok(env.retype(types::NOTIFICATION, 0), "retype notification")
}

static TARGET: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

extern "C" fn sends_to_target(arg: u64) {
    ipc::set_mr(0, arg);
    libsel4::send(
        TARGET.load(core::sync::atomic::Ordering::SeqCst),
        info(1, 1),
    );
}

fn badged(env: &mut Env) -> R {
    let ep = endpoint(env)?;
    ok(
        cnode::mint(
            ROOT_CNODE,
            scratch(0),
            64,
            ROOT_CNODE,
            ep,
            64,
            CapRights::ALL,
            5,
        ),
        "mint badge 5",
    )?;
    TARGET.store(scratch(0), core::sync::atomic::Ordering::SeqCst);
    spawn(env, sends_to_target, 77, 100)?;
    let m = recv_on(ep);
    eq(m.badge, 5, "badge")?;
    eq(mr(0), 77, "MR0")
}

fn nbsend_dropped(env: &mut Env) -> R {
    let ep = endpoint(env)?;
    ipc::set_mr(0, 9);
    libsel4::nb_send(ep, info(4, 1));
    let (i, badge) = libsel4::nb_recv(ep);
    eq(i.word(), 0, "nothing arrived")?;
    eq(badge, 0, "badge 0")
}

fn nbrecv_empty(env: &mut Env) -> R {
    let ep = endpoint(env)?;
    let (i, badge) = libsel4::nb_recv(ep);
    eq(i.label(), 0, "label")?;
    eq(badge, 0, "badge")
}

fn signal_or(env: &mut Env) -> R {
    let n = notification(env)?;
    ok(
        cnode::mint(
            ROOT_CNODE,
            scratch(0),
            64,
            ROOT_CNODE,
            n,
            64,
            CapRights::ALL,
            0b01,
        ),
        "badge 1",
    )?;
    ok(
        cnode::mint(
            ROOT_CNODE,
            scratch(1),
            64,
            ROOT_CNODE,
            n,
            64,
            CapRights::ALL,
            0b10,
        ),
        "badge 2",
    )?;
    libsel4::signal(scratch(0));
    libsel4::signal(scratch(1));
    eq(libsel4::poll(n).1, 0b11, "the word ORs both badges")
}

fn poll_clears(env: &mut Env) -> R {
    let n = notification(env)?;
    ok(
        cnode::mint(
            ROOT_CNODE,
            scratch(0),
            64,
            ROOT_CNODE,
            n,
            64,
            CapRights::ALL,
            4,
        ),
        "badge 4",
    )?;
    libsel4::signal(scratch(0));
    eq(libsel4::poll(n).1, 4, "first poll")?;
    eq(libsel4::poll(n).1, 0, "cleared")
}

fn call_no_write(env: &mut Env) -> R {
    let ep = endpoint(env)?;
    ok(
        cnode::copy(
            ROOT_CNODE,
            scratch(0),
            64,
            ROOT_CNODE,
            ep,
            64,
            CapRights::READ,
        ),
        "read-only copy",
    )?;
    let r = libsel4::call(scratch(0), info(1, 0));
    eq(
        r.label(),
        Error::InvalidCapability.word(),
        "Call through a read-only endpoint cap",
    )
}

fn bound_wakes(env: &mut Env) -> R {
    let (ep, n) = (endpoint(env)?, notification(env)?);
    ok(
        cnode::mint(
            ROOT_CNODE,
            scratch(0),
            64,
            ROOT_CNODE,
            n,
            64,
            CapRights::ALL,
            8,
        ),
        "badge 8",
    )?;
    ok(tcb::bind_notification(ROOT_TCB, n), "bind")?;
    libsel4::signal(scratch(0));
    // A Recv on an endpoint nobody sends to returns with the bound signal.
    let (_, badge) = libsel4::recv(ep);
    let unbind = tcb::unbind_notification(ROOT_TCB);
    eq(badge, 8, "the signal's badge")?;
    ok(unbind, "unbind")
}

fn bind_twice(env: &mut Env) -> R {
    let (n1, n2) = (notification(env)?, notification(env)?);
    ok(tcb::bind_notification(ROOT_TCB, n1), "bind")?;
    let r = tcb::bind_notification(ROOT_TCB, n2);
    ok(tcb::unbind_notification(ROOT_TCB), "unbind")?;
    err(r, Error::IllegalOperation, "bind again")
}

fn unbind_unbound(_: &mut Env) -> R {
    err(
        tcb::unbind_notification(ROOT_TCB),
        Error::IllegalOperation,
        "unbind when unbound",
    )
}
