//! The three-node chain of the revocation test: the relay's label [`SEND_TEMP`] (MR0
//! a node, MR1 the next) sends `temp@N`'s cap (the adder's badged copy the relay's
//! label `REVOKE_TEMP` revokes) to that node's relay with [`KEEP`]; a relay given a
//! cap with [`KEEP`] keeps it (one at a time) and, when MR0 names a next node, passes
//! its proxy on there with [`KEEP`] too; [`CALL_KEPT`] calls the kept cap with `ADD`
//! MR0 + MR1 and answers what came back (a remote error as `RELAY_FAILED`, MR0 its
//! code); [`RELEASE_KEPT`] releases the kept cap (its weight goes home).

use crate::names::{self, Name};
use crate::servers::{ADD, NO_CAP, RELAY_FAILED};
use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use libsel4::ipc::{set_cap, set_mr};
use libsel4::{CPtr, CapRights, Error, MessageInfo, cnode};
use sel4rt::{Env, ROOT_CNODE};
use selvm_abi::vm::network::REMOTE_ERROR_LABEL;

/// Label of a call to a relay: send `temp@N` on (above).
pub const SEND_TEMP: u64 = 13;
/// Label of a call to a relay carrying a cap: keep it, and pass it on to MR0 if not 0.
pub const KEEP: u64 = 14;
/// Label of a call to a relay: call the kept cap.
pub const CALL_KEPT: u64 = 15;

/// Label of a call to a relay: release the kept cap ([`crate::names::release`]).
pub const RELEASE_KEPT: u64 = 19;

/// The root slots of the kept cap and of the next relay's proxy.
static KEPT: AtomicU64 = AtomicU64::new(0);
static PROXY: AtomicU64 = AtomicU64::new(0);

/// Takes the slots the chain uses.
pub fn prepare(env: &mut Env) -> Result<(), Error> {
    KEPT.store(env.slots.alloc()?, SeqCst);
    PROXY.store(env.slots.alloc()?, SeqCst);
    Ok(())
}

fn info(label: u64, length: u64) -> MessageInfo {
    MessageInfo::new(label, 0, 0, length).unwrap_or_default()
}

/// Sends `cap` with [`KEEP`] and `next` to `relay@node`: the answer's label.
pub fn pass(cap: CPtr, node: u64, next: u64) -> MessageInfo {
    let proxy = PROXY.load(SeqCst);
    if let Err(label) = names::lookup(&Name::numbered("relay@", node), proxy) {
        set_mr(0, label & !REMOTE_ERROR_LABEL);
        return info(RELAY_FAILED, 1);
    }
    set_mr(0, next);
    set_cap(0, cap);
    let back = libsel4::call(proxy, MessageInfo::new(KEEP, 0, 1, 1).unwrap_or_default());
    info(back.label(), back.length() as u64)
}

/// Keeps the cap in `received` (the one kept before goes) and passes it on to
/// `next` when not 0.
pub fn keep(received: CPtr, next: u64) -> MessageInfo {
    let kept = KEPT.load(SeqCst);
    let _ = cnode::delete(ROOT_CNODE, kept, 64);
    let moved = cnode::copy(
        ROOT_CNODE,
        kept,
        64,
        ROOT_CNODE,
        received,
        64,
        CapRights::ALL,
    );
    let _ = cnode::delete(ROOT_CNODE, received, 64);
    match (moved, next) {
        (Err(_), _) => info(NO_CAP, 0),
        (Ok(()), 0) => info(0, 0),
        (Ok(()), next) => pass(kept, next, 0),
    }
}

/// Calls the kept cap with `ADD` `a` + `b`.
pub fn call_kept(a: u64, b: u64) -> MessageInfo {
    set_mr(0, a);
    set_mr(1, b);
    let back = libsel4::call(KEPT.load(SeqCst), info(ADD, 2));
    if back.label() & REMOTE_ERROR_LABEL != 0 {
        set_mr(0, back.label() & !REMOTE_ERROR_LABEL);
        return info(RELAY_FAILED, 1);
    }
    info(back.label(), back.length() as u64)
}

/// Releases the kept cap: label 0, or `RELAY_FAILED` with the error's code.
pub fn release_kept() -> MessageInfo {
    match names::release(KEPT.load(SeqCst)) {
        Ok(()) => info(0, 0),
        Err(label) => {
            set_mr(0, label & !REMOTE_ERROR_LABEL);
            info(RELAY_FAILED, 1)
        }
    }
}
