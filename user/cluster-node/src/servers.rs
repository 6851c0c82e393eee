//! The objects a node exports to other nodes: object 1, the adder (label [`ADD`]: MR0
//! + MR1, answered with the sum and this node's id; label [`ECHO`]: the message
//! registers back, as many as came), and object 2, the relay (label
//! [`RELAY`]: MR0 a node, MR1 and MR2 two numbers; it Calls that node's adder through
//! a proxy of its own and answers with what came back), which makes nested remote calls
//! (node 1 → node 2 → node 3, or back to node 1) for the worker pool to carry, and
//! object 3, the tally (a Send with label [`ADD`] adds MR0 to its total; a Call with
//! label [`READ`] answers the total), which one-way Sends reach. The adder also
//! registers itself in the cluster's name service as `adder@N` (N this node) through
//! a copy of its endpoint badged [`exported_badge`]`(N)`, so a call that reaches it by
//! that name carries that badge as seL4 delivers it (label [`BADGE`] answers the badge
//! the call came with: 0 through the unbadged object 1), and the
//! relay's label [`RELAY_BY_NAME`] finds the adder it calls by that name instead;
//! [`RELAY_KEPT`] does too but keeps the proxy of its first lookup and calls through
//! it from then on (until [`RELAY_FORGET`]): after the exporter restarts, that proxy
//! is stale and its calls fail with `ERROR_STALE`. The relay registers as `relay@N`
//! too, and its label [`CALL_SENT`] calls the endpoint cap that came with the call
//! (caps across nodes, [`crate::transfer`]). The bell: a notification exported as
//! `bell@N` through a copy badged [`bell_badge`]`(N)`, a thread counting its wake-ups,
//! which the tally's label [`READ_BELL`] reads (remote notifications,
//! [`crate::signals`]). The relay also runs the shared-frame ring of
//! [`crate::sharing`] (labels 40–42).

use crate::chain;
use crate::names::{self, Name};
use crate::service::proxy_badge;
use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use libsel4::ipc::{get_mr, set_mr};
use libsel4::{CPtr, CapRights, Error, MessageInfo, cnode, tcb};
use sel4rt::{Env, ROOT_CNODE, types};
use selvm_abi::vm::network::REMOTE_ERROR_LABEL;

/// Label of a call to an adder.
pub const ADD: u64 = 1;
/// Label of a call to a relay.
pub const RELAY: u64 = 2;
/// Label of a call reading the tally.
pub const READ: u64 = 3;
/// Label of a call the adder answers with the same message registers.
pub const ECHO: u64 = 4;
/// Label of a call to a relay that looks up `adder@MR0` by name, then calls it.
pub const RELAY_BY_NAME: u64 = 5;
/// Label of a call to a relay that calls `adder@MR0` through the proxy it kept from
/// its first lookup of that name (looking it up only when it keeps none for MR0).
pub const RELAY_KEPT: u64 = 6;
/// Label of a call to a relay: drop the proxy [`RELAY_KEPT`] kept.
pub const RELAY_FORGET: u64 = 7;
/// [`RELAY_KEPT`]'s answer when its call failed with a remote error: MR0 the error
/// code (a server may not answer with the remote error bit itself).
pub const RELAY_FAILED: u64 = 97;
/// Label of a call to a relay carrying an endpoint cap: it calls that cap with
/// [`ADD`] MR0 + MR1 and answers what came back (or [`NO_CAP`] when no cap came).
pub const CALL_SENT: u64 = 9;
/// [`CALL_SENT`]'s answer when the call carried no cap.
pub const NO_CAP: u64 = 96;
/// Label of a call reading the bell: how many times it woke, and the badge it last
/// woke with.
pub const READ_BELL: u64 = 10;
/// Label of a call to a relay: revoke the cap the adder exported as `temp@N` (its
/// exported copy, at the network service, is emptied).
pub const REVOKE_TEMP: u64 = 11;

/// The badge of the notification cap node `node` exports as `bell@N`.
pub fn bell_badge(node: u64) -> u64 {
    0xbe11_0000 | node
}
/// Label of a call the adder answers with the badge the call arrived with (MR0).
pub const BADGE: u64 = 8;

/// The badge of the endpoint cap node `node`'s adder exports by name.
pub fn exported_badge(node: u64) -> u64 {
    0xadd0_0000 | node
}

