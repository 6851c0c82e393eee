//! Node 1's checks of capabilities across nodes ([`crate::transfer`]), run by the demo
//! client: it looks up node 2's relay (`relay@2`, a proxy with Grant) and sends it
//! caps with [`CALL_SENT`]: its own adder's endpoint (node 2 receives a working proxy
//! and calls node 1's adder through it), and a proxy for node 2's adder (back home it
//! arrives as node 2's original endpoint and is called there). Then it restricts the
//! relay proxy to no rights: through it no cap travels (seL4 transfers caps only
//! through a cap with Grant), and restricting that again with Grant asked for gives no
//! Grant back. And Mint by a remote holder: minting a new badge onto a proxy is refused
//! with seL4's own error (IllegalOperation: no badged endpoint cap takes a new badge).
//! Each step printed; the number of wrong outcomes returned.

use crate::names::{self, Name};
use crate::print::{Part::*, line};
use crate::servers::{ADD, CALL_SENT, NO_CAP};
use crate::transfer::RIGHT_GRANT;
use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use libsel4::{CPtr, CapRights, Error, MessageInfo, cnode};
use sel4rt::{Env, ROOT_CNODE};
use selvm_abi::vm::network::{ERROR_REVOKED, REMOTE_ERROR_LABEL};

/// Root slots: the relay proxy, node 1's adder, node 2's adder proxy, and the relay
/// proxy restricted once and twice.
static SLOTS: AtomicU64 = AtomicU64::new(0);

/// Takes the slots the checks use.
pub fn prepare(env: &mut Env) -> Result<(), Error> {
    SLOTS.store(env.slots.alloc_range(8)?, SeqCst);
    Ok(())
}

/// Calls `relay` with [`CALL_SENT`], `a` and `b`, sending `cap`: (label, MR0, MR1).
fn send_cap(relay: CPtr, cap: CPtr, a: u64, b: u64) -> (u64, u64, u64) {
    libsel4::ipc::set_mr(0, a);
    libsel4::ipc::set_mr(1, b);
    libsel4::ipc::set_cap(0, cap);
    let info = MessageInfo::new(CALL_SENT, 0, 1, 2).unwrap_or_default();
    let got = libsel4::call(relay, info);
    let (r0, r1) = (libsel4::ipc::get_mr(0), libsel4::ipc::get_mr(1));
    (got.label(), r0, r1)
}

/// Runs the checks (node 2 must be up and have registered its names); wrong outcomes.
pub fn check(looked_up: impl Fn(&str, u64, CPtr) -> bool) -> u64 {
    let base = SLOTS.load(SeqCst);
    let (relay, adder1, adder2, none, again) = (base, base + 1, base + 2, base + 3, base + 4);
    if !(looked_up("relay@", 2, relay) && looked_up("adder@", 1, adder1))
        || !looked_up("adder@", 2, adder2)
    {
        line(&[T("caps across nodes: the names never came")]);
        return 1;
    }
    let mut wrong = 0;
    let (label, sum, by) = send_cap(relay, adder1, 7, 8);
    line(&[
        T("node 2 called the endpoint node 1 sent it: label "),
        N(label),
        T(", 7 + 8 = "),
        N(sum),
        T(" (from node "),
        N(by),
        T(")"),
    ]);
    wrong += u64::from((label, sum, by) != (0, 15, 1));
    let (label, sum, by) = send_cap(relay, adder2, 5, 6);
    line(&[
        T("node 2 got its own adder back as the original: label "),
        N(label),
        T(", 5 + 6 = "),
        N(sum),
        T(" (from node "),
        N(by),
        T(")"),
    ]);
    wrong += u64::from((label, sum, by) != (0, 11, 2));
    let restricted = names::restrict(relay, 0, none).is_ok();
    let (label, _, _) = send_cap(none, adder2, 1, 2);
    line(&[
        T("through the relay proxy restricted to no rights no cap travels: label "),
        N(label),
    ]);
    wrong += u64::from(!restricted || label != NO_CAP);
    let again_made = names::restrict(none, RIGHT_GRANT, again).is_ok();
    let (label, _, _) = send_cap(again, adder2, 1, 2);
    line(&[
        T("restricted again asking for Grant, still none: label "),
        N(label),
    ]);
    wrong += u64::from(!again_made || label != NO_CAP);
    let _ = cnode::delete(ROOT_CNODE, again, 64);
    let minted = cnode::mint(
        ROOT_CNODE,
        again,
        64,
        ROOT_CNODE,
        adder2,
        64,
        CapRights::ALL,
        5,
    );
    let refused = minted == Err(Error::IllegalOperation);
    line(&[
        T("minting a new badge onto a proxy: "),
        T(if refused {
            "refused (IllegalOperation)"
        } else {
            "not refused"
        }),
    ]);
    wrong += u64::from(!refused);
    wrong
}

