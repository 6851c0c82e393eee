//! TCB invocations: decoded and checked in seL4's order (`decode`), then
//! performed (`perform_tcb`), which fails only by preemption (replacing a
//! CSpace or VSpace root deletes the old cap).

use crate::arch::Arch;
use crate::cap::{self, Cap};
use crate::cdt;
use crate::error::SyscallError;
use crate::invocation::ExtraCap;
use crate::invocation::Invocation;
use crate::memory::PAddr;
use crate::memory::Ram;
use crate::object::tcb;
use crate::slot::{SlotMemory, SlotRef};
use crate::state::Kernel;
use selvm_abi::args::{
    TcbBindNotification, TcbConfigure, TcbCopyRegisters, TcbReadRegisters, TcbSetIpcBuffer,
    TcbSetMcPriority, TcbSetPriority, TcbSetSchedParams, TcbSetSpace, TcbSetTlsBase,
    TcbWriteRegisters,
};
use selvm_abi::{InvocationLabel as L, Word, object};

/// New CSpace and VSpace roots with the slots they are derived from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Space {
    /// The new CSpace root.
    pub cspace: Cap,
    /// Where it comes from.
    pub cspace_src: SlotRef,
    /// The new VSpace root.
    pub vspace: Cap,
    /// Where it comes from.
    pub vspace_src: SlotRef,
}

/// A new IPC buffer: its user address and, unless the address is 0, its frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Buffer {
    /// User address (0 = no buffer).
    pub vaddr: Word,
    /// The frame cap and where it comes from.
    pub frame: Option<(Cap, SlotRef)>,
}

/// seL4's ThreadControl: the parts of a thread Configure, SetSpace,
/// SetIPCBuffer and the priority invocations change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadControl {
    /// The thread.
    pub target: PAddr,
    /// The slot of the invoked thread cap (caps are installed only while it is still there).
    pub slot: SlotRef,
    /// New fault endpoint address (with a new space).
    pub fault_ep: Word,
    /// New maximum controlled priority.
    pub mcp: Option<Word>,
    /// New priority.
    pub priority: Option<Word>,
    /// New CSpace/VSpace roots.
    pub space: Option<Space>,
    /// New IPC buffer.
    pub buffer: Option<Buffer>,
}

/// A validated TCB invocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcbOp {
    /// Read `count` registers (frame registers, then gp registers).
    ReadRegisters {
        /// The thread read.
        target: PAddr,
        /// Suspend it first.
        suspend: bool,
        /// How many registers.
        count: usize,
    },
    /// Write `count` registers from message registers 2.. .
    WriteRegisters {
        /// The thread written.
        target: PAddr,
        /// Resume it afterwards.
        resume: bool,
        /// How many registers.
        count: usize,
    },
    /// Copy registers from `source` to `target`.
    CopyRegisters {
        /// The destination thread.
        target: PAddr,
        /// The source thread.
        source: PAddr,
        /// Flags word (suspend source 1, resume target 2, frame 4, integer 8).
        flags: Word,
    },
    /// Stop the thread.
    Suspend(PAddr),
    /// Restart the thread.
    Resume(PAddr),
    /// Change priorities, space or IPC buffer.
    Control(ThreadControl),
    /// Bind a notification.
    BindNotification {
        /// The thread.
        target: PAddr,
        /// The notification.
        ntfn: PAddr,
    },
    /// Unbind the notification.
    UnbindNotification(PAddr),
    /// Set the TLS base register.
    SetTlsBase {
        /// The thread.
        target: PAddr,
        /// The value.
        base: Word,
    },
}

impl<A: Arch, R: Ram> Kernel<A, R> {
    fn check_prio(&self, prio: Word, auth: Cap) -> Result<(), SyscallError> {
        let Cap::Thread { tcb } = auth else {
            return Err(SyscallError::InvalidCapability { cap: 1 });
        };
        let mcp = self.tcb(tcb).mcp;
        if prio > mcp && !cfg!(feature = "mutation-mcp") {
            Err(SyscallError::RangeError { min: 0, max: mcp })
        } else {
            Ok(())
        }
    }

    /// seL4's `slotCapLongRunningDelete`: the slot holds a final CNode, TCB or zombie.
    fn long_running_delete(&self, slot: SlotRef) -> bool {
        let cap = self.mem.cap(slot);
        matches!(
            cap,
            Cap::CNode { .. } | Cap::Thread { .. } | Cap::Zombie { .. }
        ) && cdt::is_final(&self.mem, slot)
    }

    fn decode_buffer(&self, vaddr: Word, extra: Option<ExtraCap>) -> Result<Buffer, SyscallError> {
        if vaddr == 0 {
            return Ok(Buffer { vaddr, frame: None });
        }
        let e = extra.ok_or(SyscallError::TruncatedMessage)?;
        let frame = cap::derive(e.cap, || cdt::has_children(&self.mem, e.slot))?;
        A::check_ipc_buffer(vaddr, &frame)?;
        Ok(Buffer {
            vaddr,
            frame: Some((frame, e.slot)),
        })
    }

