//! Checker self-tests: Objects outside memory or misaligned.

use super::*;

// ---------------------------------------------------------------------------
// OutsideMemory

#[test]
fn endpoint_outside_ram_is_noticed() {
    let mut words = ram();
    let (mut k, _, _, e) = with_endpoint(&mut words);
    let s = slot(&k, e);
    let Cap::Endpoint { badge, rights, .. } = k.memory().cap(s) else {
        panic!("endpoint");
    };
    let cap = Cap::Endpoint {
        ptr: 0x4000_0000,
        badge,
        rights,
    };
    set_cap(&mut k, s, cap);
    expect(&k, Violation::OutsideMemory(s));
}

#[test]
fn object_straddling_the_end_of_ram_is_noticed() {
    let mut words = ram();
    let (mut k, b) = boot(&mut words);
    let ut = largest_untyped(&b);
    let e = b.empty.start;
    retype(&mut k, ut, ObjectType::SmallPage, 0, e, 1);
    clean(&k);
    let s = slot(&k, e);
    let Cap::Frame { rights, .. } = k.memory().cap(s) else {
        panic!("frame");
    };
    let end = k.memory().end();
    // A 2 MiB frame at the last 2 MiB boundary below the end of 1 MiB of RAM
    // starts inside RAM and ends outside it.
    let large = Cap::Frame {
        ptr: (end - 1) & !((1 << 21) - 1),
        size: FrameSize::Large,
        rights,
        is_device: false,
        mapping: None,
    };
    set_cap(&mut k, s, large);
    expect(&k, Violation::OutsideMemory(s));
}

#[test]
fn device_untyped_inside_ram_is_noticed() {
    let mut words = ram();
    let (mut k, b) = boot(&mut words);
    let ut = largest_untyped(&b);
    let s = slot(&k, ut);
    let Cap::Untyped {
        ptr,
        size_bits,
        watermark,
        ..
    } = k.memory().cap(s)
    else {
        panic!("untyped");
    };
    let device = Cap::Untyped {
        ptr,
        size_bits,
        is_device: true,
        watermark,
    };
    set_cap(&mut k, s, device);
    expect(&k, Violation::OutsideMemory(s));
}

#[test]
fn cnode_slots_outside_ram_are_noticed() {
    let mut words = ram();
    let (mut k, b) = boot(&mut words);
    let ut = largest_untyped(&b);
    let c = b.empty.start;
    retype(&mut k, ut, ObjectType::CNode, 2, c, 1);
    clean(&k);
    let s = slot(&k, c);
    let Cap::CNode {
        radix,
        guard_size,
        guard,
        ..
    } = k.memory().cap(s)
    else {
        panic!("cnode");
    };
    let moved = Cap::CNode {
        ptr: 0x1_0000_0000,
        radix,
        guard_size,
        guard,
    };
    set_cap(&mut k, s, moved);
    expect(&k, Violation::OutsideMemory(s));
}

/// A CNode radix far larger than memory: the checker must report it, not
/// overflow computing the slot area (`count * 32` or `1 << (5 + radix)`).
#[test]
fn huge_cnode_radix_is_reported_not_a_panic() {
    let mut words = ram();
    let (mut k, b) = boot(&mut words);
    let ut = largest_untyped(&b);
    let c = b.empty.start;
    retype(&mut k, ut, ObjectType::CNode, 2, c, 1);
    clean(&k);
    let s = slot(&k, c);
    let ptr = object_at(&k, c);
    let huge = Cap::CNode {
        ptr,
        radix: 60,
        guard_size: 0,
        guard: 0,
    };
    set_cap(&mut k, s, huge);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| k.check_invariants()));
    let result = result.expect("the checker panicked instead of reporting a violation");
    assert!(
        matches!(
            result,
            Err(Violation::OutsideMemory(x) | Violation::Misaligned(x) | Violation::BadFields(x))
                if x == s
        ),
        "{result:?}"
    );
}

// ---------------------------------------------------------------------------
// Misaligned

#[test]
fn misaligned_endpoint_is_noticed() {
    let mut words = ram();
    let (mut k, _, _, e) = with_endpoint(&mut words);
    let s = slot(&k, e);
    let Cap::Endpoint { ptr, badge, rights } = k.memory().cap(s) else {
        panic!("endpoint");
    };
    let cap = Cap::Endpoint {
        ptr: ptr + 8,
        badge,
        rights,
    };
    set_cap(&mut k, s, cap);
    expect(&k, Violation::Misaligned(s));
}

#[test]
fn misaligned_child_untyped_is_noticed() {
    let mut words = ram();
    let (mut k, b) = boot(&mut words);
    let ut = largest_untyped(&b);
    let e = b.empty.start;
    retype(&mut k, ut, ObjectType::Untyped, 12, e, 1);
    clean(&k);
    let s = slot(&k, e);
    let Cap::Untyped { ptr, .. } = k.memory().cap(s) else {
        panic!("untyped");
    };
    let cap = Cap::Untyped {
        ptr: ptr + 0x800,
        size_bits: 12,
        is_device: false,
        watermark: 0,
    };
    set_cap(&mut k, s, cap);
    expect(&k, Violation::Misaligned(s));
}
