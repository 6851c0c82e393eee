//! Performing validated TCB invocations: register transfer, suspend and
//! resume, ThreadControl (priorities, CSpace/VSpace roots, IPC buffer),
//! notification binding, the TLS base.

use super::{TcbOp, ThreadControl};
use crate::arch::Arch;
use crate::cap::Cap;
use crate::cdt;
use crate::invocation::{Outcome, ReplyWords};
use crate::memory::PAddr;
use crate::memory::Ram;
use crate::object::tcb::{self, ThreadState};
use crate::preemption::Preempted;
use crate::slot::{SlotMemory, SlotRef};
use crate::state::Kernel;
use selvm_abi::args::{TcbCopyRegisters as C, TcbWriteRegisters};
use selvm_abi::{Word, object};

impl<A: Arch, R: Ram> Kernel<A, R> {
    /// Performs a validated TCB invocation for `caller`; `mrs` are the message's
    /// registers (WriteRegisters reads its values from them).
    pub fn perform_tcb(
        &mut self,
        caller: PAddr,
        op: TcbOp,
        mrs: &[Word],
    ) -> Result<Outcome, Preempted> {
        match op {
            TcbOp::ReadRegisters {
                target,
                suspend,
                count,
            } => {
                if suspend {
                    self.suspend(target);
                }
                let ctx = self.context(target);
                let mut reply = ReplyWords::default();
                for &r in A::FRAME_REGISTERS.iter().chain(A::GP_REGISTERS).take(count) {
                    reply.push(ctx[r]);
                }
                self.set_thread_state(caller, ThreadState::Running);
                return Ok(Outcome::Reply(reply));
            }
            TcbOp::WriteRegisters {
                target,
                resume,
                count,
            } => {
                let values = mrs.get(TcbWriteRegisters::REGS..).unwrap_or(&[]);
                let restart = match values.first() {
                    Some(&pc) if count > 0 => A::user_pc_write(self, target, pc),
                    _ => None,
                };
                let order = A::FRAME_REGISTERS.iter().chain(A::GP_REGISTERS);
                for (&r, &v) in order.zip(values).take(count) {
                    if !A::is_read_only_register(r) {
                        self.context_mut(target)[r] = A::sanitise_register(r, v);
                    }
                }
                if let Some(w) = restart {
                    A::user_pc_written(self, target, w);
                }
                self.restart_pc_is_next(target);
                if resume {
                    self.restart(target);
                }
                if target == self.sched.current {
                    self.reschedule_required();
                }
            }
            TcbOp::CopyRegisters {
                target,
                source,
                flags,
            } => {
                if flags & C::FLAG_SUSPEND_SOURCE != 0 {
                    self.suspend(source);
                }
                if flags & C::FLAG_RESUME_TARGET != 0 {
                    self.restart(target);
                }
                if flags & C::FLAG_TRANSFER_FRAME != 0 {
                    for &r in A::FRAME_REGISTERS {
                        let v = self.context(source)[r];
                        self.context_mut(target)[r] = v;
                    }
                    self.restart_pc_is_next(target);
                }
                if flags & C::FLAG_TRANSFER_INTEGER != 0 {
                    for &r in A::GP_REGISTERS {
                        let v = self.context(source)[r];
                        self.context_mut(target)[r] = v;
                    }
                }
                if target == self.sched.current {
                    self.reschedule_required();
                }
            }
            TcbOp::Suspend(t) => self.suspend(t),
            TcbOp::Resume(t) => self.restart(t),
            TcbOp::Control(c) => self.thread_control(c)?,
            TcbOp::BindNotification { target, ntfn } => self.bind_notification(target, ntfn),
            TcbOp::UnbindNotification(t) => self.unbind_notification(t),
            TcbOp::SetTlsBase { target, base } => {
                self.context_mut(target)[A::TLS_REGISTER] = base;
                if target == self.sched.current {
                    self.reschedule_required();
                }
            }
        }
        Ok(Outcome::Done)
    }

    fn restart_pc_is_next(&mut self, t: PAddr) {
        let pc = self.context(t)[A::FAULT_IP_REGISTER];
        self.context_mut(t)[A::NEXT_IP_REGISTER] = pc;
    }

    /// Replaces the cap in the TCB's slot `index` by `new` derived from `src`,
    /// if both `new`'s source and the invoked thread cap are still in place.
    fn install(
        &mut self,
        c: &ThreadControl,
        index: usize,
        new: Cap,
        src: Option<SlotRef>,
    ) -> Result<(), Preempted> {
        let dest = tcb::slot(c.target, index);
        self.delete_slot(dest)?;
        let thread = Cap::Thread { tcb: c.target };
        if let Some(src) = src {
            if new.same_object_as(&self.mem.cap(src))
                && thread.same_object_as(&self.mem.cap(c.slot))
            {
                cdt::insert_derived(&mut self.mem, new, src, dest);
            }
        }
        Ok(())
    }

    fn thread_control(&mut self, c: ThreadControl) -> Result<(), Preempted> {
        if c.space.is_some() {
            self.tcb_mut(c.target).fault_handler = c.fault_ep;
        }
        if let Some(mcp) = c.mcp {
            self.tcb_mut(c.target).mcp = mcp;
        }
        if let Some(s) = c.space {
            self.install(&c, object::TCB_CTABLE, s.cspace, Some(s.cspace_src))?;
            self.install(&c, object::TCB_VTABLE, s.vspace, Some(s.vspace_src))?;
        }
        if let Some(b) = c.buffer {
            let (frame, src) = b.frame.map_or((Cap::Null, None), |(f, s)| (f, Some(s)));
            self.install(&c, object::TCB_BUFFER, frame, src)?;
            self.tcb_mut(c.target).ipc_buffer = b.vaddr;
            if c.target == self.sched.current {
                self.reschedule_required();
            }
        }
        if let Some(p) = c.priority {
            self.set_priority(c.target, p);
        }
        Ok(())
    }
}
