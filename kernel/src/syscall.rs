//! The syscall entry: decode the current thread's registers into a system call
//! and its arguments, run it, write the reply into the registers and the IPC
//! buffer, and schedule. The platform saves the user registers into the
//! current thread's context (with the trapping pc as FaultIP and the next pc
//! as NextIP) before calling `handle_syscall`, and resumes the thread
//! `current_thread()` at its NextIP afterwards.

use crate::arch::Arch;
use crate::cap::{self, Cap, VmRights};
use crate::cspace;
use crate::fault::Fault;
use crate::invocation::{Caller, Outcome};
use crate::memory::PAddr;
use crate::memory::Ram;
use crate::object::tcb;
use crate::slot::{RawSlot, SlotMemory};
use crate::state::Kernel;
use selvm_abi::{
    CPtr, MSG_MAX_EXTRA_CAPS, MSG_MAX_LENGTH, MessageInfo, Syscall, Word, ipc_buffer::offsets,
    object::TCB_BUFFER,
};

/// What the platform must do after a syscall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyscallExit {
    /// Resume `current_thread()`.
    Resume,
    /// DebugHalt: stop the machine.
    Halt,
}

impl<A: Arch, R: Ram> Kernel<A, R> {
    /// Physical address of `t`'s IPC buffer, if it has a usable one (seL4's
    /// `lookupIPCBuffer`): a RAM frame cap in the buffer slot, writable when
    /// the kernel will write into it.
    pub fn ipc_buffer(&self, t: PAddr, for_writing: bool) -> Option<PAddr> {
        // Read from the slot's words: every message longer than the message
        // registers asks, twice.
        let slot = self.mem.object::<RawSlot>(tcb::slot(t, TCB_BUFFER).0);
        let (ptr, size, rights) = cap::ram_frame_fields(slot.cap)?;
        let usable =
            rights == VmRights::ReadWrite || (!for_writing && rights == VmRights::ReadOnly);
        let offset = self.tcb(t).ipc_buffer & ((1u64 << size.bits()) - 1);
        usable.then_some(ptr + offset)
    }

    /// Writes a kernel reply into `t`'s registers and IPC buffer: badge 0,
    /// message info `(label, len)` where `len` counts the words that fitted.
    pub(crate) fn reply_from_kernel(&mut self, t: PAddr, label: Word, words: &[Word]) {
        let buffer = self.ipc_buffer(t, true);
        let mut len = 0;
        for (i, &w) in words.iter().enumerate().take(MSG_MAX_LENGTH) {
            if let Some(&r) = A::MSG_REGISTERS.get(i) {
                self.context_mut(t)[r] = w;
            } else if let Some(b) = buffer {
                self.mem.write(b + offsets::msg(i) as u64, w);
            } else {
                break;
            }
            len = i + 1;
        }
        let info = MessageInfo::from_word_clamped(0)
            .with_label(label)
            .with_length(len as Word);
        let ctx = self.context_mut(t);
        ctx[A::CAP_REGISTER] = 0;
        ctx[A::MSG_INFO_REGISTER] = info.word();
    }

    /// The current thread took a VM fault (the platform's trap entry reports
    /// it with the context saved and FaultIP at the faulting instruction).
    pub fn handle_vm_fault(&mut self, address: Word, prefetch: bool, status: Word) {
        let cur = self.sched.current;
        self.handle_fault(
            cur,
            Fault::VmFault {
                address,
                prefetch,
                status,
            },
        );
        self.schedule();
    }

    /// The current thread raised an architecture exception.
    pub fn handle_user_exception(&mut self, number: Word, code: Word) {
        let cur = self.sched.current;
        self.handle_fault(cur, Fault::UserException { number, code });
        self.schedule();
    }

    /// The current thread made a system call (number in its syscall register).
    pub fn handle_syscall(&mut self) -> SyscallExit {
        let number = self.context(self.sched.current)[A::SYSCALL_NUMBER_REGISTER];
        self.handle_syscall_number(number)
    }

    /// The current thread made system call `number`: what [`Kernel::handle_syscall`]
    /// does, for a platform's trap entry that has the number at hand already (seL4's
    /// `handleSyscall(syscall)`). Call and ReplyRecv try the fastpath first.
    #[inline]
    pub fn handle_syscall_number(&mut self, number: Word) -> SyscallExit {
        if self.try_fastpath(number) {
            return SyscallExit::Resume;
        }
        self.handle_slow_syscall(number)
    }

