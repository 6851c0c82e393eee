//! IPC rights and capability transfer [SEL4-FACTS "Rights bits", "Cap transfer (and
//! unwrapping) only if the sending cap has Grant", "Reply caps (non-MCS)"; seL4's
//! transferCaps: the receive slot from the receiver's IPC buffer, at most one real cap,
//! a full or unresolvable receive slot ends the transfer].

use crate::Test;
use crate::common::*;
use libsel4::{CapRights, Error, cnode, ipc};
use sel4rt::{Env, ROOT_CNODE, types};
use selvm_abi::ROOT_CNODE_GUARD_SIZE;

/// The tests of this area.
pub const TESTS: &[Test] = &[
    (
        "rights.send_without_write_is_dropped [Endpoint: Write = send; Send reports no error]",
        send_no_write,
    ),
    (
        "rights.recv_without_read_cap_fault [Endpoint: Read = receive]",
        recv_no_read,
    ),
    (
        "rights.signal_through_minted_read_only_does_nothing [Notification: Write = signal]",
        signal_read_only,
    ),
    (
        "rights.no_grant_no_cap_transfer [transfer only if the sending cap has Grant]",
        no_grant,
    ),
    (
        "rights.grant_transfers_into_the_receive_slot_as_a_child [one cap, CDT child]",
        grant_transfers,
    ),
    (
        "rights.transferred_cap_keeps_its_rights [Mint/Copy never add rights]",
        keeps_rights,
    ),
    (
        "rights.same_endpoint_cap_is_unwrapped [capsUnwrapped, caps_or_badges]",
        unwrapped,
    ),
    (
        "rights.receive_slot_full_nothing_transferred [receive slot must be empty]",
        slot_full,
    ),
    (
        "rights.at_most_one_real_cap_per_message [one real cap per message]",
        one_real_cap,
    ),
    (
        "rights.no_receive_slot_still_unwraps [getReceiveSlots: unresolvable, no slot]",
        no_receive_slot,
    ),
    (
        "rights.unresolvable_extra_cap_is_a_cap_fault [extra caps looked up before sending]",
        bad_extra_cap,
    ),
    (
        "rights.cap_transfer_across_address_spaces [IPC across address spaces]",
        across_spaces,
    ),
    (
        "rights.call_without_grant_or_grant_reply_makes_no_reply_cap [Call: caller Inactive]",
        call_no_reply_cap,
    ),
    (
        "rights.grant_reply_alone_makes_a_reply_cap [GrantReply = send reply caps]",
        grant_reply,
    ),
    (
        "rights.reply_cap_grant_is_the_receivers [reply cap Grant = receiver cap's Grant]",
        reply_grant,
    ),
];

fn endpoint(env: &mut Env) -> Result<u64, Fail> {
    ok(env.retype(types::ENDPOINT, 0), "retype endpoint")
}

fn notification(env: &mut Env) -> Result<u64, Fail> {
    ok(env.retype(types::NOTIFICATION, 0), "retype notification")
}

/// A copy of `src` with `rights` in root slot `dst`.
fn copy(dst: u64, src: u64, rights: CapRights) -> R {
    ok(root_copy(dst, src, rights), "copy with fewer rights")
}

/// A badged copy of `src` with `rights` in root slot `dst`.
fn mint(dst: u64, src: u64, rights: CapRights, badge: u64) -> R {
    ok(root_mint(dst, src, rights, badge), "mint")
}

/// Whether root slot `s` holds a cap (a copy from it succeeds into scratch 15).
fn occupied(s: u64) -> Result<bool, Fail> {
    let r = root_copy(scratch(15), s, CapRights::ALL);
    let _ = cnode::delete(ROOT_CNODE, scratch(15), 64);
    match r {
        Ok(()) => Ok(true),
        Err(Error::FailedLookup) => Ok(false),
        Err(e) => Err(Fail {
            what: "copy to probe a slot",
            got: e.word(),
            want: 0,
        }),
    }
}

fn signal_seen(cap: u64, n: u64) -> u64 {
    libsel4::signal(cap);
    libsel4::poll(n).1
}

/// Receives on shared word 0's endpoint and reports the label it got.
extern "C" fn receives_and_reports(_: u64) {
    let (i, _) = libsel4::recv(shared(0));
    done(0x70, &[i.label()]);
}

/// Receives on the endpoint in `arg` (a cap without Read), then reports.
extern "C" fn receives_on(arg: u64) {
    libsel4::recv(arg);
    done(0x71, &[]);
}

