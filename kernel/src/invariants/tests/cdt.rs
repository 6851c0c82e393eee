//! Checker self-tests: Corrupted cap words and derivation-tree links.

use super::*;

// ---------------------------------------------------------------------------
// NonCanonicalCap

#[test]
fn reserved_bits_of_a_cap_word_are_noticed() {
    let mut words = ram();
    let (mut k, _, _, e) = with_endpoint(&mut words);
    let s = slot(&k, e);
    let w0 = k.memory().read(word_addr(s, 0));
    // Bits 52..59 of an endpoint cap are unused (rights end at bit 52).
    mem(&mut k).write(word_addr(s, 0), w0 | 1 << 55);
    expect(&k, Violation::NonCanonicalCap(s));
}

#[test]
fn unused_second_word_is_noticed() {
    let mut words = ram();
    let (mut k, _) = boot(&mut words);
    // A Thread cap has no second word.
    let s = slot(&k, selvm_abi::boot::CAP_INIT_THREAD_TCB);
    assert!(matches!(k.memory().cap(s), Cap::Thread { .. }));
    mem(&mut k).write(word_addr(s, 1), 1);
    expect(&k, Violation::NonCanonicalCap(s));
}

#[test]
fn unknown_tag_is_noticed() {
    let mut words = ram();
    let (mut k, b) = boot(&mut words);
    // An empty slot with an undefined tag: it decodes as Null but is not [0, 0].
    let s = slot(&k, b.empty.start + 3);
    mem(&mut k).write(word_addr(s, 0), 20 << 59);
    expect(&k, Violation::NonCanonicalCap(s));
}

#[test]
fn bad_zombie_kind_field_is_noticed() {
    let mut words = ram();
    let (mut k, b) = boot(&mut words);
    let (at, _) = with_zombie(&mut k, &b);
    let s = slot(&k, at);
    // Kind field 100 is neither a radix (< 64) nor the TCB marker (64).
    let w0 = k.memory().read(word_addr(s, 0));
    mem(&mut k).write(word_addr(s, 0), (w0 & !(0x7f << 48)) | 100 << 48);
    expect(&k, Violation::NonCanonicalCap(s));
}

// ---------------------------------------------------------------------------
// EmptySlotLinked

#[test]
fn empty_slot_with_a_link_is_noticed() {
    let mut words = ram();
    let (mut k, b, ut, _) = with_endpoint(&mut words);
    let s = slot(&k, b.empty.start + 5);
    let u = slot(&k, ut);
    mem(&mut k).write(word_addr(s, 2), u.0);
    expect(&k, Violation::EmptySlotLinked(s));
}

#[test]
fn empty_slot_with_only_a_flag_is_noticed() {
    let mut words = ram();
    let (mut k, b) = boot(&mut words);
    let s = slot(&k, b.empty.start + 7);
    // The revocable flag alone (bit 0 of word 3).
    mem(&mut k).write(word_addr(s, 3), 1);
    expect(&k, Violation::EmptySlotLinked(s));
}

#[test]
fn deleted_cap_leaving_its_links_is_noticed() {
    let mut words = ram();
    let (mut k, _, _, e) = with_endpoint(&mut words);
    // Clear only the cap words, as a delete that forgot to unlink would.
    let s = slot(&k, e);
    mem(&mut k).write(word_addr(s, 0), 0);
    mem(&mut k).write(word_addr(s, 1), 0);
    expect(&k, Violation::EmptySlotLinked(s));
}

// ---------------------------------------------------------------------------
// AsymmetricLink

#[test]
fn next_without_matching_prev_is_noticed() {
    let mut words = ram();
    let (mut k, _, ut, e) = with_endpoint(&mut words);
    let (u, s) = (slot(&k, ut), slot(&k, e));
    // untyped.next = endpoint, but endpoint.prev = none.
    set_prev(&mut k, s, None);
    expect(&k, Violation::AsymmetricLink(u));
}

#[test]
fn stray_next_into_another_list_is_noticed() {
    let mut words = ram();
    let (mut k, _, _, e) = with_endpoint(&mut words);
    // The domain cap (slot 4, a list of its own) points at the endpoint, whose
    // prev is the untyped.
    let d = slot(&k, selvm_abi::boot::CAP_DOMAIN);
    assert_eq!(k.memory().cap(d), Cap::Domain);
    let s = slot(&k, e);
    set_next(&mut k, d, Some(s));
    expect(&k, Violation::AsymmetricLink(d));
}

// ---------------------------------------------------------------------------
// CdtCycle

#[test]
fn two_node_cycle_is_noticed() {
    let mut words = ram();
    let (mut k, _, ut, e) = with_endpoint(&mut words);
    let (u, s) = (slot(&k, ut), slot(&k, e));
    // untyped ⇄ endpoint in both directions: symmetric, but no list head.
    set_prev(&mut k, u, Some(s));
    set_next(&mut k, s, Some(u));
    // The lowest-addressed slot of the cycle is named.
    expect(&k, Violation::CdtCycle(u.min(s)));
}

#[test]
fn self_loop_is_noticed() {
    let mut words = ram();
    let (mut k, _) = boot(&mut words);
    let d = slot(&k, selvm_abi::boot::CAP_DOMAIN);
    set_links(&mut k, d, Some(d), Some(d));
    expect(&k, Violation::CdtCycle(d));
}

