//! The numbers that differ between architectures and configurations, one module per
//! configuration: [`vm`] (the hosted machine: the numbers it has always had) and
//! [`riscv64`] (seL4 13.0's reference configuration on qemu `virt`,
//! `SEL4-RISCV64-BOOT.md`: non-MCS, no FPU). Each module holds its numbers as named
//! constants and gathers them in a [`Config`] value, `CONFIG`.
//!
//! Two ways to read them, never mixed:
//! - **User code** takes the configuration it is built for, chosen by target at build
//!   time: [`current`] is [`riscv64`] on riscv64 targets and [`vm`] everywhere else
//!   (host builds and wasm32 included). The crate root's `TCB_BITS` and
//!   `ROOT_CNODE_RADIX` are `current`'s.
//! - **The kernel** takes its numbers from its architecture (`Arch::CONFIG` is one of
//!   the `CONFIG` values), never from `current`: one kernel build holds several
//!   architectures (the vm, a test double), each with its own configuration.
//!
//! No cargo feature changes a number here (features must stay additive).

use crate::Word;
use crate::syscall::Syscall;

pub mod riscv64;
pub mod vm;

#[cfg(target_arch = "riscv64")]
pub use riscv64 as current;
#[cfg(not(target_arch = "riscv64"))]
pub use vm as current;

/// The configuration user code is built for (see the module documentation).
pub const CURRENT: Config = current::CONFIG;

/// Every configuration, for tests and tables.
pub const ALL: [Config; 2] = [vm::CONFIG, riscv64::CONFIG];

/// One architecture's configuration: the numbers seL4 fixes per build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Short name ("vm", "riscv64").
    pub name: &'static str,
    /// log2 bytes of a TCB (`seL4_TCBBits`).
    pub tcb_bits: u32,
    /// Radix of the root task's CNode (`CONFIG_ROOT_CNODE_SIZE_BITS`,
    /// BootInfo's `initThreadCNodeSizeBits`).
    pub root_cnode_radix: u32,
    /// Guard size of the root CNode cap: a CPtr resolves in exactly one word.
    pub root_cnode_guard_size: u32,
    /// Guard value of the root CNode cap.
    pub root_cnode_guard: Word,
    /// Untyped descriptors BootInfo has room for (`MAX_NUM_BOOTINFO_UNTYPED_CAPS`).
    pub max_bootinfo_untyped_caps: usize,
    /// First user virtual address user level may not map (`seL4_UserTop`).
    pub user_top: Word,
    /// ASID bits that select a pool (`seL4_NumASIDPoolsBits`).
    pub asid_pool_bits: u32,
    /// ASID bits that index within a pool (`seL4_ASIDPoolIndexBits`).
    pub asid_index_bits: u32,
    /// Interrupt numbers the kernel keeps a line for: `0..irq_count`
    /// (seL4's `maxIRQ + 1`).
    pub irq_count: Word,
    /// Whether the SetTLSBase system call (-29) exists (`CONFIG_SET_TLS_BASE_SELF`).
    pub set_tls_base: bool,
}

impl Config {
    /// Slots in the root task's CNode.
    pub const fn root_cnode_slots(&self) -> Word {
        1 << self.root_cnode_radix
    }

    /// Bits of an ASID.
    pub const fn asid_bits(&self) -> u32 {
        self.asid_pool_bits + self.asid_index_bits
    }

    /// Decodes a syscall-number register in this configuration: the calls every
    /// configuration has ([`Syscall::from_word`]) and the configuration's own.
    #[inline(always)]
    pub const fn syscall(&self, w: Word) -> Option<Syscall> {
        match Syscall::from_word(w) {
            Some(s) => Some(s),
            None if self.set_tls_base && w == Syscall::SetTlsBase.word() => {
                Some(Syscall::SetTlsBase)
            }
            None => None,
        }
    }

    /// Whether `s` exists in this configuration.
    pub const fn has_syscall(&self, s: Syscall) -> bool {
        match s {
            Syscall::SetTlsBase => self.set_tls_base,
            _ => true,
        }
    }

    /// Checks what every configuration must satisfy; `const` so each module asserts
    /// its own at compile time.
    pub const fn check(&self) {
        use crate::object::{SLOT_BITS, TCB_CNODE_RADIX, WORD_BITS, cnode_size_bits};
        // The TCB's 16-slot capability region is its lower half, as in seL4.
        assert!(cnode_size_bits(TCB_CNODE_RADIX) < self.tcb_bits);
        // The root CNode holds the initial caps and resolves a CPtr in one word.
        assert!(crate::boot::NUM_INITIAL_CAPS < 1 << self.root_cnode_radix);
        assert!(self.root_cnode_radix + self.root_cnode_guard_size == WORD_BITS);
        assert!(SLOT_BITS + self.root_cnode_radix <= crate::object::MAX_UNTYPED_BITS);
        // BootInfo's layout is seL4's 64-bit one with its 230 descriptors.
        assert!(self.max_bootinfo_untyped_caps == crate::boot_info::MAX_BOOTINFO_UNTYPED_CAPS);
        assert!(self.asid_bits() <= 16);
        assert!(self.user_top % (1 << crate::object::PAGE_BITS) == 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vm_keeps_its_numbers() {
        let c = vm::CONFIG;
        assert_eq!((c.tcb_bits, c.root_cnode_radix), (11, 12));
        assert_eq!((c.root_cnode_guard_size, c.root_cnode_guard), (52, 0));
        assert_eq!(c.root_cnode_slots(), 4096);
        assert_eq!(c.max_bootinfo_untyped_caps, 230);
        assert_eq!(c.user_top, 0x3f_ffff_f000);
        assert_eq!((c.asid_bits(), c.irq_count), (16, 32));
        assert_eq!(
            (
                vm::CAP_INIT_THREAD_MODULE,
                vm::CAP_INIT_THREAD_REGISTER_STACK
            ),
            (12, 13)
        );
        assert_eq!(c.syscall(Syscall::SetTlsBase.word()), None);
    }

    #[test]
    fn riscv64_is_sel4s_reference_configuration() {
        let c = riscv64::CONFIG;
        assert_eq!((c.tcb_bits, c.root_cnode_radix), (10, 13));
        assert_eq!((c.root_cnode_guard_size, c.root_cnode_guard), (51, 0));
        assert_eq!(c.root_cnode_slots(), 8192);
        assert_eq!(c.max_bootinfo_untyped_caps, 230);
        assert_eq!(c.user_top, 0x3f_ffff_f000);
        assert_eq!((c.asid_pool_bits, c.asid_index_bits), (7, 9));
        assert_eq!(
            (riscv64::PLIC_MAX_IRQ, riscv64::KERNEL_TIMER_IRQ),
            (128, 129)
        );
        assert_eq!(c.irq_count, riscv64::MAX_IRQ + 1);
        assert_eq!(c.syscall((-29i64) as Word), Some(Syscall::SetTlsBase));
        assert_eq!(c.syscall((-28i64) as Word), None);
        assert_eq!(c.syscall((-15i64) as Word), None);
    }

    #[test]
    fn syscalls_decode_per_configuration() {
        for c in ALL {
            c.check();
            for s in Syscall::ALL {
                assert!(c.has_syscall(s));
                assert_eq!(c.syscall(s.word()), Some(s), "{}", c.name);
            }
            assert_eq!(c.has_syscall(Syscall::SetTlsBase), c.set_tls_base);
            assert_eq!(c.syscall(0), None);
        }
        assert_eq!(CURRENT, current::CONFIG);
        assert!(ALL.contains(&CURRENT));
    }
}
