//! Scenario tests of CSpace addressing and the derivation tree: multi-level
//! resolution through guards and its exact lookup failures, cap faults, Delete
//! and Revoke of derived caps, recursive deletion of CNodes (nested, and
//! cycles through the root thread), zombies, and preempted deletes that end as
//! uninterrupted ones do.

mod common;

use common::*;
use selvm_abi::{CPtr, InvocationLabel as L, LookupFault, ObjectType as T, Word};
use selvm_kernel::cap::Cap;
use selvm_kernel::slot::SlotRef;
use selvm_kernel::{Outcome, SyscallError as E};

/// An endpoint (slots up to EP + 7 are for objects).
const EP: CPtr = FREE;
/// Free destination slots.
const D: CPtr = FREE + 8;
/// CNodes.
const X: CPtr = FREE + 16;
/// The root thread's cap.
const TCB: CPtr = selvm_abi::boot::CAP_INIT_THREAD_TCB;
/// A flat (guard-less) copy of the root CNode.
const F: CPtr = FREE + 24;

/// Flat root at F, A (radix 4) at X, and B (radix 3, guard 0b101 of 3 bits)
/// in A[2], so R' → A[2] → B[j] is `b_addr(j)` at depth 8 + 4 + 3 + 3.
fn three_levels(s: &mut Sys<'_, '_>) {
    s.flat_root(F);
    s.make(T::Endpoint, 0, EP, 1);
    s.make(T::CNode, 4, X, 1);
    s.make(T::CNode, 3, X + 1, 1);
    ok(s.mutate(X + 2, X + 1, guard_data(3, 0b101)));
    ok(s.c.move_(s.k, X, 2, 4, ROOT, X + 2, 64));
}

const fn b_addr(j: Word) -> Word {
    (X << 10) | (2 << 6) | (0b101 << 3) | j
}

/// Slot `j` of B.
fn b_slot(s: &Sys<'_, '_>, j: Word) -> SlotRef {
    cnode_base_of(s.cap_at(s.inner(X, 2))).offset(j)
}

fn cnode_base_of(c: Cap) -> SlotRef {
    SlotRef(c.region().expect("a CNode").0)
}

#[test]
fn invoking_an_empty_slot_is_invalid_capability_0() {
    run(|s| {
        err(
            s.op_at(L::CNodeDelete, D, 0, 1),
            E::InvalidCapability { cap: 0 },
            2,
            &[0],
        );
        let o = s.c.retype(s.k, D, T::Endpoint, 0, ROOT, 0, 0, D + 1, 1);
        err(o, E::InvalidCapability { cap: 0 }, 2, &[0]);
    });
}

/// Asserts a cap fault at `cptr` with a guard mismatch at the root (guard 0 of 56 bits).
#[track_caller]
fn root_guard_fault(o: Outcome, at: Word) {
    let Outcome::CapFault { cptr, fault } = o else {
        panic!("{o:?}")
    };
    assert_eq!(cptr, at);
    assert!(matches!(
        fault,
        LookupFault::GuardMismatch {
            bits_left: 64,
            bits_found: 56,
            ..
        }
    ));
    // seL4 reports the guard of the CNode cap (capGuard), not bits of the address.
    let expected = LookupFault::GuardMismatch {
        bits_left: 64,
        guard_found: 0,
        bits_found: 56,
    };
    assert_eq!(fault, expected);
}

#[test]
fn an_invoked_address_that_does_not_resolve_is_a_cap_fault() {
    run(|s| {
        root_guard_fault(
            s.op_at(L::CNodeDelete, (1 << 63) | ROOT, D, 64),
            (1 << 63) | ROOT,
        )
    });
}

#[test]
fn an_extra_cap_address_that_does_not_resolve_is_a_cap_fault() {
    run(|s| {
        s.make(T::Endpoint, 0, EP, 1);
        let bad = (1 << 62) | ROOT;
        root_guard_fault(s.c.copy(s.k, ROOT, D, 64, bad, EP, 64, ALL), bad);
        assert!(s.empty(D));
    });
}

#[test]
fn multi_level_addresses_resolve_through_guards() {
    run(|s| {
        three_levels(s);
        ok(s.c.copy(s.k, F, b_addr(5), 18, ROOT, EP, 64, ALL));
        assert_eq!(s.cap_at(b_slot(s, 5)), s.cap(EP));
        // The same CNode reached from A directly, and named as a source.
        ok(s.c.copy(
            s.k,
            X,
            (2 << 6) | (0b101 << 3) | 6,
            10,
            F,
            b_addr(5),
            18,
            ALL,
        ));
        assert_eq!(s.cap_at(b_slot(s, 6)), s.cap(EP));
        assert_eq!(s.mdb_at(b_slot(s, 6)).prev, Some(b_slot(s, 5)));
        ok(s.op_at(L::CNodeDelete, F, b_addr(5), 18));
        assert!(s.cap_at(b_slot(s, 5)).is_null());
    });
}