/// The relay's answer when its node number is out of range.
const BAD_NODE: u64 = 98;
/// The servers' answer to a label they do not know.
const UNKNOWN: u64 = 99;

static ADDER_EP: AtomicU64 = AtomicU64::new(0);
/// The badged copy of the adder's endpoint it registers by name.
static ADDER_EXPORT: AtomicU64 = AtomicU64::new(0);
static RELAY_EP: AtomicU64 = AtomicU64::new(0);
static TALLY_EP: AtomicU64 = AtomicU64::new(0);
static RELAY_PROXIES: AtomicU64 = AtomicU64::new(0);
/// The root slot where the relay receives the cap of a name it looks up.
static RELAY_LOOKED_UP: AtomicU64 = AtomicU64::new(0);
/// The root slot of the proxy [`RELAY_KEPT`] keeps, and the node whose adder it is
/// (0: none kept).
static RELAY_KEPT_SLOT: AtomicU64 = AtomicU64::new(0);
static RELAY_KEPT_FOR: AtomicU64 = AtomicU64::new(0);
/// The root slot where the relay receives a cap sent to it.
static RELAY_RECEIVED: AtomicU64 = AtomicU64::new(0);
/// The bell: a notification a thread waits on, its badged copy exported as `bell@N`,
/// and what the waiter saw (wake-ups, the last badge).
static BELL: AtomicU64 = AtomicU64::new(0);
static BELL_EXPORT: AtomicU64 = AtomicU64::new(0);
static BELL_RINGS: AtomicU64 = AtomicU64::new(0);
static BELL_SEEN: AtomicU64 = AtomicU64::new(0);
/// A badged copy of the adder's endpoint exported as `temp@N`, to be revoked.
static TEMP: AtomicU64 = AtomicU64::new(0);
static NODE: AtomicU64 = AtomicU64::new(0);
static NODES: AtomicU64 = AtomicU64::new(0);

/// Starts the adder, the relay and the tally of node `me` (of `nodes`); returns their
/// endpoints (objects 1, 2 and 3). `service` is the network service's endpoint, which the relay's
/// proxies are minted from.
pub fn start(env: &mut Env, me: u64, nodes: u64, service: CPtr) -> Result<[CPtr; 3], Error> {
    NODE.store(me, SeqCst);
    NODES.store(nodes, SeqCst);
    let adder = env.retype(types::ENDPOINT, 0)?;
    let relay = env.retype(types::ENDPOINT, 0)?;
    ADDER_EP.store(adder, SeqCst);
    let export = env.slots.alloc()?;
    let badge = exported_badge(me);
    cnode::mint(
        ROOT_CNODE,
        export,
        64,
        ROOT_CNODE,
        adder,
        64,
        CapRights::ALL,
        badge,
    )?;
    ADDER_EXPORT.store(export, SeqCst);
    RELAY_EP.store(relay, SeqCst);
    let tally = env.retype(types::ENDPOINT, 0)?;
    TALLY_EP.store(tally, SeqCst);
    let base = env.slots.alloc_range(nodes as usize + 1)?;
    let rights = CapRights::new(true, false, false, true);
    for p in 1..=nodes {
        let badge = proxy_badge(p, 1);
        cnode::mint(
            ROOT_CNODE,
            base + p,
            64,
            ROOT_CNODE,
            service,
            64,
            rights,
            badge,
        )?;
    }
    RELAY_PROXIES.store(base, SeqCst);
    RELAY_LOOKED_UP.store(env.slots.alloc()?, SeqCst);
    RELAY_KEPT_SLOT.store(env.slots.alloc()?, SeqCst);
    RELAY_RECEIVED.store(env.slots.alloc()?, SeqCst);
    crate::churn::prepare(env)?;
    crate::chain::prepare(env)?;
    crate::sharing::prepare(env, me)?;
    let bell = env.retype(types::NOTIFICATION, 0)?;
    let bell_export = env.slots.alloc()?;
    let badge = bell_badge(me);
    cnode::mint(
        ROOT_CNODE,
        bell_export,
        64,
        ROOT_CNODE,
        bell,
        64,
        CapRights::ALL,
        badge,
    )?;
    BELL.store(bell, SeqCst);
    let temp = env.slots.alloc()?;
    cnode::mint(
        ROOT_CNODE,
        temp,
        64,
        ROOT_CNODE,
        adder,
        64,
        CapRights::ALL,
        0x7e3b_0000 | me,
    )?;
    TEMP.store(temp, SeqCst);
    BELL_EXPORT.store(bell_export, SeqCst);
    let t = env.create_thread(ring_bell, 0, 100, 0)?;
    tcb::resume(t.tcb)?;
    for entry in [serve_adder as extern "C" fn(u64), serve_relay, serve_tally] {
        let t = env.create_thread(entry, 0, 100, 0)?;
        tcb::resume(t.tcb)?;
    }
    Ok([adder, relay, tally])
}

