//! The network service: the node's bridge between local seL4 IPC and the cluster. It
//! runs on the root thread with the network device's notification bound to its TCB,
//! so one Recv on its endpoint waits for both:
//!
//! - a client's Call through a proxy (a cap to this endpoint minted with the remote
//!   node and object in its badge, Write and GrantReply only): the caller's reply cap
//!   is saved with CNode_SaveCaller in one of [`SLOTS`] reply slots, and the message
//!   (label, registers) goes into the transmit ring as a cluster Call whose call id
//!   names the slot and its generation; a Send or NBSend (SaveCaller saved nothing)
//!   goes as a one-way cluster Send;
//! - the device's interrupt (the badge's [`IRQ_BADGE`] bit): every received message is
//!   handled, then the line acknowledged. A Reply or Error answers the saved reply cap
//!   (an error with label `REMOTE_ERROR_LABEL | code`, MR0 the node); a Call from
//!   another node goes to a worker, which makes it on the local object it names; the
//!   worker's answer is transmitted (object 0 is the node's control object: label
//!   [`STOP`] halts the node after the reply, [`WORKERS`] answers the pool's size);
//!   node events are printed.
//!
//! - a program's Call on its name cap (badge [`crate::names::NAME_BADGE`]): a register
//!   (the endpoint it sent becomes a new exported object; the name goes to the node's
//!   directory replica as a `MSG_REGISTER`) or a lookup (`MSG_LOOKUP`, answered from the
//!   replica) or a removal (`MSG_UNREGISTER`); the reply cap is saved as for a remote
//!   call, and the answer of a lookup carries a cap: a proxy for the named object
//!   (badged [`TABLE_BADGE`] and its proxy table entry: node, object and the exporter's
//!   life, which every call through it carries so a stale proxy fails), or a copy of
//!   the endpoint when it is this node's.
//!
//! A remote Call served here is made by a worker thread ([`crate::workers`]), so the
//! service keeps receiving while local servers work.

use crate::device::Devices;
use crate::holders::Holders;
use crate::names::{
    LOOKUP, LOOKUP_SIGNAL, NAME_BADGE, NAME_WORDS, REGISTER, RELEASE, RESTRICT, UNREGISTER,
};
use crate::print::{Part::*, line};
use crate::registry::{self, HOLD, HOLDERS_OF, Parked};
use crate::signals::{SIGNAL_BADGE, SignalTable};
use crate::spawn::{Caller, Finished, SPAWN_PROCESS, Spawner, TIMER_BADGE};
use crate::transfer::{
    self, CAP_CARRIED, CAP_WORDS, Held, ProxyTable, RIGHTS_ALL, TABLE, WEIGHT_SHIFT,
};
use crate::workers::{MAX_OBJECTS, Pool, WORKER_BADGE};
use libsel4::{CPtr, CapRights, MessageInfo, cnode, irq};
use sel4rt::{Env, ROOT_CNODE};
use selvm_abi::vm::network::*;
use selvm_abi::vm::spawn::SPAWN;

/// The badge bit of the device's notification (proxy badges stay below it).
pub const IRQ_BADGE: u64 = 1 << 40;
/// Calls this node's clients may have outstanding at once.
pub const SLOTS: usize = 16;
/// Label of a Call to a node's control object (object 0): stop the node.
pub const STOP: u64 = 1;
/// Label of a Call to a node's control object: MR0 answers how many workers its pool
/// has made (the most calls it served at once).
pub const WORKERS: u64 = 2;
/// Label of a Send to a node's control object: MR0 an object of its, MR1 its life,
/// MR2 weight a holder gives back ([`crate::transfer`]'s release).
pub const RELEASE_OBJECT: u64 = 3;
/// Label of a Call to a node's control object: answers the objects it exports, its
/// free root slots and its proxy table entries in use (the churn test's figures).
pub const USAGE: u64 = 4;

/// The badge of a proxy for `object` on `node`, in whatever life the node is (the
/// numbered proxies the demo client and relay mint themselves).
pub fn proxy_badge(node: u64, object: u64) -> u64 {
    node << 16 | object
}

/// The life an object word pins for a node in its life `incarnation` (as the protocol
/// core computes it: the low 48 bits, never 0, which means any life).
pub fn pinned_life(incarnation: u64) -> u64 {
    match incarnation & ((1 << (64 - OBJECT_LIFE_SHIFT)) - 1) {
        0 => 1,
        life => life,
    }
}

