//! IPC tests [SEL4-FACTS "IPC within and across address spaces (send/recv,
//! call/replyrecv, nbsend, with many MRs)", "Mint can badge", "IPC rights",
//! "notification binding"].
use crate::Test;
use crate::common::*;
use libsel4::{CapRights, Error, ipc, tcb};
use sel4rt::{Env, ROOT_TCB, types};

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
    (
        "ipc.bound_signal_wakes_blocked_receiver_label_0 [notification binding; wasm-abi: notification receive = MessageInfo 0]",
        bound_signal_blocked,
    ),
    (
        "ipc.bind_notification_bound_elsewhere_IllegalOperation [notification binding]",
        bind_bound_elsewhere,
    ),
    (
        "ipc.bind_notification_with_waiter_IllegalOperation [notification binding]",
        bind_with_waiter,
    ),
    (
        "ipc.bind_needs_a_readable_notification_IllegalOperation [notification binding: Read = wait]",
        bind_needs_read,
    ),
    (
        "ipc.wait_on_notification_bound_elsewhere_CapFault [notification binding; CapFault in receive phase]",
        wait_bound_elsewhere,
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
    ok(root_mint(scratch(0), ep, CapRights::ALL, 5), "mint badge 5")?;
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
    ok(root_mint(scratch(0), n, CapRights::ALL, 0b01), "badge 1")?;
    ok(root_mint(scratch(1), n, CapRights::ALL, 0b10), "badge 2")?;
    libsel4::signal(scratch(0));
    libsel4::signal(scratch(1));
    eq(libsel4::poll(n).1, 0b11, "the word ORs both badges")
}

fn poll_clears(env: &mut Env) -> R {
    let n = notification(env)?;
    ok(root_mint(scratch(0), n, CapRights::ALL, 4), "badge 4")?;
    libsel4::signal(scratch(0));
    eq(libsel4::poll(n).1, 4, "first poll")?;
    eq(libsel4::poll(n).1, 0, "cleared")
}

fn call_no_write(env: &mut Env) -> R {
    let ep = endpoint(env)?;
    ok(root_copy(scratch(0), ep, CapRights::READ), "read-only copy")?;
    let r = libsel4::call(scratch(0), info(1, 0));
    eq(
        r.label(),
        Error::InvalidCapability.word(),
        "Call through a read-only endpoint cap",
    )
}

fn bound_wakes(env: &mut Env) -> R {
    let (ep, n) = (endpoint(env)?, notification(env)?);
    ok(root_mint(scratch(0), n, CapRights::ALL, 8), "badge 8")?;
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

extern "C" fn sentinel(_: u64) {
    done(0xee, &[]);
}

extern "C" fn bound_receiver(_: u64) {
    let (i, badge) = libsel4::recv(TARGET.load(core::sync::atomic::Ordering::SeqCst));
    done(0x40, &[badge, i.label(), i.length() as u64]);
}

fn bound_signal_blocked(env: &mut Env) -> R {
    let (ep, n) = (endpoint(env)?, notification(env)?);
    TARGET.store(ep, core::sync::atomic::Ordering::SeqCst);
    ok(root_mint(scratch(0), n, CapRights::ALL, 0x48), "badge 0x48")?;
    let t = thread(env, bound_receiver, 0, 100)?;
    ok(tcb::bind_notification(t.tcb, n), "bind")?;
    ok(tcb::resume(t.tcb), "resume")?;
    // The receiver (100) blocks in Recv on the endpoint before the sentinel (50) reports.
    spawn(env, sentinel, 0, 50)?;
    eq(report()?.label, 0xee, "sentinel")?;
    libsel4::signal(scratch(0));
    let m = report()?;
    eq(m.label, 0x40, "the bound thread woke")?;
    eq(mr(0), 0x48, "badge it received")?;
    eq(mr(1), 0, "label it received")?;
    eq(mr(2), 0, "length it received")?;
    // Delivered to the thread, not stored in the word (which only the bound thread may
    // wait on: unbind first).
    ok(tcb::unbind_notification(t.tcb), "unbind")?;
    eq(
        libsel4::poll(n).1,
        0,
        "the notification word after the signal",
    )
}

fn bind_bound_elsewhere(env: &mut Env) -> R {
    let n = notification(env)?;
    let t1 = ok(env.retype(types::TCB, 0), "TCB 1")?;
    let t2 = ok(env.retype(types::TCB, 0), "TCB 2")?;
    ok(tcb::bind_notification(t1, n), "bind to TCB 1")?;
    err(
        tcb::bind_notification(t2, n),
        Error::IllegalOperation,
        "bind to TCB 2 while bound to TCB 1",
    )?;
    ok(tcb::unbind_notification(t1), "unbind TCB 1")?;
    ok(tcb::bind_notification(t2, n), "bind to TCB 2 once free")
}

extern "C" fn waiter(_: u64) {
    let w = libsel4::wait(TARGET.load(core::sync::atomic::Ordering::SeqCst));
    done(0x50, &[w]);
}

fn bind_with_waiter(env: &mut Env) -> R {
    let n = notification(env)?;
    let t = ok(env.retype(types::TCB, 0), "TCB")?;
    TARGET.store(n, core::sync::atomic::Ordering::SeqCst);
    spawn(env, waiter, 0, 100)?;
    spawn(env, sentinel, 0, 50)?;
    eq(report()?.label, 0xee, "sentinel (the waiter blocked)")?;
    err(
        tcb::bind_notification(t, n),
        Error::IllegalOperation,
        "bind a notification a thread waits on",
    )?;
    ok(root_mint(scratch(0), n, CapRights::ALL, 6), "badge 6")?;
    libsel4::signal(scratch(0));
    eq(report()?.label, 0x50, "the waiter woke")?;
    eq(mr(0), 6, "with the badge")?;
    ok(tcb::bind_notification(t, n), "bind once nobody waits")
}

fn bind_needs_read(env: &mut Env) -> R {
    let (n, ep) = (notification(env)?, endpoint(env)?);
    let t = ok(env.retype(types::TCB, 0), "TCB")?;
    ok(
        root_copy(scratch(0), n, CapRights::WRITE),
        "write-only copy",
    )?;
    err(
        tcb::bind_notification(t, scratch(0)),
        Error::IllegalOperation,
        "bind through a cap without Read",
    )?;
    err(
        tcb::bind_notification(t, ep),
        Error::IllegalOperation,
        "bind an endpoint",
    )?;
    err(
        tcb::unbind_notification(t),
        Error::IllegalOperation,
        "nothing was bound",
    )
}

fn wait_bound_elsewhere(env: &mut Env) -> R {
    let n = notification(env)?;
    let t = ok(env.retype(types::TCB, 0), "TCB")?;
    ok(tcb::bind_notification(t, n), "bind to another TCB")?;
    TARGET.store(n, core::sync::atomic::Ordering::SeqCst);
    spawn(env, waiter, 0, 100)?;
    let m = fault(1)?;
    eq(m.len as u64, 5, "CapFault length (MissingCapability)")?;
    eq(mr(1), n, "MR1: the notification's CPtr")?;
    eq(mr(2), 1, "MR2: in the receive phase")?;
    eq(mr(3), 2, "MR3: MissingCapability")?;
    eq(mr(4), 0, "MR4: bits left")
}
