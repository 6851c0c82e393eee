//! Thread control blocks. The object starts with a 16-slot capability region
//! (CTable, VTable, Reply, Caller, IPC buffer, …); the thread state that the
//! scheduler and IPC use follows it in the same object.

use crate::memory::PAddr;
use crate::slot::SlotRef;

/// Slots of the TCB's capability region that are in use (and that deleting a
/// TCB must clear): CTable, VTable, Reply, Caller, IPC buffer.
pub const CNODE_ENTRIES: u64 = 5;

/// The TCB's slot number `index` (see `selvm_abi::object::TCB_CTABLE` and friends).
pub const fn slot(tcb: PAddr, index: usize) -> SlotRef {
    SlotRef(tcb).offset(index as u64)
}

/// Runs when the last cap to the TCB at `tcb` is deleted. A thread that cannot
/// run yet has nothing to suspend; the scheduler layer suspends it here.
pub fn on_final(_tcb: PAddr) {}