/// Revocation: looks `temp@2` up and copies the proxy, calls it, has node 2 revoke the
/// exported cap (`revoke`), and calls again: the call answers `ERROR_REVOKED`, and
/// node 1's service has emptied the proxy and its copy. Wrong outcomes.
pub fn revocation(revoke: impl Fn() -> bool, late: impl Fn() -> bool) -> u64 {
    let base = SLOTS.load(SeqCst);
    let (proxy, copy, probe) = (base + 6, base + 7, base + 4);
    if !look_up("temp@", 2, proxy, late) {
        line(&[T("temp@2 never came")]);
        return 1;
    }
    let _ = cnode::delete(ROOT_CNODE, copy, 64);
    let copied = cnode::copy(ROOT_CNODE, copy, 64, ROOT_CNODE, proxy, 64, CapRights::ALL);
    let add = |a: u64, b: u64| {
        libsel4::ipc::set_mr(0, a);
        libsel4::ipc::set_mr(1, b);
        let got = libsel4::call(proxy, MessageInfo::new(ADD, 0, 0, 2).unwrap_or_default());
        (got.label(), libsel4::ipc::get_mr(0))
    };
    let before = add(1, 2);
    let revoked = revoke();
    let (after, _) = add(3, 4);
    let empty = |slot: CPtr| {
        let c = cnode::copy(ROOT_CNODE, probe, 64, ROOT_CNODE, slot, 64, CapRights::ALL);
        let _ = cnode::delete(ROOT_CNODE, probe, 64);
        c == Err(Error::FailedLookup)
    };
    let emptied = empty(proxy) && empty(copy);
    line(&[
        T("temp@2 answered 1 + 2 = "),
        N(before.1),
        T("; revoked on node 2, a call answers label REMOTE_ERROR_LABEL | "),
        N(after & !REMOTE_ERROR_LABEL),
        T(if emptied {
            ", and the proxy and its copy here are empty"
        } else {
            ", but the proxy or its copy here is not empty"
        }),
    ]);
    let right = copied.is_ok() && before == (0, 3) && revoked;
    u64::from(!(right && after == REMOTE_ERROR_LABEL | ERROR_REVOKED && emptied))
}

/// Looks node `node`'s `bell@N` (a notification) up as a signal proxy and Signals it
/// `times` times (none blocks); whether the name came before `late`.
pub fn ring(node: u64, times: u64, late: impl Fn() -> bool) -> bool {
    let slot = SLOTS.load(SeqCst) + 5;
    let name = Name::numbered("bell@", node);
    while names::lookup_signal(&name, slot).is_err() {
        if late() {
            return false;
        }
    }
    for _ in 0..times {
        libsel4::signal(slot);
    }
    true
}

/// Looks `text` + `n` up into `into`, retrying for a while (names spread between
/// replicas); whether it came.
pub fn look_up(text: &str, n: u64, into: CPtr, until: impl Fn() -> bool) -> bool {
    let name = Name::numbered(text, n);
    loop {
        if names::lookup(&name, into).is_ok() {
            return true;
        }
        if until() {
            return false;
        }
    }
}