fn info(label: u64, length: u64) -> MessageInfo {
    MessageInfo::new(label, 0, 0, length).unwrap_or_default()
}

extern "C" fn serve_adder(_: u64) {
    let ep = ADDER_EP.load(SeqCst);
    // Known cluster-wide by name (if registering fails, the node's numbered export
    // still serves: a lookup of the name then answers no such name).
    let export = ADDER_EXPORT.load(SeqCst);
    let _ = names::register(&Name::numbered("adder@", NODE.load(SeqCst)), export);
    // The relay too, after the adder (so adder@N is object 4 on every node).
    let relay = RELAY_EP.load(SeqCst);
    let _ = names::register(&Name::numbered("relay@", NODE.load(SeqCst)), relay);
    let bell = BELL_EXPORT.load(SeqCst);
    let _ = names::register(&Name::numbered("bell@", NODE.load(SeqCst)), bell);
    let temp = TEMP.load(SeqCst);
    let _ = names::register(&Name::numbered("temp@", NODE.load(SeqCst)), temp);
    let (mut got, mut badge) = libsel4::recv(ep);
    loop {
        let answer = if got.label() == ADD && got.length() >= 2 {
            set_mr(0, get_mr(0).wrapping_add(get_mr(1)));
            set_mr(1, NODE.load(SeqCst));
            info(0, 2)
        } else if got.label() == BADGE {
            set_mr(0, badge);
            info(0, 1)
        } else if got.label() == ECHO {
            info(0, got.length() as u64) // the registers are still in the IPC buffer
        } else {
            info(UNKNOWN, 0)
        };
        (got, badge) = libsel4::reply_recv(ep, answer);
    }
}

