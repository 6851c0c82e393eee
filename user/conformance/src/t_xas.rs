//! IPC across address spaces [SEL4-FACTS "IPC within and across address spaces
//! (send/recv, call/replyrecv, nbsend, with many MRs)", "Cap transfer", "Signal ORs the
//! badge"; docs/kernel.md "VSpaces"]: the other side is a process in its own VSpace
//! (a fork of the root task: same virtual addresses, its own frames, its own IPC
//! buffer frame at the same address).
use crate::Test;
use crate::common::*;
use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use libsel4::vspace::page;
use libsel4::{CPtr, CapRights, Error, MessageInfo, cnode, ipc};
use sel4rt::{Env, ROOT_CNODE, types};

/// The tests of this area.
pub const TESTS: &[Test] = &[
    (
        "xas.call_replyrecv_between_spaces [Call/ReplyRecv across spaces: label, MRs]",
        call_replyrecv,
    ),
    (
        "xas.120_mrs_each_way_between_spaces [120 MRs through both IPC buffers]",
        many_mrs,
    ),
    (
        "xas.nbsend_across_spaces [NBSend: delivered to a waiter, else dropped]",
        nbsend,
    ),
    (
        "xas.cap_transfer_into_other_cspace [Cap transfer: receive slot, Grant]",
        cap_transfer,
    ),
    (
        "xas.no_grant_no_cap_transfer [Cap transfer only with Grant]",
        no_grant,
    ),
    (
        "xas.same_endpoint_cap_unwrapped_to_badge [unwrapping: caps_or_badges, capsUnwrapped]",
        unwrapped,
    ),
    (
        "xas.notification_both_ways [Signal ORs the badge; Wait returns it]",
        notifications,
    ),
    (
        "xas.shared_frame_seen_private_frame_not [separate spaces; a frame mapped twice]",
        shared_frame,
    ),
];

/// Values the root sets before forking (the child gets a copy).
static EP: AtomicU64 = AtomicU64::new(0);
static EP2: AtomicU64 = AtomicU64::new(0);
static ADDR: AtomicU64 = AtomicU64::new(0);
static ADDR2: AtomicU64 = AtomicU64::new(0);

fn endpoint(env: &mut Env) -> Result<u64, Fail> {
    ok(env.retype(types::ENDPOINT, 0), "retype endpoint")
}

fn notification(env: &mut Env) -> Result<u64, Fail> {
    ok(env.retype(types::NOTIFICATION, 0), "retype notification")
}

fn msg(i: MessageInfo, badge: u64) -> Msg {
    Msg {
        label: i.label(),
        badge,
        len: i.length(),
        extra: i.extra_caps(),
        unwrapped: i.caps_unwrapped(),
    }
}

const ROUNDS: u64 = 3;

extern "C" fn caller(_: u64) {
    let ep = EP.load(SeqCst);
    let mut bad = 0;
    let mut first = [0; 5];
    for round in 0..ROUNDS {
        ipc::set_mr(0, 100 + round);
        ipc::set_mr(1, 200 + round);
        let r = libsel4::call(ep, info(0x10 + round, 2));
        let got = [r.label(), r.length() as u64, mr(0), mr(1), mr(2)];
        let want = [0x20 + round, 3, 300 + round, 400 + round, 500 + round];
        if got != want {
            bad += 1;
        }
        if round == 0 {
            first = got;
        }
    }
    let mut report = [bad, 0, 0, 0, 0, 0];
    report[1..].copy_from_slice(&first);
    done(0x33, &report);
}

fn call_replyrecv(env: &mut Env) -> R {
    let ep = endpoint(env)?;
    EP.store(ep, SeqCst);
    spawn_process(env, caller, 0, 100)?;
    let mut m = recv_on(ep);
    for round in 0..ROUNDS {
        eq(m.badge, 0, "call badge")?;
        eq(m.label, 0x10 + round, "call label")?;
        eq(m.len as u64, 2, "call length")?;
        eq(mr(0), 100 + round, "call MR0")?;
        eq(mr(1), 200 + round, "call MR1")?;
        for (i, v) in [300, 400, 500].into_iter().enumerate() {
            ipc::set_mr(i, v + round);
        }
        if round + 1 < ROUNDS {
            let (i, badge) = libsel4::reply_recv(ep, info(0x20 + round, 3));
            m = msg(i, badge);
        } else {
            libsel4::reply(info(0x20 + round, 3));
        }
    }
    let r = report()?;
    eq(r.label, 0x33, "child's report label")?;
    eq(r.len as u64, 6, "child's report length")?;
    eq(mr(1), 0x20, "first reply's label (in the child)")?;
    eq(mr(2), 3, "first reply's length")?;
    eq(mr(3), 300, "first reply's MR0")?;
    eq(mr(4), 400, "first reply's MR1")?;
    eq(mr(5), 500, "first reply's MR2")?;
    eq(mr(0), 0, "replies the child saw wrong")
}