#[test]
fn longer_cycle_is_noticed() {
    let mut words = ram();
    let (mut k, b) = boot(&mut words);
    let ut = largest_untyped(&b);
    let e = b.empty.start;
    retype(&mut k, ut, ObjectType::Notification, 0, e, 3);
    clean(&k);
    // untyped → n2 → n1 → n0; close the list into a ring.
    let u = slot(&k, ut);
    let mut last = u;
    while let Some(n) = k.memory().mdb(last).next {
        last = n;
    }
    assert_ne!(last, u);
    set_prev(&mut k, u, Some(last));
    set_next(&mut k, last, Some(u));
    expect(&k, Violation::CdtCycle(u.min(slot(&k, e))));
}

// ---------------------------------------------------------------------------
// DanglingLink

#[test]
fn link_to_an_empty_slot_is_noticed() {
    let mut words = ram();
    let (mut k, b, _, e) = with_endpoint(&mut words);
    let (s, empty) = (slot(&k, e), slot(&k, b.empty.start + 9));
    set_next(&mut k, s, Some(empty));
    expect(&k, Violation::DanglingLink(empty));
}

#[test]
fn link_into_free_untyped_memory_is_noticed() {
    let mut words = ram();
    let (mut k, _, ut, e) = with_endpoint(&mut words);
    let Cap::Untyped { ptr, watermark, .. } = cap_at(&k, ut) else {
        panic!("untyped");
    };
    // Slot-aligned, inside RAM, but in no live CNode or TCB.
    let target = SlotRef(ptr + watermark + 0x1000);
    let s = slot(&k, e);
    set_next(&mut k, s, Some(target));
    expect(&k, Violation::DanglingLink(target));
}

#[test]
fn link_outside_ram_is_noticed() {
    let mut words = ram();
    let (mut k, _, _, e) = with_endpoint(&mut words);
    let s = slot(&k, e);
    let target = SlotRef(0x1000);
    set_next(&mut k, s, Some(target));
    expect(&k, Violation::DanglingLink(target));
}

#[test]
fn link_to_a_misaligned_address_is_noticed() {
    let mut words = ram();
    let (mut k, b, _, e) = with_endpoint(&mut words);
    let s = slot(&k, e);
    // Inside the root CNode, between two slots.
    let target = SlotRef(slot(&k, b.empty.start + 1).0 + 8);
    set_prev(&mut k, s, Some(target));
    expect(&k, Violation::DanglingLink(target));
}

#[test]
fn link_into_a_deleted_cnode_is_noticed() {
    let mut words = ram();
    let (mut k, b) = boot(&mut words);
    let ut = largest_untyped(&b);
    let (c, e) = (b.empty.start, b.empty.start + 1);
    retype(&mut k, ut, ObjectType::CNode, 2, c, 1);
    retype(&mut k, ut, ObjectType::Endpoint, 0, e, 1);
    let dead = object_at(&k, c);
    delete(&mut k, c);
    clean(&k);
    // The CNode's memory is below the watermark but no longer a live container;
    // a link into its first slot, linked back.
    let (s, target) = (slot(&k, e), SlotRef(dead));
    set_next(&mut k, s, Some(target));
    mem(&mut k).write(word_addr(target, 2), s.0);
    expect(&k, Violation::DanglingLink(target));
}

// ---------------------------------------------------------------------------
// ObjectNotContiguous

#[test]
fn caps_to_one_object_split_by_another_are_noticed() {
    let mut words = ram();
    let (mut k, b) = boot(&mut words);
    let ut = largest_untyped(&b);
    retype(&mut k, ut, ObjectType::Endpoint, 0, b.empty.start, 3);
    clean(&k);
    // untyped → a → b → c; make c a second cap to a's object.
    let m = k.memory();
    let a = m.mdb(slot(&k, ut)).next.unwrap();
    let bb = m.mdb(a).next.unwrap();
    let c = m.mdb(bb).next.unwrap();
    let a_cap = m.cap(a);
    set_cap(&mut k, c, a_cap);
    expect(&k, Violation::ObjectNotContiguous(c));
}

#[test]
fn copies_split_by_another_object_are_noticed() {
    let mut words = ram();
    let (mut k, b) = boot(&mut words);
    let ut = largest_untyped(&b);
    let e = b.empty.start;
    retype(&mut k, ut, ObjectType::Notification, 0, e, 2);
    // A legitimate copy right after its original: untyped → n1 → n1' → n0.
    copy(&mut k, e + 2, e + 1);
    clean(&k);
    // Swap the copy and n0's caps: untyped → n1 → n0 → n1'.
    let (copy_slot, n0) = (slot(&k, e + 2), slot(&k, e));
    let (copy_cap, n0_cap) = (k.memory().cap(copy_slot), k.memory().cap(n0));
    assert_eq!(k.memory().mdb(copy_slot).next, Some(n0));
    set_cap(&mut k, copy_slot, n0_cap);
    set_cap(&mut k, n0, copy_cap);
    expect(&k, Violation::ObjectNotContiguous(n0));
}

/// Two caps to the root TCB in separate CDT lists: `is_final` looks only at
/// list neighbours, so deleting either would destroy the thread while the
/// other cap still names it. The root TCB lies in no Untyped, so no
/// watermark/descendant rule covers it either.
#[test]
fn caps_to_one_object_in_separate_lists_are_noticed() {
    let mut words = ram();
    let (mut k, b) = boot(&mut words);
    let t = cap_at(&k, selvm_abi::boot::CAP_INIT_THREAD_TCB);
    let s = slot(&k, b.empty.start + 4);
    // A second Thread cap, a CDT list of its own.
    set_cap(&mut k, s, t);
    expect(&k, Violation::ObjectNotContiguous(s));
}
