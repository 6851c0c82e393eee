//! The vm architecture: the seLVM register machine as the CPU of a hosted
//! kernel (docs/vm-abi.md). A thread's user context is the 11 words of
//! `selvm_abi::vm::context` (pc as function and offset, the wasm stack
//! pointer, the syscall window a0–a5, the last syscall number, tp), followed
//! by kernel-only words the user never sees: the pc to resume at, the entry
//! point TcbSetEntry set, the memory size and limit, and an area the host's
//! run loop owns for the interpreter's own thread state. Side effects (console
//! bytes, interrupt masking, TLB flushes, a module going away) go to the
//! embedding host through [`VmHost`].
//!
//! Its objects live here too and reach the portable kernel only through the
//! `Arch` hooks, as seL4 keeps architecture objects under `arch/`: modules and
//! register stacks (Retype types 9 and 10, `Cap::Arch` records of those kinds:
//! `caps`), their invocations and the vm's TCB invocations (labels 38–43:
//! `module`, `tcb`), TCB slots 5 and 6, and the rule for a pc user level
//! writes (`pc`). The whole module is the cargo feature `vm`.

mod caps;
mod entry;
mod module;
mod pc;
mod tcb;

pub use caps::{MODULE, REGISTER_STACK, VmCap, sealed_image};
pub use entry::{VmCode, VmSyscallExit};
pub use module::ModuleOp;
pub use pc::PcWrite;
pub use tcb::{MAX_MEMORY_PAGES, VmTcbOp};

use super::{Arch, ArchObjectType, check_ipc_buffer_common};
use crate::cap::{ArchCap, Cap};
use crate::error::SyscallError;
use crate::invocation::{Invocation, Outcome};
use crate::memory::{PAddr, Ram};
use crate::object::tcb::tcb_object;
use crate::preemption::Preempted;
use crate::slot::SlotRef;
use crate::state::Kernel;
use crate::vspace::TlbFlush;
use selvm_abi::Word;
use selvm_abi::config::{self, Config};
use selvm_abi::vm::context as user;
use selvm_abi::vm::fault::{UNKNOWN_SYSCALL_REGISTERS, USER_EXCEPTION_REGISTERS};
use selvm_abi::vm::object::{TCB_REGISTER_STACK, VmObjectType};

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

const _: () = assert!(hidden::NEXT_PC == user::USER_CONTEXT_WORDS);

tcb_object! {
    /// The vm TCB after its capability region (a TCB of 2^11 bytes): 16 slots
    /// at bytes 0..512 (seven in use), then the portable fields (512..720), the
    /// 28-word context (720..944) and the 8-word name (944..1008); the rest is
    /// unused. Checked here, at compile time.
    pub struct VmTcb { context: CONTEXT_WORDS, tcb_bits: config::vm::TCB_BITS }
}

const _: () = assert!(config::vm::TCB_BITS == 11);
const _: () = {
    use core::mem::offset_of;
    let base = crate::object::tcb::FIELDS_OFFSET as usize;
    assert!(base + offset_of!(VmTcb, context) == 720);
    assert!(base + offset_of!(VmTcb, name) == 944);
    assert!(crate::object::tcb::name_words(config::vm::TCB_BITS, CONTEXT_WORDS) == 8);
};

/// A validated invocation of the vm's own: a module's, or a vm TCB invocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VmOp {
    /// ModuleWriteFromFrame, ModuleSeal.
    Module(ModuleOp),
    /// TcbBindModule, TcbBindRegisterStack, TcbSetEntry, TcbSetMemory.
    Tcb(VmTcbOp),
}

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
    // seL4's five, then the bound module (5) and register stack (6).
    const TCB_CNODE_ENTRIES: u64 = TCB_REGISTER_STACK as u64 + 1;

    type Tcb = VmTcb;
    type Op = VmOp;
    type PcWrite = PcWrite;

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

    fn object_type(word: Word) -> Option<ArchObjectType> {
        let ty = VmObjectType::from_word(word)?;
        let (min_bits, max_bits) = ty.size_bits_range();
        Some(ArchObjectType {
            kind: ty.word() as u8,
            min_bits,
            max_bits,
        })
    }

    fn decode_invocation<R: Ram>(
        k: &Kernel<Self, R>,
        slot: SlotRef,
        cap: Cap,
        inv: &Invocation<'_>,
    ) -> Option<Result<VmOp, SyscallError>> {
        match (cap, VmCap::of(&cap)) {
            (_, Some(VmCap::Module { .. })) => {
                Some(k.decode_module(slot, cap, inv).map(VmOp::Module))
            }
            // A register stack has no invocations: the portable answer.
            (_, Some(VmCap::RegisterStack { .. })) => None,
            (Cap::Thread { tcb }, _) if tcb::is_vm_tcb_label(inv.label) => {
                Some(k.decode_vm_tcb(tcb, inv).map(VmOp::Tcb))
            }
            _ => None,
        }
    }

    fn perform_invocation<R: Ram>(k: &mut Kernel<Self, R>, op: VmOp) -> Result<Outcome, Preempted> {
        match op {
            VmOp::Module(op) => k.perform_module(op),
            VmOp::Tcb(op) => k.perform_vm_tcb(op).map(|()| Outcome::Done),
        }
    }

    fn finalise_cap(&mut self, cap: ArchCap, is_final: bool) {
        if is_final && cap.kind == MODULE {
            self.host.module_deleted(cap.ptr);
        }
    }

    fn cap_is_valid(cap: ArchCap) -> bool {
        VmCap::is_valid(cap)
    }

    fn cap_type_tag(cap: ArchCap) -> u64 {
        // Odd numbers after seL4's riscv64 cap types, as DebugCapIdentify
        // always reported them.
        match cap.kind {
            MODULE => 15,
            REGISTER_STACK => 17,
            _ => 0,
        }
    }

    fn user_pc_write<R: Ram>(k: &Kernel<Self, R>, t: PAddr, pc: Word) -> Option<PcWrite> {
        k.vm_pc_write(t, pc)
    }

    fn user_pc_written<R: Ram>(k: &mut Kernel<Self, R>, t: PAddr, w: PcWrite) {
        if let PcWrite::Restart(func) = w {
            k.vm_restart_at(t, func);
        }
    }
}