extern "C" fn many_caller(_: u64) {
    for i in 0..120 {
        ipc::set_mr(i, 7000 + 3 * i as u64);
    }
    let r = libsel4::call(EP.load(SeqCst), info(0x41, 120));
    let bad = (0..110).filter(|&i| mr(i) != 9000 + i as u64).count() as u64;
    let (label, len, last) = (r.label(), r.length() as u64, mr(109));
    done(0x42, &[bad, label, len, last]);
}

fn many_mrs(env: &mut Env) -> R {
    let ep = endpoint(env)?;
    EP.store(ep, SeqCst);
    spawn_process(env, many_caller, 0, 100)?;
    let m = recv_on(ep);
    eq(m.label, 0x41, "label")?;
    eq(m.len as u64, 120, "length")?;
    eq(mr(3), 7009, "MR3 (a register)")?;
    eq(mr(4), 7012, "MR4 (the first in the buffer)")?;
    eq(mr(119), 7000 + 3 * 119, "MR119")?;
    let bad = (0..120).filter(|&i| mr(i) != 7000 + 3 * i as u64).count();
    eq(bad as u64, 0, "MRs received wrong")?;
    for i in 0..110 {
        ipc::set_mr(i, 9000 + i as u64);
    }
    libsel4::reply(info(0x43, 110));
    let r = report()?;
    eq(r.label, 0x42, "child's report")?;
    eq(mr(1), 0x43, "reply label in the child")?;
    eq(mr(2), 110, "reply length in the child")?;
    eq(mr(3), 9109, "reply MR109 in the child")?;
    eq(mr(0), 0, "reply MRs the child saw wrong")
}

extern "C" fn nb_sender(_: u64) {
    let ep = EP.load(SeqCst);
    ipc::set_mr(0, 0xab);
    libsel4::nb_send(ep, info(0x51, 1));
    // The root is back on the test endpoint, nobody waits on `ep`: dropped.
    ipc::set_mr(0, 0xcd);
    libsel4::nb_send(ep, info(0x52, 1));
    done(0x53, &[]);
}

fn nbsend(env: &mut Env) -> R {
    let ep = endpoint(env)?;
    EP.store(ep, SeqCst);
    spawn_process(env, nb_sender, 0, 100)?;
    let m = recv_on(ep);
    eq(m.label, 0x51, "the NBSend to a waiting receiver arrives")?;
    eq(m.len as u64, 1, "length")?;
    eq(mr(0), 0xab, "MR0")?;
    eq(report()?.label, 0x53, "child's report")?;
    let (i, badge) = libsel4::nb_recv(ep);
    eq(i.word(), 0, "the NBSend without a receiver was dropped")?;
    eq(badge, 0, "badge")
}

/// In the child CSpace: the endpoint the root sends on, and the receive slot.
const C_EP: u64 = C_FREE;
const C_RECEIVED: u64 = C_FREE + 1;

extern "C" fn cap_receiver(_: u64) {
    ipc::set_receive_path(C_SELF, C_RECEIVED, 64);
    let (i, badge) = libsel4::recv(C_EP);
    ipc::set_mr(0, i.extra_caps() as u64);
    ipc::set_mr(1, i.caps_unwrapped());
    ipc::set_mr(2, badge);
    ipc::set_mr(3, i.label());
    // Through the cap just received, which names an endpoint only the root waits on.
    libsel4::send(C_RECEIVED, info(0x61, 4));
    done_in_child(0x62, &[]);
}

