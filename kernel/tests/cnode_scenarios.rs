//! Scenario tests of CNode invocations: every decode error in seL4's check
//! order with its exact reply (label and message registers), and what Copy,
//! Mint, Move, Mutate, Rotate, CancelBadgedSends and SaveCaller do to caps and
//! the derivation tree.

mod common;

use common::*;
use selvm_abi::{CPtr, CapRights, InvocationLabel as L, LookupFault, ObjectType as T, Word};
use selvm_kernel::cap::Cap;
use selvm_kernel::slot::{MdbNode, SlotRef};
use selvm_kernel::{Outcome, SyscallError as E};
use selvm_kernel_testkit::msg;

/// Slot of the endpoint most tests make (slots up to EP + 7 are for objects).
const EP: CPtr = FREE;
/// First of the free destination slots.
const D: CPtr = FREE + 8;
const COPY_FAMILY: [L; 4] = [L::CNodeCopy, L::CNodeMint, L::CNodeMove, L::CNodeMutate];
const RW: CapRights = CapRights::new(false, false, true, true);

/// A full Copy-family message from root slot `src` (at `src_depth`) to root slot `dest`.
fn family(s: &mut Sys<'_, '_>, label: L, dest: CPtr, src: CPtr, src_depth: Word) -> Outcome {
    s.send(ROOT, label, &[dest, 64, src, src_depth, 15, 0], &[ROOT])
}

fn node(prev: SlotRef, next: Option<SlotRef>, revocable: bool) -> MdbNode {
    let first_badged = revocable;
    MdbNode {
        prev: Some(prev),
        next,
        revocable,
        first_badged,
    }
}

#[test]
fn labels_outside_the_cnode_range_are_illegal_operations() {
    run(|s| {
        for label in [0, 1, 15, 25, 37, 1000] {
            illegal(s.raw(ROOT, label, &[D, 64, D + 1, 64, 15, 0, 0, 0], &[ROOT, ROOT]));
        }
    });
}

#[test]
fn fewer_than_two_registers_is_a_truncated_message() {
    run(|s| {
        for label in 16..=24 {
            truncated(s.raw(ROOT, label, &[D], &[ROOT, ROOT]));
            truncated(s.raw(ROOT, label, &[], &[]));
        }
    });
}

#[test]
fn destination_depth_must_be_1_to_64_and_is_checked_first() {
    run(|s| {
        for depth in [0, 65, u64::MAX] {
            bad_depth(s.op_at(L::CNodeDelete, ROOT, D, depth));
        }
        // The destination is looked up before the Copy family's own length check.
        bad_depth(s.send(ROOT, L::CNodeCopy, &[D, 0], &[]));
    });
}

#[test]
fn destination_guard_mismatch_reports_the_cnode_caps_guard() {
    // seL4 resolveAddressBits: lookup_fault_guard_mismatch_new(capGuard, n_bits, guardBits),
    // so guardFound is the guard stored in the CNode cap (0 for the root), not address bits.
    run(|s| {
        let o = s.op_at(L::CNodeDelete, ROOT, (1 << 60) | D, 64);
        err(o, guard(false, 64, 0, 56), 6, &[0, 4, 64, 0, 56]);
    });
}

#[test]
fn destination_depth_shorter_than_the_guard_is_a_guard_mismatch() {
    run(|s| {
        let o = s.op_at(L::CNodeRevoke, ROOT, D, 32);
        err(o, guard(false, 32, 0, 56), 6, &[0, 4, 32, 0, 56]);
    });
}

#[test]
fn copy_family_needs_four_registers_and_a_source_root() {
    run(|s| {
        s.make(T::Endpoint, 0, EP, 1);
        for label in COPY_FAMILY {
            truncated(s.send(ROOT, label, &[D, 64, EP], &[ROOT]));
            truncated(s.send(ROOT, label, &[D, 64, EP, 64, 15, 0], &[]));
        }
        assert!(s.empty(D));
    });
}

#[test]
fn a_full_destination_is_reported_before_source_and_length_problems() {
    run(|s| {
        s.make(T::Endpoint, 0, EP, 1);
        for label in COPY_FAMILY {
            delete_first(family(s, label, EP, D, 0));
            delete_first(s.send(ROOT, label, &[EP, 64, EP, 64], &[ROOT]));
        }
    });
}

