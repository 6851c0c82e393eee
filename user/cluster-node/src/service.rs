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
use crate::names::{
    LOOKUP, LOOKUP_SIGNAL, NAME_BADGE, NAME_WORDS, REGISTER, RELEASE, RESTRICT, UNREGISTER,
};
use crate::print::{Part::*, line};
use crate::signals::{SIGNAL_BADGE, SignalTable};
use crate::spawn::{Caller, Finished, SPAWN_PROCESS, Spawner};
use crate::transfer::{self, CAP_CARRIED, CAP_WORDS, ProxyTable, RIGHTS_ALL, TABLE};
use crate::workers::{Pool, WORKER_BADGE};
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
        spawner: Spawner::new(env),
    };
    libsel4::ipc::set_receive_path(ROOT_CNODE, slots.receive, 64);
    let mut mrs = [0u64; MSG_MAX_MRS];
    let (mut info, mut badge) = libsel4::recv(s.endpoint);
    loop {
        if badge & (IRQ_BADGE | SIGNAL_BADGE) != 0 {
            // The bound notification: signals for other nodes, the device, or both.
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
    if info.extra_caps() == 1 {
        let unwrapped = (info.caps_unwrapped() & 1 != 0).then(|| libsel4::ipc::get_badge(0));
        let d = transfer::describe(&mut slots.table, unwrapped, slots.receive, s.me, s.life);
        let d = d.and_then(|d| {
            (n + CAP_WORDS <= MSG_MAX_MRS)
                .then_some(d)
                .ok_or(ERROR_BAD_MESSAGE)
        });
        match d {
            Ok(d) => {
                if unwrapped.is_none() {
                    // The endpoint received is exported now; the next goes elsewhere.
                    let Ok(fresh) = env.slots.alloc() else {
                        return reply_error(ERROR_BUSY);
                    };
                    slots.receive = fresh;
                    libsel4::ipc::set_receive_path(ROOT_CNODE, fresh, 64);
                }
                mrs[n..n + CAP_WORDS].copy_from_slice(&d);
                n += CAP_WORDS;
                label |= CAP_CARRIED;
            }
            Err(code) => {
                let _ = cnode::delete(ROOT_CNODE, slots.receive, 64);
                return reply_error(code);
            }
        }
    }
    let Some(i) = slots.busy.iter().position(|b| !b) else {
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
    let call_id = slots.generation[i] << 8 | i as u64;
    s.dev.transmit(
        [MSG_CALL, node, call_id, object, label, n as u64],
        &mrs[..n],
    );
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
    let Some(i) = slots.busy.iter().position(|b| !b) else {
        return reply_error(ERROR_BUSY);
    };
    let slot = s.reply_slots + i as u64;
    if cnode::save_caller(ROOT_CNODE, slot, 64).is_err() || !holds_reply_cap(s, slot) {
        return; // a Send on the name cap: nobody to answer
    }
    slots.busy[i] = true;
    slots.generation[i] += 1;
    slots.lookup[i] = kind == MSG_LOOKUP;
    slots.signal[i] = info.label() == LOOKUP_SIGNAL;
    slots.badge[i] = 0;
    let call_id = slots.generation[i] << 8 | i as u64;
    let header = [kind, s.me, call_id, object, mrs[0], n as u64 - 1];
    s.dev.transmit(header, &mrs[1..n]);
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
    let Some(i) = slots.busy.iter().position(|b| !b) else {
        return reply_error(ERROR_BUSY);
    };
    let slot = s.reply_slots + i as u64;
    if cnode::save_caller(ROOT_CNODE, slot, 64).is_err() || !holds_reply_cap(s, slot) {
        return; // a Send on the name cap: nobody to answer
    }
    slots.busy[i] = true;
    slots.generation[i] += 1;
    slots.lookup[i] = true;
    slots.signal[i] = false;
    slots.badge[i] = 0;
    let call_id = slots.generation[i] << 8 | i as u64;
    let node = if mrs[0] == 0 { s.me } else { mrs[0] };
    if node != s.me {
        let header = [MSG_CALL, node, call_id, 0, SPAWN_PROCESS, n as u64 - 1];
        return s.dev.transmit(header, &mrs[1..n]);
    }
    let caller = Caller::Local { call_id };
    if let Err(code) = slots.spawner.request(env, &s.dev, caller, s.me, &mrs[1..n]) {
        finish(s, slots, (caller, Err(code)));
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
            MSG_REPLY | MSG_ERROR => answer(s, slots, &h, &mrs[..n]),
            MSG_CALL if h[MSG_OBJECT] == 0 && h[MSG_LABEL] == SPAWN_PROCESS => {
                let caller = Caller::Remote {
                    node: h[MSG_NODE],
                    call_id: h[MSG_CALL_ID],
                };
                let asked = slots
                    .spawner
                    .request(env, &s.dev, caller, h[MSG_NODE], &mrs[..n]);
                if let Err(code) = asked {
                    finish(s, slots, (caller, Err(code)));
                }
            }
            MSG_MODULE_DATA => {
                let ctx = (&s.dev, crate::names::name_cap());
                if let Some(done) = slots.spawner.piece(env, ctx, &h, &mrs[..n]) {
                    finish(s, slots, done);
                }
            }
            MSG_CALL | MSG_SEND => {
                if !serve(s, env, pool, &mut slots.table, &h, &mrs[..n]) {
                    return false;
                }
            }
            MSG_NODE_UP if s.print_events => line(&[T("node "), N(h[MSG_NODE]), T(" is up")]),
            MSG_NODE_DOWN => {
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
    if h[MSG_KIND] == MSG_REPLY && label == REMOTE_ERROR_LABEL | ERROR_REVOKED {
        // The exporter revoked the object (only its service answers this label: a
        // server's is refused there): every local copy of the proxy goes too.
        if let Some(given) = slots.table.revoke(slots.badge[i]) {
            release(s, given);
        }
    }
}

/// Tells `[node, object, life, weight]`'s node that this node gives the weight back
/// (nothing for a named object's entry, which holds none).
fn release(s: &Service, [node, object, life, weight]: [u64; 4]) {
    if weight != 0 {
        let header = [MSG_SEND, node, 0, 0, RELEASE_OBJECT, 3];
        s.dev.transmit(header, &[object, life, weight]);
    }
}

/// `weight` of this node's sent export `object` came back: when none is left out
/// the export goes and its slot is freed.
fn give_back(env: &mut Env, object: u64, weight: u64) {
    if let Some(slot) = Pool::give_back(object, weight) {
        let _ = cnode::delete(ROOT_CNODE, slot, 64);
        env.slots.free(slot);
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
/// it here); false when it stopped the node.
fn serve(
    s: &Service,
    env: &mut Env,
    pool: &mut Pool,
    table: &mut ProxyTable,
    h: &[u64; MSG_MRS],
    mrs: &[u64],
) -> bool {
    let (node, object) = (h[MSG_NODE], h[MSG_OBJECT]);
    // A carried cap: made here (the original, or a proxy) and given with the call.
    let mut h = *h;
    let mut mrs = mrs;
    let mut cap = None;
    // Validate before acting: a call to no object makes no cap (a hostile node's
    // forged descriptors would otherwise fill the proxy table).
    if h[MSG_LABEL] & CAP_CARRIED != 0 && !Pool::has_object(object) {
        return refuse(s, &h, ERROR_NO_SUCH_OBJECT);
    }
    if h[MSG_LABEL] & CAP_CARRIED != 0 {
        let Some(at) = mrs.len().checked_sub(CAP_WORDS) else {
            return refuse(s, &h, ERROR_BAD_MESSAGE);
        };
        let made = transfer::make(table, &mrs[at..], s.me, s.life, s.endpoint, s.transfer_slot);
        match made {
            Ok(home) => give_back(env, object_of(&mrs[at..]), home),
            Err(code) => return refuse(s, &h, code),
        }
        cap = Some(s.transfer_slot);
        mrs = &mrs[..at];
        h[MSG_LABEL] &= !CAP_CARRIED;
        h[MSG_LENGTH] = at as u64;
    }
    let h = &h;
    if object == 0 && h[MSG_LABEL] == STOP {
        s.dev
            .transmit([MSG_REPLY, node, h[MSG_CALL_ID], 0, 0, 0], &[]);
        line(&[T("stopped by node "), N(node)]);
        return false;
    }
    if object == 0 && h[MSG_LABEL] == RELEASE_OBJECT && mrs.len() == 3 {
        if mrs[1] == s.life {
            give_back(env, mrs[0], mrs[2]);
        }
        return true;
    }
    if object == 0 && h[MSG_LABEL] == USAGE {
        let usage = [
            Pool::objects_used(),
            env.slots.available() as u64,
            table.used(),
        ];
        s.dev
            .transmit([MSG_REPLY, node, h[MSG_CALL_ID], 0, 0, 3], &usage);
        return true;
    }
    if object == 0 && h[MSG_LABEL] == WORKERS {
        let made = pool.made() as u64;
        s.dev
            .transmit([MSG_REPLY, node, h[MSG_CALL_ID], 0, 0, 1], &[made]);
        return true;
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

/// The object a descriptor names (its second word).
fn object_of(d: &[u64]) -> u64 {
    d.get(1).copied().unwrap_or(0)
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