/// What the service needs.
pub struct Service {
    /// The mapped devices.
    pub dev: Devices,
    /// Its endpoint (clients' proxies are badged copies).
    pub endpoint: CPtr,
    /// The network interrupt's handler cap.
    pub irq_handler: CPtr,
    /// First of [`SLOTS`] empty root slots for saved reply caps.
    pub reply_slots: CPtr,
    /// An empty root slot for [`holds_reply_cap`]'s probe.
    pub probe_slot: CPtr,
    /// An empty root slot where a lookup's cap is made before it is sent.
    pub scratch_slot: CPtr,
    /// This node's id.
    pub me: u64,
    /// This node's life as proxies pin it ([`pinned_life`] of its incarnation).
    pub life: u64,
    /// An empty root slot where a cap that arrived with a remote call is made.
    pub transfer_slot: CPtr,
    /// The notification bound to the service's thread (signal proxies are badged
    /// copies of it, [`crate::signals`]).
    pub signals: CPtr,
    /// Halt when this node goes down (0: never).
    pub halt_when_down: u64,
    /// Print node events (only one thread of a node prints, so lines never mix:
    /// DebugPutChar writes a character per system call, and threads preempt each
    /// other between them).
    pub print_events: bool,
}

/// Per reply slot: whether it is in use, its generation, and whether its caller
/// looked a name up (its answer then carries a cap); and where caps are received.
struct Slots {
    busy: [bool; SLOTS],
    generation: [u64; SLOTS],
    lookup: [bool; SLOTS],
    /// Its caller asked for a signal proxy (a lookup of a notification).
    signal: [bool; SLOTS],
    receive: CPtr,
    /// The proxies this service made (lookups, arriving caps).
    table: ProxyTable,
    /// The proxy badge each outstanding call went through (to revoke it on
    /// `ERROR_REVOKED`).
    badge: [u64; SLOTS],
    /// The remote notifications its programs hold signal proxies for.
    signal_table: SignalTable,
    /// Who holds this node's sent exports ([`crate::holders`]).
    holders: Holders,
    /// Calls from other nodes waiting for a carried cap's home node to register it.
    parked: Parked,
    /// The descriptor each outstanding call carried and the node it went to (its
    /// weight is given back if the call fails).
    sent: [Option<([u64; CAP_WORDS], u64)>; SLOTS],
    /// The spawn being read from the store ([`crate::spawn`]).
    spawner: Spawner,
}

/// Runs the service with `pool` serving remote calls; returns only to halt the node.
pub fn run(s: &Service, env: &mut Env, pool: &mut Pool) {
    let mut slots = Slots {
        busy: [false; SLOTS],
        generation: [0; SLOTS],
        lookup: [false; SLOTS],
        receive: env.slots.alloc().unwrap_or(0),
        table: ProxyTable::new(env.slots.alloc_range(2 * TABLE).unwrap_or(0)),
        badge: [0; SLOTS],
        signal: [false; SLOTS],
        signal_table: SignalTable::new(),
        holders: Holders::new(),
        parked: Parked::new(),
        sent: [None; SLOTS],
        spawner: Spawner::new(env, s.signals),
    };
    libsel4::ipc::set_receive_path(ROOT_CNODE, slots.receive, 64);
    let mut mrs = [0u64; MSG_MAX_MRS];
    let (mut info, mut badge) = libsel4::recv(s.endpoint);
    loop {
        if badge & (IRQ_BADGE | SIGNAL_BADGE | TIMER_BADGE) != 0 {
            // The bound notification: signals for other nodes, the device, the timer.
            if badge & TIMER_BADGE != 0 {
                if let Some(done) = slots.spawner.expired(&s.dev) {
                    finish(s, &mut slots, done);
                }
            }
            for (node, object, life) in slots.signal_table.signalled(badge) {
                let object = object | life << OBJECT_LIFE_SHIFT;
                s.dev.transmit([MSG_SEND, node, 0, object, 0, 0], &[]);
            }
            if badge & IRQ_BADGE != 0 {
                if !drain(s, env, pool, &mut slots, &mut mrs) {
                    return;
                }
                let _ = irq::handler_ack(s.irq_handler);
            }
        } else if badge & WORKER_BADGE != 0 {
            let worker = (badge & !WORKER_BADGE) as usize;
            if let Some((node, call_id, label, n, revoked)) = pool.ready(worker, &mut mrs) {
                if revoked {
                    // The service's own error, not a server's label.
                    s.dev.transmit([MSG_REPLY, node, call_id, 0, label, 0], &[]);
                } else {
                    transmit_answer(s, node, call_id, label, &mrs[..n]);
                }
            }
        } else if badge & NAME_BADGE != 0 {
            name_call(s, env, &mut slots, info, &mut mrs);
        } else {
            client_call(s, env, &mut slots, info, badge, &mut mrs);
        }
        (info, badge) = libsel4::recv(s.endpoint);
    }
}

/// Transmits a served call's answer; a server's label may not pose as a remote error.
fn transmit_answer(s: &Service, node: u64, call_id: u64, label: u64, mrs: &[u64]) {
    let label = if label & REMOTE_ERROR_LABEL != 0 {
        REMOTE_ERROR_LABEL | ERROR_BAD_MESSAGE
    } else {
        label
    };
    let header = [MSG_REPLY, node, call_id, 0, label, mrs.len() as u64];
    s.dev.transmit(header, mrs);
}

