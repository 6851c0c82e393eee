//! The root task's initial CSpace: root CNode geometry and the initial capability slots.

use crate::CPtr;

/// The root task's CNode in the configuration user code is built for
/// (`config::current`): its radix (12 on the vm, 13 in riscv64's reference
/// configuration), slot count, and the guard that makes a CPtr resolve in exactly 64
/// bits. The kernel takes its architecture's (`Arch::CONFIG`) instead.
pub use crate::config::current::{
    ROOT_CNODE_GUARD, ROOT_CNODE_GUARD_SIZE, ROOT_CNODE_RADIX, ROOT_CNODE_SLOTS,
};

/// The null slot; always empty.
pub const CAP_NULL: CPtr = 0;
/// The root task's TCB.
pub const CAP_INIT_THREAD_TCB: CPtr = 1;
/// The root task's CNode (its CSpace root).
pub const CAP_INIT_THREAD_CNODE: CPtr = 2;
/// The root task's VSpace root.
pub const CAP_INIT_THREAD_VSPACE: CPtr = 3;
/// The IRQ control capability.
pub const CAP_IRQ_CONTROL: CPtr = 4;
/// The ASID control capability.
pub const CAP_ASID_CONTROL: CPtr = 5;
/// The root task's ASID pool.
pub const CAP_INIT_THREAD_ASID_POOL: CPtr = 6;
/// The I/O port control capability (x86 only; empty elsewhere).
pub const CAP_IO_PORT_CONTROL: CPtr = 7;
/// The I/O space capability (IOMMU only; empty elsewhere).
pub const CAP_IO_SPACE: CPtr = 8;
/// The frame holding the BootInfo.
pub const CAP_BOOT_INFO_FRAME: CPtr = 9;
/// The root task's IPC buffer frame.
pub const CAP_INIT_THREAD_IPC_BUFFER: CPtr = 10;
/// The domain capability.
pub const CAP_DOMAIN: CPtr = 11;
/// The number of initial slots (12..=15 are reserved); the first free slot.
pub const NUM_INITIAL_CAPS: CPtr = 16;

// The initial slots fit in every configuration's root CNode: `Config::check`.

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::WORD_BITS;

    #[test]
    fn root_cnode_resolves_in_one_word() {
        assert_eq!(ROOT_CNODE_RADIX + ROOT_CNODE_GUARD_SIZE, WORD_BITS);
    }

    #[test]
    fn initial_slots_are_distinct_and_in_order() {
        let slots = [
            CAP_NULL,
            CAP_INIT_THREAD_TCB,
            CAP_INIT_THREAD_CNODE,
            CAP_INIT_THREAD_VSPACE,
            CAP_IRQ_CONTROL,
            CAP_ASID_CONTROL,
            CAP_INIT_THREAD_ASID_POOL,
            CAP_IO_PORT_CONTROL,
            CAP_IO_SPACE,
            CAP_BOOT_INFO_FRAME,
            CAP_INIT_THREAD_IPC_BUFFER,
            CAP_DOMAIN,
        ];
        for (i, s) in slots.iter().enumerate() {
            assert_eq!(*s, i as CPtr);
        }
        assert!(slots.iter().all(|&s| s < NUM_INITIAL_CAPS));
    }
}
