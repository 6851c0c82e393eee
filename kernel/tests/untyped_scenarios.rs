//! Scenario tests of Untyped_Retype: every error in seL4's check order with
//! its exact reply, object placement at the aligned watermark, the derivation
//! tree of new caps, resets, device untypeds, parents made full by copying,
//! and preemptible revokes and resets that end as uninterrupted ones do.

mod common;

use common::*;
use selvm_abi::args::UntypedRetype;
use selvm_abi::{CPtr, InvocationLabel as L, LookupFault, ObjectType as T, Word};
use selvm_kernel::cap::Cap;
use selvm_kernel::{BootConfig, DeviceRegion, Outcome, SyscallError as E};
use selvm_kernel_testkit::msg;

/// First root slot for new objects (slots up to D - 1 are for objects).
const OBJ: CPtr = FREE;
/// Further free root slots.
const D: CPtr = FREE + 16;
const DEVICE: DeviceRegion = DeviceRegion {
    base: 0x1_0000_0000,
    size_bits: 16,
};

/// Retype with raw registers `mrs` and the root CNode as extra cap.
fn retype_raw(s: &mut Sys<'_, '_>, ut: CPtr, mrs: &[Word]) -> Outcome {
    s.send(ut, L::UntypedRetype, mrs, &[ROOT])
}

/// Retype into the CNode at root slot `node` (depth 64), from `offset`.
fn retype_in(s: &mut Sys<'_, '_>, ut: CPtr, ty: T, node: CPtr, offset: Word, n: Word) -> Outcome {
    s.c.retype(s.k, ut, ty, 0, ROOT, node, 64, offset, n)
}

#[track_caller]
fn range(o: Outcome, min: Word, max: Word) {
    err(o, E::RangeError { min, max }, 4, &[min, max]);
}

#[track_caller]
fn no_memory(o: Outcome, available: Word) {
    err(o, E::NotEnoughMemory { available }, 10, &[available]);
}

#[track_caller]
fn bad_arg(o: Outcome, arg: Word) {
    err(o, E::InvalidArgument { arg }, 1, &[arg]);
}

#[test]
fn a_label_other_than_retype_is_an_illegal_operation() {
    run(|s| {
        let ut = s.big();
        for label in [0, 2, 16, 23, 1 << 40] {
            illegal(s.raw(ut, label, &[2, 0, 0, 0, OBJ, 1], &[ROOT]));
            illegal(s.raw(ut, label, &[], &[]));
        }
        assert!(s.empty(OBJ));
    });
}

#[test]
fn fewer_than_six_registers_or_no_root_is_a_truncated_message() {
    run(|s| {
        let ut = s.big();
        truncated(retype_raw(s, ut, &[2, 0, 0, 0, OBJ]));
        truncated(retype_raw(s, ut, &[]));
        truncated(s.send(ut, L::UntypedRetype, &[2, 0, 0, 0, OBJ, 1], &[]));
        assert!(s.empty(OBJ));
    });
}

#[test]
fn an_unknown_object_type_is_invalid_argument_0() {
    run(|s| {
        let ut = s.big();
        for ty in [9, 10, Word::MAX] {
            let retype = UntypedRetype {
                object_type: ty,
                ..msg::retype(T::Endpoint, 0, OBJ, 1)
            };
            bad_arg(s.invoke(ut, &retype), 0);
            // The type is checked before the size and the window.
            let everything_wrong = UntypedRetype {
                object_type: ty,
                size_bits: 64,
                node_offset: 999,
                num_objects: 0,
                ..retype
            };
            bad_arg(s.invoke(ut, &everything_wrong), 0);
        }
    });
}

#[test]
fn object_sizes_beyond_38_bits_are_range_errors() {
    run(|s| {
        let ut = s.big();
        let sizes = [39, 64, Word::MAX].map(|n| (T::Untyped, n));
        for (ty, size) in
            sizes
                .into_iter()
                .chain([(T::CNode, 34), (T::CNode, 59), (T::Endpoint, 64)])
        {
            range(s.retype(ut, ty, size, OBJ, 1), 0, 38);
        }
        // The largest sizes pass the size check and fail for want of memory.
        no_memory(s.retype(ut, T::Untyped, 38, OBJ, 1), 1 << 19);
        no_memory(s.retype(ut, T::CNode, 33, OBJ, 1), 1 << 19);
    });
}