/// A local client called a proxy: save its reply cap and send the call (with the
/// descriptor of the cap it sent, if any: [`crate::transfer`]).
fn client_call(
    s: &Service,
    env: &mut Env,
    slots: &mut Slots,
    info: MessageInfo,
    badge: u64,
    mrs: &mut [u64],
) {
    let mut n = info.length();
    for (i, m) in mrs.iter_mut().take(n).enumerate() {
        *m = libsel4::ipc::get_mr(i);
    }
    let (node, object, mut label) = match slots.table.entry(badge) {
        Some([node, object, life, _]) => (node, object | life << OBJECT_LIFE_SHIFT, info.label()),
        None => (badge >> 16, badge & 0xffff, info.label()),
    };
    if label & CAP_CARRIED != 0 {
        return reply_error(ERROR_BAD_MESSAGE); // a client may not forge a descriptor
    }
    let mut carried = None;
    if info.extra_caps() == 1 {
        let unwrapped = (info.caps_unwrapped() & 1 != 0).then(|| libsel4::ipc::get_badge(0));
        match describe_sent(s, env, slots, unwrapped, node, n) {
            Ok(d) => {
                mrs[n..n + CAP_WORDS].copy_from_slice(&d);
                n += CAP_WORDS;
                label |= CAP_CARRIED;
                carried = Some(d);
            }
            Err(code) => {
                let _ = cnode::delete(ROOT_CNODE, slots.receive, 64);
                return reply_error(code);
            }
        }
    }
    let Some(i) = slots.busy.iter().position(|b| !b) else {
        if let Some(d) = carried {
            give_back_sent(s, env, slots, d, node);
        }
        libsel4::ipc::set_mr(0, node);
        reply_error(ERROR_BUSY);
        return;
    };
    let slot = s.reply_slots + i as u64;
    if cnode::save_caller(ROOT_CNODE, slot, 64).is_err() {
        return;
    }
    if !holds_reply_cap(s, slot) {
        // A Send (or NBSend): no reply cap was saved; it travels one way.
        s.dev
            .transmit([MSG_SEND, node, 0, object, label, n as u64], &mrs[..n]);
        return;
    }
    slots.busy[i] = true;
    slots.generation[i] += 1;
    slots.lookup[i] = false;
    slots.badge[i] = badge;
    slots.sent[i] = carried.map(|d| (d, node));
    let call_id = slots.generation[i] << 8 | i as u64;
    s.dev.transmit(
        [MSG_CALL, node, call_id, object, label, n as u64],
        &mrs[..n],
    );
}

/// The descriptor of the cap a client sends with a call of `n` registers to `node`:
/// an endpoint received is exported (and the next cap is received in a fresh slot).
fn describe_sent(
    s: &Service,
    env: &mut Env,
    slots: &mut Slots,
    unwrapped: Option<u64>,
    node: u64,
    n: usize,
) -> Result<[u64; CAP_WORDS], u64> {
    if n + CAP_WORDS > MSG_MAX_MRS {
        return Err(ERROR_BAD_MESSAGE);
    }
    let fresh = match unwrapped {
        None => Some(env.slots.alloc().map_err(|_| ERROR_BUSY)?),
        Some(_) => None,
    };
    let tables = (&mut slots.table, &mut slots.holders);
    let d = transfer::describe(tables, unwrapped, slots.receive, (s.me, s.life, node));
    match (d, fresh) {
        (Ok(_), Some(fresh)) => {
            // The endpoint received is exported now; the next goes elsewhere.
            slots.receive = fresh;
            libsel4::ipc::set_receive_path(ROOT_CNODE, fresh, 64);
        }
        (Err(_), Some(fresh)) => env.slots.free(fresh),
        _ => {}
    }
    d
}