fn cap_transfer(env: &mut Env) -> R {
    let (ep, ep2) = (endpoint(env)?, endpoint(env)?);
    let cs = child_cspace(env)?;
    ok(
        cnode::copy(cs, C_EP, 64, ROOT_CNODE, ep, 64, CapRights::ALL),
        "endpoint into the child CSpace",
    )?;
    ok(
        root_mint(scratch(0), ep2, CapRights::ALL, 0x77),
        "badge the endpoint to transfer",
    )?;
    spawn_process_in(env, cap_receiver, 0, 100, cs)?;
    ipc::set_cap(0, scratch(0));
    libsel4::send(ep, info(0x60, 0).with_extra_caps(1));
    let m = recv_on(ep2);
    eq(
        m.badge,
        0x77,
        "the child sent through the transferred cap (its badge)",
    )?;
    eq(m.label, 0x61, "label")?;
    eq(m.extra as u64, 0, "the child's message carries no cap")?;
    eq(m.unwrapped, 0, "nor an unwrapped one")?;
    eq(mr(0), 1, "extra caps the child received")?;
    eq(mr(1), 0, "capsUnwrapped")?;
    eq(mr(2), 0, "badge of the child's unbadged endpoint")?;
    eq(mr(3), 0x60, "label the child received")?;
    eq(report()?.label, 0x62, "child's report")?;
    // The transferred cap sits in the child's slot; the root's copy stays.
    ok(
        cnode::copy(
            ROOT_CNODE,
            scratch(1),
            64,
            cs,
            C_RECEIVED,
            64,
            CapRights::ALL,
        ),
        "the cap in the child's receive slot",
    )?;
    ok(
        root_copy(scratch(2), scratch(0), CapRights::ALL),
        "the root's cap after the transfer",
    )
}

extern "C" fn cap_reporter(_: u64) {
    ipc::set_receive_path(C_SELF, C_RECEIVED, 64);
    // The IPC buffer is a copy of the root's: clear what the kernel may write.
    ipc::set_cap(0, 0);
    let (i, badge) = libsel4::recv(C_EP);
    let (extra, unwrapped) = (i.extra_caps() as u64, i.caps_unwrapped());
    let got = [extra, unwrapped, ipc::get_badge(0), badge, i.label()];
    done_in_child(0x63, &got);
}

/// Starts a process in its own CSpace receiving on a copy of `ep`, sends it label
/// 0x64 with extra cap `extra` through the root's cap `via`, and waits for its report:
/// MRs extraCaps, capsUnwrapped, caps_or_badges[0], badge, label. Returns the CSpace.
fn send_cap_to_child(env: &mut Env, ep: u64, via: u64, extra: u64) -> Result<u64, Fail> {
    let cs = child_cspace(env)?;
    ok(
        cnode::copy(cs, C_EP, 64, ROOT_CNODE, ep, 64, CapRights::ALL),
        "endpoint into the child CSpace",
    )?;
    spawn_process_in(env, cap_reporter, 0, 100, cs)?;
    ipc::set_cap(0, extra);
    libsel4::send(via, info(0x64, 0).with_extra_caps(1));
    eq(report()?.label, 0x63, "child's report")?;
    eq(mr(4), 0x64, "the label the child received")?;
    Ok(cs)
}

fn no_grant(env: &mut Env) -> R {
    let (ep, other) = (endpoint(env)?, endpoint(env)?);
    ok(
        root_copy(scratch(0), ep, CapRights::WRITE),
        "send-only copy (no Grant)",
    )?;
    let cs = send_cap_to_child(env, ep, scratch(0), other)?;
    eq(mr(0), 0, "extra caps received through a cap without Grant")?;
    eq(mr(1), 0, "capsUnwrapped")?;
    receive_slot_empty(cs, "the child's receive slot stays empty")
}

fn unwrapped(env: &mut Env) -> R {
    let ep = endpoint(env)?;
    ok(
        root_mint(scratch(0), ep, CapRights::ALL, 0x99),
        "badge 0x99",
    )?;
    // The extra cap names the endpoint the message goes through.
    let cs = send_cap_to_child(env, ep, ep, scratch(0))?;
    eq(mr(0), 1, "extra caps")?;
    eq(mr(1), 1, "capsUnwrapped: bit 0")?;
    eq(mr(2), 0x99, "caps_or_badges[0]: the badge")?;
    eq(mr(3), 0, "the message's own badge (unbadged cap)")?;
    receive_slot_empty(cs, "nothing was transferred into the receive slot")
}