#[test]
fn tiny_cnodes_and_untypeds_are_invalid_argument_1() {
    run(|s| {
        let ut = s.big();
        bad_arg(s.retype(ut, T::CNode, 0, OBJ, 1), 1);
        for size in 0..4 {
            bad_arg(s.retype(ut, T::Untyped, size, OBJ, 1), 1);
        }
        // Checked before the destination.
        bad_arg(s.c.retype(s.k, ut, T::CNode, 0, ROOT, 0, 99, 0, 0), 1);
        ok(s.retype(ut, T::Untyped, 4, OBJ, 1));
        ok(s.retype(ut, T::CNode, 1, OBJ + 1, 1));
        assert_eq!(s.cap(OBJ + 1), cnode(s.ptr(ut) + 64, 1, 0, 0));
    });
}

#[test]
fn destination_cnode_lookup_errors() {
    run(|s| {
        let ut = s.big();
        s.make(T::Endpoint, 0, OBJ, 1);
        bad_depth(s.c.retype(s.k, ut, T::Endpoint, 0, ROOT, OBJ, 65, 0, 1));
        for at in [OBJ, D] {
            let o = retype_in(s, ut, T::Endpoint, at, 0, 1);
            err(o, missing(false, 64), 6, &[0, 2, 64]);
        }
        let o = s.c.retype(s.k, ut, T::Endpoint, 0, ROOT, D, 32, 0, 1);
        err(o, guard(false, 32, 0, 56), 6, &[0, 4, 32, 0, 56]);
        s.flat_root(D);
        let o = s.c.retype(s.k, ut, T::Endpoint, 0, D, OBJ << 4, 12, 0, 1);
        err(o, depth(false, 4, 0), 6, &[0, 3, 4, 0]);
        // A root that is not a CNode: used as the node itself (depth 0) or looked up in.
        let o = s.c.retype(s.k, ut, T::Endpoint, 0, OBJ, 0, 0, 0, 1);
        err(o, missing(false, 0), 6, &[0, 2, 0]);
        let o = s.c.retype(s.k, ut, T::Endpoint, 0, OBJ, D, 64, 0, 1);
        err(o, lookup(false, LookupFault::InvalidRoot), 6, &[0, 1]);
    });
}

#[test]
fn offset_then_count_then_window_are_range_checked() {
    run(|s| {
        let ut = s.big();
        range(s.retype(ut, T::Endpoint, 0, 256, 1), 0, 255);
        range(s.retype(ut, T::Endpoint, 0, 256, 0), 0, 255);
        range(s.retype(ut, T::Endpoint, 0, OBJ, 0), 1, 256);
        range(s.retype(ut, T::Endpoint, 0, OBJ, 257), 1, 256);
        range(s.retype(ut, T::Endpoint, 0, 250, 7), 1, 6);
        s.make(T::CNode, 4, OBJ, 1);
        range(retype_in(s, ut, T::Endpoint, OBJ, 16, 1), 0, 15);
        range(retype_in(s, ut, T::Endpoint, OBJ, 10, 7), 1, 6);
        ok(s.retype(ut, T::Endpoint, 0, 250, 6));
    });
}

#[test]
fn any_full_destination_slot_is_delete_first_and_nothing_is_made() {
    run(|s| {
        let ut = s.big();
        s.make(T::Endpoint, 0, OBJ + 3, 1);
        delete_first(s.retype(ut, T::Endpoint, 0, OBJ, 4));
        delete_first(s.retype(ut, T::Endpoint, 0, OBJ + 3, 1));
        assert!((0..3).all(|i| s.empty(OBJ + i)));
        assert_eq!(s.watermark(ut), 16);
    });
}