    /// The new roots `(cspace, vspace)` with their data words.
    fn decode_space(
        &self,
        target: PAddr,
        roots: (Option<ExtraCap>, Option<ExtraCap>),
        c_data: Word,
        v_data: Word,
    ) -> Result<Space, SyscallError> {
        let (Some(c), Some(v)) = roots else {
            return Err(SyscallError::TruncatedMessage);
        };
        if self.long_running_delete(tcb::slot(target, object::TCB_CTABLE))
            || self.long_running_delete(tcb::slot(target, object::TCB_VTABLE))
        {
            return Err(SyscallError::IllegalOperation);
        }
        let mut cspace = c.cap;
        if c_data != 0 {
            cspace = cap::update_data(false, c_data, cspace);
        }
        let cspace = cap::derive(cspace, || cdt::has_children(&self.mem, c.slot))?;
        if !matches!(cspace, Cap::CNode { .. }) {
            return Err(SyscallError::IllegalOperation);
        }
        let mut vspace = v.cap;
        if v_data != 0 {
            vspace = cap::update_data(false, v_data, vspace);
        }
        let vspace = cap::derive(vspace, || cdt::has_children(&self.mem, v.slot))?;
        if !A::is_valid_vtable_root(&vspace) {
            return Err(SyscallError::IllegalOperation);
        }
        Ok(Space {
            cspace,
            cspace_src: c.slot,
            vspace,
            vspace_src: v.slot,
        })
    }

