//! seL4 13.0's reference configuration on qemu riscv64 `virt` (`SEL4-RISCV64-BOOT.md`),
//! the one seL4's own test binaries were built against: non-MCS, one hart, Sv39, no
//! FPU (user code is soft-float, so a TCB holds no FPU state and `seL4_TCBBits` is
//! 10), a root CNode of 2^13 slots, a 2 ms tick, and SetTLSBase (-29).

use super::Config;
use crate::Word;

/// log2 bytes of a TCB without FPU state (`seL4_TCBBits`).
pub const TCB_BITS: u32 = 10;
/// Radix of the root task's CNode (8192 slots).
pub const ROOT_CNODE_RADIX: u32 = 13;
/// Slots in the root task's CNode.
pub const ROOT_CNODE_SLOTS: Word = 1 << ROOT_CNODE_RADIX;
/// Guard size of the root CNode cap, so that a CPtr resolves in exactly 64 bits.
pub const ROOT_CNODE_GUARD_SIZE: u32 = crate::object::WORD_BITS - ROOT_CNODE_RADIX;
/// Guard value of the root CNode cap.
pub const ROOT_CNODE_GUARD: Word = 0;
/// Untyped descriptors in BootInfo (`MAX_NUM_BOOTINFO_UNTYPED_CAPS`).
pub const MAX_BOOTINFO_UNTYPED_CAPS: usize = 230;
/// First user virtual address that cannot be mapped (`seL4_UserTop`).
pub const USER_TOP: Word = 0x3f_ffff_f000;
/// The PLIC's last interrupt source (`PLIC_MAX_IRQ`, the platform's `MAX_IRQ` 128):
/// user-level IRQs are PLIC sources 1..=128.
pub const PLIC_MAX_IRQ: Word = 128;
/// The invalid IRQ number (PLIC source 0 means none pending).
pub const IRQ_INVALID: Word = 0;
/// The kernel's timer interrupt, numbered after the PLIC's sources
/// (`INTERRUPT_CORE_TIMER`).
pub const KERNEL_TIMER_IRQ: Word = PLIC_MAX_IRQ + 1;
/// The largest IRQ number (`maxIRQ`).
pub const MAX_IRQ: Word = KERNEL_TIMER_IRQ;
/// Interrupt numbers the kernel keeps a line for (`0..=maxIRQ`).
pub const IRQ_COUNT: Word = MAX_IRQ + 1;
/// The timer's frequency (`rdtime` ticks per second, qemu's CLINT).
pub const TIMER_FREQUENCY: Word = 10_000_000;
/// The kernel tick, in milliseconds (a time slice is 5 ticks).
pub const TICK_MS: Word = 2;

/// The riscv64 reference configuration.
pub const CONFIG: Config = Config {
    name: "riscv64",
    tcb_bits: TCB_BITS,
    root_cnode_radix: ROOT_CNODE_RADIX,
    root_cnode_guard_size: ROOT_CNODE_GUARD_SIZE,
    root_cnode_guard: ROOT_CNODE_GUARD,
    max_bootinfo_untyped_caps: MAX_BOOTINFO_UNTYPED_CAPS,
    user_top: USER_TOP,
    asid_pool_bits: crate::object::ASID_HIGH_BITS,
    asid_index_bits: crate::object::ASID_POOL_INDEX_BITS,
    irq_count: IRQ_COUNT,
    set_tls_base: true,
};

const _: () = CONFIG.check();
const _: () = assert!(TICK_MS == crate::sched::TIMER_TICK_MS);