/// Sends label 7 through shared word 0's cap with the caps in shared words 1..=3
/// (shared word 4 says how many), then reports.
extern "C" fn sends_caps(_: u64) {
    let n = shared(4) as usize;
    for i in 0..n {
        ipc::set_cap(i, shared(1 + i));
    }
    libsel4::send(shared(0), info(7, 0).with_extra_caps(n as u64));
    done(0x72, &[]);
}

/// Calls shared word 0's cap (label 9), setting its receive slot to root slot `arg`
/// first; reports the reply's label and extra-cap count.
extern "C" fn calls(arg: u64) {
    ipc::set_receive_path(ROOT_CNODE, arg, 64);
    let r = libsel4::call(shared(0), info(9, 0));
    done(0x73, &[r.label(), r.extra_caps() as u64]);
}

fn send_no_write(env: &mut Env) -> R {
    let ep = endpoint(env)?;
    copy(scratch(0), ep, CapRights::new(true, true, true, false))?;
    set_shared(0, ep);
    // At the root's priority: one yield lets it block on the endpoint.
    spawn(env, receives_and_reports, 0, 255)?;
    yields(1);
    // The receiver waits; a Send through a cap without Write must not reach it (if it
    // did, the NBSend below would find nobody waiting and the report would say 1).
    libsel4::send(scratch(0), info(1, 0));
    libsel4::nb_send(ep, info(2, 0));
    let m = report()?;
    eq(m.label, 0x70, "report")?;
    eq(mr(0), 2, "the first label the receiver got")
}

fn recv_no_read(env: &mut Env) -> R {
    let ep = endpoint(env)?;
    copy(scratch(0), ep, CapRights::new(true, true, false, true))?;
    spawn(env, receives_on, scratch(0), 100)?;
    let m = fault(1)?;
    eq(mr(1), scratch(0), "MR1: the address")?;
    eq(mr(2), 1, "MR2: in the receive phase")?;
    eq(mr(3), 2, "MR3: MissingCapability")?;
    eq(mr(4), 0, "MR4: bitsLeft 0")?;
    eq(m.len as u64, 5, "length")
}

fn signal_read_only(env: &mut Env) -> R {
    let n = notification(env)?;
    mint(scratch(0), n, CapRights::READ, 0x8)?;
    mint(scratch(1), n, CapRights::WRITE, 0x4)?;
    eq(signal_seen(scratch(0), n), 0, "signal without Write")?;
    eq(signal_seen(scratch(1), n), 0x4, "signal with Write")
}

/// Runs `sends_caps` sending `caps` through `send_cap` to `ep`, the root receiving
/// with receive slot scratch 5; returns the message.
fn transfer(env: &mut Env, ep: u64, send_cap: u64, caps: &[u64]) -> Result<Msg, Fail> {
    transfer_to(env, ep, send_cap, caps, ROOT_CNODE, false)
}

/// [`transfer`] with receive CNode `recv_cnode`, the sender a thread or (`process`) a
/// process in its own address space.
fn transfer_to(
    env: &mut Env,
    ep: u64,
    send_cap: u64,
    caps: &[u64],
    recv_cnode: u64,
    process: bool,
) -> Result<Msg, Fail> {
    set_shared(0, send_cap);
    for (i, &c) in caps.iter().enumerate() {
        set_shared(1 + i, c);
    }
    set_shared(4, caps.len() as u64);
    ipc::set_receive_path(recv_cnode, scratch(5), 64);
    if process {
        spawn_process(env, sends_caps, 0, 100)?;
    } else {
        spawn(env, sends_caps, 0, 100)?;
    }
    let m = recv_on(ep);
    ipc::set_receive_path(0, 0, 0);
    eq(m.label, 7, "label")?;
    Ok(m)
}

fn no_grant(env: &mut Env) -> R {
    let (ep, n) = (endpoint(env)?, notification(env)?);
    copy(scratch(0), ep, CapRights::new(true, false, true, true))?;
    let m = transfer(env, ep, scratch(0), &[n])?;
    eq(m.extra as u64, 0, "extraCaps")?;
    eq(occupied(scratch(5))? as u64, 0, "receive slot stays empty")?;
    eq(report()?.label, 0x72, "sender's report")
}

fn grant_transfers(env: &mut Env) -> R {
    let (ep, n) = (endpoint(env)?, notification(env)?);
    mint(scratch(1), n, CapRights::ALL, 0x33)?;
    let m = transfer(env, ep, ep, &[scratch(1)])?;
    eq(m.extra as u64, 1, "extraCaps")?;
    eq(m.unwrapped, 0, "capsUnwrapped")?;
    eq(
        signal_seen(scratch(5), n),
        0x33,
        "the received cap and badge",
    )?;
    eq(report()?.label, 0x72, "sender's report")?;
    // A CDT child of the sent cap: revoking that deletes it.
    ok(cnode::revoke(ROOT_CNODE, scratch(1), 64), "revoke")?;
    eq(occupied(scratch(5))? as u64, 0, "revoked with its parent")
}

