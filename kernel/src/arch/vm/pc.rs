//! The vm architecture's rule for a pc written by user level (WriteRegisters,
//! CopyRegisters, fault replies): nothing user-writable is trusted for control
//! flow, so a new pc must be an instruction boundary of the thread's sealed
//! module — inside the current function anywhere that is not a `br_table`
//! entry, or the first instruction of another function that can be an entry
//! (at most one parameter), which then starts afresh with an empty call stack
//! (docs/vm-abi.md, "User context").

use super::caps::VmCap;
use super::{VmArch, VmHost, hidden};
use crate::memory::PAddr;
use crate::memory::Ram;
use crate::object::tcb;
use crate::slot::SlotMemory;
use crate::state::Kernel;
use selvm_abi::Word;
use selvm_abi::vm::context::{A0, PC, SP, pc_function, pc_offset};
use selvm_abi::vm::object::TCB_MODULE;
use selvm_bytecode::Op;
use selvm_bytecode::format::Section;

/// What a valid new pc does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PcWrite {
    /// Unchanged, or moved within the current function.
    InPlace,
    /// Another function's first instruction: the thread restarts there.
    Restart(u32),
}

impl<H: VmHost, R: Ram> Kernel<VmArch<H>, R> {
    /// Whether thread `t` may get `pc`, and what it means; `None` rejects it.
    pub(crate) fn vm_pc_write(&self, t: PAddr, pc: Word) -> Option<PcWrite> {
        let current = self.context(t)[PC];
        if pc == current {
            return Some(PcWrite::InPlace);
        }
        let module = self.mem.cap(tcb::slot(t, TCB_MODULE));
        let module = VmCap::of(&module)?;
        let (VmCap::Module { ptr, .. }, Some(sealed)) = (module, module.sealed_image()) else {
            return None;
        };
        let m = selvm_bytecode::Module::parse(self.mem.bytes(ptr, sealed as usize)).ok()?;
        let (func, offset) = (pc_function(pc), pc_offset(pc));
        if func >= m.count(Section::Funcs) {
            return None;
        }
        let f = m.func(func)?;
        if offset >= f.code_len {
            return None;
        }
        let word = m.code_word(f.code_start + offset)?;
        if Op::from_u16(word as u16) == Some(Op::BrTableEntry) {
            return None;
        }
        if func == pc_function(current) {
            return Some(PcWrite::InPlace);
        }
        let ty = m.ty(f.ty)?;
        (offset == 0 && ty.params <= 1).then_some(PcWrite::Restart(func))
    }

    /// Applies an accepted pc write that names another function: the thread
    /// starts it afresh, its argument taken from a0, its stack pointer from sp.
    pub(crate) fn vm_restart_at(&mut self, t: PAddr, func: u32) {
        let ctx = self.context_mut(t);
        ctx[hidden::ENTRY_FUNCTION] = func.into();
        ctx[hidden::ENTRY_ARGUMENT] = ctx[A0];
        ctx[hidden::ENTRY_SP] = ctx[SP];
        ctx[hidden::HOST_STATE] = 0;
    }
}