#[test]
fn source_lookup_failures_are_reported_as_the_source() {
    run(|s| {
        s.make(T::Endpoint, 0, EP, 1);
        s.make(T::CNode, 4, EP + 1, 1);
        s.flat_root(D);
        let inner = ((EP + 1) << 4) | 3;
        for label in COPY_FAMILY {
            bad_depth(family(s, label, D + 1, EP, 0));
            let o = family(s, label, D + 1, D + 2, 64);
            err(o, missing(true, 64), 6, &[1, 2, 64]);
            for root in [EP, 0] {
                let o = s.send(ROOT, label, &[D + 1, 64, EP, 64, 15, 0], &[root]);
                err(o, lookup(true, LookupFault::InvalidRoot), 6, &[1, 1]);
            }
            let o = s.send(ROOT, label, &[D + 1, 64, EP << 4, 12, 15, 0], &[D]);
            err(o, depth(true, 4, 0), 6, &[1, 3, 4, 0]);
            let o = s.send(ROOT, label, &[D + 1, 64, inner, 12, 15, 0], &[D]);
            err(o, missing(true, 12), 6, &[1, 2, 12]);
        }
    });
}

#[test]
fn copy_mint_and_mutate_check_their_length_after_the_source() {
    run(|s| {
        s.make(T::Endpoint, 0, EP, 1);
        s.make(T::CNode, 2, EP + 1, 1);
        let o = s.send(ROOT, L::CNodeCopy, &[D, 64, D + 1, 64], &[ROOT]);
        err(o, missing(true, 64), 6, &[1, 2, 64]);
        truncated(s.send(ROOT, L::CNodeCopy, &[D, 64, EP, 64], &[ROOT]));
        truncated(s.send(ROOT, L::CNodeMint, &[D, 64, EP, 64, 15], &[ROOT]));
        truncated(s.send(ROOT, L::CNodeMutate, &[D, 64, EP + 1, 64], &[ROOT]));
        assert!(s.empty(D));
        ok(s.invoke(ROOT, &msg::move_(D, EP)));
        assert!(matches!(s.cap(D), Cap::Endpoint { .. }) && s.empty(EP));
    });
}

#[test]
fn copy_places_a_non_revocable_child_right_after_the_source() {
    run(|s| {
        s.make(T::Endpoint, 0, EP, 1);
        let before = s.mdb(EP);
        ok(s.copy(D, EP, ALL));
        assert_eq!(s.cap(D), s.cap(EP));
        assert_eq!(s.mdb(D), node(s.slot(EP), before.next, false));
        assert_eq!(s.next(EP), Some(D));
        ok(s.copy(D + 1, EP, ALL));
        assert_eq!((s.next(EP), s.next(D + 1)), (Some(D + 1), Some(D)));
        assert_eq!(s.prev(D), Some(D + 1));
    });
}

#[test]
fn copy_and_mint_never_add_rights() {
    run(|s| {
        let rights = |s: &Sys<'_, '_>, i| match s.cap(i) {
            Cap::Endpoint { rights, .. } | Cap::Notification { rights, .. } => rights,
            other => panic!("{other:?}"),
        };
        s.make(T::Endpoint, 0, EP, 1);
        ok(s.copy(D, EP, CapRights::READ));
        ok(s.copy(D + 1, D, ALL));
        ok(s.mint(D + 2, D, ALL, 5));
        let got = [rights(s, D), rights(s, D + 1), rights(s, D + 2)];
        assert_eq!(got, [CapRights::READ; 3]);
        assert_eq!(s.cap(D + 2).badge(), 5);
        s.make(T::Notification, 0, EP + 1, 1);
        ok(s.copy(D + 3, EP + 1, ALL));
        ok(s.mint(D + 4, EP + 1, CapRights::WRITE, 0));
        assert_eq!((rights(s, D + 3), rights(s, D + 4)), (RW, CapRights::WRITE));
    });
}

#[test]
fn mint_makes_a_badged_original_whose_copies_are_its_children() {
    run(|s| {
        s.make(T::Endpoint, 0, EP, 1);
        ok(s.mint(D, EP, ALL, 7));
        let badged = endpoint(s.ptr(EP), 7, ALL);
        assert_eq!((s.cap(D), s.mdb(D)), (badged, node(s.slot(EP), None, true)));
        ok(s.copy(D + 1, D, ALL));
        assert_eq!(s.cap(D + 1), badged);
        assert_eq!(s.mdb(D + 1), node(s.slot(D), None, false));
        ok(s.op(L::CNodeRevoke, D));
        assert!(s.empty(D + 1) && s.cap(D) == badged);
        ok(s.op(L::CNodeRevoke, EP));
        assert!(s.empty(D) && matches!(s.cap(EP), Cap::Endpoint { badge: 0, .. }));
        s.make(T::Notification, 0, EP + 1, 1);
        ok(s.mint(D + 2, EP + 1, ALL, 0x55));
        assert_eq!(s.cap(D + 2).badge(), 0x55);
        assert!(s.mdb(D + 2).revocable && s.mdb(D + 2).first_badged);
    });
}