fn keeps_rights(env: &mut Env) -> R {
    let (ep, n) = (endpoint(env)?, notification(env)?);
    mint(scratch(1), n, CapRights::READ, 0x5)?;
    let m = transfer(env, ep, ep, &[scratch(1)])?;
    eq(m.extra as u64, 1, "extraCaps")?;
    eq(occupied(scratch(5))? as u64, 1, "received")?;
    // A copy asking for all rights gets only Read: signalling through it does nothing.
    copy(scratch(6), scratch(5), CapRights::ALL)?;
    eq(
        signal_seen(scratch(5), n),
        0,
        "the received cap has no Write",
    )?;
    eq(signal_seen(scratch(6), n), 0, "nor a copy of it")?;
    eq(report()?.label, 0x72, "sender's report")
}

fn unwrapped(env: &mut Env) -> R {
    let (ep, n) = (endpoint(env)?, notification(env)?);
    mint(scratch(1), ep, CapRights::ALL, 0x44)?;
    mint(scratch(2), ep, CapRights::READ, 0x55)?;
    ipc::set_cap(0, 0);
    ipc::set_cap(2, 0);
    let m = transfer(env, ep, ep, &[scratch(1), n, scratch(2)])?;
    eq(m.extra as u64, 3, "extraCaps")?;
    eq(m.unwrapped, 0b101, "capsUnwrapped: caps 0 and 2")?;
    eq(ipc::get_badge(0), 0x44, "badge of cap 0")?;
    eq(ipc::get_badge(2), 0x55, "badge of cap 2")?;
    eq(occupied(scratch(5))? as u64, 1, "cap 1 in the receive slot")?;
    eq(report()?.label, 0x72, "sender's report")
}

fn slot_full(env: &mut Env) -> R {
    let (ep, n, other) = (endpoint(env)?, notification(env)?, notification(env)?);
    mint(scratch(5), other, CapRights::ALL, 0x2)?;
    mint(scratch(1), n, CapRights::ALL, 0x1)?;
    let m = transfer(env, ep, ep, &[scratch(1)])?;
    eq(m.extra as u64, 0, "extraCaps")?;
    eq(
        signal_seen(scratch(5), other),
        0x2,
        "the slot keeps its cap",
    )?;
    eq(libsel4::poll(n).1, 0, "the sent cap's object untouched")?;
    eq(report()?.label, 0x72, "sender's report")
}

fn one_real_cap(env: &mut Env) -> R {
    let (ep, n1, n2) = (endpoint(env)?, notification(env)?, notification(env)?);
    mint(scratch(1), n1, CapRights::ALL, 0x1)?;
    mint(scratch(2), n2, CapRights::ALL, 0x2)?;
    let m = transfer(env, ep, ep, &[scratch(1), scratch(2)])?;
    eq(
        m.extra as u64,
        1,
        "extraCaps: the second real cap ends the transfer",
    )?;
    eq(signal_seen(scratch(5), n1), 0x1, "the first cap arrived")?;
    eq(report()?.label, 0x72, "sender's report")
}

fn call_no_reply_cap(env: &mut Env) -> R {
    let ep = endpoint(env)?;
    copy(scratch(0), ep, CapRights::new(false, false, true, true))?;
    set_shared(0, scratch(0));
    // At the root's priority, so that the yields below would let it run if woken.
    spawn(env, calls, scratch(7), 255)?;
    let m = recv_on(ep);
    eq(m.label, 9, "the Call is delivered")?;
    // No reply cap: SaveCaller moves nothing, so saving twice finds the slot empty.
    ok(
        cnode::save_caller(ROOT_CNODE, scratch(1), 64),
        "save caller",
    )?;
    ok(
        cnode::save_caller(ROOT_CNODE, scratch(1), 64),
        "save caller again (slot still empty)",
    )?;
    // The caller is Inactive: it never reports.
    libsel4::reply(info(0, 0));
    yields(3);
    let (i, badge) = libsel4::nb_recv(test_ep());
    eq(i.label(), 0, "no report")?;
    eq(badge, 0, "no report's badge")
}

