//! Isolation tests [SEL4-FACTS "VSpace (separate spaces)", "Faults" (VMFault: IP,
//! address, prefetch, FSR; CapFault with lookup-failure words), "Kernel error replies"
//! (InvalidCapability → cap number, FailedLookup → wasSource, lookup failure), "CSpace":
//! caps are reached only through the own CSpace]: a process cannot see memory the root
//! task has and it has not, its memory is a copy, and a thread reaches only the objects
//! its own CSpace holds caps to.
use crate::Test;
use crate::common::*;
use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use libsel4::arch::{VM_FAULT_FSR_LOAD, VM_FAULT_FSR_STORE};
use libsel4::{CapRights, Error, cnode, tcb};
use sel4rt::{Env, ROOT_CNODE, ROOT_TCB, types};

/// The tests of this area.
pub const TESTS: &[Test] = &[
    (
        "isolation.child_reads_root_only_page_VMFault [VMFault: address, FSR 13]",
        read_root_page,
    ),
    (
        "isolation.child_writes_root_only_page_VMFault_nothing_written [VMFault: FSR 15]",
        write_root_page,
    ),
    (
        "isolation.fork_copies_memory_not_shared [separate spaces]",
        fork_copies,
    ),
    (
        "isolation.empty_slot_InvalidCapability_thread_unharmed [no cap, no access]",
        empty_slot,
    ),
    (
        "isolation.root_cptrs_are_empty_in_another_cspace [own CSpace only]",
        root_cptrs,
    ),
    (
        "isolation.cptr_outside_cspace_CapFault_GuardMismatch [CapFault: lookup words]",
        outside_cspace,
    ),
    (
        "isolation.revoking_a_shared_frame_ends_the_childs_access [Revoke; delete unmaps]",
        revoke_shared_frame,
    ),
];

/// Values the root sets before forking or spawning.
static ADDR: AtomicU64 = AtomicU64::new(0);
static COUNTER: AtomicU64 = AtomicU64::new(0);
static EP: AtomicU64 = AtomicU64::new(0);
static TARGET: AtomicU64 = AtomicU64::new(0);

extern "C" fn reads_addr(_: u64) {
    // SAFETY: deliberately reads a page this VSpace does not map: the kernel turns it
    // into a VMFault; the process never continues.
    let v = unsafe { core::ptr::read_volatile(ADDR.load(SeqCst) as *const u64) };
    done(0x11, &[v]);
}

extern "C" fn writes_addr(_: u64) {
    // SAFETY: as in `reads_addr`, a store this time.
    unsafe { core::ptr::write_volatile((ADDR.load(SeqCst) + 8) as *mut u64, 0xbad) };
    done(0x12, &[]);
}

/// A page mapped in the root task's VSpace only, holding `a` and `b`.
fn root_only_page(env: &mut Env, a: u64, b: u64) -> Result<u64, Fail> {
    let (v, _) = ok(env.alloc_memory(1), "root-only page")?;
    // SAFETY: the page was just mapped read-write in the root task's VSpace.
    unsafe {
        core::ptr::write_volatile(v as *mut u64, a);
        core::ptr::write_volatile((v + 8) as *mut u64, b);
    }
    ADDR.store(v as u64, SeqCst);
    Ok(v as u64)
}

fn read_word(addr: u64) -> u64 {
    // SAFETY: only called on words of pages mapped in the root task's VSpace.
    unsafe { core::ptr::read_volatile(addr as *const u64) }
}

fn read_root_page(env: &mut Env) -> R {
    let v = root_only_page(env, 0x1234, 0x5678)?;
    spawn_process(env, reads_addr, 0, 100)?;
    let m = fault(5)?;
    eq(m.len as u64, 4, "VMFault length")?;
    eq(mr(1), v, "MR1: the address")?;
    eq(mr(2), 0, "MR2: prefetch")?;
    eq(mr(3), VM_FAULT_FSR_LOAD, "MR3: FSR of a load")?;
    eq(read_word(v), 0x1234, "the root still reads its page")
}

fn write_root_page(env: &mut Env) -> R {
    let v = root_only_page(env, 0x1234, 0x5678)?;
    spawn_process(env, writes_addr, 0, 100)?;
    fault(5)?;
    eq(mr(1), v + 8, "MR1: the address")?;
    eq(mr(2), 0, "MR2: prefetch")?;
    eq(mr(3), VM_FAULT_FSR_STORE, "MR3: FSR of a store")?;
    eq(read_word(v + 8), 0x5678, "the root's word is unchanged")
}