/// A program called its name cap: register the endpoint it sent, or look a name up,
/// in the node's directory replica (through the device).
fn name_call(s: &Service, env: &mut Env, slots: &mut Slots, info: MessageInfo, mrs: &mut [u64]) {
    if info.label() == SPAWN {
        return spawn_call(s, env, slots, info, mrs);
    }
    let n = info.length().min(NAME_WORDS);
    for (i, m) in mrs.iter_mut().take(n).enumerate() {
        *m = libsel4::ipc::get_mr(i);
    }
    let received = info.extra_caps() == 1 && info.caps_unwrapped() == 0;
    if info.label() == RELEASE {
        // A proxy sent on the name cap is unwrapped by seL4 into its badge.
        let unwrapped = info.extra_caps() == 1 && info.caps_unwrapped() & 1 != 0;
        if !unwrapped {
            if info.extra_caps() > 0 {
                let _ = cnode::delete(ROOT_CNODE, slots.receive, 64);
            }
            return reply_error(ERROR_BAD_MESSAGE);
        }
        let badge = libsel4::ipc::get_badge(0);
        if slots.table.entry(badge).is_some() && slots.table.weight(badge) == 0 {
            // A named object's proxy holds no weight: nothing to give back, and other
            // programs' looked-up copies stay (the caller deletes its own).
            return libsel4::reply(MessageInfo::new(0, 0, 0, 0).unwrap_or_default());
        }
        match slots.table.revoke(badge) {
            Some(given) => {
                libsel4::reply(MessageInfo::new(0, 0, 0, 0).unwrap_or_default());
                release(s, given);
            }
            None => reply_error(ERROR_BAD_MESSAGE),
        }
        return;
    }
    if info.label() == RESTRICT {
        // A proxy sent on the name cap is unwrapped by seL4 into its badge.
        let unwrapped = info.extra_caps() == 1 && info.caps_unwrapped() & 1 != 0;
        let badge = libsel4::ipc::get_badge(0);
        let keep = libsel4::ipc::get_mr(0);
        let made = (unwrapped && n == 1)
            .then(|| transfer::restrict(&mut slots.table, badge, keep, s.endpoint, s.scratch_slot))
            .unwrap_or(Err(ERROR_BAD_MESSAGE));
        if let Err(code) = made {
            return reply_error(code);
        }
        libsel4::ipc::set_cap(0, s.scratch_slot);
        libsel4::reply(MessageInfo::new(0, 0, 1, 0).unwrap_or_default());
        let _ = cnode::delete(ROOT_CNODE, s.scratch_slot, 64);
        return;
    }
    let kind = match info.label() {
        REGISTER if received => MSG_REGISTER,
        LOOKUP | LOOKUP_SIGNAL => MSG_LOOKUP,
        UNREGISTER => MSG_UNREGISTER,
        _ => 0,
    };
    let mut object = 0;
    if kind == MSG_REGISTER {
        // The endpoint received becomes an object; the next cap goes to a fresh slot.
        let added = env
            .slots
            .alloc()
            .ok()
            .and_then(|fresh| Some((fresh, Pool::add_object(slots.receive)?)));
        let Some((fresh, o)) = added else {
            let _ = cnode::delete(ROOT_CNODE, slots.receive, 64);
            return reply_error(ERROR_BUSY);
        };
        object = o;
        slots.receive = fresh;
        libsel4::ipc::set_receive_path(ROOT_CNODE, fresh, 64);
    } else if info.extra_caps() > 0 {
        let _ = cnode::delete(ROOT_CNODE, slots.receive, 64);
    }
    if kind == 0 || n == 0 {
        return reply_error(ERROR_BAD_MESSAGE);
    }
    let Some(call_id) = hold_caller(s, slots, kind == MSG_LOOKUP, info.label() == LOOKUP_SIGNAL)
    else {
        return;
    };
    let header = [kind, s.me, call_id, object, mrs[0], n as u64 - 1];
    s.dev.transmit(header, &mrs[1..n]);
}

/// Keeps a name-cap caller's reply cap in a free reply slot for the answer that comes
/// later (`lookup`: the answer makes a cap; `signal`: a signal proxy); the call id
/// naming the slot, or `None` having answered `ERROR_BUSY` (every slot taken) or
/// nothing (a Send on the name cap: nobody to answer).
fn hold_caller(s: &Service, slots: &mut Slots, lookup: bool, signal: bool) -> Option<u64> {
    let Some(i) = slots.busy.iter().position(|b| !b) else {
        reply_error(ERROR_BUSY);
        return None;
    };
    let slot = s.reply_slots + i as u64;
    if cnode::save_caller(ROOT_CNODE, slot, 64).is_err() || !holds_reply_cap(s, slot) {
        return None;
    }
    slots.busy[i] = true;
    slots.generation[i] += 1;
    slots.lookup[i] = lookup;
    slots.signal[i] = signal;
    slots.badge[i] = 0;
    Some(slots.generation[i] << 8 | i as u64)
}

/// A program asked for a process (label `SPAWN`, MR0 the node, then what
/// [`Spawner::request`] takes): made here when it names this node, else sent to that
/// node's control object; the answer (node, object, incarnation) becomes a cap as a
/// lookup's does.
fn spawn_call(s: &Service, env: &mut Env, slots: &mut Slots, info: MessageInfo, mrs: &mut [u64]) {
    let n = info.length().min(4 + NAME_WORDS);
    for (i, m) in mrs.iter_mut().take(n).enumerate() {
        *m = libsel4::ipc::get_mr(i);
    }
    if info.extra_caps() > 0 {
        let _ = cnode::delete(ROOT_CNODE, slots.receive, 64);
    }
    if n < 4 {
        return reply_error(ERROR_BAD_MESSAGE);
    }
    let Some(call_id) = hold_caller(s, slots, true, false) else {
        return;
    };
    let node = if mrs[0] == 0 { s.me } else { mrs[0] };
    if node != s.me {
        let header = [MSG_CALL, node, call_id, 0, SPAWN_PROCESS, n as u64 - 1];
        return s.dev.transmit(header, &mrs[1..n]);
    }
    let caller = Caller::Local { call_id };
    let asked = slots.spawner.request(env, &s.dev, caller, s.me, &mrs[1..n]);
    spawn_asked(s, slots, caller, asked);
}