fn grant_reply(env: &mut Env) -> R {
    let ep = endpoint(env)?;
    copy(scratch(0), ep, CapRights::new(true, false, true, true))?;
    set_shared(0, scratch(0));
    spawn(env, calls, scratch(7), 100)?;
    let m = recv_on(ep);
    eq(m.label, 9, "the Call is delivered")?;
    ok(
        cnode::save_caller(ROOT_CNODE, scratch(1), 64),
        "save caller",
    )?;
    err(
        cnode::save_caller(ROOT_CNODE, scratch(1), 64),
        Error::DeleteFirst,
        "a reply cap was saved",
    )?;
    libsel4::send(scratch(1), info(0x21, 0));
    let m = report()?;
    eq(m.label, 0x73, "caller's report")?;
    eq(mr(0), 0x21, "the reply's label")
}

fn reply_grant(env: &mut Env) -> R {
    let (ep, n) = (endpoint(env)?, notification(env)?);
    // The receiver's cap has no Grant: its reply cannot carry caps.
    copy(scratch(0), ep, CapRights::new(true, false, true, true))?;
    set_shared(0, ep);
    spawn(env, calls, scratch(7), 100)?;
    let m = recv_on(scratch(0));
    eq(m.label, 9, "call delivered")?;
    ipc::set_cap(0, n);
    libsel4::reply(info(0x22, 0).with_extra_caps(1));
    let m = report()?;
    eq(m.label, 0x73, "caller's report")?;
    eq(mr(0), 0x22, "reply label")?;
    eq(
        mr(1),
        0,
        "no cap in a reply through a receiver cap without Grant",
    )?;
    eq(
        occupied(scratch(7))? as u64,
        0,
        "caller's receive slot empty",
    )?;
    // Received through a cap with Grant: the reply carries the cap.
    spawn(env, calls, scratch(8), 100)?;
    let m = recv_on(ep);
    eq(m.label, 9, "second call delivered")?;
    ipc::set_cap(0, n);
    libsel4::reply(info(0x23, 0).with_extra_caps(1));
    let m = report()?;
    eq(m.label, 0x73, "caller's report")?;
    eq(mr(0), 0x23, "reply label")?;
    eq(
        mr(1),
        1,
        "the cap in a reply through a receiver cap with Grant",
    )?;
    eq(
        occupied(scratch(8))? as u64,
        1,
        "caller's receive slot filled",
    )
}

fn no_receive_slot(env: &mut Env) -> R {
    let (ep, n) = (endpoint(env)?, notification(env)?);
    mint(scratch(1), ep, CapRights::ALL, 0x66)?;
    ipc::set_cap(0, 0);
    // The receive CNode is the empty scratch 9: no receive slot.
    let m = transfer_to(env, ep, ep, &[scratch(1), n, scratch(1)], scratch(9), false)?;
    eq(
        m.extra as u64,
        1,
        "extraCaps: the real cap ends the transfer",
    )?;
    eq(m.unwrapped, 1, "capsUnwrapped: cap 0 only")?;
    eq(ipc::get_badge(0), 0x66, "badge of cap 0")?;
    eq(occupied(scratch(5))? as u64, 0, "nothing in scratch 5")?;
    eq(report()?.label, 0x72, "sender's report")
}

/// Sends label 8 to the test endpoint (badge 2) with extra cap 0x10_0000, an address
/// the root CNode's guard rejects.
extern "C" fn sends_bad_cap(_: u64) {
    ipc::set_cap(0, 0x10_0000);
    libsel4::send(
        DONE.load(core::sync::atomic::Ordering::SeqCst),
        info(8, 0).with_extra_caps(1),
    );
}

fn bad_extra_cap(env: &mut Env) -> R {
    spawn(env, sends_bad_cap, 0, 100)?;
    // A cap fault instead of the message (which would come with badge 2).
    let m = fault(1)?;
    eq(mr(1), 0x10_0000, "MR1: the extra cap's address")?;
    eq(mr(2), 0, "MR2: not in the receive phase")?;
    eq(mr(3), 4, "MR3: GuardMismatch")?;
    eq(mr(4), 64, "MR4: bitsLeft")?;
    eq(mr(5), 0, "MR5: guardFound")?;
    eq(mr(6), ROOT_CNODE_GUARD_SIZE.into(), "MR6: bitsFound")?;
    check(m.len == 7, "length 7")
}

fn across_spaces(env: &mut Env) -> R {
    let (ep, n) = (endpoint(env)?, notification(env)?);
    mint(scratch(1), n, CapRights::ALL, 0x77)?;
    let m = transfer_to(env, ep, ep, &[scratch(1)], ROOT_CNODE, true)?;
    eq(m.extra as u64, 1, "extraCaps")?;
    eq(
        signal_seen(scratch(5), n),
        0x77,
        "the received cap and badge",
    )?;
    eq(report()?.label, 0x72, "sender's report")
}
