//! Multi-level CSpace resolution [SEL4-FACTS "CSpace and the derivation tree": guard,
//! radix, level by level; "Lookup-failure words"; "Kernel error replies: FailedLookup";
//! CNode cap data as libsel4's `seL4_CNode_CapData` (guard size bits 0..6, guard above)].
//!
//! Every test builds the same two-level CSpace in scratch slots:
//! - scratch 0: L1, a radix-4 CNode (cap without guard);
//! - scratch 1: L2, a radix-4 CNode (cap without guard);
//! - L1 slot 1: L2's cap minted with guard 0xAB of 28 bits;
//! - scratch 2: L1's cap minted with guard 0 of 28 bits, so that 28 + 4 + 28 + 4 = 64
//!   bits resolve through both levels; a thread whose CSpace root is L1 with the same
//!   guard data sees the same addresses.

use crate::Test;
use crate::common::*;
use core::sync::atomic::Ordering::SeqCst;
use libsel4::{CapRights, Error, cnode, ipc};
use sel4rt::{Env, ROOT_CNODE, types};

/// The tests of this area.
pub const TESTS: &[Test] = &[
    (
        "cspace.two_level_copy_in_and_out [resolving walks level by level]",
        copy_in_out,
    ),
    (
        "cspace.child_thread_resolves_through_two_levels [syscall lookups use depth 64]",
        child_two_levels,
    ),
    (
        "cspace.child_guard_mismatch_cap_fault [CapFault: GuardMismatch words]",
        child_guard_mismatch,
    ),
    (
        "cspace.second_level_guard_mismatch_FailedLookup [GuardMismatch: bitsLeft, guardFound, bitsFound]",
        guard_mismatch,
    ),
    (
        "cspace.source_depth_too_small_DepthMismatch [DepthMismatch: bitsLeft, bitsFound]",
        depth_mismatch,
    ),
    (
        "cspace.cnode_op_through_non_cnode_cap_DepthMismatch [depth used up exactly]",
        through_non_cnode,
    ),
    (
        "cspace.syscall_lookup_stops_at_non_cnode_cap [walk continues only on CNode caps]",
        syscall_stops,
    ),
    (
        "cspace.depth_ending_on_a_cnode_cap_names_it [depth used up exactly]",
        ends_on_cnode,
    ),
    (
        "cspace.child_cnode_invocation_through_two_levels [service and extra caps: depth 64]",
        child_invocation,
    ),
    (
        "cspace.depth_65_RangeError [CNode op depth 1..64]",
        depth_65,
    ),
    (
        "cspace.source_root_not_a_cnode_InvalidRoot [lookup failure InvalidRoot]",
        invalid_root,
    ),
    (
        "cspace.mint_guard_too_big_IllegalOperation [guard size + radix <= 64]",
        guard_too_big,
    ),
];

/// L2's guard.
const GUARD2: u64 = 0xAB;
/// L1 and L2's guard size.
const GUARD_BITS: u64 = 28;

/// The 64-bit address of L2's slot `s` (through L1 slot 1).
const fn deep(s: u64) -> u64 {
    1 << 32 | GUARD2 << 4 | s
}

fn l1() -> u64 {
    scratch(0)
}

fn l2() -> u64 {
    scratch(1)
}

/// L1 with its 28-bit guard: the 64-bit root.
fn root() -> u64 {
    scratch(2)
}

fn build(env: &mut Env) -> R {
    for s in [l1(), l2()] {
        ok(
            env.untypeds.retype_into(types::CNODE, 4, s, 1),
            "retype radix-4 CNode",
        )?;
    }
    ok(
        cnode::mint(
            l1(),
            1,
            4,
            ROOT_CNODE,
            l2(),
            64,
            CapRights::ALL,
            guard_data(GUARD2, GUARD_BITS),
        ),
        "mint L2 with guard 0xAB/28 into L1 slot 1",
    )?;
    ok(
        root_mint(root(), l1(), CapRights::ALL, guard_data(0, GUARD_BITS)),
        "mint L1 with guard 0/28",
    )
}

fn notification(env: &mut Env) -> Result<u64, Fail> {
    ok(env.retype(types::NOTIFICATION, 0), "retype notification")
}

fn copy_in_out(env: &mut Env) -> R {
    build(env)?;
    let n = notification(env)?;
    ok(
        cnode::mint(root(), deep(5), 64, ROOT_CNODE, n, 64, CapRights::ALL, 0x40),
        "mint badge 0x40 into L2 slot 5 (64 bits through two levels)",
    )?;
    // It is in L2 slot 5: L2's own cap (no guard) names it with 4 bits.
    ok(
        cnode::copy(ROOT_CNODE, scratch(3), 64, l2(), 5, 4, CapRights::ALL),
        "copy from L2 slot 5 at depth 4",
    )?;
    ok(
        cnode::copy(
            ROOT_CNODE,
            scratch(4),
            64,
            root(),
            deep(5),
            64,
            CapRights::ALL,
        ),
        "copy back through two levels",
    )?;
    eq(
        signal_seen(scratch(3), n),
        0x40,
        "signal through the depth-4 copy",
    )?;
    eq(
        signal_seen(scratch(4), n),
        0x40,
        "signal through the two-level copy",
    )
}