#[test]
fn not_enough_memory_reports_the_bytes_available() {
    run(|s| {
        let small = s.untyped(11);
        no_memory(s.retype(small, T::CNode, 7, OBJ, 1), 2048);
        no_memory(s.retype(small, T::Endpoint, 0, 0x70, 129), 2048);
        ok(s.retype(small, T::Endpoint, 0, 0x70, 128));
        assert_eq!(s.watermark(small), 2048);
        no_memory(s.retype(small, T::Endpoint, 0, OBJ, 1), 0);
        // With children, what is left above the watermark counts, alignment aside.
        let ut = s.untyped(12);
        ok(s.retype(ut, T::Endpoint, 0, OBJ, 1));
        no_memory(s.retype(ut, T::CNode, 7, OBJ + 1, 1), 4080);
        ok(s.retype(ut, T::CNode, 6, OBJ + 1, 1));
        assert_eq!((s.ptr(OBJ + 1) - s.ptr(ut), s.watermark(ut)), (2048, 4096));
        no_memory(s.retype(ut, T::Endpoint, 0, OBJ + 2, 1), 0);
    });
}

#[test]
fn objects_are_placed_at_the_watermark_aligned_to_their_size() {
    run(|s| {
        let ut = s.untyped(14);
        let base = s.ptr(ut);
        let steps = [
            (T::Endpoint, 0, 0, 16),
            (T::Notification, 0, 32, 64),
            (T::CNode, 4, 512, 1024),
            (T::Tcb, 0, 2048, 4096),
            (T::SmallPage, 0, 4096, 8192),
            (T::Untyped, 5, 8192, 8224),
        ];
        for (i, (ty, size, at, mark)) in steps.into_iter().enumerate() {
            let slot = OBJ + i as CPtr;
            ok(s.retype(ut, ty, size, slot, 1));
            assert_eq!((s.ptr(slot) - base, s.watermark(ut)), (at, mark), "{ty:?}");
        }
        assert_eq!(s.cap(OBJ), endpoint(base, 0, ALL));
        assert_eq!(s.cap(OBJ + 3), Cap::Thread { tcb: base + 2048 });
        assert_eq!(s.cap(OBJ + 4), frame(base + 4096, false));
        let child = untyped(base + 8192, 5, false, 0);
        assert_eq!(s.cap(OBJ + 5), child);
    });
}

#[test]
fn new_caps_follow_the_untyped_in_reverse_creation_order() {
    run(|s| {
        let ut = s.untyped(12);
        ok(s.retype(ut, T::Endpoint, 0, OBJ, 3));
        let order = [s.next(ut), s.next(OBJ + 2), s.next(OBJ + 1), s.next(OBJ)];
        assert_eq!(order, [Some(OBJ + 2), Some(OBJ + 1), Some(OBJ), None]);
        for i in 0..3 {
            let n = s.mdb(OBJ + i);
            assert!(n.revocable && n.first_badged);
            assert_eq!(s.ptr(OBJ + i), s.ptr(ut) + 16 * i);
        }
    });
}

#[test]
fn an_untyped_without_children_is_reset_before_the_next_retype() {
    run(|s| {
        let ut = s.untyped(12);
        ok(s.retype(ut, T::Endpoint, 0, OBJ, 4));
        ok(s.op(L::CNodeRevoke, ut));
        assert_eq!(s.watermark(ut), 64);
        ok(s.retype(ut, T::CNode, 2, OBJ, 1));
        assert_eq!((s.ptr(OBJ), s.watermark(ut)), (s.ptr(ut), 128));
        ok(s.retype(ut, T::Endpoint, 0, OBJ + 1, 1));
        ok(s.op(L::CNodeDelete, OBJ));
        ok(s.retype(ut, T::Endpoint, 0, OBJ + 2, 1));
        assert_eq!((s.ptr(OBJ + 2), s.watermark(ut)), (s.ptr(ut) + 144, 160));
        ok(s.op(L::CNodeDelete, OBJ + 1));
        ok(s.op(L::CNodeDelete, OBJ + 2));
        ok(s.retype(ut, T::Notification, 0, OBJ, 1));
        assert_eq!((s.ptr(OBJ), s.watermark(ut)), (s.ptr(ut), 32));
    });
}