/// Answers what a spawn request ended at once: `caller`'s refusal, or an abandoned
/// read's requester.
fn spawn_asked(
    s: &Service,
    slots: &mut Slots,
    caller: Caller,
    asked: Result<Option<Finished>, u64>,
) {
    match asked {
        Ok(None) => {}
        Ok(Some(abandoned)) => finish(s, slots, abandoned),
        Err(code) => finish(s, slots, (caller, Err(code))),
    }
}

/// Answers a spawn that ended: another node's call, or a local program's saved reply
/// cap (through [`answer`], which makes the cap).
fn finish(s: &Service, slots: &mut Slots, (caller, result): Finished) {
    let (label, words, n) = match result {
        Ok(words) => (0, words, 3),
        Err(code) => (REMOTE_ERROR_LABEL | code, [s.me, 0, 0], 1),
    };
    match caller {
        Caller::Remote { node, call_id } => {
            s.dev.transmit(
                [MSG_REPLY, node, call_id, 0, label, n],
                &words[..n as usize],
            );
        }
        Caller::Local { call_id } => {
            let h = [MSG_REPLY, s.me, call_id, 0, label, n];
            answer(s, slots, &h, &words[..n as usize]);
        }
    }
}

/// Whether `slot` holds the reply cap SaveCaller moved there (a Call) or nothing (a
/// Send). Copying answers FailedLookup for an empty source and IllegalOperation for
/// a reply cap (seL4's deriveCap gives a reply cap no copies), changing nothing.
fn holds_reply_cap(s: &Service, slot: CPtr) -> bool {
    let probe = cnode::copy(
        ROOT_CNODE,
        s.probe_slot,
        64,
        ROOT_CNODE,
        slot,
        64,
        CapRights::ALL,
    );
    match probe {
        Err(libsel4::Error::FailedLookup) => false,
        Ok(()) => {
            let _ = cnode::delete(ROOT_CNODE, s.probe_slot, 64);
            true
        }
        Err(_) => true,
    }
}

/// Replies to the current caller with a remote error.
fn reply_error(code: u64) {
    let info = MessageInfo::new(REMOTE_ERROR_LABEL | code, 0, 0, 1).unwrap_or_default();
    libsel4::reply(info);
}

/// Handles every received message; false when the node must halt.
fn drain(
    s: &Service,
    env: &mut Env,
    pool: &mut Pool,
    slots: &mut Slots,
    mrs: &mut [u64; MSG_MAX_MRS],
) -> bool {
    while let Some((h, n)) = s.dev.receive(mrs) {
        match h[MSG_KIND] {
            MSG_REPLY | MSG_ERROR => {
                if let Some(parked) = take_parked(slots, &h) {
                    if !registered(s, env, pool, slots, &h, parked) {
                        return false;
                    }
                    continue;
                }
                failed_send(s, env, slots, &h);
                answer(s, slots, &h, &mrs[..n]);
            }
            MSG_CALL if h[MSG_OBJECT] == 0 && h[MSG_LABEL] == SPAWN_PROCESS => {
                let caller = Caller::Remote {
                    node: h[MSG_NODE],
                    call_id: h[MSG_CALL_ID],
                };
                let asked = slots
                    .spawner
                    .request(env, &s.dev, caller, h[MSG_NODE], &mrs[..n]);
                spawn_asked(s, slots, caller, asked);
            }
            MSG_MODULE_DATA => {
                let ctx = (&s.dev, crate::names::name_cap());
                if let Some(done) = slots.spawner.piece(env, ctx, &h, &mrs[..n]) {
                    finish(s, slots, done);
                }
            }
            MSG_CALL | MSG_SEND => {
                if !serve(s, env, pool, slots, &h, &mrs[..n], false) {
                    return false;
                }
            }
            MSG_NODE_UP if s.print_events => line(&[T("node "), N(h[MSG_NODE]), T(" is up")]),
            MSG_NODE_DOWN => {
                // Its leases end: the weight it held of this node's exports is back.
                let mut dropped = [0u64; MAX_OBJECTS];
                let mut k = 0;
                slots.holders.node_down(h[MSG_NODE], |object| {
                    dropped[k] = object;
                    k += 1;
                });
                for &object in &dropped[..k] {
                    drop_export(env, &mut slots.holders, object);
                }
                if s.print_events {
                    line(&[T("node "), N(h[MSG_NODE]), T(" is down")]);
                }
                if h[MSG_NODE] == s.halt_when_down {
                    line(&[T("its client is gone: stopping")]);
                    return false;
                }
            }
            _ => {}
        }
    }
    true
}

