//! The vm architecture: the seLVM register machine as the CPU of a hosted
//! kernel (docs/vm-abi.md). A thread's user context is the 11 words of
//! `selvm_abi::vm::context` (pc as function and offset, the wasm stack
//! pointer, the syscall window a0–a5, the last syscall number, tp), followed
//! by kernel-only words the user never sees: the pc to resume at, the entry
//! point TcbSetEntry set, the memory size and limit, and an area the host's
//! run loop owns for the interpreter's own thread state. Side effects (console
//! bytes, interrupt masking, TLB flushes, a module going away) go to the
//! embedding host through [`VmHost`].

mod entry;
mod pc;

pub use entry::VmCode;
pub(crate) use pc::PcWrite;

use super::{Arch, check_ipc_buffer_common};
use crate::cap::Cap;
use crate::error::SyscallError;
use crate::memory::PAddr;
use crate::vspace::TlbFlush;
use selvm_abi::Word;
use selvm_abi::config::Config;
use selvm_abi::vm::context as user;
use selvm_abi::vm::fault::{UNKNOWN_SYSCALL_REGISTERS, USER_EXCEPTION_REGISTERS};

/// Context words past the user context, for the kernel and the host.
pub mod hidden {
    /// The pc the thread resumes at (seL4's NextIP).
    pub const NEXT_PC: usize = 11;
    /// The entry function TcbSetEntry named, or `NO_ENTRY`.
    pub const ENTRY_FUNCTION: usize = 12;
    /// The entry function's argument.
    pub const ENTRY_ARGUMENT: usize = 13;
    /// The initial stack pointer.
    pub const ENTRY_SP: usize = 14;
    /// Most nested calls the register stack must hold (TcbBindRegisterStack).
    pub const MAX_DEPTH: usize = 15;
    /// `memory.size`, in 64 KiB pages.
    pub const MEMORY_PAGES: usize = 16;
    /// The limit of `memory.grow`, in 64 KiB pages.
    pub const MEMORY_LIMIT: usize = 17;
    /// First word of the host's interpreter-state area.
    pub const HOST_STATE: usize = 18;
    /// Words of the host's interpreter-state area. A zero first word means "not
    /// started": the host starts the entry function when the thread next runs.
    pub const HOST_STATE_WORDS: usize = 10;
    /// Value of `ENTRY_FUNCTION` when no entry point is set.
    pub const NO_ENTRY: u64 = u64::MAX;
}

/// Words of a vm thread's saved context.
pub const CONTEXT_WORDS: usize = hidden::HOST_STATE + hidden::HOST_STATE_WORDS;

const _: () = assert!(CONTEXT_WORDS <= super::MAX_CONTEXT_WORDS);
const _: () = assert!(hidden::NEXT_PC == user::USER_CONTEXT_WORDS);

/// What the kernel asks of the machine hosting it.
pub trait VmHost {
    /// DebugPutChar.
    fn put_char(&mut self, c: u8);
    /// Masks or unmasks interrupt line `irq`.
    fn set_irq_masked(&mut self, irq: u64, masked: bool);
    /// Acknowledges interrupt line `irq`.
    fn ack_irq(&mut self, irq: u64);
    /// Cached translations covered by `flush` are stale.
    fn flush_tlb(&mut self, flush: TlbFlush);
    /// The module object at `module` is gone: drop any decoded copy of it.
    fn module_deleted(&mut self, module: PAddr);
}

/// The vm architecture over a host.
#[derive(Debug, Default)]
pub struct VmArch<H> {
    /// The embedding machine.
    pub host: H,
}

impl<H: VmHost> Arch for VmArch<H> {
    const NAME: &'static str = "vm";
    const CONFIG: Config = selvm_abi::config::vm::CONFIG;
    const CONTEXT_WORDS: usize = CONTEXT_WORDS;
    const FRAME_REGISTERS: &'static [usize] = &user::FRAME_REGISTERS;
    const GP_REGISTERS: &'static [usize] = &user::GP_REGISTERS;
    const SYSCALL_NUMBER_REGISTER: usize = user::NR;
    const CAP_REGISTER: usize = user::A0;
    const MSG_INFO_REGISTER: usize = user::A1;
    const MSG_REGISTERS: &'static [usize] = &[user::A2, user::A3, user::A4, user::A5];
    const SYSCALL_MESSAGE: &'static [usize] = &UNKNOWN_SYSCALL_REGISTERS;
    const EXCEPTION_MESSAGE: &'static [usize] = &USER_EXCEPTION_REGISTERS;
    const TLS_REGISTER: usize = user::TP;
    const FAULT_IP_REGISTER: usize = user::PC;
    const NEXT_IP_REGISTER: usize = hidden::NEXT_PC;
    const VM_OBJECTS: bool = true;

    fn init_context(context: &mut [Word]) {
        context.fill(0);
        context[hidden::ENTRY_FUNCTION] = hidden::NO_ENTRY;
    }

    fn sanitise_register(index: usize, value: Word) -> Word {
        user::sanitise(index, value)
    }

    fn is_read_only_register(index: usize) -> bool {
        user::is_read_only(index)
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

    fn put_char(&mut self, c: u8) {
        self.host.put_char(c);
    }

    fn set_irq_masked(&mut self, irq: u64, masked: bool) {
        self.host.set_irq_masked(irq, masked);
    }

    fn ack_irq(&mut self, irq: u64) {
        self.host.ack_irq(irq);
    }

    fn flush_tlb(&mut self, flush: TlbFlush) {
        self.host.flush_tlb(flush);
    }

    fn module_deleted(&mut self, module: PAddr) {
        self.host.module_deleted(module);
    }
}