#[test]
fn a_guard_mismatch_deep_in_the_path_reports_that_cnodes_guard() {
    run(|s| {
        three_levels(s);
        let wrong = (X << 10) | (2 << 6) | (0b011 << 3) | 5;
        let o = s.op_at(L::CNodeDelete, F, wrong, 18);
        err(o, guard(false, 6, 0b101, 3), 6, &[0, 4, 6, 5, 3]);
        // Two bits left for a three-bit guard.
        let o = s.op_at(L::CNodeDelete, F, b_addr(5) >> 4, 14);
        err(o, guard(false, 2, 0b101, 3), 6, &[0, 4, 2, 5, 3]);
    });
}

#[test]
fn a_depth_ending_inside_a_level_is_a_depth_mismatch() {
    run(|s| {
        three_levels(s);
        let o = s.op_at(L::CNodeRevoke, F, b_addr(5) >> 3, 15);
        err(o, depth(false, 3, 6), 6, &[0, 3, 3, 6]);
        let o = s.c.copy(s.k, ROOT, D, 64, F, b_addr(5) >> 3, 15, ALL);
        err(o, depth(true, 3, 6), 6, &[1, 3, 3, 6]);
    });
}

#[test]
fn destination_depth_mismatches_at_cnodes_and_at_other_caps() {
    run(|s| {
        s.make(T::Endpoint, 0, EP, 1);
        s.make(T::CNode, 4, EP + 1, 1);
        s.flat_root(D);
        let o = s.op_at(L::CNodeDelete, D, (EP + 1) << 2, 10);
        err(o, depth(false, 2, 4), 6, &[0, 3, 2, 4]);
        // Bits left over at an endpoint or an empty slot: bitsFound 0.
        for at in [EP, D + 1] {
            let o = s.op_at(L::CNodeDelete, D, at << 4, 12);
            err(o, depth(false, 4, 0), 6, &[0, 3, 4, 0]);
        }
    });
}

#[test]
fn a_depth_ending_at_a_cnode_cap_names_its_slot() {
    run(|s| {
        three_levels(s);
        ok(s.c.copy(s.k, ROOT, D, 64, F, X, 8, ALL));
        assert_eq!(s.cap(D), s.cap(X));
        ok(s.c.copy(s.k, ROOT, D + 1, 64, F, (X << 4) | 2, 12, ALL));
        assert_eq!(s.cap(D + 1), s.cap_at(s.inner(X, 2)));
        assert!(matches!(
            s.cap(D + 1),
            Cap::CNode {
                radix: 3,
                guard_size: 3,
                guard: 0b101,
                ..
            }
        ));
    });
}

#[test]
fn delete_of_a_non_final_cap_leaves_the_object() {
    run(|s| {
        let ut = s.untyped(12);
        ok(s.retype(ut, T::Endpoint, 0, EP, 1));
        ok(s.copy(D, EP, ALL));
        let ep = s.cap(EP);
        ok(s.op(L::CNodeDelete, EP));
        assert_eq!((s.cap(EP), s.cap(D), s.prev(D)), (Cap::Null, ep, Some(ut)));
        // The untyped still has a child, so the next object is appended, not reset.
        ok(s.retype(ut, T::Endpoint, 0, EP, 1));
        assert_eq!((s.ptr(EP), s.watermark(ut)), (s.ptr(D) + 16, 32));
        ok(s.op(L::CNodeDelete, D + 1));
    });
}

#[test]
fn revoke_deletes_every_descendant_and_keeps_the_cap() {
    run(|s| {
        let ut = s.untyped(12);
        ok(s.retype(ut, T::Endpoint, 0, EP, 3));
        ok(s.copy(D, EP, ALL));
        ok(s.copy(D + 1, EP, ALL));
        // A plain copy is not revocable: revoking it removes nothing.
        ok(s.op(L::CNodeRevoke, D + 1));
        assert!(!s.empty(D) && !s.empty(D + 1));
        ok(s.op(L::CNodeRevoke, ut));
        assert!([EP, EP + 1, EP + 2, D, D + 1].iter().all(|&i| s.empty(i)));
        assert_eq!((s.watermark(ut), s.next(ut)), (48, None));
        ok(s.op(L::CNodeRevoke, D + 2));
    });
}