#[test]
fn reset_zeroes_the_memory_below_the_old_watermark() {
    run(|s| {
        let ut = s.untyped(14);
        let base = s.ptr(ut);
        ok(s.retype(ut, T::SmallPage, 0, OBJ, 2));
        ok(s.op(L::CNodeRevoke, ut));
        // Stand in for user writes to the frames that are gone now.
        let mem = s.k.memory_mut_for_corruption_tests();
        mem.write(base + 8, 0xdead);
        mem.write(base + 8184, 0xbeef);
        check(s.k);
        ok(s.retype(ut, T::Endpoint, 0, OBJ, 1));
        assert_eq!((s.watermark(ut), s.ptr(OBJ)), (16, base));
        assert!(s.k.memory().is_zero(base, 1 << 14));
    });
}

#[test]
fn retype_fills_a_window_of_a_nested_cnode() {
    run(|s| {
        let ut = s.untyped(14);
        s.make(T::CNode, 8, OBJ, 1);
        range(retype_in(s, ut, T::Endpoint, OBJ, 1, 256), 1, 255);
        ok(retype_in(s, ut, T::Endpoint, OBJ, 0, 256));
        let last = endpoint(s.ptr(ut) + 255 * 16, 0, ALL);
        assert_eq!(s.cap_at(s.inner(OBJ, 255)), last);
        assert_eq!(s.mdb(ut).next, Some(s.inner(OBJ, 255)));
        // The root cap itself as the node (depth 0), and a path through a flat root.
        s.make(T::CNode, 3, OBJ + 1, 1);
        ok(s.c.retype(s.k, ut, T::Notification, 0, OBJ + 1, 0, 0, 6, 2));
        s.flat_root(D);
        ok(s.c.retype(s.k, ut, T::Endpoint, 0, D, OBJ + 1, 8, 0, 1));
        let (first, last) = (s.cap_at(s.inner(OBJ + 1, 0)), s.cap_at(s.inner(OBJ + 1, 7)));
        assert_eq!(
            (first.type_name(), last.type_name()),
            ("endpoint", "notification")
        );
    });
}

#[test]
fn copying_an_untyped_makes_the_parent_full_until_the_copy_goes() {
    run(|s| {
        let ut = s.untyped(12);
        ok(s.copy(D, ut, ALL));
        assert_eq!((s.watermark(ut), s.watermark(D)), (4096, 0));
        assert_eq!(s.next(ut), Some(D));
        no_memory(s.retype(ut, T::Endpoint, 0, OBJ, 1), 0);
        ok(s.retype(D, T::Endpoint, 0, OBJ, 1));
        assert_eq!(s.ptr(OBJ), s.ptr(ut));
        ok(s.op(L::CNodeRevoke, ut));
        assert!(s.empty(D) && s.empty(OBJ));
        ok(s.retype(ut, T::Endpoint, 0, OBJ, 1));
        assert_eq!((s.ptr(OBJ), s.watermark(ut)), (s.ptr(ut), 16));
    });
}

#[test]
fn child_untypeds_are_retyped_in_turn_and_revoked_with_their_parent() {
    run(|s| {
        let ut = s.untyped(12);
        ok(s.retype(ut, T::Untyped, 8, OBJ, 2));
        ok(s.retype(OBJ + 1, T::Endpoint, 0, D, 2));
        assert_eq!((s.ptr(D), s.watermark(OBJ + 1)), (s.ptr(ut) + 256, 32));
        err(s.copy(D + 2, OBJ + 1, ALL), E::RevokeFirst, 9, &[]);
        ok(s.op(L::CNodeRevoke, ut));
        assert!([OBJ, OBJ + 1, D, D + 1].iter().all(|&i| s.empty(i)));
    });
}

fn device_config() -> BootConfig<'static> {
    BootConfig {
        root_radix: 8,
        devices: &[DEVICE],
        ..Default::default()
    }
}

