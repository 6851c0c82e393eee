//! Endpoints: synchronous IPC rendezvous objects (16 bytes: the queue of
//! waiting threads and whether they wait to send or to receive). Sending and
//! receiving follow seL4's rules: a sender meets a waiting receiver (or
//! queues), a receiver meets a waiting sender (or queues); a Call leaves a
//! one-shot reply cap in the receiver's caller slot when the sender's cap
//! allows Grant or GrantReply.

use crate::arch::Arch;
use crate::memory::Ram;
use crate::memory::{PAddr, word_struct};
use crate::object::tcb::ThreadState;
use crate::state::Kernel;
use selvm_abi::Word;

word_struct! {
    /// An endpoint's stored layout.
    pub struct EndpointObj {
        /// First queued TCB, 0 if none.
        pub queue_head: u64,
        /// Last queued TCB with the state in the low 2 bits.
        pub queue_tail_and_state: u64,
    }
}

/// What the threads queued on an endpoint wait for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EpState {
    /// Nobody waits.
    Idle,
    /// Senders wait.
    Send,
    /// Receivers wait.
    Recv,
}

/// The queue's state in the low bits of `EndpointObj::queue_tail_and_state` (the
/// fastpath reads and writes them directly).
pub(crate) mod state_bits {
    /// Nobody waits.
    pub const IDLE: u64 = 0;
    /// Senders wait.
    pub const SEND: u64 = 1;
    /// Receivers wait.
    pub const RECV: u64 = 2;
    /// Both bits.
    pub const MASK: u64 = 3;
}

/// A sender's blocking flags (in `TcbFields::blocking_flags`).
pub mod flags {
    /// The send may transfer caps.
    pub const CAN_GRANT: u64 = 1;
    /// The send may leave a reply cap.
    pub const CAN_GRANT_REPLY: u64 = 2;
    /// The send is a Call.
    pub const IS_CALL: u64 = 4;
}

/// A send on an endpoint, as seL4's `sendIPC` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Send {
    /// Block if no receiver waits.
    pub blocking: bool,
    /// A Call (wants a reply).
    pub call: bool,
    /// The badge of the cap sent through.
    pub badge: Word,
    /// The cap allows Grant.
    pub can_grant: bool,
    /// The cap allows GrantReply.
    pub can_grant_reply: bool,
}

impl<A: Arch, R: Ram> Kernel<A, R> {
    /// The endpoint's queue and state.
    #[inline]
    pub fn endpoint_queue(&self, ep: PAddr) -> (PAddr, PAddr, EpState) {
        let e: &EndpointObj = self.mem.object(ep);
        let state = match e.queue_tail_and_state & state_bits::MASK {
            state_bits::SEND => EpState::Send,
            state_bits::RECV => EpState::Recv,
            _ => EpState::Idle,
        };
        (
            e.queue_head,
            e.queue_tail_and_state & !state_bits::MASK,
            state,
        )
    }

    #[inline]
    fn set_endpoint_queue(&mut self, ep: PAddr, head: PAddr, tail: PAddr, state: EpState) {
        let state = if head == 0 {
            state_bits::IDLE
        } else {
            match state {
                EpState::Idle => state_bits::IDLE,
                EpState::Send => state_bits::SEND,
                EpState::Recv => state_bits::RECV,
            }
        };
        let e: &mut EndpointObj = self.mem.object_mut(ep);
        (e.queue_head, e.queue_tail_and_state) = (head, tail | state);
    }

    /// Appends `t` to the endpoint's queue, which now waits in `state`.
    #[inline]
    fn endpoint_append(&mut self, ep: PAddr, t: PAddr, state: EpState) {
        let (head, tail, _) = self.endpoint_queue(ep);
        let (head, tail) = self.tcb_queue_append(head, tail, t);
        self.set_endpoint_queue(ep, head, tail, state);
    }

    /// Takes `t` out of the endpoint's queue.
    #[inline]
    pub(crate) fn endpoint_remove(&mut self, ep: PAddr, t: PAddr) {
        let (head, tail, state) = self.endpoint_queue(ep);
        let (head, tail) = self.tcb_queue_remove(head, tail, t);
        self.set_endpoint_queue(ep, head, tail, state);
    }