/// A reply or error for one of this node's calls: answer the saved reply cap.
fn answer(s: &Service, slots: &mut Slots, h: &[u64; MSG_MRS], mrs: &[u64]) {
    let i = (h[MSG_CALL_ID] & 0xff) as usize;
    if i >= SLOTS || !slots.busy[i] || slots.generation[i] != h[MSG_CALL_ID] >> 8 {
        return; // not a call of ours (anymore)
    }
    slots.busy[i] = false;
    let (mut label, mrs) = if h[MSG_KIND] == MSG_ERROR {
        (REMOTE_ERROR_LABEL | h[MSG_LABEL], &[h[MSG_NODE]][..])
    } else {
        (h[MSG_LABEL], mrs)
    };
    // A lookup's answer carries a cap for the object named (made before the message
    // registers are written: the invocation uses them).
    let mut caps = 0;
    if slots.lookup[i] && h[MSG_KIND] == MSG_REPLY && label & REMOTE_ERROR_LABEL == 0 {
        let made = if slots.signal[i] {
            signal_cap(s, &mut slots.signal_table, mrs)
        } else {
            lookup_cap(s, &mut slots.table, mrs)
        };
        match made {
            Ok(()) => caps = 1,
            Err(code) => label = REMOTE_ERROR_LABEL | code,
        }
    }
    for (j, m) in mrs.iter().enumerate() {
        libsel4::ipc::set_mr(j, *m);
    }
    if caps == 1 {
        libsel4::ipc::set_cap(0, s.scratch_slot);
    }
    let info = MessageInfo::new(label & !(1 << 52), 0, caps, mrs.len() as u64).unwrap_or_default();
    let slot = s.reply_slots + i as u64;
    libsel4::send(slot, info);
    let _ = cnode::delete(ROOT_CNODE, slot, 64);
    let _ = cnode::delete(ROOT_CNODE, s.scratch_slot, 64);
    let gone = [ERROR_REVOKED, ERROR_FORGED].map(|code| REMOTE_ERROR_LABEL | code);
    if h[MSG_KIND] == MSG_REPLY && gone.contains(&label) {
        // The exporter revoked the object, or holds no record of this node (its lease
        // ended): only its service answers these labels (a server's is refused
        // there), and every local copy of the proxy goes too.
        if let Some(given) = slots.table.revoke(slots.badge[i]) {
            release(s, given);
        }
    }
}

/// Tells the home node of a freed proxy table entry ([`Held`]) that this node gives
/// its weight back, with the token that proves it may (nothing for a named object's
/// entry, which holds none).
fn release(s: &Service, [node, object, life, weight, token, rights]: Held) {
    if weight != 0 {
        let header = [MSG_SEND, node, 0, 0, RELEASE_OBJECT, 5];
        s.dev
            .transmit(header, &[object, life, weight, token, rights]);
    }
}

/// This node's sent export `object` has no holder left: it goes and its slot is
/// freed.
fn drop_export(env: &mut Env, holders: &mut Holders, object: u64) {
    holders.forget(object);
    if let Some(slot) = Pool::remove_object(object) {
        let _ = cnode::delete(ROOT_CNODE, slot, 64);
        env.slots.free(slot);
    }
}

/// The call that carried descriptor `d` to node `to` failed before the cap was made
/// there: its weight goes back to its home node's record (for this node's own export,
/// `to`'s record loses it).
fn give_back_sent(s: &Service, env: &mut Env, slots: &mut Slots, d: [u64; CAP_WORDS], to: u64) {
    let [node, object, life, carried, token] = d;
    let (rights, weight) = (carried & RIGHTS_ALL, carried >> WEIGHT_SHIFT);
    if weight == 0 {
        return;
    } else if node != s.me {
        return release(s, [node, object, life, weight, token, rights]);
    }
    if slots.holders.take(object, to, token, rights, weight) == Ok(true) {
        drop_export(env, &mut slots.holders, object);
    }
}

/// A reply or error for one of this node's calls: if the call carried a cap and was
/// refused before the cap was made (the receiver's service refused the descriptor,
/// or the call never reached it), the weight sent goes back.
fn failed_send(s: &Service, env: &mut Env, slots: &mut Slots, h: &[u64; MSG_MRS]) {
    let i = (h[MSG_CALL_ID] & 0xff) as usize;
    if i >= SLOTS || !slots.busy[i] || slots.generation[i] != h[MSG_CALL_ID] >> 8 {
        return;
    }
    let Some((d, to)) = slots.sent[i].take() else {
        return;
    };
    let codes = [ERROR_FORGED, ERROR_NO_SUCH_OBJECT, ERROR_STALE];
    let refused = (codes.iter().chain(&[ERROR_BAD_MESSAGE]))
        .any(|&code| h[MSG_LABEL] == REMOTE_ERROR_LABEL | code);
    let never_arrived = h[MSG_KIND] == MSG_ERROR && h[MSG_LABEL] != ERROR_TIMEOUT;
    if (h[MSG_KIND] == MSG_REPLY && refused) || never_arrived {
        give_back_sent(s, env, slots, d, to);
    }
}