    /// The second half of [`Kernel::handle_syscall_number`]: system call `number`
    /// after [`Kernel::try_fastpath`] did not take it (for a platform that resumes
    /// a thread differently after the fastpath; everyone else calls
    /// `handle_syscall_number`).
    #[inline(never)]
    pub fn handle_slow_syscall(&mut self, number: Word) -> SyscallExit {
        let cur = self.sched.current;
        let exit = match A::CONFIG.syscall(number) {
            Some(Syscall::Call) => self.handle_invocation(true, true),
            Some(Syscall::Send) => self.handle_invocation(false, true),
            Some(Syscall::NBSend) => self.handle_invocation(false, false),
            Some(Syscall::Yield) => {
                self.yield_current();
                SyscallExit::Resume
            }
            Some(Syscall::DebugPutChar) => {
                let c = self.context(cur)[A::CAP_REGISTER] as u8;
                self.arch.put_char(c);
                SyscallExit::Resume
            }
            Some(Syscall::DebugHalt) => return SyscallExit::Halt,
            // seL4's handleUnknownSyscall with CONFIG_SET_TLS_BASE_SELF: the cap
            // register's value becomes the caller's TLS base.
            Some(Syscall::SetTlsBase) => {
                let base = self.context(cur)[A::CAP_REGISTER];
                self.context_mut(cur)[A::TLS_REGISTER] = base;
                SyscallExit::Resume
            }
            Some(Syscall::DebugCapIdentify) => {
                let tag = self
                    .lookup_current(self.context(cur)[A::CAP_REGISTER])
                    .sel4_type_tag::<A>();
                self.context_mut(cur)[A::CAP_REGISTER] = tag;
                SyscallExit::Resume
            }
            Some(Syscall::DebugNameThread) => {
                self.name_thread(cur);
                SyscallExit::Resume
            }
            Some(Syscall::DebugDumpScheduler | Syscall::DebugSnapshot) => SyscallExit::Resume,
            Some(Syscall::Recv) => self.handle_recv(true),
            Some(Syscall::NBRecv) => self.handle_recv(false),
            Some(Syscall::Reply) => {
                self.handle_reply();
                SyscallExit::Resume
            }
            Some(Syscall::ReplyRecv) => {
                self.handle_reply();
                self.handle_recv(true)
            }
            None => {
                self.handle_fault(cur, Fault::UnknownSyscall { number });
                SyscallExit::Resume
            }
        };
        self.schedule();
        exit
    }

    /// Send, NBSend or Call on an endpoint, notification or reply cap (seL4's
    /// `performInvocation_Endpoint/Notification/Reply`): the caller runs in
    /// Restart, and gets the empty reply only if it is still in Restart after.
    fn invoke_ipc_object(
        &mut self,
        cur: PAddr,
        slot: crate::slot::SlotRef,
        cap: Cap,
        is_call: bool,
        is_blocking: bool,
    ) -> Outcome {
        use crate::object::endpoint::Send;
        use crate::object::tcb::ThreadState;
        let invalid = Outcome::Error(crate::error::SyscallError::InvalidCapability { cap: 0 });
        match cap {
            Cap::Endpoint { ptr, badge, rights }
                if rights.can_write() || cfg!(feature = "mutation-rights") =>
            {
                self.set_thread_state(cur, ThreadState::Restart);
                let send = Send {
                    blocking: is_blocking,
                    call: is_call,
                    badge,
                    can_grant: rights.can_grant(),
                    can_grant_reply: rights.can_grant_reply(),
                };
                self.send_ipc(cur, ptr, send);
            }
            Cap::Notification { ptr, badge, rights } if rights.can_write() => {
                self.set_thread_state(cur, ThreadState::Restart);
                self.send_signal(ptr, badge);
            }
            Cap::Reply {
                tcb,
                master: false,
                can_grant,
            } => {
                self.set_thread_state(cur, ThreadState::Restart);
                self.do_reply_transfer(cur, tcb, slot, can_grant);
            }
            _ => return invalid,
        }
        if self.thread_state(cur) == ThreadState::Restart {
            self.set_thread_state(cur, ThreadState::Running);
            Outcome::Done
        } else {
            Outcome::NoReply
        }
    }

    /// seL4's `handleRecv`: receive on the endpoint or notification the cap
    /// register names; a bad cap is a cap fault in the receive phase.
    fn handle_recv(&mut self, blocking: bool) -> SyscallExit {
        let cur = self.sched.current;
        let cptr = self.context(cur)[A::CAP_REGISTER];
        let ctable = self.mem.cap(tcb::slot(cur, selvm_abi::object::TCB_CTABLE));
        let missing = selvm_abi::LookupFault::MissingCapability { bits_left: 0 };
        let cap = match cspace::lookup_slot(&self.mem, ctable, cptr) {
            Ok(slot) => self.mem.cap(slot),
            Err(lookup) => {
                self.handle_fault(
                    cur,
                    Fault::Cap {
                        cptr,
                        in_receive_phase: true,
                        lookup,
                    },
                );
                return SyscallExit::Resume;
            }
        };
        match cap {
            Cap::Endpoint { ptr, rights, .. } if rights.can_read() => {
                self.delete_caller_cap(cur);
                self.receive_ipc(cur, ptr, rights.can_grant(), blocking);
            }
            Cap::Notification { ptr, rights, .. }
                if rights.can_read() && matches!(self.notification(ptr).bound_tcb, 0) =>
            {
                self.receive_signal(cur, ptr, blocking);
            }
            Cap::Notification { ptr, rights, .. }
                if rights.can_read() && self.notification(ptr).bound_tcb == cur =>
            {
                self.receive_signal(cur, ptr, blocking);
            }
            _ => self.handle_fault(
                cur,
                Fault::Cap {
                    cptr,
                    in_receive_phase: true,
                    lookup: missing,
                },
            ),
        }
        SyscallExit::Resume
    }

