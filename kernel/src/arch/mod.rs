//! The architecture boundary: everything the portable kernel needs from a CPU
//! architecture goes through the [`Arch`] trait — the layout of a thread's saved
//! user context and its syscall registers, register sanitising and pc
//! validation, the page-table entry format and ASID width, IPC-buffer and
//! VSpace-root rules, interrupt masking and acknowledgement, TLB flushes, and
//! the debug console. The kernel is generic over it (`Kernel<'m, A: Arch>`), so several
//! architectures live in one build: `riscv64` (the real context and Sv39 entries,
//! built for bare metal) and `test_double` (used by the kernel's tests); the vm
//! architecture of the hosted machine is the third.

pub mod riscv64;
pub mod sv39;
pub mod test_double;
pub mod vm;

use crate::cap::Cap;
use crate::error::SyscallError;
use selvm_abi::Word;
use selvm_abi::config::Config;

/// Most words any architecture's user context may take (the TCB reserves this).
pub const MAX_CONTEXT_WORDS: usize = 96;

/// A CPU architecture as the portable kernel sees it.
pub trait Arch {
    /// Short name ("riscv64", "test", "vm").
    const NAME: &'static str;
    /// The numbers of the architecture's configuration (`selvm_abi::config`): TCB
    /// size, root CNode radix and guard, BootInfo's untyped capacity, user top, ASID
    /// width, interrupt lines, the syscalls it has. The kernel reads these, never
    /// `selvm_abi::config::current` (user code's), so one build holds several
    /// architectures.
    const CONFIG: Config;
    /// Words of a thread's saved user context (registers and pc state).
    const CONTEXT_WORDS: usize;
    /// Context indices ReadRegisters/WriteRegisters transfer first (seL4's
    /// frame registers, starting with the pc).
    const FRAME_REGISTERS: &'static [usize];
    /// Context indices transferred after the frame registers (seL4's gp registers).
    const GP_REGISTERS: &'static [usize];
    /// Register holding the syscall number.
    const SYSCALL_NUMBER_REGISTER: usize;
    /// Register holding the invoked cap on entry and the badge on return.
    const CAP_REGISTER: usize;
    /// Register holding the message info.
    const MSG_INFO_REGISTER: usize;
    /// Registers holding message registers 0.. (the rest live in the IPC buffer).
    const MSG_REGISTERS: &'static [usize];
    /// Registers an UnknownSyscall fault message carries (the syscall number
    /// follows them), in order; a fault reply writes them back.
    const SYSCALL_MESSAGE: &'static [usize];
    /// Registers a UserException fault message carries (the exception number
    /// and code follow them), in order; a fault reply writes them back.
    const EXCEPTION_MESSAGE: &'static [usize];
    /// Register holding the thread-local-storage base (SetTLSBase).
    const TLS_REGISTER: usize;
    /// Register holding the pc at which the thread resumes (restart pc).
    const FAULT_IP_REGISTER: usize;
    /// Register holding the pc after the current instruction.
    const NEXT_IP_REGISTER: usize;
    /// Number of interrupt lines (the configuration's).
    const IRQ_COUNT: u64 = Self::CONFIG.irq_count;
    /// Whether Retype makes the vm architecture's module and register-stack
    /// objects (types 9 and 10).
    const VM_OBJECTS: bool = false;

    /// Writes a new thread's initial context (all other words are zero).
    fn init_context(context: &mut [Word]);

    /// The value a user-written register gets (seL4's `sanitiseRegister`): an
    /// architecture clears bits user code may not set.
    fn sanitise_register(index: usize, value: Word) -> Word;

    /// Whether user writes to context word `index` are ignored.
    fn is_read_only_register(_index: usize) -> bool {
        false
    }

    /// Whether `cap` may be a thread's VSpace root.
    fn is_valid_vtable_root(cap: &Cap) -> bool;

    /// Checks an IPC buffer at user address `vaddr` backed by `frame`.
    fn check_ipc_buffer(vaddr: Word, frame: &Cap) -> Result<(), SyscallError>;

    /// Debug console output (DebugPutChar).
    fn put_char(&mut self, c: u8);

    /// Masks or unmasks interrupt line `irq`.
    fn set_irq_masked(&mut self, irq: u64, masked: bool);

    /// Acknowledges interrupt line `irq` at the interrupt controller.
    fn ack_irq(&mut self, irq: u64);

    /// Cached translations covered by `flush` are stale: the kernel changed
    /// or removed the entries behind them (riscv64: `sfence.vma`; the vm
    /// architecture's software TLB drops the entries).
    fn flush_tlb(&mut self, flush: crate::vspace::TlbFlush);

    /// The module object at `module` is gone (its last cap was deleted): an
    /// architecture caching decoded code drops it.
    fn module_deleted(&mut self, _module: crate::memory::PAddr) {}
}

/// The IPC-buffer rule every architecture shares: a RAM frame cap (not device)
/// and an address aligned to the 1 KiB buffer size.
pub fn check_ipc_buffer_common(vaddr: Word, frame: &Cap) -> Result<(), SyscallError> {
    const ALIGN: Word = (1 << selvm_abi::IPC_BUFFER_SIZE_BITS) - 1;
    match frame {
        Cap::Frame {
            is_device: false, ..
        } if vaddr & ALIGN == 0 => Ok(()),
        Cap::Frame {
            is_device: false, ..
        } => Err(SyscallError::AlignmentError),
        _ => Err(SyscallError::IllegalOperation),
    }
}
