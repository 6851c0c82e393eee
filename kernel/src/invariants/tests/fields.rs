//! Checker self-tests: Cap fields out of range.

use super::*;

// ---------------------------------------------------------------------------
// BadFields

/// Retypes a radix-2 CNode into the first empty slot; returns its slot and address.
fn with_cnode(k: &mut Kernel<TestArch, &mut [u64]>, b: &BootSummary) -> (SlotRef, PAddr) {
    let c = b.empty.start;
    retype(k, largest_untyped(b), ObjectType::CNode, 2, c, 1);
    clean(k);
    (slot(k, c), object_at(k, c))
}

#[test]
fn cnode_radix_zero_is_noticed() {
    let mut words = ram();
    let (mut k, b) = boot(&mut words);
    let (s, ptr) = with_cnode(&mut k, &b);
    let cap = Cap::CNode {
        ptr,
        radix: 0,
        guard_size: 0,
        guard: 0,
    };
    set_cap(&mut k, s, cap);
    expect(&k, Violation::BadFields(s));
}

#[test]
fn cnode_guard_too_big_is_noticed() {
    let mut words = ram();
    let (mut k, b) = boot(&mut words);
    let (s, ptr) = with_cnode(&mut k, &b);
    // radix 2 + guard 63 bits > 64.
    let cap = Cap::CNode {
        ptr,
        radix: 2,
        guard_size: 63,
        guard: 0,
    };
    set_cap(&mut k, s, cap);
    expect(&k, Violation::BadFields(s));
}

#[test]
fn cnode_guard_value_wider_than_guard_is_noticed() {
    let mut words = ram();
    let (mut k, b) = boot(&mut words);
    let (s, ptr) = with_cnode(&mut k, &b);
    let cap = Cap::CNode {
        ptr,
        radix: 2,
        guard_size: 2,
        guard: 0b100,
    };
    set_cap(&mut k, s, cap);
    expect(&k, Violation::BadFields(s));
}

#[test]
fn untyped_watermark_beyond_size_is_noticed() {
    let mut words = ram();
    let (mut k, b) = boot(&mut words);
    let ut = untyped_of_bits(&b, 12);
    let s = slot(&k, ut);
    let Cap::Untyped { ptr, .. } = k.memory().cap(s) else {
        panic!("untyped");
    };
    let cap = Cap::Untyped {
        ptr,
        size_bits: 12,
        is_device: false,
        watermark: (1 << 12) + 16,
    };
    set_cap(&mut k, s, cap);
    expect(&k, Violation::BadFields(s));
}

#[test]
fn untyped_watermark_not_16_aligned_is_noticed() {
    let mut words = ram();
    let (mut k, b) = boot(&mut words);
    let ut = untyped_of_bits(&b, 12);
    let s = slot(&k, ut);
    let Cap::Untyped { ptr, .. } = k.memory().cap(s) else {
        panic!("untyped");
    };
    let cap = Cap::Untyped {
        ptr,
        size_bits: 12,
        is_device: false,
        watermark: 8,
    };
    set_cap(&mut k, s, cap);
    expect(&k, Violation::BadFields(s));
}

#[test]
fn untyped_size_out_of_range_is_noticed() {
    let mut words = ram();
    let (mut k, b) = boot(&mut words);
    let ut = largest_untyped(&b);
    retype(&mut k, ut, ObjectType::Untyped, 4, b.empty.start, 1);
    clean(&k);
    let s = slot(&k, b.empty.start);
    let ptr = object_at(&k, b.empty.start);
    // Below MIN_UNTYPED_BITS (4).
    let cap = Cap::Untyped {
        ptr,
        size_bits: 3,
        is_device: false,
        watermark: 0,
    };
    set_cap(&mut k, s, cap);
    expect(&k, Violation::BadFields(s));
}

#[test]
fn zombie_count_too_large_is_noticed() {
    let mut words = ram();
    let (mut k, b) = boot(&mut words);
    let (at, ptr) = with_zombie(&mut k, &b);
    let s = slot(&k, at);
    let cap = Cap::Zombie {
        ptr,
        kind: ZombieKind::CNode { radix: 2 },
        remaining: 5,
    };
    set_cap(&mut k, s, cap);
    expect(&k, Violation::BadFields(s));
}

// ---------------------------------------------------------------------------