/// A reply or error for a registration ([`registry`]): the call parked for it, if any
/// (its reply slot is freed).
fn take_parked(slots: &mut Slots, h: &[u64; MSG_MRS]) -> Option<usize> {
    let i = (h[MSG_CALL_ID] & 0xff) as usize;
    if i >= SLOTS || !slots.busy[i] || slots.generation[i] != h[MSG_CALL_ID] >> 8 {
        return None;
    }
    Some(i).filter(|_| slots.parked.is_parked(i))
}

/// The home node answered the registration of reply slot `i`'s parked call: served
/// now (the cap made), or refused with the home node's error; false when the node
/// must halt.
fn registered(
    s: &Service,
    env: &mut Env,
    pool: &mut Pool,
    slots: &mut Slots,
    answer: &[u64; MSG_MRS],
    i: usize,
) -> bool {
    slots.busy[i] = false;
    let mut mrs = [0u64; MSG_MAX_MRS];
    let Some((h, n)) = slots.parked.take(i, &mut mrs) else {
        return true;
    };
    match (answer[MSG_KIND], answer[MSG_LABEL]) {
        (MSG_REPLY, 0) => serve(s, env, pool, slots, &h, &mrs[..n], true),
        (MSG_REPLY, label) => refuse(s, &h, label & !REMOTE_ERROR_LABEL),
        (_, code) => refuse(s, &h, code),
    }
}

/// Makes in the scratch slot the cap a lookup answered with `[node, object,
/// incarnation]`: a proxy (Write and GrantReply, badged with its proxy table entry,
/// which pins the exporter's life) for another node's object, a copy with those
/// rights of the endpoint for this node's; else an error code.
fn lookup_cap(s: &Service, table: &mut ProxyTable, answer: &[u64]) -> Result<(), u64> {
    let &[node, object, incarnation, ..] = answer else {
        return Err(ERROR_BAD_MESSAGE);
    };
    let rights = CapRights::new(true, false, false, true);
    let source = if node == s.me {
        Pool::object_cap(object).ok_or(ERROR_NO_SUCH_OBJECT)?
    } else if object < 1 << OBJECT_LIFE_SHIFT {
        // A copy of the badged original (which revocation empties); it may carry caps
        // (Grant), which restrict drops.
        let life = pinned_life(incarnation);
        let badge = table.badge(node, object, life, RIGHTS_ALL)?;
        return table.copy(badge, s.endpoint, s.scratch_slot);
    } else {
        return Err(ERROR_NO_SUCH_OBJECT);
    };
    let _ = cnode::delete(ROOT_CNODE, s.scratch_slot, 64);
    let to = s.scratch_slot;
    // The exporter's own cap, badge kept (seL4 mints no new badge onto a badged cap; a
    // copy may drop rights).
    cnode::copy(ROOT_CNODE, to, 64, ROOT_CNODE, source, 64, rights).map_err(|_| ERROR_BAD_MESSAGE)
}

/// Makes in the scratch slot the cap a lookup of a notification answered with `[node,
/// object, incarnation]`: a signal proxy (a copy of the service's notification badged
/// with its signal table entry, Write only) for another node's, a copy (Write only) of
/// the registered notification for this node's; else an error code.
fn signal_cap(s: &Service, table: &mut SignalTable, answer: &[u64]) -> Result<(), u64> {
    let &[node, object, incarnation, ..] = answer else {
        return Err(ERROR_BAD_MESSAGE);
    };
    let write_only = CapRights::new(false, false, false, true);
    let to = s.scratch_slot;
    let _ = cnode::delete(ROOT_CNODE, to, 64);
    let made = if node == s.me {
        let original = Pool::object_cap(object).ok_or(ERROR_NO_SUCH_OBJECT)?;
        cnode::copy(ROOT_CNODE, to, 64, ROOT_CNODE, original, 64, write_only)
    } else {
        let badge = table.badge(node, object, pinned_life(incarnation))?;
        cnode::mint(
            ROOT_CNODE, to, 64, ROOT_CNODE, s.signals, 64, write_only, badge,
        )
    };
    made.map_err(|_| ERROR_BAD_MESSAGE)
}

