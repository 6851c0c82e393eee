//! The riscv64 architecture: seL4's saved user context (x1..x31, scause,
//! sstatus, the fault pc and the next pc), the syscall register ABI of
//! SEL4-FACTS (number a7, cap/badge a0, msginfo a1, MR0-MR3 a2-a5) and the
//! register order of ReadRegisters (seL4_UserContext: pc, ra, sp, gp, s0-s11,
//! a0-a7, t0-t6, tp), the kernel's half of every Sv39 root, and what the kernel
//! asks of the machine ([`Riscv64Platform`]). Trap entry, the timer and the
//! platform's devices live in the bare-metal platform crate.

mod registers;
#[cfg(test)]
mod tests;

pub use registers::*;

use super::{Arch, NoArchOp, check_ipc_buffer_common};
use crate::cap::Cap;
use crate::error::SyscallError;
use crate::invocation::Outcome;
use crate::memory::{PAddr, Ram};
use crate::object::tcb::tcb_object;
use crate::preemption::Preempted;
use crate::state::Kernel;
use selvm_abi::Word;
use selvm_abi::config::{self, Config};

/// The riscv64 architecture (Sv39, no hypervisor extension) on the machine
/// `P` (the bare-metal platform; [`Detached`] on the host, for tests).
#[derive(Debug, Default)]
pub struct Riscv64<P = Detached> {
    /// The machine the kernel runs on.
    pub platform: P,
}

impl Riscv64 {
    /// The architecture on no machine: output dropped, no interrupt
    /// controller, no TLB, no kernel mappings (what host tests run).
    pub fn detached() -> Riscv64 {
        Riscv64 { platform: Detached }
    }
}

/// What the riscv64 kernel needs from the machine under it. The portable
/// kernel never learns which machine that is; the platform crate implements
/// these with SBI calls, PLIC registers and `sfence.vma`.
pub trait Riscv64Platform {
    /// Writes one byte to the debug console.
    fn put_char(&mut self, c: u8);
    /// Masks or unmasks external interrupt line `irq` at the interrupt
    /// controller.
    fn set_irq_masked(&mut self, irq: u64, masked: bool);
    /// Completes external interrupt `irq` at the interrupt controller.
    fn ack_irq(&mut self, irq: u64);
    /// Drops cached translations covered by `flush`.
    fn flush_tlb(&mut self, flush: crate::vspace::TlbFlush);
    /// Root page-table entry `index` (256..512) of the kernel's own address
    /// space, which every VSpace root carries.
    fn kernel_root_entry(&self, index: usize) -> Word;
}

/// No machine: what host tests run the riscv64 configuration on.
#[derive(Debug, Default, Clone, Copy)]
pub struct Detached;

impl Riscv64Platform for Detached {
    fn put_char(&mut self, _c: u8) {}
    fn set_irq_masked(&mut self, _irq: u64, _masked: bool) {}
    fn ack_irq(&mut self, _irq: u64) {}
    fn flush_tlb(&mut self, _flush: crate::vspace::TlbFlush) {}
    fn kernel_root_entry(&self, _index: usize) -> Word {
        0
    }
}

/// Root entries of the kernel's half of Sv39: virtual addresses with bit 38
/// set, all above user space.
pub const KERNEL_ROOT_ENTRIES: core::ops::Range<usize> = 256..512;

/// sstatus bits a user thread starts with: SPIE, so interrupts are enabled
/// after `sret` (seL4's `Arch_initContext`). FS stays Off: the configuration has
/// no FPU, user code is soft-float.
pub const SSTATUS_INITIAL: Word = 1 << 5;

tcb_object! {
    /// The riscv64 TCB after its capability region (a TCB of 2^10 bytes, no FPU
    /// state): 16 slots at bytes 0..512, then the portable fields (512..720),
    /// the 35-word context (720..1000) and a 3-word name (1000..1024: 23
    /// characters and a NUL). Checked here, at compile time.
    pub struct Riscv64Tcb { context: CONTEXT_REGISTERS, tcb_bits: config::riscv64::TCB_BITS }
}

