//! Notifications: asynchronous signal words (32 bytes: waiter queue, state,
//! bound TCB, signal word). Signal ORs a badge into the word or wakes a waiter;
//! Wait takes the word or blocks; a bound thread blocked on an endpoint receive
//! is woken by a signal too.

use crate::arch::Arch;
use crate::memory::Ram;
use crate::memory::{PAddr, word_struct};
use crate::object::tcb::ThreadState;
use crate::state::Kernel;
use selvm_abi::Word;

/// Notification states (low bits of `queue_tail_and_state`).
const IDLE: u64 = 0;
const WAITING: u64 = 1;
const ACTIVE: u64 = 2;

word_struct! {
    /// A notification's stored layout.
    pub struct NotificationObj {
        /// First waiting TCB, 0 if none.
        pub queue_head: u64,
        /// Last waiting TCB, with the state (idle 0, waiting 1, active 2) in the low bits.
        pub queue_tail_and_state: u64,
        /// The TCB bound to it, 0 if none.
        pub bound_tcb: u64,
        /// The signal word (ORed badges).
        pub word: u64,
    }
}

impl NotificationObj {
    /// Whether a signal is pending.
    #[inline]
    pub(crate) fn is_active(&self) -> bool {
        self.queue_tail_and_state & 3 == ACTIVE
    }
}

impl<A: Arch, R: Ram> Kernel<A, R> {
    /// The notification at `ntfn`.
    pub fn notification(&self, ntfn: PAddr) -> &NotificationObj {
        self.mem.object(ntfn)
    }

    /// Whether the notification has waiters or a bound thread (it cannot be bound).
    pub(crate) fn notification_busy(&self, ntfn: PAddr) -> bool {
        let n = self.notification(ntfn);
        n.queue_head != 0 || n.bound_tcb != 0
    }

    /// Binds `ntfn` to the thread `t`.
    pub(crate) fn bind_notification(&mut self, t: PAddr, ntfn: PAddr) {
        self.mem.object_mut::<NotificationObj>(ntfn).bound_tcb = t;
        self.tcb_mut(t).bound_notification = ntfn;
    }

    /// Unbinds the thread `t` from its notification, if it has one.
    pub(crate) fn unbind_notification(&mut self, t: PAddr) {
        let ntfn = self.tcb(t).bound_notification;
        if ntfn != 0 {
            self.mem.object_mut::<NotificationObj>(ntfn).bound_tcb = 0;
            self.tcb_mut(t).bound_notification = 0;
        }
    }

    fn ntfn_mut(&mut self, ntfn: PAddr) -> &mut NotificationObj {
        self.mem.object_mut(ntfn)
    }

    fn ntfn_state(&self, ntfn: PAddr) -> u64 {
        self.notification(ntfn).queue_tail_and_state & 3
    }

    /// Whether a signal is pending.
    pub(crate) fn notification_active(&self, ntfn: PAddr) -> bool {
        self.ntfn_state(ntfn) == ACTIVE
    }

    fn set_ntfn_queue(&mut self, ntfn: PAddr, head: PAddr, tail: PAddr) {
        let state = if head == 0 { IDLE } else { WAITING };
        let n = self.ntfn_mut(ntfn);
        (n.queue_head, n.queue_tail_and_state) = (head, tail | state);
    }

    /// Takes `t` out of the notification's wait queue (seL4's `cancelSignal`).
    pub(crate) fn cancel_signal(&mut self, ntfn: PAddr, t: PAddr) {
        let n = self.notification(ntfn);
        let (head, tail) = (n.queue_head, n.queue_tail_and_state & !3);
        let (head, tail) = self.tcb_queue_remove(head, tail, t);
        self.set_ntfn_queue(ntfn, head, tail);
        self.set_thread_state(t, ThreadState::Inactive);
    }

    /// Hands the pending word to `t` and clears it (seL4's `completeSignal`).
    pub(crate) fn complete_signal(&mut self, ntfn: PAddr, t: PAddr) {
        let word = self.notification(ntfn).word;
        self.context_mut(t)[A::CAP_REGISTER] = word;
        let n = self.ntfn_mut(ntfn);
        (n.word, n.queue_tail_and_state) = (0, IDLE);
    }

    /// seL4's `sendSignal`: ORs `badge` in, or wakes a waiter or the bound thread.
    pub(crate) fn send_signal(&mut self, ntfn: PAddr, badge: Word) {
        match self.ntfn_state(ntfn) {
            IDLE => {
                let t = self.notification(ntfn).bound_tcb;
                if t != 0 && self.thread_state(t) == ThreadState::BlockedOnReceive {
                    self.cancel_ipc(t);
                    self.set_thread_state(t, ThreadState::Running);
                    self.context_mut(t)[A::CAP_REGISTER] = badge;
                    self.possible_switch_to(t);
                } else {
                    let n = self.ntfn_mut(ntfn);
                    (n.word, n.queue_tail_and_state) = (badge, ACTIVE);
                }
            }
            WAITING => {
                let n = self.notification(ntfn);
                let (head, tail) = (n.queue_head, n.queue_tail_and_state & !3);
                let dest = head;
                let (head, tail) = self.tcb_queue_remove(head, tail, dest);
                self.set_ntfn_queue(ntfn, head, tail);
                self.set_thread_state(dest, ThreadState::Running);
                self.context_mut(dest)[A::CAP_REGISTER] = badge;
                self.possible_switch_to(dest);
            }
            _ => self.ntfn_mut(ntfn).word |= badge,
        }
    }

    /// seL4's `receiveSignal`: take the pending word, or wait (or, not
    /// blocking, return badge 0).
    pub(crate) fn receive_signal(&mut self, t: PAddr, ntfn: PAddr, blocking: bool) {
        if self.notification_active(ntfn) {
            self.complete_signal(ntfn, t);
        } else if blocking {
            self.tcb_mut(t).blocking_object = ntfn;
            self.set_thread_state(t, ThreadState::BlockedOnNotification);
            let n = self.notification(ntfn);
            let (head, tail) = (n.queue_head, n.queue_tail_and_state & !3);
            let (head, tail) = self.tcb_queue_append(head, tail, t);
            self.set_ntfn_queue(ntfn, head, tail);
        } else {
            self.context_mut(t)[A::CAP_REGISTER] = 0;
        }
    }

    /// The last cap to `ntfn` is going: unbind its thread and restart every
    /// waiter (seL4's `unbindMaybeNotification` and `cancelAllSignals`).
    pub(crate) fn notification_final(&mut self, ntfn: PAddr) {
        let t = self.notification(ntfn).bound_tcb;
        if t != 0 {
            self.unbind_notification(t);
        }
        if self.ntfn_state(ntfn) != WAITING {
            return;
        }
        let head = self.notification(ntfn).queue_head;
        self.set_ntfn_queue(ntfn, 0, 0);
        self.restart_queue(head);
    }
}