fn signal_seen(cap: u64, n: u64) -> u64 {
    libsel4::signal(cap);
    libsel4::poll(n).1
}

/// Puts the reports endpoint (badge 2) at L2 slot 2 and the fault endpoint (badge 1)
/// at L2 slot 3, for a thread whose CSpace root is L1.
fn child_caps() -> R {
    ok(
        cnode::copy(
            root(),
            deep(2),
            64,
            ROOT_CNODE,
            DONE.load(SeqCst),
            64,
            CapRights::ALL,
        ),
        "reports endpoint into L2 slot 2",
    )?;
    ok(
        cnode::copy(
            root(),
            deep(3),
            64,
            ROOT_CNODE,
            FAULT.load(SeqCst),
            64,
            CapRights::ALL,
        ),
        "fault endpoint into L2 slot 3",
    )
}

/// Starts `entry(arg)` with L1 (guard 0/28) as its CSpace root.
fn child(env: &mut Env, entry: sel4rt::Entry, arg: u64) -> R {
    child_caps()?;
    let t = thread_in(
        env,
        entry,
        arg,
        100,
        deep(3),
        l1(),
        guard_data(0, GUARD_BITS),
    )?;
    ok(libsel4::tcb::resume(t.tcb), "resume")
}

/// Reports `arg` through the endpoint at `deep(2)` of its own CSpace.
extern "C" fn reports_deep(arg: u64) {
    ipc::set_mr(0, arg);
    libsel4::send(deep(2), info(0x51, 1));
}

/// Sends to `arg` (a bad address in its CSpace), then reports.
extern "C" fn sends_to(arg: u64) {
    libsel4::send(arg, info(1, 0));
    libsel4::send(deep(2), info(0x52, 0));
}

fn child_two_levels(env: &mut Env) -> R {
    build(env)?;
    child(env, reports_deep, 0x1234)?;
    let m = report()?;
    eq(m.label, 0x51, "label")?;
    eq(mr(0), 0x1234, "MR0")
}

fn child_guard_mismatch(env: &mut Env) -> R {
    build(env)?;
    let bad = 1 << 32 | 0xAC << 4 | 2;
    child(env, sends_to, bad)?;
    // The fault endpoint itself is found through both levels of the child's CSpace.
    let m = fault(1)?;
    eq(mr(1), bad, "MR1: the address")?;
    eq(mr(2), 0, "MR2: not in the receive phase")?;
    eq(mr(3), 4, "MR3: GuardMismatch")?;
    eq(mr(4), 32, "MR4: bitsLeft at L2")?;
    eq(mr(5), GUARD2, "MR5: guardFound (L2's guard)")?;
    eq(mr(6), GUARD_BITS, "MR6: bitsFound (L2's guard size)")?;
    eq(m.len as u64, 7, "CapFault length with GuardMismatch")
}

fn guard_mismatch(env: &mut Env) -> R {
    build(env)?;
    let n = notification(env)?;
    let r = cnode::copy(
        root(),
        1 << 32 | 0xAC << 4 | 5,
        64,
        ROOT_CNODE,
        n,
        64,
        CapRights::ALL,
    );
    err_mrs(
        r,
        Error::FailedLookup,
        &[0, 4, 32, GUARD2, GUARD_BITS],
        "destination with the wrong L2 guard",
    )
}

fn depth_mismatch(env: &mut Env) -> R {
    build(env)?;
    // 62 bits: L1 takes 32, L2's guard matches the next 28, 2 are left for a radix of 4.
    let r = cnode::copy(
        ROOT_CNODE,
        scratch(5),
        64,
        root(),
        1 << 30 | GUARD2 << 2,
        62,
        CapRights::ALL,
    );
    err_mrs(
        r,
        Error::FailedLookup,
        &[1, 3, 30, 32],
        "source at depth 62",
    )
}

fn through_non_cnode(env: &mut Env) -> R {
    build(env)?;
    let n = notification(env)?;
    ok(
        cnode::copy(l1(), 4, 4, ROOT_CNODE, n, 64, CapRights::ALL),
        "notification into L1 slot 4",
    )?;
    let r = cnode::copy(
        root(),
        4 << 32 | 0x123,
        64,
        ROOT_CNODE,
        n,
        64,
        CapRights::ALL,
    );
    // The walk stops at the notification cap with 32 bits unused.
    err_mrs(
        r,
        Error::FailedLookup,
        &[0, 3, 32, 0],
        "destination past a notification cap",
    )
}