const _: () = assert!(config::riscv64::TCB_BITS == 10);
// The fault messages have libsel4's lengths (the kernel appends UserException's number
// and code, and UnknownSyscall's number, after these registers).
const _: () = {
    use selvm_abi::riscv64::layout as user;
    assert!(<Riscv64 as Arch>::EXCEPTION_MESSAGE.len() + 2 == user::USER_EXCEPTION_LENGTH);
    assert!(<Riscv64 as Arch>::SYSCALL_MESSAGE.len() + 1 == user::UNKNOWN_SYSCALL_LENGTH);
};
const _: () = {
    use core::mem::{offset_of, size_of};
    let base = crate::object::tcb::FIELDS_OFFSET as usize;
    assert!(base + offset_of!(Riscv64Tcb, context) == 720);
    assert!(base + offset_of!(Riscv64Tcb, name) == 1000);
    assert!(base + size_of::<Riscv64Tcb>() == 1 << config::riscv64::TCB_BITS);
};

impl<P: Riscv64Platform> Arch for Riscv64<P> {
    const NAME: &'static str = "riscv64";
    const CONFIG: Config = selvm_abi::config::riscv64::CONFIG;
    const CONTEXT_WORDS: usize = CONTEXT_REGISTERS;
    const FRAME_REGISTERS: &'static [usize] = &FRAME;
    const GP_REGISTERS: &'static [usize] = &GP;
    const SYSCALL_NUMBER_REGISTER: usize = A7;
    const CAP_REGISTER: usize = A0;
    const MSG_INFO_REGISTER: usize = A1;
    const MSG_REGISTERS: &'static [usize] = &[A2, A3, A4, A5];
    // libsel4's riscv64 layouts: UnknownSyscall is FaultIP, SP, RA, a0-a6,
    // Syscall; UserException is FaultIP, SP, Number, Code (no status word on
    // riscv64, unlike arm's CPSR).
    const SYSCALL_MESSAGE: &'static [usize] = &[FAULT_IP, SP, RA, A0, A1, A2, A3, A4, A5, A6];
    const EXCEPTION_MESSAGE: &'static [usize] = &[FAULT_IP, SP];
    const TLS_REGISTER: usize = TP;
    const FAULT_IP_REGISTER: usize = FAULT_IP;
    const NEXT_IP_REGISTER: usize = NEXT_IP;

    type Tcb = Riscv64Tcb;
    type Op = NoArchOp;
    type PcWrite = ();

    fn init_context(context: &mut [Word]) {
        context[SSTATUS] = SSTATUS_INITIAL;
    }

    fn sanitise_register(_index: usize, value: Word) -> Word {
        // Every user-visible riscv register may hold any value; a bad pc
        // faults in user mode.
        value
    }

    fn is_valid_vtable_root(cap: &Cap) -> bool {
        matches!(
            cap,
            Cap::PageTable {
                mapping: Some(_),
                ..
            }
        )
    }

    fn check_ipc_buffer(vaddr: Word, frame: &Cap) -> Result<(), SyscallError> {
        check_ipc_buffer_common(vaddr, frame)
    }

    const KERNEL_ROOT_ENTRIES: core::ops::Range<usize> = KERNEL_ROOT_ENTRIES;

    fn put_char(&mut self, c: u8) {
        self.platform.put_char(c);
    }

    fn set_irq_masked(&mut self, irq: u64, masked: bool) {
        self.platform.set_irq_masked(irq, masked);
    }

    fn ack_irq(&mut self, irq: u64) {
        self.platform.ack_irq(irq);
    }

    fn flush_tlb(&mut self, flush: crate::vspace::TlbFlush) {
        self.platform.flush_tlb(flush);
    }

    fn kernel_root_entry(&self, index: usize) -> Word {
        self.platform.kernel_root_entry(index)
    }

    fn perform_invocation<R: Ram>(
        _k: &mut Kernel<Self, R>,
        op: NoArchOp,
    ) -> Result<Outcome, Preempted> {
        match op {}
    }

    fn user_pc_write<R: Ram>(_k: &Kernel<Self, R>, _t: PAddr, _pc: Word) -> Option<()> {
        // Any pc: a bad one faults in user mode.
        Some(())
    }
}