    /// Validates a TCB invocation on the thread cap `cap` in `slot`, made by `caller`.
    pub fn decode_tcb(
        &self,
        caller: PAddr,
        slot: SlotRef,
        cap: Cap,
        inv: &Invocation<'_>,
    ) -> Result<TcbOp, SyscallError> {
        let Cap::Thread { tcb: target } = cap else {
            return Err(SyscallError::InvalidCapability { cap: 0 });
        };
        let len = inv.mrs.len();
        let truncated = |min: usize, extras: usize| {
            if len < min || (0..extras).any(|i| inv.extra[i].is_none()) {
                Err(SyscallError::TruncatedMessage)
            } else {
                Ok(())
            }
        };
        let control = ThreadControl {
            target,
            slot,
            fault_ep: 0,
            mcp: None,
            priority: None,
            space: None,
            buffer: None,
        };
        let regs = A::FRAME_REGISTERS.len() + A::GP_REGISTERS.len();
        let op = match L::from_word(inv.label) {
            Some(L::TcbReadRegisters) => {
                truncated(TcbReadRegisters::MRS, TcbReadRegisters::CAPS)?;
                let (flags, n) = (
                    inv.mr(TcbReadRegisters::FLAGS),
                    inv.mr(TcbReadRegisters::COUNT),
                );
                if n < 1 || n > regs as Word {
                    return Err(SyscallError::RangeError {
                        min: 1,
                        max: regs as Word,
                    });
                }
                if target == caller {
                    return Err(SyscallError::IllegalOperation);
                }
                TcbOp::ReadRegisters {
                    target,
                    suspend: flags & TcbReadRegisters::FLAG_SUSPEND_SOURCE != 0,
                    count: n as usize,
                }
            }
            Some(L::TcbWriteRegisters) => {
                truncated(TcbWriteRegisters::MRS, TcbWriteRegisters::CAPS)?;
                let (flags, w) = (
                    inv.mr(TcbWriteRegisters::FLAGS),
                    inv.mr(TcbWriteRegisters::COUNT),
                );
                if ((len - TcbWriteRegisters::REGS) as Word) < w {
                    return Err(SyscallError::TruncatedMessage);
                }
                if target == caller {
                    return Err(SyscallError::IllegalOperation);
                }
                // The architecture checks a new pc (the vm: against the module;
                // the pc is the first frame register, the first of `regs`).
                if w > 0
                    && A::user_pc_write(self, target, inv.mr(TcbWriteRegisters::REGS)).is_none()
                {
                    return Err(SyscallError::InvalidArgument { arg: 2 });
                }
                TcbOp::WriteRegisters {
                    target,
                    resume: flags & TcbWriteRegisters::FLAG_RESUME_TARGET != 0,
                    count: (w as usize).min(regs),
                }
            }
            Some(L::TcbCopyRegisters) => {
                truncated(TcbCopyRegisters::MRS, TcbCopyRegisters::CAPS)?;
                let Some(Cap::Thread { tcb: source }) = inv.extra_cap(TcbCopyRegisters::SOURCE)
                else {
                    return Err(SyscallError::InvalidCapability { cap: 1 });
                };
                TcbOp::CopyRegisters {
                    target,
                    source,
                    flags: inv.mr(TcbCopyRegisters::FLAGS),
                }
            }
            Some(L::TcbSuspend) => TcbOp::Suspend(target),
            Some(L::TcbResume) => TcbOp::Resume(target),
            Some(L::TcbConfigure) => {
                truncated(TcbConfigure::MRS, TcbConfigure::CAPS)?;
                let buffer = self.decode_buffer(
                    inv.mr(TcbConfigure::BUFFER),
                    inv.extra[TcbConfigure::BUFFER_FRAME],
                )?;
                let roots = (
                    inv.extra[TcbConfigure::CSPACE_ROOT],
                    inv.extra[TcbConfigure::VSPACE_ROOT],
                );
                let data = (
                    inv.mr(TcbConfigure::CSPACE_ROOT_DATA),
                    inv.mr(TcbConfigure::VSPACE_ROOT_DATA),
                );
                let space = self.decode_space(target, roots, data.0, data.1)?;
                TcbOp::Control(ThreadControl {
                    fault_ep: inv.mr(TcbConfigure::FAULT_EP),
                    space: Some(space),
                    buffer: Some(buffer),
                    ..control
                })
            }
            Some(L::TcbSetPriority) => {
                truncated(TcbSetPriority::MRS, TcbSetPriority::CAPS)?;
                let priority = inv.mr(TcbSetPriority::PRIORITY);
                self.check_prio(
                    priority,
                    inv.extra_cap(TcbSetPriority::AUTHORITY).unwrap_or_default(),
                )?;
                TcbOp::Control(ThreadControl {
                    slot: SlotRef(0),
                    priority: Some(priority),
                    ..control
                })
            }
            Some(L::TcbSetMcPriority) => {
                truncated(TcbSetMcPriority::MRS, TcbSetMcPriority::CAPS)?;
                let mcp = inv.mr(TcbSetMcPriority::MCP);
                self.check_prio(
                    mcp,
                    inv.extra_cap(TcbSetMcPriority::AUTHORITY)
                        .unwrap_or_default(),
                )?;
                TcbOp::Control(ThreadControl {
                    slot: SlotRef(0),
                    mcp: Some(mcp),
                    ..control
                })
            }
            Some(L::TcbSetSchedParams) => {
                truncated(TcbSetSchedParams::MRS, TcbSetSchedParams::CAPS)?;
                let auth = inv
                    .extra_cap(TcbSetSchedParams::AUTHORITY)
                    .unwrap_or_default();
                let (mcp, priority) = (
                    inv.mr(TcbSetSchedParams::MCP),
                    inv.mr(TcbSetSchedParams::PRIORITY),
                );
                self.check_prio(mcp, auth)?;
                self.check_prio(priority, auth)?;
                TcbOp::Control(ThreadControl {
                    slot: SlotRef(0),
                    mcp: Some(mcp),
                    priority: Some(priority),
                    ..control
                })
            }
            Some(L::TcbSetIpcBuffer) => {
                truncated(TcbSetIpcBuffer::MRS, TcbSetIpcBuffer::CAPS)?;
                let buffer = self.decode_buffer(
                    inv.mr(TcbSetIpcBuffer::BUFFER),
                    inv.extra[TcbSetIpcBuffer::BUFFER_FRAME],
                )?;
                TcbOp::Control(ThreadControl {
                    buffer: Some(buffer),
                    ..control
                })
            }
            Some(L::TcbSetSpace) => {
                truncated(TcbSetSpace::MRS, TcbSetSpace::CAPS)?;
                let roots = (
                    inv.extra[TcbSetSpace::CSPACE_ROOT],
                    inv.extra[TcbSetSpace::VSPACE_ROOT],
                );
                let data = (
                    inv.mr(TcbSetSpace::CSPACE_ROOT_DATA),
                    inv.mr(TcbSetSpace::VSPACE_ROOT_DATA),
                );
                let space = self.decode_space(target, roots, data.0, data.1)?;
                TcbOp::Control(ThreadControl {
                    fault_ep: inv.mr(TcbSetSpace::FAULT_EP),
                    space: Some(space),
                    ..control
                })
            }
            Some(L::TcbBindNotification) => {
                truncated(TcbBindNotification::MRS, TcbBindNotification::CAPS)?;
                if self.tcb(target).bound_notification != 0 {
                    return Err(SyscallError::IllegalOperation);
                }
                let Some(Cap::Notification { ptr, rights, .. }) =
                    inv.extra_cap(TcbBindNotification::NOTIFICATION)
                else {
                    return Err(SyscallError::IllegalOperation);
                };
                if !rights.can_read() || self.notification_busy(ptr) {
                    return Err(SyscallError::IllegalOperation);
                }
                TcbOp::BindNotification { target, ntfn: ptr }
            }
            Some(L::TcbUnbindNotification) => {
                if self.tcb(target).bound_notification == 0 {
                    return Err(SyscallError::IllegalOperation);
                }
                TcbOp::UnbindNotification(target)
            }
            Some(L::TcbSetTlsBase) => {
                truncated(TcbSetTlsBase::MRS, TcbSetTlsBase::CAPS)?;
                TcbOp::SetTlsBase {
                    target,
                    base: inv.mr(TcbSetTlsBase::TLS_BASE),
                }
            }
            _ => return Err(SyscallError::IllegalOperation),
        };
        Ok(op)
    }
}

mod perform;
