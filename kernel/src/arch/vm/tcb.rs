//! The vm architecture's TCB invocations (docs/vm-abi.md, labels 40–43),
//! claimed through `Arch::decode_invocation`:
//! binding a sealed module and a register stack (copies kept in TCB slots 5
//! and 6), setting the entry point, and the thread's memory size and limit.
//! Each is decoded completely, in the documented check order, before it acts.

use super::caps::VmCap;
use super::{VmArch, VmHost, hidden};
use crate::cap::Cap;
use crate::cdt;
use crate::error::SyscallError;
use crate::invocation::Invocation;
use crate::memory::PAddr;
use crate::memory::Ram;
use crate::object::tcb::{self, ThreadState};
use crate::preemption::Preempted;
use crate::slot::{SlotMemory, SlotRef};
use crate::state::Kernel;
use selvm_abi::Word;
use selvm_abi::vm::VmInvocationLabel as V;
use selvm_abi::vm::args::{TcbBindModule, TcbBindRegisterStack, TcbSetEntry, TcbSetMemory};
use selvm_abi::vm::context::{A0, PC, SP, pc_word};
use selvm_abi::vm::object::ENTRY_TABLE_ELEMENT;
use selvm_abi::vm::object::{TCB_MODULE, TCB_REGISTER_STACK};
use selvm_bytecode::format::{NULL_ELEM, Section};

/// Largest `memory.grow` limit, in 64 KiB pages (4 GiB).
pub const MAX_MEMORY_PAGES: Word = 65536;

/// A validated vm TCB invocation on the thread `target`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VmTcbOp {
    /// Bind a copy of `cap` (from `src`) in TCB slot `index`; `depth` is the
    /// register stack's call depth.
    Bind {
        /// The thread.
        target: PAddr,
        /// The TCB slot (5 or 6).
        index: usize,
        /// The cap to copy.
        cap: Cap,
        /// Where it comes from.
        src: SlotRef,
        /// Maximum call depth (register stacks only).
        depth: Option<Word>,
    },
    /// Start at `function` with `argument` and stack pointer `sp`.
    SetEntry {
        /// The thread.
        target: PAddr,
        /// Function index.
        function: u32,
        /// Its argument.
        argument: Word,
        /// Initial stack pointer.
        sp: Word,
    },
    /// Set `memory.size` and the `memory.grow` limit.
    SetMemory {
        /// The thread.
        target: PAddr,
        /// Pages.
        pages: Word,
        /// Limit.
        limit: Word,
    },
}

/// Whether `label` is one of the vm TCB labels.
pub fn is_vm_tcb_label(label: Word) -> bool {
    matches!(
        V::from_word(label),
        Some(V::TcbBindModule | V::TcbBindRegisterStack | V::TcbSetEntry | V::TcbSetMemory)
    )
}

impl<H: VmHost, R: Ram> Kernel<VmArch<H>, R> {
    /// Validates a vm TCB invocation of the thread `target`.
    pub(crate) fn decode_vm_tcb(
        &self,
        target: PAddr,
        inv: &Invocation<'_>,
    ) -> Result<VmTcbOp, SyscallError> {
        let inactive = self.thread_state(target) == ThreadState::Inactive;
        match V::from_word(inv.label) {
            Some(V::TcbBindModule) => {
                let Some(extra) = inv.extra[TcbBindModule::MODULE] else {
                    return Err(SyscallError::TruncatedMessage);
                };
                if !inactive {
                    return Err(SyscallError::IllegalOperation);
                }
                match VmCap::of(&extra.cap) {
                    Some(c) if c.sealed_image().is_some() => Ok(VmTcbOp::Bind {
                        target,
                        index: TCB_MODULE,
                        cap: extra.cap,
                        src: extra.slot,
                        depth: None,
                    }),
                    _ => Err(SyscallError::InvalidCapability { cap: 0 }),
                }
            }
            Some(V::TcbBindRegisterStack) => {
                let (Some(extra), true) = (
                    inv.extra[TcbBindRegisterStack::STACK],
                    inv.mrs.len() >= TcbBindRegisterStack::MRS,
                ) else {
                    return Err(SyscallError::TruncatedMessage);
                };
                if !inactive {
                    return Err(SyscallError::IllegalOperation);
                }
                let Some(VmCap::RegisterStack { size_bits, .. }) = VmCap::of(&extra.cap) else {
                    return Err(SyscallError::InvalidCapability { cap: 0 });
                };
                let max = (1u64 << size_bits) / 8 / 2;
                let depth = inv.mr(TcbBindRegisterStack::MAX_DEPTH);
                if !(1..=max).contains(&depth) {
                    return Err(SyscallError::RangeError { min: 1, max });
                }
                Ok(VmTcbOp::Bind {
                    target,
                    index: TCB_REGISTER_STACK,
                    cap: extra.cap,
                    src: extra.slot,
                    depth: Some(depth),
                })
            }
            Some(V::TcbSetEntry) => {
                if inv.mrs.len() < TcbSetEntry::MRS {
                    return Err(SyscallError::TruncatedMessage);
                }
                let module = self.mem.cap(tcb::slot(target, TCB_MODULE));
                let stack = self.mem.cap(tcb::slot(target, TCB_REGISTER_STACK));
                let (
                    Some(m @ VmCap::Module { ptr: module, .. }),
                    Some(VmCap::RegisterStack { size_bits, .. }),
                    true,
                ) = (VmCap::of(&module), VmCap::of(&stack), inactive)
                else {
                    return Err(SyscallError::IllegalOperation);
                };
                let Some(sealed) = m.sealed_image() else {
                    return Err(SyscallError::IllegalOperation);
                };
                let image = self.mem.bytes(module, sealed as usize);
                let depth = self.context(target)[hidden::MAX_DEPTH];
                let stack_words = (1u64 << size_bits) / 8;
                let function =
                    check_entry(image, inv.mr(TcbSetEntry::FUNCTION), depth, stack_words)?;
                Ok(VmTcbOp::SetEntry {
                    target,
                    function,
                    argument: inv.mr(TcbSetEntry::ARGUMENT),
                    sp: inv.mr(TcbSetEntry::STACK_POINTER) & 0xffff_ffff,
                })
            }
            Some(V::TcbSetMemory) => {
                if inv.mrs.len() < TcbSetMemory::MRS {
                    return Err(SyscallError::TruncatedMessage);
                }
                let (pages, limit) = (inv.mr(TcbSetMemory::PAGES), inv.mr(TcbSetMemory::LIMIT));
                if limit > MAX_MEMORY_PAGES {
                    return Err(SyscallError::RangeError {
                        min: 0,
                        max: MAX_MEMORY_PAGES,
                    });
                }
                if pages > limit {
                    return Err(SyscallError::RangeError { min: 0, max: limit });
                }
                Ok(VmTcbOp::SetMemory {
                    target,
                    pages,
                    limit,
                })
            }
            _ => Err(SyscallError::IllegalOperation),
        }
    }

