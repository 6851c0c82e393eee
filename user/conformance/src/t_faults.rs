//! Fault tests [SEL4-FACTS "Faults are sent by a Call ... through its fault
//! endpoint"; docs/vm-abi.md "Faults": VMFault (IP, address, prefetch 0, FSR 13 load /
//! 15 store; on riscv64 seL4's 5 / 7), UserException (pc, sp, number, code), CapFault].
use crate::Test;
use crate::common::*;
use core::sync::atomic::Ordering::SeqCst;
use libsel4::arch::{VM_FAULT_FSR_LOAD, VM_FAULT_FSR_STORE};
use libsel4::ipc;
use sel4rt::Env;

/// The tests of this area.
pub const TESTS: &[Test] = &[
    (
        "faults.vm_fault_on_load [VMFault: address, FSR 13]",
        load_fault,
    ),
    ("faults.vm_fault_on_store [VMFault: FSR 15]", store_fault),
    (
        "faults.vm_fault_prefetch_is_0 [vm: code is not in the VSpace]",
        prefetch_zero,
    ),
    vm_only!(
        "faults.unreachable_is_user_exception [UserException: Program trap, code 0]",
        unreachable_trap,
        "vm trap kinds; riscv64.illegal_instruction_UserException instead"
    ),
    (
        "faults.missing_cap_is_cap_fault [CapFault: the address that failed]",
        cap_fault,
    ),
    (
        "faults.fault_message_length [VMFault length 4]",
        fault_length,
    ),
];

/// An address no frame backs in the root task's VSpace.
const HOLE: u64 = 0x7000_0000;

extern "C" fn loads(_: u64) {
    // SAFETY: deliberately reads an unmapped address: the kernel turns it into a
    // VMFault sent to the test endpoint; the thread never continues.
    let v = unsafe { core::ptr::read_volatile(HOLE as *const u64) };
    done(v, &[]);
}

extern "C" fn stores(_: u64) {
    // SAFETY: as in `loads`, a store this time.
    unsafe { core::ptr::write_volatile((HOLE + 8) as *mut u64, 1) };
    done(0, &[]);
}

#[cfg(not(target_arch = "riscv64"))]
extern "C" fn traps(_: u64) {
    core::intrinsics::abort();
}

extern "C" fn calls_nothing(_: u64) {
    // Bits above the root CNode's 12 must match its guard (0): nothing resolves.
    let r = libsel4::call(0x10_0000, info(1, 0));
    done(r.label(), &[]);
}

fn load_fault(env: &mut Env) -> R {
    spawn(env, loads, 0, 100)?;
    fault(5)?;
    eq(mr(1), HOLE, "MR1: the address")?;
    eq(mr(3), VM_FAULT_FSR_LOAD, "MR3: FSR of a load")
}

fn store_fault(env: &mut Env) -> R {
    spawn(env, stores, 0, 100)?;
    fault(5)?;
    eq(mr(1), HOLE + 8, "MR1: the address")?;
    eq(mr(3), VM_FAULT_FSR_STORE, "MR3: FSR of a store")
}

fn prefetch_zero(env: &mut Env) -> R {
    spawn(env, loads, 0, 100)?;
    fault(5)?;
    eq(mr(2), 0, "MR2: prefetch")
}

#[cfg(not(target_arch = "riscv64"))]
fn unreachable_trap(env: &mut Env) -> R {
    spawn(env, traps, 0, 100)?;
    fault(3)?;
    eq(mr(2), 1, "MR2: the trap kind (Program)")?;
    eq(mr(3), 0, "MR3: code 0 (unreachable)")
}

fn cap_fault(env: &mut Env) -> R {
    spawn(env, calls_nothing, 0, 100)?;
    fault(1)?;
    eq(mr(1), 0x10_0000, "MR1: the address that failed")
}

fn fault_length(env: &mut Env) -> R {
    spawn(env, loads, 0, 100)?;
    let m = fault(5)?;
    let _ = (ipc::get_mr(0), DONE.load(SeqCst));
    eq(m.len as u64, 4, "VMFault length")
}
