//! The architecture boundary: everything the portable kernel needs from a CPU
//! architecture goes through the [`Arch`] trait — its configuration's numbers,
//! the layout of a thread's saved user context and its syscall registers (and so
//! of its TCB), register sanitising and the check of a pc user level writes,
//! IPC-buffer and VSpace-root rules, interrupt masking and acknowledgement, TLB
//! flushes, the debug console, and, as seL4 keeps them under `arch/`, the
//! architecture's own objects: their Retype types, caps (one neutral
//! [`ArchCap`] record), invocations, TCB slots and deletion. The kernel is
//! generic over it (`Kernel<A: Arch, R>`), so several architectures live in one
//! build: `riscv64` (the real context and Sv39 entries, built for bare metal),
//! `test_double` (used by the kernel's tests) and `vm`, the register machine of
//! the hosted machine (cargo feature `vm`, on by default; a bare-metal build
//! leaves it out and carries none of its objects).

pub mod riscv64;
pub mod sv39;
pub mod test_double;
#[cfg(feature = "vm")]
pub mod vm;

use crate::cap::{ArchCap, Cap};
use crate::error::SyscallError;
use crate::invocation::{Invocation, Outcome};
use crate::memory::{PAddr, Ram};
use crate::object::tcb::{self, TcbObject};
use crate::preemption::Preempted;
use crate::slot::SlotRef;
use crate::state::Kernel;
use selvm_abi::Word;
use selvm_abi::config::Config;

/// An object type an architecture adds to Retype (seL4's object types after the
/// generic ones): the kind its caps record and the sizes a caller may choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchObjectType {
    /// The kind stored in its caps ([`ArchCap::kind`]).
    pub kind: u8,
    /// The smallest size Retype's size argument may ask for, in log2 bytes.
    pub min_bits: u32,
    /// The largest.
    pub max_bits: u32,
}

/// The invocation type of an architecture that has no invocations of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoArchOp {}

/// A CPU architecture as the portable kernel sees it.
pub trait Arch: Sized {
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
    /// Slots of a TCB's capability region in use, which deleting the TCB clears:
    /// seL4's five, then the architecture's own (seL4's `tcbArchCNodeEntries`).
    const TCB_CNODE_ENTRIES: u64 = tcb::CNODE_ENTRIES;

    /// The TCB's kernel part as the architecture lays it out after the
    /// capability region: the portable fields, its context of `CONTEXT_WORDS`,
    /// the name in what is left (declared with `object::tcb::tcb_object!`, which
    /// checks at compile time that it fits the configuration's TCB).
    type Tcb: TcbObject;
    /// A validated invocation of the architecture's own ([`NoArchOp`] if none).
    type Op: Copy + core::fmt::Debug + Eq;
    /// What an accepted pc write means to the architecture, from
    /// [`Arch::user_pc_write`] to [`Arch::user_pc_written`].
    type PcWrite: Copy;

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

    /// Entries of every VSpace root the kernel keeps for its own mappings
    /// (riscv64: the upper half of Sv39, where the kernel's window lives);
    /// empty when the kernel does not share user address spaces.
    const KERNEL_ROOT_ENTRIES: core::ops::Range<usize> = 0..0;

    /// The value of kernel root entry `index`, copied into a VSpace root when it
    /// becomes one (seL4's `copyGlobalMappings`).
    fn kernel_root_entry(&self, _index: usize) -> Word {
        0
    }

    // The architecture's own objects (seL4's `Arch_` object functions).

    /// Retype's object type `word` if the architecture adds it (types 0–8 are
    /// the portable ones); `None` answers InvalidArgument 0. Objects of these
    /// types are `Cap::Arch` caps of their kind, never made from device memory.
    fn object_type(_word: Word) -> Option<ArchObjectType> {
        None
    }

    /// Decodes an invocation the architecture claims: of its own caps
    /// (`Cap::Arch`), or of its own labels on portable caps (the vm's TCB
    /// labels). `None` leaves it to the portable decoders, which answer an
    /// unclaimed `Cap::Arch` with InvalidCapability. Like every decoder it
    /// validates completely and changes nothing.
    fn decode_invocation<R: Ram>(
        _k: &Kernel<Self, R>,
        _slot: SlotRef,
        _cap: Cap,
        _inv: &Invocation<'_>,
    ) -> Option<Result<Self::Op, SyscallError>> {
        None
    }

    /// Performs a validated architecture invocation (only preemption fails).
    fn perform_invocation<R: Ram>(
        k: &mut Kernel<Self, R>,
        op: Self::Op,
    ) -> Result<Outcome, Preempted>;

    /// A cap to one of the architecture's objects is deleted, `is_final` if it
    /// was the last (seL4's `Arch_finaliseCap`): e.g. drop cached state.
    fn finalise_cap(&mut self, _cap: ArchCap, _is_final: bool) {}

    /// Whether an architecture cap's fields are ones the architecture makes
    /// (the invariant checker's field rule).
    fn cap_is_valid(_cap: ArchCap) -> bool {
        false
    }

    /// The cap type number DebugCapIdentify reports for an architecture cap.
    fn cap_type_tag(_cap: ArchCap) -> u64 {
        0
    }

    /// Whether user level may set thread `t`'s pc to `pc` (WriteRegisters, a
    /// fault reply); `None` rejects it: WriteRegisters answers InvalidArgument 2
    /// and a fault reply leaves the thread Inactive, its context unchanged.
    fn user_pc_write<R: Ram>(k: &Kernel<Self, R>, t: PAddr, pc: Word) -> Option<Self::PcWrite>;

    /// Thread `t`'s registers were written, its pc with one
    /// [`Arch::user_pc_write`] accepted as `w`.
    fn user_pc_written<R: Ram>(_k: &mut Kernel<Self, R>, _t: PAddr, _w: Self::PcWrite) {}
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
