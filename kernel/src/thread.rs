//! Thread operations shared by TCB invocations, deletion and the syscall path:
//! state access, suspend and restart, priorities, register access.

use crate::arch::Arch;
use crate::cap::Cap;
use crate::cdt;
use crate::memory::PAddr;
use crate::memory::Ram;
use crate::object::tcb::{self, FIELDS_OFFSET, TcbFields, TcbObject, ThreadState};
use crate::slot::SlotMemory;
use crate::state::Kernel;
use selvm_abi::{TIME_SLICE_TICKS, Word, object::TCB_REPLY};

impl<A: Arch, R: Ram> Kernel<A, R> {
    /// The kernel state of the TCB at `t`.
    #[inline]
    pub fn tcb(&self, t: PAddr) -> &TcbFields {
        self.tcb_object(t).fields()
    }

    #[inline]
    pub(crate) fn tcb_mut(&mut self, t: PAddr) -> &mut TcbFields {
        self.tcb_object_mut(t).fields_mut()
    }

    /// The TCB at `t` past its capability region as its architecture lays it
    /// out: fields, context and name in one view (seL4's `tcb_t`).
    #[inline(always)]
    fn tcb_object(&self, t: PAddr) -> &A::Tcb {
        self.mem.object(t + FIELDS_OFFSET)
    }

    #[inline(always)]
    fn tcb_object_mut(&mut self, t: PAddr) -> &mut A::Tcb {
        self.mem.object_mut(t + FIELDS_OFFSET)
    }

    /// The state of the thread at `t` (a corrupt word reads as Inactive).
    #[inline]
    pub fn thread_state(&self, t: PAddr) -> ThreadState {
        ThreadState::from_word(self.tcb(t).state).unwrap_or(ThreadState::Inactive)
    }

    /// The saved user context of the thread at `t` (where its architecture's
    /// TCB layout keeps it).
    #[inline]
    pub fn context(&self, t: PAddr) -> &[Word] {
        self.tcb_object(t).context()
    }

    /// The saved user context, writable (trap entry, tests).
    #[inline]
    pub fn context_mut(&mut self, t: PAddr) -> &mut [Word] {
        self.tcb_object_mut(t).context_mut()
    }

    /// The name DebugNameThread gave the thread at `t`: NUL-padded bytes in
    /// little-endian words, as many as its architecture's TCB keeps (at most 64
    /// bytes), the last byte always NUL.
    pub fn thread_name(&self, t: PAddr) -> &[Word] {
        self.tcb_object(t).name()
    }

    /// Names the thread at `t` with the first words of `name`, cut to what its
    /// TCB keeps and NUL-terminated there.
    pub(crate) fn set_thread_name(&mut self, t: PAddr, name: impl Iterator<Item = Word>) {
        let stored = self.tcb_object_mut(t).name_mut();
        stored.fill(0);
        for (w, n) in stored.iter_mut().zip(name) {
            *w = n;
        }
        if let Some(last) = stored.last_mut() {
            *last &= 0x00ff_ffff_ffff_ffff;
        }
    }

    /// Sets up a TCB's fields after retype (seL4's `createObject` for TCBs).
    pub(crate) fn init_tcb(&mut self, t: PAddr) {
        self.tcb_mut(t).time_slice = TIME_SLICE_TICKS;
        A::init_context(self.context_mut(t));
    }

    /// Stops a thread (seL4's `suspend`): it leaves any queue and becomes Inactive.
    pub(crate) fn suspend(&mut self, t: PAddr) {
        self.cancel_ipc(t);
        if self.thread_state(t) == ThreadState::Running {
            // Finish the syscall it is in: it resumes after it.
            let ctx = self.context_mut(t);
            ctx[A::FAULT_IP_REGISTER] = ctx[A::NEXT_IP_REGISTER];
        }
        self.set_thread_state(t, ThreadState::Inactive);
        self.sched_dequeue(t);
    }

    /// Gives the thread its master reply cap if it has none (seL4's
    /// `setupReplyMaster`): Calls it makes create reply caps derived from it.
    pub(crate) fn setup_reply_master(&mut self, t: PAddr) {
        let slot = tcb::slot(t, TCB_REPLY);
        if self.mem.cap(slot).is_null() {
            cdt::insert_original(
                &mut self.mem,
                slot,
                Cap::Reply {
                    tcb: t,
                    master: true,
                    can_grant: true,
                },
            );
        }
    }

    /// Restarts a stopped thread (seL4's `restart`, the Resume invocation).
    pub(crate) fn restart(&mut self, t: PAddr) {
        if self.thread_state(t).is_stopped() {
            self.cancel_ipc(t);
            self.setup_reply_master(t);
            self.set_thread_state(t, ThreadState::Restart);
            self.sched_enqueue(t);
            self.possible_switch_to(t);
        }
    }

    /// Changes a thread's priority, re-queueing it (seL4's `setPriority`).
    pub(crate) fn set_priority(&mut self, t: PAddr, prio: Word) {
        self.sched_dequeue(t);
        self.tcb_mut(t).priority = prio;
        if self.thread_state(t).is_runnable() {
            if t == self.sched.current {
                self.reschedule_required();
            } else {
                self.possible_switch_to(t);
            }
        }
    }
}
