//! The test double architecture used by the kernel's own tests: riscv64's
//! register conventions and VSpace rules, and recorded side effects (console
//! output, interrupt masking and acknowledgements, TLB flushes) for tests to
//! assert on.

use super::riscv64::{self, Riscv64};
use super::{Arch, NoArchOp, check_ipc_buffer_common};
use crate::cap::Cap;
use crate::error::SyscallError;
use crate::invocation::Outcome;
use crate::memory::{PAddr, Ram};
use crate::object::tcb::tcb_object;
use crate::preemption::Preempted;
use crate::state::Kernel;
use crate::vspace::TlbFlush;
use selvm_abi::Word;
use selvm_abi::config::{self, Config};

/// The test double's configuration: the vm's numbers (a 2^11 TCB, a 2^12 root
/// CNode; the kernel's tests are written against them) with riscv64's 128
/// interrupt lines of the PLIC and no SetTLSBase system call.
pub const TEST_CONFIG: Config = Config {
    name: "test",
    irq_count: 128,
    ..config::vm::CONFIG
};

tcb_object! {
    /// The test double's TCB after its capability region: riscv64's 35-word
    /// context and an 8-word name in the vm's 2^11 bytes.
    pub struct TestTcb { context: riscv64::CONTEXT_REGISTERS, tcb_bits: TEST_CONFIG.tcb_bits }
}

/// Records what the kernel asked of the hardware.
#[derive(Debug, Clone)]
pub struct TestArch {
    /// Bytes written with DebugPutChar (up to the buffer size).
    pub console: [u8; 256],
    /// How many console bytes were written in all.
    pub console_len: usize,
    /// Bit i set: interrupt i is masked (first 128 lines).
    pub masked: u128,
    /// Interrupts acknowledged, in order (last 16).
    pub acked: [u64; 16],
    /// How many acknowledgements in all.
    pub acked_len: usize,
    /// TLB flushes, in order (last 32).
    pub flushes: [TlbFlush; 32],
    /// How many flushes in all.
    pub flushes_len: usize,
}

impl Default for TestArch {
    fn default() -> Self {
        TestArch {
            console: [0; 256],
            console_len: 0,
            // Every line starts masked, as an interrupt controller does at boot.
            masked: u128::MAX,
            acked: [0; 16],
            acked_len: 0,
            flushes: [TlbFlush::Asid(0); 32],
            flushes_len: 0,
        }
    }
}

impl TestArch {
    /// The console output so far (truncated to the buffer).
    pub fn console(&self) -> &[u8] {
        &self.console[..self.console_len.min(self.console.len())]
    }

    /// Flush number `i` (counting from 0 since boot), if it is still among
    /// the last 32 recorded.
    pub fn flush(&self, i: usize) -> Option<TlbFlush> {
        (i < self.flushes_len && i + 32 >= self.flushes_len).then(|| self.flushes[i % 32])
    }
}

impl Arch for TestArch {
    const NAME: &'static str = "test";
    const CONFIG: Config = TEST_CONFIG;
    const CONTEXT_WORDS: usize = <Riscv64 as Arch>::CONTEXT_WORDS;
    const FRAME_REGISTERS: &'static [usize] = <Riscv64 as Arch>::FRAME_REGISTERS;
    const GP_REGISTERS: &'static [usize] = <Riscv64 as Arch>::GP_REGISTERS;
    const SYSCALL_NUMBER_REGISTER: usize = riscv64::A7;
    const CAP_REGISTER: usize = riscv64::A0;
    const MSG_INFO_REGISTER: usize = riscv64::A1;
    const MSG_REGISTERS: &'static [usize] = <Riscv64 as Arch>::MSG_REGISTERS;
    const SYSCALL_MESSAGE: &'static [usize] = <Riscv64 as Arch>::SYSCALL_MESSAGE;
    const EXCEPTION_MESSAGE: &'static [usize] = <Riscv64 as Arch>::EXCEPTION_MESSAGE;
    const TLS_REGISTER: usize = riscv64::TP;
    const FAULT_IP_REGISTER: usize = riscv64::FAULT_IP;
    const NEXT_IP_REGISTER: usize = riscv64::NEXT_IP;

    type Tcb = TestTcb;
    type Op = NoArchOp;
    type PcWrite = ();

    fn init_context(context: &mut [Word]) {
        <Riscv64 as Arch>::init_context(context);
    }

    fn sanitise_register(index: usize, value: Word) -> Word {
        <Riscv64 as Arch>::sanitise_register(index, value)
    }

    fn is_valid_vtable_root(cap: &Cap) -> bool {
        <Riscv64 as Arch>::is_valid_vtable_root(cap)
    }

    fn check_ipc_buffer(vaddr: Word, frame: &Cap) -> Result<(), SyscallError> {
        check_ipc_buffer_common(vaddr, frame)
    }

    fn put_char(&mut self, c: u8) {
        if let Some(slot) = self.console.get_mut(self.console_len) {
            *slot = c;
        }
        self.console_len += 1;
    }

    fn set_irq_masked(&mut self, irq: u64, masked: bool) {
        if irq < 128 {
            if masked {
                self.masked |= 1 << irq
            } else {
                self.masked &= !(1 << irq)
            }
        }
    }

    fn ack_irq(&mut self, irq: u64) {
        self.acked[self.acked_len % self.acked.len()] = irq;
        self.acked_len += 1;
    }

    fn flush_tlb(&mut self, flush: TlbFlush) {
        self.flushes[self.flushes_len % 32] = flush;
        self.flushes_len += 1;
    }

    fn perform_invocation<R: Ram>(
        _k: &mut Kernel<Self, R>,
        op: NoArchOp,
    ) -> Result<Outcome, Preempted> {
        match op {}
    }

    fn user_pc_write<R: Ram>(_k: &Kernel<Self, R>, _t: PAddr, _pc: Word) -> Option<()> {
        Some(())
    }
}
