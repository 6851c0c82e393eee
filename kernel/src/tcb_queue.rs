//! Queues of threads through their TCBs' `ep_next`/`ep_prev` links, used by
//! endpoints and notifications (the queue's ends live in the object).

use crate::arch::Arch;
use crate::memory::PAddr;
use crate::memory::Ram;
use crate::object::tcb::ThreadState;
use crate::state::Kernel;

impl<A: Arch, R: Ram> Kernel<A, R> {
    /// Appends `t` to the queue `(head, tail)`; returns the new ends.
    #[inline]
    pub(crate) fn tcb_queue_append(
        &mut self,
        head: PAddr,
        tail: PAddr,
        t: PAddr,
    ) -> (PAddr, PAddr) {
        let f = self.tcb_mut(t);
        (f.ep_prev, f.ep_next) = (tail, 0);
        if head == 0 {
            (t, t)
        } else {
            self.tcb_mut(tail).ep_next = t;
            (head, t)
        }
    }

    /// Removes `t` from the queue `(head, tail)`; returns the new ends.
    #[inline]
    pub(crate) fn tcb_queue_remove(
        &mut self,
        head: PAddr,
        tail: PAddr,
        t: PAddr,
    ) -> (PAddr, PAddr) {
        let (prev, next) = (self.tcb(t).ep_prev, self.tcb(t).ep_next);
        let head = if prev != 0 {
            self.tcb_mut(prev).ep_next = next;
            head
        } else {
            next
        };
        let tail = if next != 0 {
            self.tcb_mut(next).ep_prev = prev;
            tail
        } else {
            prev
        };
        let f = self.tcb_mut(t);
        (f.ep_prev, f.ep_next) = (0, 0);
        (head, tail)
    }

    /// Restarts every thread of a detached queue starting at `head` (seL4's
    /// `cancelAllIPC` and `cancelAllSignals`): each re-executes its syscall.
    pub(crate) fn restart_queue(&mut self, head: PAddr) {
        let mut t = head;
        while t != 0 {
            let next = self.tcb(t).ep_next;
            let f = self.tcb_mut(t);
            (f.ep_next, f.ep_prev) = (0, 0);
            self.set_thread_state(t, ThreadState::Restart);
            self.sched_enqueue(t);
            t = next;
        }
        self.reschedule_required();
    }
}