#[test]
fn badges_cannot_be_changed_and_mutate_cannot_badge() {
    // updateCapData: only Mint (preserve = false) of an unbadged endpoint or
    // notification yields a cap; anything else on them yields a null cap.
    run(|s| {
        s.make(T::Endpoint, 0, EP, 1);
        s.make(T::Notification, 0, EP + 1, 1);
        ok(s.mint(EP + 2, EP, ALL, 3));
        illegal(s.mint(D, EP + 2, ALL, 9));
        illegal(s.mint(D, EP + 2, ALL, 0));
        for src in [EP, EP + 1, EP + 2] {
            illegal(s.mutate(D, src, 0));
            assert!(!s.empty(src));
        }
        assert!(s.empty(D));
    });
}

#[test]
fn guards_must_fit_in_the_word_and_extra_guard_bits_are_dropped() {
    run(|s| {
        for data in [guard_data(57, 0), guard_data(63, 1)] {
            illegal(s.mint(D, ROOT, ALL, data));
            illegal(s.mutate(D, ROOT, data));
        }
        ok(s.mint(D, ROOT, ALL, guard_data(56, 0)));
        ok(s.mint(D + 1, ROOT, ALL, guard_data(3, 0b11101)));
        let base = s.ptr(ROOT);
        assert_eq!(s.cap(D), cnode(base, 8, 56, 0));
        assert_eq!(s.cap(D + 1), cnode(base, 8, 3, 0b101));
    });
}

#[test]
fn irq_control_unmapped_page_tables_and_parent_untypeds_are_not_copyable() {
    run(|s| {
        let irq = selvm_abi::boot::CAP_IRQ_CONTROL;
        illegal(s.copy(D, irq, ALL));
        illegal(s.mint(D, irq, ALL, 1));
        s.make(T::PageTable, 0, EP, 1);
        illegal(s.copy(D, EP, ALL));
        let big = s.big();
        err(s.copy(D, big, ALL), E::RevokeFirst, 9, &[]);
        err(s.mint(D, big, ALL, 0), E::RevokeFirst, 9, &[]);
        assert!(s.empty(D));
        ok(s.mv(D, irq));
        assert_eq!((s.cap(D), s.cap(irq)), (Cap::IrqControl, Cap::Null));
    });
}

#[test]
fn move_and_mutate_keep_the_derivation_position() {
    run(|s| {
        s.make(T::CNode, 4, EP, 1);
        ok(s.copy(D, EP, ALL));
        let n = s.mdb(D);
        ok(s.mv(D + 1, D));
        assert_eq!((s.cap(D), s.mdb(D)), (Cap::Null, MdbNode::default()));
        assert_eq!((s.mdb(D + 1), s.next(EP)), (n, Some(D + 1)));
        ok(s.mutate(D + 2, D + 1, guard_data(4, 9)));
        assert_eq!(s.cap(D + 2), cnode(s.ptr(EP), 4, 4, 9));
        assert_eq!((s.mdb(D + 2), s.next(EP)), (n, Some(D + 2)));
        delete_first(s.mv(D + 2, D + 2));
        ok(s.op(L::CNodeRevoke, EP));
        assert!(s.empty(D + 2));
    });
}

#[test]
fn rotate_needs_eight_registers_and_two_roots() {
    run(|s| {
        s.make(T::SmallPage, 0, EP, 2);
        let mrs = [D, 64, 0, EP, 64, 0, EP + 1, 64];
        truncated(s.send(ROOT, L::CNodeRotate, &mrs[..7], &[ROOT, ROOT]));
        truncated(s.send(ROOT, L::CNodeRotate, &mrs, &[ROOT]));
        assert!(s.empty(D));
    });
}