    /// seL4's `sendIPC`: `thread` sends on `ep`.
    pub(crate) fn send_ipc(&mut self, thread: PAddr, ep: PAddr, s: Send) {
        let (head, _, state) = self.endpoint_queue(ep);
        if state != EpState::Recv {
            if s.blocking {
                let mut f = 0;
                if s.can_grant {
                    f |= flags::CAN_GRANT;
                }
                if s.can_grant_reply {
                    f |= flags::CAN_GRANT_REPLY;
                }
                if s.call {
                    f |= flags::IS_CALL;
                }
                let t = self.tcb_mut(thread);
                (t.blocking_object, t.blocking_badge, t.blocking_flags) = (ep, s.badge, f);
                self.set_thread_state(thread, ThreadState::BlockedOnSend);
                self.endpoint_append(ep, thread, EpState::Send);
            }
            return;
        }
        let dest = head;
        self.endpoint_remove(ep, dest);
        self.do_ipc_transfer(thread, Some(ep), s.badge, s.can_grant, dest);
        let reply_can_grant = self.tcb(dest).blocking_flags & flags::CAN_GRANT != 0;
        self.set_thread_state(dest, ThreadState::Running);
        self.possible_switch_to(dest);
        if s.call {
            if s.can_grant || s.can_grant_reply {
                self.setup_caller_cap(thread, dest, reply_can_grant);
            } else {
                self.set_thread_state(thread, ThreadState::Inactive);
            }
        }
    }

    /// seL4's `receiveIPC`: `thread` receives on `ep` through a cap whose
    /// Grant right is `can_grant`.
    pub(crate) fn receive_ipc(
        &mut self,
        thread: PAddr,
        ep: PAddr,
        can_grant: bool,
        blocking: bool,
    ) {
        let bound = self.tcb(thread).bound_notification;
        if bound != 0 && self.notification_active(bound) {
            self.complete_signal(bound, thread);
            return;
        }
        let (head, _, state) = self.endpoint_queue(ep);
        if state != EpState::Send {
            if blocking {
                let t = self.tcb_mut(thread);
                (t.blocking_object, t.blocking_flags) =
                    (ep, if can_grant { flags::CAN_GRANT } else { 0 });
                self.set_thread_state(thread, ThreadState::BlockedOnReceive);
                self.endpoint_append(ep, thread, EpState::Recv);
            } else {
                self.context_mut(thread)[A::CAP_REGISTER] = 0;
            }
            return;
        }
        let sender = head;
        self.endpoint_remove(ep, sender);
        let f = self.tcb(sender);
        let (badge, sflags) = (f.blocking_badge, f.blocking_flags);
        self.do_ipc_transfer(
            sender,
            Some(ep),
            badge,
            sflags & flags::CAN_GRANT != 0,
            thread,
        );
        if sflags & flags::IS_CALL != 0 {
            if sflags & (flags::CAN_GRANT | flags::CAN_GRANT_REPLY) != 0 {
                self.setup_caller_cap(sender, thread, can_grant);
            } else {
                self.set_thread_state(sender, ThreadState::Inactive);
            }
        } else {
            self.set_thread_state(sender, ThreadState::Running);
            self.possible_switch_to(sender);
        }
    }

    /// The last cap to `ep` is going (seL4's `cancelAllIPC`): every queued
    /// thread restarts its syscall.
    pub(crate) fn endpoint_final(&mut self, ep: PAddr) {
        let (head, _, state) = self.endpoint_queue(ep);
        if state == EpState::Idle {
            return;
        }
        self.set_endpoint_queue(ep, 0, 0, EpState::Idle);
        self.restart_queue(head);
    }

    /// seL4's `cancelBadgedSends`: queued senders with `badge` restart.
    pub(crate) fn cancel_badged_sends(&mut self, ep: PAddr, badge: Word) {
        let (mut t, _, state) = self.endpoint_queue(ep);
        if state != EpState::Send {
            return;
        }
        while t != 0 {
            let next = self.tcb(t).ep_next;
            if self.tcb(t).blocking_badge == badge {
                self.endpoint_remove(ep, t);
                self.set_thread_state(t, ThreadState::Restart);
                self.sched_enqueue(t);
            }
            t = next;
        }
        self.reschedule_required();
    }
}