    /// seL4's `handleReply`: answer through the reply cap in the caller slot.
    fn handle_reply(&mut self) {
        let cur = self.sched.current;
        let slot = tcb::slot(cur, selvm_abi::object::TCB_CALLER);
        if let Cap::Reply {
            tcb: caller,
            master: false,
            can_grant,
        } = self.mem.cap(slot)
        {
            self.do_reply_transfer(cur, caller, slot, can_grant);
        }
    }

    /// The cap the current thread's address names (null if it names none).
    fn lookup_current(&self, cptr: CPtr) -> Cap {
        let root = self
            .mem
            .cap(tcb::slot(self.sched.current, selvm_abi::object::TCB_CTABLE));
        cspace::lookup_slot(&self.mem, root, cptr).map_or(Cap::Null, |s| self.mem.cap(s))
    }

    /// DebugNameThread: the thread cap in the cap register gets the
    /// NUL-terminated name in the caller's IPC buffer message (seL4 halts on a
    /// bad cap; this kernel ignores the call instead).
    fn name_thread(&mut self, cur: PAddr) {
        let Cap::Thread { tcb: target } = self.lookup_current(self.context(cur)[A::CAP_REGISTER])
        else {
            return;
        };
        let Some(buffer) = self.ipc_buffer(cur, false) else {
            return;
        };
        // As much of the name as the TCB keeps, a terminating NUL inside it.
        let name: [Word; crate::object::tcb::NAME_MAX_WORDS] =
            core::array::from_fn(|i| self.mem.read(buffer + offsets::msg(i) as u64));
        self.set_thread_name(target, name.into_iter());
    }

    fn handle_invocation(&mut self, is_call: bool, is_blocking: bool) -> SyscallExit {
        let cur = self.sched.current;
        let ctx = self.context(cur);
        let info = MessageInfo::from_word_clamped(ctx[A::MSG_INFO_REGISTER]);
        let cptr = ctx[A::CAP_REGISTER];
        let buffer = self.ipc_buffer(cur, false);
        let mut length = info.length();
        if buffer.is_none() {
            length = length.min(A::MSG_REGISTERS.len());
        }
        let mut mrs = [0; MSG_MAX_LENGTH];
        for (i, mr) in mrs.iter_mut().enumerate().take(length) {
            *mr = match (A::MSG_REGISTERS.get(i), buffer) {
                (Some(&r), _) => self.context(cur)[r],
                (None, Some(b)) => self.mem.read(b + offsets::msg(i) as u64),
                (None, None) => 0,
            };
        }
        let mut extra = [0; MSG_MAX_EXTRA_CAPS];
        let extra_count = buffer.map_or(0, |_| info.extra_caps());
        for (i, e) in extra.iter_mut().enumerate().take(extra_count) {
            *e = buffer.map_or(0, |b| self.mem.read(b + offsets::cap_or_badge(i) as u64));
        }
        let caller = Caller { tcb: cur };
        let ctable = self.mem.cap(tcb::slot(cur, selvm_abi::object::TCB_CTABLE));
        let target = cspace::lookup_slot(&self.mem, ctable, cptr).map(|s| (s, self.mem.cap(s)));
        let outcome = match target {
            Ok((
                slot,
                cap @ (Cap::Endpoint { .. } | Cap::Notification { .. } | Cap::Reply { .. }),
            )) => {
                // seL4's handleInvocation looks the extra caps up before any
                // invocation is decoded, an IPC one included: a failed lookup is
                // a cap fault on the extra cap's address and nothing is sent.
                let bad_extra = extra[..extra_count].iter().find_map(|&c| {
                    cspace::lookup_slot(&self.mem, ctable, c)
                        .err()
                        .map(|fault| Outcome::CapFault { cptr: c, fault })
                });
                match bad_extra {
                    Some(fault) => fault,
                    None => self.invoke_ipc_object(cur, slot, cap, is_call, is_blocking),
                }
            }
            _ => self.invoke(caller, cptr, info, &mrs[..length], &extra[..extra_count]),
        };
        match outcome {
            crate::invocation::Outcome::Done if is_call => self.reply_from_kernel(cur, 0, &[]),
            Outcome::Reply(words) if is_call => self.reply_from_kernel(cur, 0, words.as_slice()),
            Outcome::Error(e) if is_call => {
                let r = e.reply();
                self.reply_from_kernel(cur, r.label, r.words());
            }
            Outcome::CapFault { cptr, fault } if is_blocking => {
                let fault = Fault::Cap {
                    cptr,
                    in_receive_phase: false,
                    lookup: fault,
                };
                self.handle_fault(cur, fault);
            }
            _ => {}
        }
        SyscallExit::Resume
    }
}