#[test]
fn deleting_a_badged_original_passes_first_badged_to_the_next_cap() {
    run(|s| {
        s.make(T::Endpoint, 0, EP, 1);
        ok(s.mint(D, EP, ALL, 7));
        ok(s.copy(D + 1, D, ALL));
        ok(s.op(L::CNodeDelete, D));
        let n = s.mdb(D + 1);
        assert_eq!(
            (n.prev, n.revocable, n.first_badged),
            (Some(s.slot(EP)), false, true)
        );
        // A new badge-7 original does not adopt the older badge-7 cap.
        ok(s.mint(D + 2, EP, ALL, 7));
        assert_eq!((s.next(EP), s.next(D + 2)), (Some(D + 2), Some(D + 1)));
        ok(s.op(L::CNodeRevoke, D + 2));
        assert!(!s.empty(D + 1));
        ok(s.op(L::CNodeRevoke, EP));
        assert!(s.empty(D + 1) && s.empty(D + 2));
    });
}

#[test]
fn a_moved_untyped_keeps_its_children() {
    run(|s| {
        let ut = s.untyped(12);
        ok(s.retype(ut, T::Endpoint, 0, EP, 2));
        ok(s.mv(D, ut));
        assert_eq!((s.next(D), s.prev(EP + 1)), (Some(EP + 1), Some(D)));
        ok(s.op(L::CNodeRevoke, D));
        assert!(s.empty(EP) && s.empty(EP + 1) && s.empty(ut));
        assert_eq!(s.watermark(D), 32);
    });
}

#[test]
fn revoking_or_deleting_a_cnode_copy_keeps_the_contents() {
    run(|s| {
        s.make(T::CNode, 4, X, 1);
        ok(s.copy(D, X, ALL));
        ok(s.copy(D + 1, X, ALL));
        s.make(T::Endpoint, 0, EP, 1);
        ok(s.c.copy(s.k, X, 0, 4, ROOT, EP, 64, ALL));
        ok(s.op(L::CNodeDelete, D));
        ok(s.op(L::CNodeRevoke, X));
        assert!(s.empty(D + 1) && !s.empty(X));
        assert_eq!(s.cap_at(s.inner(X, 0)), s.cap(EP));
    });
}

/// C1 (radix 4) at X holds in slot 1 the only cap to C2, whose slot 1 holds
/// the only cap to C3; each holds eight endpoints in slots 8..16, and root
/// slot EP keeps a copy of C3's first endpoint.
fn nested(s: &mut Sys<'_, '_>) {
    s.make(T::CNode, 4, X, 3);
    let ut = s.untyped(14);
    for i in 0..3 {
        ok(s.c.retype(s.k, ut, T::Endpoint, 0, ROOT, X + i, 64, 8, 8));
    }
    ok(s.c.copy(s.k, ROOT, EP, 64, X + 2, 8, 4, ALL));
    ok(s.c.move_(s.k, X + 1, 1, 4, ROOT, X + 2, 64));
    ok(s.c.move_(s.k, X, 1, 4, ROOT, X + 1, 64));
}

#[test]
fn deleting_the_last_cap_of_a_cnode_deletes_nested_cnodes_and_their_caps() {
    run(|s| {
        nested(s);
        let c2 = s.cap_at(s.inner(X, 1));
        let c3 = s.cap_at(cnode_base_of(c2).offset(1));
        let objects = [s.ptr(X), c2.region().unwrap().0, c3.region().unwrap().0];
        let (ut, big) = (s.untyped(14), s.big());
        ok(s.op(L::CNodeDelete, X));
        assert!(s.empty(X) && matches!(s.cap(EP), Cap::Endpoint { .. }));
        assert!(objects.iter().all(|&p| s.k.memory().is_zero(p, 1 << 9)));
        // The big untyped keeps at most the 14-bit untyped carved from it.
        assert!(s.next(big).is_none() || s.next(big) == Some(ut));
        assert_eq!((s.next(ut), s.next(EP)), (Some(EP), None));
        // The endpoint that still has a cap keeps the untyped from resetting.
        ok(s.retype(ut, T::Endpoint, 0, D, 1));
        assert_eq!(s.ptr(D) - s.ptr(ut), 24 * 16);
    });
}

/// Asserts that the root CNode, the root thread and the CNodes at `cnodes`
/// (radix 4) are all empty, and that the caller can no longer name anything.
#[track_caller]
fn all_gone(s: &mut Sys<'_, '_>, cnodes: &[u64]) {
    assert!((0..256).all(|i| s.empty(i)));
    let tcb = SlotRef(s.b.root_tcb);
    assert!((0..5).all(|i| s.cap_at(tcb.offset(i)).is_null()));
    assert!(
        cnodes
            .iter()
            .all(|&p| (0..16).all(|i| s.cap_at(SlotRef(p).offset(i)).is_null()))
    );
    let o = s.op_at(L::CNodeDelete, X, 0, 4);
    assert_eq!(
        o,
        Outcome::CapFault {
            cptr: X,
            fault: LookupFault::InvalidRoot
        }
    );
}