extern "C" fn serve_relay(_: u64) {
    let ep = RELAY_EP.load(SeqCst);
    let received = RELAY_RECEIVED.load(SeqCst);
    libsel4::ipc::set_receive_path(ROOT_CNODE, received, 64);
    let (mut got, _) = libsel4::recv(ep);
    loop {
        let target = get_mr(0);
        let answer = if got.label() == CALL_SENT && got.length() >= 2 {
            if got.extra_caps() == 1 && got.caps_unwrapped() == 0 {
                let back = libsel4::call(received, info(ADD, 2));
                let (r0, r1) = (get_mr(0), get_mr(1));
                // (An invocation writes the message registers: read them first.)
                // Released (a proxy's node may drop its export; an original is not
                // released and is deleted here).
                let _ = names::release(received);
                let _ = cnode::delete(ROOT_CNODE, received, 64);
                if back.label() & REMOTE_ERROR_LABEL != 0 {
                    set_mr(0, back.label() & !REMOTE_ERROR_LABEL);
                    info(RELAY_FAILED, 1)
                } else {
                    set_mr(0, r0);
                    set_mr(1, r1);
                    info(back.label(), back.length().min(2) as u64)
                }
            } else {
                info(NO_CAP, 0)
            }
        } else if got.label() == RELAY_BY_NAME && got.length() >= 3 {
            let (a, b) = (get_mr(1), get_mr(2));
            let slot = RELAY_LOOKED_UP.load(SeqCst);
            match names::lookup(&Name::numbered("adder@", target), slot) {
                Ok(_) => {
                    set_mr(0, a);
                    set_mr(1, b);
                    let back = libsel4::call(slot, info(ADD, 2));
                    info(back.label(), back.length() as u64)
                }
                Err(label) => info(label, 0),
            }
        } else if got.label() == RELAY_KEPT && got.length() >= 3 {
            let (a, b) = (get_mr(1), get_mr(2));
            let slot = RELAY_KEPT_SLOT.load(SeqCst);
            let kept = if RELAY_KEPT_FOR.load(SeqCst) == target {
                Ok((0, 0))
            } else {
                names::lookup(&Name::numbered("adder@", target), slot)
            };
            match kept {
                Ok(_) => {
                    RELAY_KEPT_FOR.store(target, SeqCst);
                    set_mr(0, a);
                    set_mr(1, b);
                    let back = libsel4::call(slot, info(ADD, 2));
                    if back.label() & REMOTE_ERROR_LABEL != 0 {
                        set_mr(0, back.label() & !REMOTE_ERROR_LABEL);
                        info(RELAY_FAILED, 1)
                    } else {
                        info(back.label(), back.length() as u64)
                    }
                }
                Err(label) => {
                    set_mr(0, label & !REMOTE_ERROR_LABEL);
                    info(RELAY_FAILED, 1)
                }
            }
        } else if got.label() == crate::churn::CHURN && got.length() >= 2 {
            let (ep, me) = (ADDER_EP.load(SeqCst), NODE.load(SeqCst));
            match crate::churn::run(ep, me, target, get_mr(1)) {
                Ok(right) => {
                    set_mr(0, right);
                    info(0, 1)
                }
                Err(label) => {
                    set_mr(0, label & !REMOTE_ERROR_LABEL);
                    info(RELAY_FAILED, 1)
                }
            }
        } else if got.label() == chain::KEEP && got.extra_caps() == 1 {
            chain::keep(received, target)
        } else if got.label() == chain::SEND_TEMP && got.length() >= 2 {
            chain::pass(TEMP.load(SeqCst), target, get_mr(1))
        } else if got.label() == chain::CALL_KEPT && got.length() >= 2 {
            chain::call_kept(get_mr(0), get_mr(1))
        } else if got.label() == chain::RELEASE_KEPT {
            chain::release_kept()
        } else if got.label() == REVOKE_TEMP {
            // Revoking the cap deletes what was derived from it: the service's export.
            let revoked = cnode::revoke(ROOT_CNODE, TEMP.load(SeqCst), 64).is_ok();
            info(u64::from(!revoked), 0)
        } else if let Some(answer) = crate::sharing::serve(got.label(), got.length()) {
            answer
        } else if got.label() == RELAY_FORGET {
            RELAY_KEPT_FOR.store(0, SeqCst);
            info(0, 0)
        } else if got.label() != RELAY || got.length() < 3 {
            info(UNKNOWN, 0)
        } else if target == 0 || target > NODES.load(SeqCst) {
            info(BAD_NODE, 0)
        } else {
            let (a, b) = (get_mr(1), get_mr(2));
            set_mr(0, a);
            set_mr(1, b);
            // The adder's answer (or the remote error) is in the IPC buffer as it came.
            let back = libsel4::call(RELAY_PROXIES.load(SeqCst) + target, info(ADD, 2));
            info(back.label(), back.length() as u64)
        };
        // (A lookup above set its own receive path and cleared it.)
        libsel4::ipc::set_receive_path(ROOT_CNODE, received, 64);
        (got, _) = libsel4::reply_recv(ep, answer);
    }
}

/// The bell's waiter: counts its wake-ups and keeps the badge of the last.
extern "C" fn ring_bell(_: u64) {
    let bell = BELL.load(SeqCst);
    loop {
        let badge = libsel4::wait(bell);
        BELL_SEEN.store(badge, SeqCst);
        BELL_RINGS.fetch_add(1, SeqCst);
    }
}

extern "C" fn serve_tally(_: u64) {
    let ep = TALLY_EP.load(SeqCst);
    let mut total = 0u64;
    loop {
        // Recv, then Reply when it was a Call: a Send leaves no one to answer.
        let (got, _) = libsel4::recv(ep);
        match got.label() {
            ADD if got.length() >= 1 => total = total.wrapping_add(get_mr(0)),
            READ => {
                set_mr(0, total);
                libsel4::reply(info(0, 1));
            }
            READ_BELL => {
                set_mr(0, BELL_RINGS.load(SeqCst));
                set_mr(1, BELL_SEEN.load(SeqCst));
                libsel4::reply(info(0, 2));
            }
            _ => libsel4::reply(info(UNKNOWN, 0)),
        }
    }
}