#[test]
fn a_device_untyped_yields_only_frames_and_untypeds() {
    run_with(&device_config(), |s| {
        let dev = s.b.untyped.end - 1;
        let desc = s.b.untyped_list[(dev - s.b.untyped.start) as usize];
        assert_eq!(
            (desc.paddr, desc.size_bits, desc.is_device),
            (DEVICE.base, 16, 1)
        );
        let kernel_objects = [
            (T::Endpoint, 0),
            (T::Tcb, 0),
            (T::CNode, 2),
            (T::PageTable, 0),
        ];
        for (ty, size) in kernel_objects {
            bad_arg(s.retype(dev, ty, size, OBJ, 1), 1);
        }
        ok(s.retype(dev, T::SmallPage, 0, OBJ, 2));
        assert_eq!(s.cap(OBJ + 1), frame(DEVICE.base + 4096, true));
        ok(s.retype(dev, T::Untyped, 12, OBJ + 2, 1));
        assert_eq!(s.cap(OBJ + 2), untyped(DEVICE.base + 8192, 12, true, 0));
        bad_arg(s.retype(OBJ + 2, T::Notification, 0, OBJ + 3, 1), 1);
        ok(s.op(L::CNodeRevoke, dev));
        ok(s.retype(dev, T::SmallPage, 0, OBJ, 1));
        assert_eq!((s.ptr(OBJ), s.watermark(dev)), (DEVICE.base, 4096));
    });
}

#[test]
fn device_memory_shortage_is_reported_before_the_device_rule() {
    run_with(&device_config(), |s| {
        let dev = s.b.untyped.end - 1;
        no_memory(s.retype(dev, T::CNode, 20, OBJ, 1), 1 << 16);
        no_memory(s.retype(dev, T::Tcb, 0, OBJ, 33), 1 << 16);
        bad_arg(s.retype(dev, T::Tcb, 0, OBJ, 32), 1);
        assert!(s.empty(OBJ));
    });
}

#[test]
fn revoking_an_untyped_with_many_children_is_preemptible() {
    let setup = |s: &mut Sys<'_, '_>| {
        s.make(T::CNode, 8, OBJ, 1);
        let ut = s.untyped(14);
        ok(retype_in(s, ut, T::Endpoint, OBJ, 0, 256));
        ok(s.retype(ut, T::Notification, 0, D, 8));
    };
    let n = assert_restartable(7, setup, |s| {
        let ut = s.untyped(14);
        s.op(L::CNodeRevoke, ut)
    });
    assert!(n >= 30, "only {n} preemptions");
}

/// 128 frames filling the 512 KiB untyped, all revoked again: the next
/// retype must zero 512 KiB first.
fn used_big_untyped(s: &mut Sys<'_, '_>) {
    let node = s.untyped(12);
    ok(s.retype(node, T::CNode, 7, OBJ, 1));
    let ut = s.big();
    ok(retype_in(s, ut, T::SmallPage, OBJ, 0, 128));
    ok(s.op(L::CNodeRevoke, ut));
    assert_eq!(s.watermark(ut), 1 << 19);
}

#[test]
fn a_retype_that_resets_a_large_untyped_is_preemptible() {
    let op = |s: &mut Sys<'_, '_>| {
        let big = s.big();
        s.retype(big, T::Endpoint, 0, D, 1)
    };
    let n = assert_restartable(300, used_big_untyped, op);
    assert_eq!(n, 2048 / 300);
}

#[test]
fn a_preempted_reset_keeps_its_progress_in_the_watermark() {
    run(|s| {
        used_big_untyped(s);
        let ut = s.big();
        let c = no_restart(s.b);
        s.k.preemption().force_every(10);
        for round in 1..=2 {
            let o = c.retype(s.k, ut, T::Endpoint, 0, ROOT, 0, 0, D, 1);
            assert_eq!(o, Outcome::Preempted);
            assert_eq!(s.watermark(ut), (1 << 19) - round * 10 * 256);
            assert!(s.empty(D));
            check(s.k);
        }
        s.k.preemption().force_every(0);
        ok(c.retype(s.k, ut, T::Endpoint, 0, ROOT, 0, 0, D, 1));
        assert_eq!((s.ptr(D), s.watermark(ut)), (s.ptr(ut), 16));
    });
}