#[test]
fn deleting_a_thread_whose_cspace_holds_its_only_cap_deletes_both() {
    run(|s| {
        s.make(T::CNode, 4, X, 1);
        let a = s.ptr(X);
        // A (in R) holds the thread's only cap; the thread's CSpace root holds R's only cap.
        ok(s.c.move_(s.k, X, 0, 4, ROOT, TCB, 64));
        ok(s.op(L::CNodeDelete, ROOT));
        assert!(matches!(s.cap_at(SlotRef(s.b.root_tcb)), Cap::CNode { .. }));
        // Deleting its own last thread cap suspends the caller: no reply.
        assert_eq!(s.op_at(L::CNodeDelete, X, 0, 4), Outcome::NoReply);
        all_gone(s, &[a]);
    });
}

#[test]
fn a_cnode_whose_last_cap_ends_up_inside_itself_is_still_deleted() {
    run(|s| {
        s.make(T::CNode, 4, X, 2);
        let (a, b) = (s.ptr(X), s.ptr(X + 1));
        // R[X] → A, A[0] → B, B[0] → the thread, the thread's CSpace root → R:
        // each the only cap to its object. Deleting A[0] empties A and R while
        // B's zombie waits, so B's zombie finally sits in B's own slot.
        ok(s.c.move_(s.k, X + 1, 0, 4, ROOT, TCB, 64));
        ok(s.c.move_(s.k, X, 0, 4, ROOT, X + 1, 64));
        ok(s.op(L::CNodeDelete, ROOT));
        // The caller's own TCB goes too, so it is suspended: no reply.
        assert_eq!(s.op_at(L::CNodeDelete, X, 0, 4), Outcome::NoReply);
        all_gone(s, &[a, b]);
    });
}

/// A radix-6 CNode at X full of endpoints.
fn full_cnode(s: &mut Sys<'_, '_>) {
    s.make(T::CNode, 6, X, 1);
    let ut = s.untyped(14);
    ok(s.c.retype(s.k, ut, T::Endpoint, 0, ROOT, X, 64, 0, 64));
}

#[test]
fn deleting_a_full_cnode_is_preemptible() {
    let n = assert_restartable(5, full_cnode, |s| s.op(L::CNodeDelete, X));
    assert!(n >= 12, "only {n} preemptions");
}

#[test]
fn deleting_nested_cnodes_is_preemptible() {
    assert_restartable(4, nested, |s| s.op(L::CNodeDelete, X));
}

#[test]
fn a_preempted_delete_leaves_a_zombie_that_cannot_be_used() {
    run(|s| {
        full_cnode(s);
        let c = no_restart(s.b);
        s.k.preemption().force_every(3);
        assert_eq!(
            c.slot_op(s.k, L::CNodeDelete, ROOT, X, 64),
            Outcome::Preempted
        );
        assert!(matches!(s.cap(X), Cap::Zombie { .. }));
        check(s.k);
        err(
            s.op_at(L::CNodeDelete, X, 0, 6),
            E::InvalidCapability { cap: 0 },
            2,
            &[0],
        );
        illegal(s.copy(D, X, ALL));
        illegal(s.mint(D, X, ALL, 0));
        assert!(s.empty(D));
        s.k.preemption().force_every(0);
        ok(c.slot_op(s.k, L::CNodeDelete, ROOT, X, 64));
        let ut = s.untyped(14);
        assert!(s.empty(X) && s.next(ut).is_none());
    });
}

#[test]
fn a_caller_suspended_by_its_own_preempted_delete_is_not_restarted() {
    run(|s| {
        // Deleting the only cap to the caller's own TCB suspends the caller; the
        // delete is then preempted. A suspended thread never runs again, so its
        // syscall is never restarted: the TCB stays a Zombie, the caller Inactive.
        s.k.preemption().force_every(1);
        let o = s.op(L::CNodeDelete, TCB);
        s.k.preemption().force_every(0);
        assert_eq!(o, Outcome::Preempted);
        assert!(matches!(s.cap(TCB), Cap::Zombie { .. }));
        assert_eq!(
            s.k.thread_state(s.b.root_tcb),
            selvm_kernel::object::tcb::ThreadState::Inactive
        );
        assert_ne!(s.k.current_thread(), s.b.root_tcb);
    });
}
