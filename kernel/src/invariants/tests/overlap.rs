//! Checker self-tests: Overlapping objects.

use super::*;

// Overlap

#[test]
fn endpoint_inside_a_notification_is_noticed() {
    let mut words = ram();
    let (mut k, b) = boot(&mut words);
    let ut = largest_untyped(&b);
    let (n, e) = (b.empty.start, b.empty.start + 1);
    retype(&mut k, ut, ObjectType::Notification, 0, n, 1);
    retype(&mut k, ut, ObjectType::Endpoint, 0, e, 1);
    clean(&k);
    let n_ptr = object_at(&k, n);
    let s = slot(&k, e);
    let Cap::Endpoint { badge, rights, .. } = k.memory().cap(s) else {
        panic!("endpoint");
    };
    // The second half of the 32-byte notification: aligned, below the
    // watermark, still the untyped's descendant.
    let cap = Cap::Endpoint {
        ptr: n_ptr + 16,
        badge,
        rights,
    };
    set_cap(&mut k, s, cap);
    expect(&k, Violation::Overlap(slot(&k, n), s));
}

#[test]
fn frame_over_the_root_cnode_is_noticed() {
    let mut words = ram();
    let (mut k, b) = boot(&mut words);
    let ut = largest_untyped(&b);
    let f = b.empty.start;
    retype(&mut k, ut, ObjectType::SmallPage, 0, f, 1);
    clean(&k);
    let root = k.boot_objects().root_cnode;
    let s = slot(&k, f);
    let frame = Cap::Frame {
        ptr: root.0,
        size: FrameSize::Small,
        rights: VmRights::ReadWrite,
        is_device: false,
        mapping: None,
    };
    set_cap(&mut k, s, frame);
    // Sorted by (base, size): the 4 KiB frame before the 8 KiB root CNode,
    // whose first cap is in root slot 2.
    expect(&k, Violation::Overlap(s, slot(&k, ROOT)));
}

/// A CNode of radix 6 (2^11 bytes) at a TCB's address (TCBs are 2^11 bytes):
/// two distinct objects at the same address, which the checker's object key
/// (base, size, kind class shared by CNode/TCB/zombie) treats as one.
#[test]
fn cnode_over_a_tcb_of_the_same_size_is_noticed() {
    let mut words = ram();
    let (mut k, b) = boot(&mut words);
    let ut = largest_untyped(&b);
    let (t, e) = (b.empty.start, b.empty.start + 1);
    retype(&mut k, ut, ObjectType::Tcb, 0, t, 1);
    retype(&mut k, ut, ObjectType::Endpoint, 0, e, 1);
    clean(&k);
    let tcb = object_at(&k, t);
    let s = slot(&k, e);
    let cnode = Cap::CNode {
        ptr: tcb,
        radix: 6,
        guard_size: 0,
        guard: 0,
    };
    set_cap(&mut k, s, cnode);
    let r = k.check_invariants();
    // The TCB's own fields, read as slots, are not caps; failing that, the
    // overlap rule names it.
    assert!(
        matches!(
            r,
            Err(Violation::Overlap(..) | Violation::NonCanonicalCap(_))
        ),
        "{r:?}"
    );
}

/// An Untyped whose region lies inside a live object (empty slots of the root
/// CNode) with nothing left to hand out: retyping after a reset would carve
/// objects over the CNode's slots.
#[test]
fn untyped_inside_a_live_object_is_noticed() {
    let mut words = ram();
    let (mut k, b) = boot(&mut words);
    let ut = largest_untyped(&b);
    let s = slot(&k, ut);
    let root = k.boot_objects().root_cnode;
    // Root CNode slots 64..128 (all empty), 2 KiB aligned.
    let inside = Cap::Untyped {
        ptr: root.offset(64).0,
        size_bits: 11,
        is_device: false,
        watermark: 1 << 11,
    };
    set_cap(&mut k, s, inside);
    let r = k.check_invariants();
    assert!(matches!(r, Err(Violation::Overlap(..))), "{r:?}");
}