    /// Performs a validated vm TCB invocation.
    pub(crate) fn perform_vm_tcb(&mut self, op: VmTcbOp) -> Result<(), Preempted> {
        match op {
            VmTcbOp::Bind {
                target,
                index,
                cap,
                src,
                depth,
            } => {
                let dest = tcb::slot(target, index);
                self.delete_slot(dest)?;
                if cap.same_object_as(&self.mem.cap(src)) {
                    cdt::insert_derived(&mut self.mem, cap, src, dest);
                }
                let ctx = self.context_mut(target);
                if let Some(depth) = depth {
                    ctx[hidden::MAX_DEPTH] = depth;
                }
                // A new module or stack needs a new entry point.
                ctx[hidden::ENTRY_FUNCTION] = hidden::NO_ENTRY;
                ctx[hidden::HOST_STATE] = 0;
            }
            VmTcbOp::SetEntry {
                target,
                function,
                argument,
                sp,
            } => {
                let ctx = self.context_mut(target);
                ctx[hidden::ENTRY_FUNCTION] = function.into();
                ctx[hidden::ENTRY_ARGUMENT] = argument;
                ctx[hidden::ENTRY_SP] = sp;
                ctx[hidden::HOST_STATE] = 0;
                ctx[PC] = pc_word(function, 0);
                ctx[hidden::NEXT_PC] = ctx[PC];
                ctx[A0] = argument;
                ctx[SP] = sp;
            }
            VmTcbOp::SetMemory {
                target,
                pages,
                limit,
            } => {
                let ctx = self.context_mut(target);
                ctx[hidden::MEMORY_PAGES] = pages;
                ctx[hidden::MEMORY_LIMIT] = limit;
            }
        }
        Ok(())
    }
}

/// Checks that function `index` of the verified `image` can start a thread
/// whose register stack has `stack_words` words and `depth` call records:
/// it exists, takes at most one parameter, and its frame, the context area
/// (globals, tables) and the call records fit.
fn check_entry(
    image: &[u8],
    index: Word,
    depth: Word,
    stack_words: u64,
) -> Result<u32, SyscallError> {
    let bad = SyscallError::InvalidArgument { arg: 0 };
    let m = selvm_bytecode::Module::parse(image).map_err(|_| bad)?;
    // A wasm function pointer: an element of table 0 as the module sets it up.
    let index = if index & ENTRY_TABLE_ELEMENT != 0 {
        let element = index & 0xffff_ffff;
        let table = m.table(0);
        let given = table.map_or(0, |t| u64::from(t.elem_count.min(t.initial)));
        let func = table
            .filter(|_| element < given)
            .and_then(|t| m.elem(t.elem_start + element as u32))
            .filter(|&f| f != NULL_ELEM);
        match func {
            Some(f) => Word::from(f),
            None => {
                return Err(SyscallError::RangeError {
                    min: 0,
                    max: given.saturating_sub(1),
                });
            }
        }
    } else {
        index
    };
    let functions = m.count(Section::Funcs);
    if index >= Word::from(functions) {
        return Err(SyscallError::RangeError {
            min: 0,
            max: Word::from(functions).saturating_sub(1),
        });
    }
    let f = m.func(index as u32).ok_or(bad)?;
    let ty = m.ty(f.ty).ok_or(bad)?;
    if ty.params > 1 {
        return Err(bad);
    }
    let tables: u64 = (0..m.count(Section::Tables))
        .filter_map(|i| m.table(i))
        .map(|t| 1 + u64::from(t.max))
        .sum();
    let context = u64::from(m.count(Section::Globals)) + tables;
    let needed = context + 2 * depth + u64::from(f.frame);
    if needed > stack_words {
        return Err(bad);
    }
    Ok(index as u32)
}