/// A call from another node: hand it to a worker (or, for the control object, act on
/// it here); false when it stopped the node. A carried cap of a third node is first
/// registered with its home node ([`registry`]): the call is parked and served again,
/// `checked`, when the home node agrees.
fn serve(
    s: &Service,
    env: &mut Env,
    pool: &mut Pool,
    slots: &mut Slots,
    h: &[u64; MSG_MRS],
    mrs: &[u64],
    checked: bool,
) -> bool {
    let (node, object) = (h[MSG_NODE], h[MSG_OBJECT]);
    let carries = h[MSG_LABEL] & CAP_CARRIED != 0;
    // Validate before acting: a call to no object makes no cap (a hostile node's
    // forged descriptors would otherwise fill the proxy table), and a sent export
    // answers only its holders (with Grant to carry a cap).
    if carries && !Pool::has_object(object) {
        return refuse(s, h, ERROR_NO_SUCH_OBJECT);
    }
    if object != 0 && !slots.holders.may_call(object, node, carries) {
        return refuse(s, h, ERROR_FORGED);
    }
    // A carried cap: made here (the original, or a proxy) and given with the call.
    let (whole, mut h, mut mrs, mut cap) = (h, *h, mrs, None);
    if carries {
        let Some(at) = mrs.len().checked_sub(CAP_WORDS) else {
            return refuse(s, &h, ERROR_BAD_MESSAGE);
        };
        let d = &mrs[at..];
        if !transfer::in_range(d) {
            return refuse(s, &h, ERROR_BAD_MESSAGE);
        }
        if !checked && transfer::names_third_node(d, s.me, node) {
            return park(s, slots, whole, mrs, d);
        }
        let tables = (&mut slots.table, &mut slots.holders);
        match transfer::make(tables, d, (s.me, s.life, node), s.endpoint, s.transfer_slot) {
            Ok(Some(last)) => drop_export(env, &mut slots.holders, last),
            Ok(None) => {}
            Err(code) => return refuse(s, &h, code),
        }
        cap = Some(s.transfer_slot);
        mrs = &mrs[..at];
        h[MSG_LABEL] &= !CAP_CARRIED;
        h[MSG_LENGTH] = at as u64;
    }
    let h = &h;
    if object == 0 {
        return control(s, env, pool, slots, h, mrs);
    }
    let refused = if !Pool::has_object(object) {
        ERROR_NO_SUCH_OBJECT
    } else if !pool.start(env, s.endpoint, h, mrs, cap) {
        ERROR_BUSY
    } else {
        return true;
    };
    if cap.is_some() {
        let _ = cnode::delete(ROOT_CNODE, s.transfer_slot, 64);
    }
    refuse(s, h, refused)
}

/// A call to this node's control object (object 0); false when it stopped the node.
fn control(
    s: &Service,
    env: &mut Env,
    pool: &mut Pool,
    slots: &mut Slots,
    h: &[u64; MSG_MRS],
    mrs: &[u64],
) -> bool {
    let node = h[MSG_NODE];
    let answer = |label: u64, words: &[u64]| {
        let n = words.len() as u64;
        s.dev
            .transmit([MSG_REPLY, node, h[MSG_CALL_ID], 0, label, n], words);
    };
    match h[MSG_LABEL] {
        STOP => {
            answer(0, &[]);
            line(&[T("stopped by node "), N(node)]);
            return false;
        }
        RELEASE_OBJECT => {
            // Weight given back by its holder, with the token proving it may.
            if let &[object, life, weight, token, rights] = mrs {
                let last = life == s.life
                    && slots.holders.take(object, node, token, rights, weight) == Ok(true);
                if last {
                    drop_export(env, &mut slots.holders, object);
                }
            }
        }
        HOLD => match registry::register(&mut slots.holders, mrs, node, s.life) {
            Ok(()) => answer(0, &[]),
            Err(code) => answer(REMOTE_ERROR_LABEL | code, &[]),
        },
        HOLDERS_OF => {
            let mut words = [0u64; 3 * crate::holders::HOLDERS];
            let object = mrs.first().copied().unwrap_or(0);
            let n = registry::holders_of(&slots.holders, object, &mut words);
            answer(0, &words[..n]);
        }
        USAGE => {
            let free = env.slots.available() as u64;
            answer(0, &[Pool::objects_used(), free, slots.table.used()]);
        }
        WORKERS => answer(0, &[pool.made() as u64]),
        _ => return refuse(s, h, ERROR_NO_SUCH_OBJECT),
    }
    true
}

/// Parks the call `h` with `mrs` (carrying descriptor `d` of a third node's object)
/// and asks that node to register the cap ([`registry`]); true (the node goes on).
fn park(s: &Service, slots: &mut Slots, h: &[u64; MSG_MRS], mrs: &[u64], d: &[u64]) -> bool {
    let Some(i) = slots.busy.iter().position(|b| !b) else {
        return refuse(s, h, ERROR_BUSY);
    };
    if !slots.parked.park(i, h, mrs) {
        return refuse(s, h, ERROR_BUSY);
    }
    slots.busy[i] = true;
    slots.generation[i] += 1;
    slots.lookup[i] = false;
    slots.badge[i] = 0;
    slots.sent[i] = None;
    let call_id = slots.generation[i] << 8 | i as u64;
    let (header, words) = registry::registration(d, h[MSG_NODE], call_id);
    s.dev.transmit(header, &words);
    true
}

/// Answers a call from another node with the remote error `code` (a Send is dropped);
/// true (the node goes on).
fn refuse(s: &Service, h: &[u64; MSG_MRS], refused: u64) -> bool {
    let node = h[MSG_NODE];
    if h[MSG_KIND] == MSG_SEND {
        return true; // nobody to tell: a Send that cannot be delivered is dropped
    }
    let header = [
        MSG_REPLY,
        node,
        h[MSG_CALL_ID],
        0,
        REMOTE_ERROR_LABEL | refused,
        0,
    ];
    s.dev.transmit(header, &[]);
    true
}