extern "C" fn signaller(_: u64) {
    libsel4::signal(EP.load(SeqCst));
    let w = libsel4::wait(EP2.load(SeqCst));
    done(0x71, &[w]);
}

fn notifications(env: &mut Env) -> R {
    let (n1, n2) = (notification(env)?, notification(env)?);
    for (i, n, badge) in [(0, n1, 0x30), (1, n2, 0x5)] {
        ok(
            root_mint(scratch(i), n, CapRights::ALL, badge),
            "mint badged notification",
        )?;
    }
    EP.store(scratch(0), SeqCst);
    EP2.store(n2, SeqCst);
    spawn_process(env, signaller, 0, 100)?;
    // The child signals while the root waits.
    eq(libsel4::wait(n1), 0x30, "badge signalled by the child")?;
    // The root signals before the child waits: the word holds it.
    libsel4::signal(scratch(1));
    libsel4::signal(scratch(1));
    let r = report()?;
    eq(r.label, 0x71, "child's report")?;
    eq(mr(0), 0x5, "badge the child's Wait returned")?;
    eq(libsel4::poll(n1).1, 0, "the child's signal was consumed")
}

extern "C" fn frame_user(_: u64) {
    let (v, w) = (ADDR.load(SeqCst), ADDR2.load(SeqCst));
    // SAFETY: the root mapped a frame at both addresses in this VSpace before it let
    // this process run; the accesses are 8-byte aligned inside those pages.
    let (sv, sw) = unsafe {
        let r = (
            core::ptr::read_volatile(v as *const u64),
            core::ptr::read_volatile(w as *const u64),
        );
        core::ptr::write_volatile((v + 8) as *mut u64, 0x7272);
        core::ptr::write_volatile((w + 8) as *mut u64, 0x8383);
        r
    };
    done(0x81, &[sv, sw]);
}

fn shared_frame(env: &mut Env) -> R {
    let (v, f) = ok(env.alloc_memory(1), "shared page")?;
    let (w, _) = ok(env.alloc_memory(1), "private page")?;
    let other = ok(env.retype(types::FRAME, 0), "the child's own frame")?;
    ok(
        root_copy(scratch(0), f, CapRights::ALL),
        "copy the shared frame's cap",
    )?;
    ADDR.store(v as u64, SeqCst);
    ADDR2.store(w as u64, SeqCst);
    let p = spawn_process(env, frame_user, 0, 100)?;
    // The process has not run yet (priority 100 < the root's 255).
    ok(
        env.map_frame(p.vspace, scratch(0), v, CapRights::ALL),
        "map the shared frame in the child",
    )?;
    ok(
        env.map_frame(p.vspace, other, w, CapRights::ALL),
        "map another frame at the private page's address",
    )?;
    // SAFETY: both pages are mapped read-write in the root task's VSpace.
    unsafe {
        core::ptr::write_volatile(v as *mut u64, 0x5151);
        core::ptr::write_volatile(w as *mut u64, 0x6161);
    }
    let r = report()?;
    eq(r.label, 0x81, "child's report")?;
    eq(
        mr(0),
        0x5151,
        "the child reads the root's write to the shared frame",
    )?;
    eq(
        mr(1),
        0,
        "the child's frame at the private address is its own (zero)",
    )?;
    // SAFETY: as above.
    let (rv, rw) = unsafe {
        (
            core::ptr::read_volatile((v + 8) as *const u64),
            core::ptr::read_volatile((w + 8) as *const u64),
        )
    };
    eq(
        rv,
        0x7272,
        "the root reads the child's write to the shared frame",
    )?;
    eq(
        rw,
        0,
        "the child's write at the private address stays in its frame",
    )?;
    ok(page::unmap(scratch(0)), "unmap the shared frame")?;
    ok(page::unmap(other), "unmap the child's own frame")
}

/// Checks the child's receive slot (of its CSpace `cs`) is empty: copying from it
/// fails the lookup.
fn receive_slot_empty(cs: CPtr, what: &'static str) -> R {
    err(
        cnode::copy(
            ROOT_CNODE,
            scratch(1),
            64,
            cs,
            C_RECEIVED,
            64,
            CapRights::ALL,
        ),
        Error::FailedLookup,
        what,
    )
}