extern "C" fn counter_user(_: u64) {
    let before = COUNTER.load(SeqCst);
    COUNTER.store(99, SeqCst);
    done(0x21, &[before, COUNTER.load(SeqCst)]);
}

fn fork_copies(env: &mut Env) -> R {
    COUNTER.store(7, SeqCst);
    spawn_process(env, counter_user, 0, 100)?;
    // After the fork, before the child runs: the child's copy keeps 7.
    COUNTER.store(8, SeqCst);
    let r = report()?;
    let root_sees = COUNTER.load(SeqCst);
    eq(r.label, 0x21, "child's report")?;
    eq(
        mr(0),
        7,
        "the child sees the value at the fork, not the root's later one",
    )?;
    eq(mr(1), 99, "the child sees its own write")?;
    eq(root_sees, 8, "the root does not see the child's write")
}

extern "C" fn victim(_: u64) {
    let (i, _) = libsel4::recv(EP.load(SeqCst));
    done(0x91, &[i.label()]);
}

extern "C" fn sentinel(_: u64) {
    done(0xee, &[]);
}

extern "C" fn empty_slot_user(_: u64) {
    let r1 = tcb::suspend(C_FREE);
    let m1 = mr(0);
    let r2 = tcb::set_priority(C_FREE, C_FREE, 0);
    let m2 = mr(0);
    done_in_child(0xa0, &[code(r1), m1, code(r2), m2]);
}

fn empty_slot(env: &mut Env) -> R {
    let e = ok(env.retype(types::ENDPOINT, 0), "endpoint")?;
    EP.store(e, SeqCst);
    let cs = child_cspace(env)?;
    spawn(env, victim, 0, 90)?;
    spawn_in(env, empty_slot_user, 0, 100, cs)?;
    let r = report()?;
    eq(r.label, 0xa0, "report")?;
    eq(
        mr(0),
        Error::InvalidCapability.word(),
        "Suspend through an empty slot",
    )?;
    eq(mr(1), 0, "invalid cap number (the invoked cap)")?;
    eq(
        mr(2),
        Error::InvalidCapability.word(),
        "SetPriority through it",
    )?;
    eq(mr(3), 0, "invalid cap number")?;
    // The victim (priority 90) runs to its Recv before the sentinel (50) reports.
    spawn(env, sentinel, 0, 50)?;
    eq(report()?.label, 0xee, "sentinel")?;
    libsel4::nb_send(e, info(0x92, 0));
    spawn(env, sentinel, 0, 50)?;
    eq(
        report()?.label,
        0x91,
        "the other thread still runs (0xee: it does not)",
    )?;
    eq(mr(0), 0x92, "and received the message")
}

extern "C" fn root_cptr_user(_: u64) {
    // The root task's TCB, CNode and an endpoint slot of its CNode, named by the
    // root's CPtrs: in this CSpace those slots are empty.
    let r1 = tcb::suspend(ROOT_TCB);
    let m1 = mr(0);
    let r2 = cnode::delete(ROOT_CNODE, TARGET.load(SeqCst), 64);
    let m2 = mr(0);
    // The root CNode as the source root of a copy: an empty slot is no CNode.
    let r3 = cnode::copy(
        C_SELF,
        C_FREE,
        64,
        ROOT_CNODE,
        TARGET.load(SeqCst),
        64,
        CapRights::ALL,
    );
    let (m3, m4) = (mr(0), mr(1));
    done_in_child(0xb0, &[code(r1), m1, code(r2), m2, code(r3), m3, m4]);
}

