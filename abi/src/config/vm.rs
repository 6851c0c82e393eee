//! The vm architecture's configuration (the hosted machine, `docs/vm-abi.md`): the
//! numbers it has always had. The object sizes and invocation labels it adds after
//! riscv64's are in [`crate::vm`].

use super::Config;
use crate::{CPtr, Word};

/// log2 bytes of a vm TCB (as riscv64's with FPU state; the vm's own and documented).
pub const TCB_BITS: u32 = 11;
/// Radix of the root task's CNode (4096 slots).
pub const ROOT_CNODE_RADIX: u32 = 12;
/// Slots in the root task's CNode.
pub const ROOT_CNODE_SLOTS: Word = 1 << ROOT_CNODE_RADIX;
/// Guard size of the root CNode cap, so that a CPtr resolves in exactly 64 bits.
pub const ROOT_CNODE_GUARD_SIZE: u32 = crate::object::WORD_BITS - ROOT_CNODE_RADIX;
/// Guard value of the root CNode cap.
pub const ROOT_CNODE_GUARD: Word = 0;
/// Untyped descriptors in BootInfo.
pub const MAX_BOOTINFO_UNTYPED_CAPS: usize = 230;
/// First user virtual address that cannot be mapped (Sv39-style page tables).
pub const USER_TOP: Word = 0x3f_ffff_f000;
/// Interrupt lines of the hosted machine.
pub const IRQ_COUNT: Word = crate::vm::device::IRQ_COUNT;
/// Root CNode slot where the loader puts the root task's module cap (a slot seL4
/// leaves to other architectures' SMMU caps; free on this one).
pub const CAP_INIT_THREAD_MODULE: CPtr = 12;
/// Root CNode slot where the loader puts the root task's register stack cap.
pub const CAP_INIT_THREAD_REGISTER_STACK: CPtr = 13;

/// The vm configuration.
pub const CONFIG: Config = Config {
    name: "vm",
    tcb_bits: TCB_BITS,
    root_cnode_radix: ROOT_CNODE_RADIX,
    root_cnode_guard_size: ROOT_CNODE_GUARD_SIZE,
    root_cnode_guard: ROOT_CNODE_GUARD,
    max_bootinfo_untyped_caps: MAX_BOOTINFO_UNTYPED_CAPS,
    user_top: USER_TOP,
    asid_pool_bits: crate::object::ASID_HIGH_BITS,
    asid_index_bits: crate::object::ASID_POOL_INDEX_BITS,
    irq_count: IRQ_COUNT,
    set_tls_base: false,
};

const _: () = CONFIG.check();
// The vm's own initial caps sit in slots seL4 reserves (12..16) on this configuration.
const _: () = assert!(
    CAP_INIT_THREAD_MODULE > crate::boot::CAP_DOMAIN
        && CAP_INIT_THREAD_REGISTER_STACK < crate::boot::NUM_INITIAL_CAPS
);
