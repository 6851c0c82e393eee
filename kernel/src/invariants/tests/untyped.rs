//! Checker self-tests: Untyped accounting: watermarks, descendants, free memory.

use super::*;

// ---------------------------------------------------------------------------
// AboveWatermark

#[test]
fn object_above_the_watermark_is_noticed() {
    let mut words = ram();
    let (mut k, b) = boot(&mut words);
    let ut = untyped_of_bits(&b, 12);
    let e = b.empty.start;
    retype(&mut k, ut, ObjectType::Endpoint, 0, e, 1);
    clean(&k);
    let u = slot(&k, ut);
    let Cap::Untyped { ptr, watermark, .. } = k.memory().cap(u) else {
        panic!("untyped");
    };
    assert_eq!(watermark, 16);
    // The endpoint's memory is zero, so only the watermark rule can notice.
    let lowered = Cap::Untyped {
        ptr,
        size_bits: 12,
        is_device: false,
        watermark: 0,
    };
    set_cap(&mut k, u, lowered);
    expect(
        &k,
        Violation::AboveWatermark {
            object: slot(&k, e),
            untyped: u,
        },
    );
}

#[test]
fn straddling_the_watermark_is_noticed() {
    let mut words = ram();
    let (mut k, b) = boot(&mut words);
    let ut = untyped_of_bits(&b, 12);
    let e = b.empty.start;
    retype(&mut k, ut, ObjectType::Notification, 0, e, 1);
    clean(&k);
    let u = slot(&k, ut);
    let Cap::Untyped { ptr, .. } = k.memory().cap(u) else {
        panic!("untyped");
    };
    // The 32-byte notification ends 16 bytes above the lowered watermark.
    let lowered = Cap::Untyped {
        ptr,
        size_bits: 12,
        is_device: false,
        watermark: 16,
    };
    set_cap(&mut k, u, lowered);
    expect(
        &k,
        Violation::AboveWatermark {
            object: slot(&k, e),
            untyped: u,
        },
    );
}

/// A whole-region child untyped legitimately sets its parent's watermark to
/// the full size (see `cdt::insert_derived`). Lowering the parent's
/// watermark back lets both caps hand out the same memory, yet the checker
/// skips same-region untypeds entirely.
#[test]
fn whole_region_child_untyped_above_parent_watermark_is_noticed() {
    let mut words = ram();
    let (mut k, b) = boot(&mut words);
    let ut = untyped_of_bits(&b, 12);
    let c = b.empty.start;
    copy(&mut k, c, ut);
    clean(&k);
    let u = slot(&k, ut);
    let Cap::Untyped { ptr, watermark, .. } = k.memory().cap(u) else {
        panic!("untyped");
    };
    assert_eq!(watermark, 1 << 12);
    let lowered = Cap::Untyped {
        ptr,
        size_bits: 12,
        is_device: false,
        watermark: 0,
    };
    set_cap(&mut k, u, lowered);
    expect(
        &k,
        Violation::AboveWatermark {
            object: slot(&k, c),
            untyped: u,
        },
    );
}

// ---------------------------------------------------------------------------
// NotDescendant

#[test]
fn object_unlinked_from_its_untyped_is_noticed() {
    let mut words = ram();
    let (mut k, _, ut, e) = with_endpoint(&mut words);
    let (u, s) = (slot(&k, ut), slot(&k, e));
    // The endpoint becomes a list of its own; links stay symmetric.
    set_next(&mut k, u, None);
    set_prev(&mut k, s, None);
    expect(
        &k,
        Violation::NotDescendant {
            object: s,
            untyped: u,
        },
    );
}

#[test]
fn object_under_a_non_revocable_untyped_is_noticed() {
    let mut words = ram();
    let (mut k, _, ut, e) = with_endpoint(&mut words);
    let u = slot(&k, ut);
    let node = k.memory().mdb(u);
    assert!(node.revocable);
    mem(&mut k).set_mdb(
        u,
        MdbNode {
            revocable: false,
            ..node
        },
    );
    expect(
        &k,
        Violation::NotDescendant {
            object: slot(&k, e),
            untyped: u,
        },
    );
}

#[test]
fn object_moved_under_another_untyped_is_noticed() {
    let mut words = ram();
    let (mut k, b, ut, e) = with_endpoint(&mut words);
    let other = untyped_of_bits(&b, 12);
    let (u, o, s) = (slot(&k, ut), slot(&k, other), slot(&k, e));
    // Move the endpoint from after its untyped to after an unrelated one.
    set_next(&mut k, u, None);
    set_links(&mut k, s, Some(o), None);
    set_next(&mut k, o, Some(s));
    expect(
        &k,
        Violation::NotDescendant {
            object: s,
            untyped: u,
        },
    );
}

/// The retyped-object counterpart of `caps_to_one_object_in_separate_lists`:
/// a second endpoint cap in a CDT list of its own is outside its untyped's
/// subtree.
#[test]
fn stray_copy_of_a_retyped_object_is_noticed() {
    let mut words = ram();
    let (mut k, b, ut, e) = with_endpoint(&mut words);
    let ep = cap_at(&k, e);
    let s = slot(&k, b.empty.start + 6);
    set_cap(&mut k, s, ep);
    // Two runs of caps to one endpoint: caught by contiguity before the
    // untyped's descendant rule would name it.
    let _ = ut;
    expect(&k, Violation::ObjectNotContiguous(s));
}

// ---------------------------------------------------------------------------
// DirtyFreeMemory

#[test]
fn word_just_above_the_watermark_is_noticed() {
    let mut words = ram();
    let (mut k, _, ut, _) = with_endpoint(&mut words);
    let u = slot(&k, ut);
    let Cap::Untyped { ptr, watermark, .. } = k.memory().cap(u) else {
        panic!("untyped");
    };
    mem(&mut k).write(ptr + watermark, 0xdead);
    expect(&k, Violation::DirtyFreeMemory(u));
}

#[test]
fn last_word_of_a_fresh_untyped_is_noticed() {
    let mut words = ram();
    let (mut k, b) = boot(&mut words);
    let ut = largest_untyped(&b);
    let u = slot(&k, ut);
    let Cap::Untyped { ptr, size_bits, .. } = k.memory().cap(u) else {
        panic!("untyped");
    };
    mem(&mut k).write(ptr + (1 << size_bits) - 8, 1);
    expect(&k, Violation::DirtyFreeMemory(u));
}

#[test]
fn dirty_memory_of_a_child_untyped_is_noticed() {
    let mut words = ram();
    let (mut k, b) = boot(&mut words);
    let ut = largest_untyped(&b);
    let c = b.empty.start;
    retype(&mut k, ut, ObjectType::Untyped, 12, c, 1);
    clean(&k);
    let child = slot(&k, c);
    let ptr = object_at(&k, c);
    // Below the parent's watermark but above the child's.
    mem(&mut k).write(ptr + 0x100, 7);
    expect(&k, Violation::DirtyFreeMemory(child));
}

#[test]
fn used_memory_below_the_watermark_may_be_nonzero() {
    let mut words = ram();
    let (mut k, _, ut, e) = with_endpoint(&mut words);
    // Inside a frame (below the watermark): user data, not the free-memory rule.
    retype(&mut k, ut, ObjectType::SmallPage, 0, e + 1, 1);
    let ptr = object_at(&k, e + 1);
    mem(&mut k).write(ptr + 8, 1);
    clean(&k);
}

// ---------------------------------------------------------------------------