fn syscall_stops(env: &mut Env) -> R {
    build(env)?;
    let n = notification(env)?;
    ok(
        cnode::mint(l1(), 4, 4, ROOT_CNODE, n, 64, CapRights::ALL, 0x10),
        "badged notification into L1 slot 4",
    )?;
    // The child signals 4 << 32 | 0x123: the walk ends at L1 slot 4's notification cap
    // and the low 32 bits are ignored, as seL4's lookupSlot does.
    child(env, sends_to, 4 << 32 | 0x123)?;
    let m = report()?;
    eq(m.label, 0x52, "the child's report")?;
    eq(libsel4::poll(n).1, 0x10, "the notification was signalled")
}

fn ends_on_cnode(env: &mut Env) -> R {
    build(env)?;
    // Depth 32 ends exactly at L1 slot 1: that names L2's guarded cap itself.
    ok(
        cnode::copy(ROOT_CNODE, scratch(5), 64, root(), 1, 32, CapRights::ALL),
        "copy L1 slot 1 at depth 32",
    )?;
    let n = notification(env)?;
    // The copy keeps guard 0xAB/28: 32 bits with that guard resolve in it.
    ok(
        cnode::mint(
            scratch(5),
            GUARD2 << 4 | 6,
            32,
            ROOT_CNODE,
            n,
            64,
            CapRights::ALL,
            0x20,
        ),
        "use the copy with its guard",
    )?;
    err_mrs(
        cnode::copy(scratch(5), 6, 32, ROOT_CNODE, n, 64, CapRights::ALL),
        Error::FailedLookup,
        &[0, 4, 32, GUARD2, GUARD_BITS],
        "the copy without its guard",
    )?;
    ok(
        cnode::copy(
            ROOT_CNODE,
            scratch(6),
            64,
            root(),
            deep(6),
            64,
            CapRights::ALL,
        ),
        "the cap is in L2 slot 6",
    )?;
    eq(signal_seen(scratch(6), n), 0x20, "its badge")
}

fn depth_65(env: &mut Env) -> R {
    build(env)?;
    let r = cnode::copy(
        ROOT_CNODE,
        scratch(5),
        64,
        root(),
        deep(5),
        65,
        CapRights::ALL,
    );
    err_mrs(r, Error::RangeError, &[1, 64], "source depth 65")
}

fn invalid_root(env: &mut Env) -> R {
    let n = notification(env)?;
    let r = cnode::copy(ROOT_CNODE, scratch(5), 64, n, n, 64, CapRights::ALL);
    err_mrs(
        r,
        Error::FailedLookup,
        &[1, 1],
        "a notification as source root",
    )
}

fn guard_too_big(env: &mut Env) -> R {
    build(env)?;
    // Radix 4 + guard 60 = 64 is the limit; 61 makes the cap invalid.
    ok(
        root_mint(scratch(5), l2(), CapRights::ALL, guard_data(0, 60)),
        "guard size 60",
    )?;
    err(
        root_mint(scratch(6), l2(), CapRights::ALL, guard_data(0, 61)),
        Error::IllegalOperation,
        "guard size 61",
    )
}

/// Copies slot 3 to slot 7 of the CNode at `deep(0)` (guard 0/60: 64 bits name a slot
/// in it), naming it as service and source root; reports the result's error word.
extern "C" fn copies_in_l3(_: u64) {
    let r = cnode::copy(deep(0), 7, 64, deep(0), 3, 64, CapRights::ALL);
    libsel4::send(deep(2), info(code(r), 0));
}

fn child_invocation(env: &mut Env) -> R {
    build(env)?;
    let n = notification(env)?;
    let l3 = scratch(3);
    ok(
        env.untypeds.retype_into(types::CNODE, 4, l3, 1),
        "retype L3",
    )?;
    ok(
        cnode::mint(
            root(),
            deep(0),
            64,
            ROOT_CNODE,
            l3,
            64,
            CapRights::ALL,
            guard_data(0, 60),
        ),
        "L3 with guard 0/60 into L2 slot 0",
    )?;
    ok(
        cnode::mint(l3, 3, 4, ROOT_CNODE, n, 64, CapRights::ALL, 0x9),
        "badged notification into L3 slot 3",
    )?;
    child(env, copies_in_l3, 0)?;
    eq(report()?.label, 0, "the child's Copy succeeded")?;
    ok(
        cnode::copy(ROOT_CNODE, scratch(6), 64, l3, 7, 4, CapRights::ALL),
        "copy from L3 slot 7",
    )?;
    eq(
        signal_seen(scratch(6), n),
        0x9,
        "L3 slot 7 holds the badged copy",
    )
}