fn root_cptrs(env: &mut Env) -> R {
    let e = ok(env.retype(types::ENDPOINT, 0), "endpoint")?;
    ok(
        root_copy(scratch(3), e, CapRights::ALL),
        "endpoint copy the child aims at",
    )?;
    TARGET.store(scratch(3), SeqCst);
    let cs = child_cspace(env)?;
    spawn_in(env, root_cptr_user, 0, 100, cs)?;
    let r = report()?;
    eq(r.label, 0xb0, "report")?;
    eq(
        mr(0),
        Error::InvalidCapability.word(),
        "Suspend(root TCB CPtr)",
    )?;
    eq(mr(1), 0, "invalid cap number")?;
    eq(
        mr(2),
        Error::InvalidCapability.word(),
        "Delete(root CNode CPtr)",
    )?;
    eq(mr(3), 0, "invalid cap number")?;
    eq(
        mr(4),
        Error::FailedLookup.word(),
        "Copy from the root CNode CPtr",
    )?;
    eq(mr(5), 1, "wasSource")?;
    eq(mr(6), 1, "lookup failure: InvalidRoot")?;
    // Nothing happened to the root's caps, nothing arrived in the child's CSpace.
    ok(
        root_copy(scratch(4), scratch(3), CapRights::ALL),
        "the targeted slot still holds the endpoint",
    )?;
    err(
        cnode::copy(ROOT_CNODE, scratch(5), 64, cs, C_FREE, 64, CapRights::ALL),
        Error::FailedLookup,
        "the child's slot stays empty",
    )
}

/// A CPtr whose top 56 bits are not the child CNode's guard (0).
const OUTSIDE: u64 = 0x1_0000;

extern "C" fn outside_user(_: u64) {
    let r = tcb::suspend(OUTSIDE);
    done_in_child(0xc0, &[code(r)]);
}

fn outside_cspace(env: &mut Env) -> R {
    let cs = child_cspace(env)?;
    spawn_in(env, outside_user, 0, 100, cs)?;
    let m = fault(1)?;
    eq(m.len as u64, 7, "CapFault length (GuardMismatch)")?;
    eq(mr(1), OUTSIDE, "MR1: the CPtr")?;
    eq(mr(2), 0, "MR2: not in the receive phase")?;
    eq(mr(3), 4, "MR3: GuardMismatch")?;
    eq(mr(4), 64, "MR4: bits left")?;
    eq(mr(5), 0, "MR5: guard found")?;
    eq(mr(6), 64 - C_RADIX, "MR6: bits found (the guard size)")
}

/// Reads the shared page, reports it, waits for the root's signal, then reads it again
/// (which must fault: the root revoked the frame meanwhile) and would report again.
extern "C" fn reads_twice(_: u64) {
    let v = ADDR.load(SeqCst);
    // SAFETY: the root mapped a frame at `v` in this VSpace before this process ran.
    let first = unsafe { core::ptr::read_volatile(v as *const u64) };
    done(0x21, &[first]);
    libsel4::wait(TARGET.load(SeqCst));
    // SAFETY: as above; once the root has revoked the frame the kernel turns this load
    // into a VMFault and the process never continues.
    let second = unsafe { core::ptr::read_volatile(v as *const u64) };
    done(0x22, &[second]);
}

/// The root maps a copy of its frame cap into a process's VSpace; the process reads
/// the root's data through it. Revoking the root's cap deletes the copy, which unmaps
/// the page from the process: its next load is a VMFault at that address.
fn revoke_shared_frame(env: &mut Env) -> R {
    let (v, f) = ok(env.alloc_memory(1), "shared page")?;
    // SAFETY: the page was just mapped read-write in the root task's VSpace.
    unsafe { core::ptr::write_volatile(v as *mut u64, 0x4242) };
    let ntfn = ok(env.retype(types::NOTIFICATION, 0), "notification")?;
    ok(
        root_copy(scratch(0), f, CapRights::ALL),
        "copy the frame's cap",
    )?;
    ADDR.store(v as u64, SeqCst);
    TARGET.store(ntfn, SeqCst);
    let p = spawn_process(env, reads_twice, 0, 100)?;
    ok(
        env.map_frame(p.vspace, scratch(0), v, CapRights::ALL),
        "map the copy in the process",
    )?;
    let r = report()?;
    eq(r.label, 0x21, "the process's first report")?;
    eq(
        mr(0),
        0x4242,
        "it reads the root's data through the shared frame",
    )?;
    ok(
        cnode::revoke(ROOT_CNODE, f, 64),
        "revoke the root's frame cap",
    )?;
    libsel4::signal(ntfn);
    fault(5)?;
    eq(mr(1), v as u64, "MR1: the revoked page's address")?;
    eq(mr(3), VM_FAULT_FSR_LOAD, "MR3: FSR of a load")
}
