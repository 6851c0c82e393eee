//! Notifications: asynchronous signal words (32 bytes: waiter queue, state,
//! bound TCB, signal word). Signal and wait belong to the IPC layer; binding
//! to a TCB is here.

use crate::arch::Arch;
use crate::memory::{PAddr, WordStruct};
use crate::state::Kernel;

/// A notification's stored layout.
#[repr(C)]
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

// SAFETY: repr(C), four u64 fields: the layout `WordStruct` requires.
#[allow(unsafe_code)]
unsafe impl WordStruct for NotificationObj {}

impl<A: Arch> Kernel<'_, A> {
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

    /// The last cap to `ntfn` is going: unbind its thread. (Waiters are
    /// released by the IPC layer; none can wait before it exists.)
    pub(crate) fn notification_final(&mut self, ntfn: PAddr) {
        let t = self.notification(ntfn).bound_tcb;
        if t != 0 {
            self.unbind_notification(t);
        }
    }
}