#[test]
fn rotate_checks_source_then_pivot_then_slots_in_order() {
    run(|s| {
        s.make(T::SmallPage, 0, EP, 2);
        s.flat_root(D);
        let dm = depth(true, 4, 0);
        // The source is looked up first, then the pivot (also reported as a source).
        let (dest, bad, deep) = ((ROOT, D + 1, 64), (ROOT, EP, 0), (D, EP << 4, 12));
        err(s.c.rotate(s.k, dest, 0, bad, 0, deep), dm, 6, &[1, 3, 4, 0]);
        let o = s.c.rotate(s.k, dest, 0, deep, 0, (ROOT, EP, 64));
        err(o, dm, 6, &[1, 3, 4, 0]);
        illegal(s.rotate(D + 1, EP, EP));
        illegal(s.rotate(EP, EP, EP + 1));
        delete_first(s.rotate(ROOT, EP, EP + 1));
        let o = s.rotate(D + 1, D + 2, D + 3);
        err(o, missing(true, 64), 6, &[1, 2, 64]);
        let o = s.rotate(D + 1, D + 2, EP);
        err(o, missing(false, 64), 6, &[0, 2, 64]);
        // Endpoint caps cannot take new data with preserve = true.
        s.make(T::Endpoint, 0, EP + 2, 1);
        illegal(s.rotate(D + 1, EP, EP + 2));
        illegal(s.rotate(D + 1, EP + 2, EP));
        assert!(s.empty(D + 1) && !s.empty(EP + 2));
    });
}

#[test]
fn rotate_moves_pivot_to_destination_and_source_to_pivot() {
    run(|s| {
        s.make(T::SmallPage, 0, EP, 1);
        s.make(T::CNode, 3, EP + 1, 1);
        let (frame, base) = (s.cap(EP), s.ptr(EP + 1));
        let (src, pivot) = (s.mdb(EP), s.mdb(EP + 1));
        let (d, p) = ((ROOT, D, 64), (ROOT, EP + 1, 64));
        ok(s.c.rotate(s.k, d, guard_data(2, 1), p, 0, (ROOT, EP, 64)));
        assert_eq!(s.cap(D), cnode(base, 3, 2, 1));
        assert_eq!((s.cap(EP + 1), s.cap(EP)), (frame, Cap::Null));
        assert_eq!((s.mdb(D).prev, s.next(D)), (pivot.prev, Some(EP + 1)));
        assert_eq!((s.prev(EP + 1), s.mdb(EP + 1).next), (Some(D), src.next));
    });
}

#[test]
fn rotate_with_source_equal_to_destination_swaps() {
    run(|s| {
        s.make(T::SmallPage, 0, EP, 2);
        let (x, y, ut) = (s.cap(EP), s.cap(EP + 1), s.big());
        assert_eq!(s.next(ut), Some(EP + 1));
        ok(s.rotate(EP, EP + 1, EP));
        assert_eq!((s.cap(EP), s.cap(EP + 1)), (y, x));
        assert_eq!((s.next(ut), s.prev(EP)), (Some(EP), Some(ut)));
        assert_eq!(s.next(EP), Some(EP + 1));
        assert_eq!((s.prev(EP + 1), s.mdb(EP + 1).next), (Some(EP), None));
    });
}

#[test]
fn cancel_badged_sends_needs_an_endpoint_with_all_rights() {
    run(|s| {
        s.make(T::Endpoint, 0, EP, 1);
        s.make(T::Notification, 0, EP + 1, 1);
        ok(s.copy(D, EP, CapRights::new(false, true, true, true)));
        ok(s.mint(D + 1, EP, ALL, 4));
        ok(s.op(L::CNodeCancelBadgedSends, EP));
        ok(s.op(L::CNodeCancelBadgedSends, D + 1));
        for i in [D, EP + 1, D + 2] {
            illegal(s.op(L::CNodeCancelBadgedSends, i));
        }
    });
}

/// The root TCB's caller slot (TCB slot 3).
fn caller_slot(s: &Sys<'_, '_>) -> SlotRef {
    SlotRef(s.b.root_tcb).offset(selvm_abi::object::TCB_CALLER as u64)
}

#[test]
fn save_caller_without_a_reply_cap_leaves_the_slot_empty() {
    run(|s| {
        s.make(T::Endpoint, 0, EP, 1);
        delete_first(s.op(L::CNodeSaveCaller, EP));
        ok(s.op(L::CNodeSaveCaller, D));
        assert!(s.empty(D) && s.cap_at(caller_slot(s)).is_null());
        bad_depth(s.op_at(L::CNodeSaveCaller, ROOT, D, 0));
    });
}
