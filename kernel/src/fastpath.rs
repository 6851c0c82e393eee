//! The IPC fastpath for Call and ReplyRecv (seL4's conditions): no extra caps,
//! a message that fits the registers, the right caps, a partner already
//! waiting and at least as important as the caller, no fault pending — then
//! the message moves and the kernel switches straight to the partner without
//! a scheduler pass. Every other case takes the slow path. The resulting state
//! is exactly the slow path's (tests compare them word for word); hit counters
//! show which path ran.

use crate::arch::Arch;
use crate::cap;
use crate::cdt;
use crate::cspace;
use crate::memory::PAddr;
use crate::memory::Ram;
use crate::object::endpoint::{EpState, flags};
use crate::object::tcb::{self, ThreadState};
use crate::sched::Action;
use crate::slot::RawSlot;
use crate::state::Kernel;
use selvm_abi::{CapRights, MessageInfo, object};

/// Fastpath switch and hit counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fastpath {
    /// Take the fastpath when its conditions hold.
    pub enabled: bool,
    /// Calls made (either path).
    pub calls: u64,
    /// Calls that took the fastpath.
    pub call_hits: u64,
    /// ReplyRecvs made (either path).
    pub reply_recvs: u64,
    /// ReplyRecvs that took the fastpath.
    pub reply_recv_hits: u64,
}

impl Default for Fastpath {
    fn default() -> Self {
        Fastpath {
            enabled: true,
            calls: 0,
            call_hits: 0,
            reply_recvs: 0,
            reply_recv_hits: 0,
        }
    }
}

impl<A: Arch, R: Ram> Kernel<A, R> {
    /// The fastpath switch and counters.
    pub fn fastpath(&mut self) -> &mut Fastpath {
        &mut self.fastpath
    }

    fn fast_message(&self, cur: PAddr) -> Option<MessageInfo> {
        let info = MessageInfo::from_word_clamped(self.context(cur)[A::MSG_INFO_REGISTER]);
        let fits = info.extra_caps() == 0 && info.length() <= A::MSG_REGISTERS.len();
        (fits && self.sched.action == Action::ResumeCurrent && self.tcb(cur).fault[0] == 0)
            .then_some(info)
    }

    /// The endpoint cap (ptr, badge, rights) the current thread's cap register
    /// names; `None` (no endpoint, or a lookup that fails) sends the call to the
    /// slow path.
    fn fast_endpoint(&self, cur: PAddr) -> Option<(PAddr, u64, CapRights)> {
        let cptr = self.context(cur)[A::CAP_REGISTER];
        let root = tcb::slot(cur, object::TCB_CTABLE);
        let root = self.mem.object::<RawSlot>(root.0).cap;
        let slot = cspace::lookup_slot_from_words(&self.mem, root, cptr)?;
        cap::endpoint_fields(self.mem.object::<RawSlot>(slot.0).cap)
    }

    /// Copies the register message and writes the receiver's message info and badge.
    fn fast_transfer(&mut self, from: PAddr, to: PAddr, info: MessageInfo, badge: u64) {
        let n = info.length();
        // Every architecture has at most 8 message registers (checked at build time).
        const { assert!(A::MSG_REGISTERS.len() <= 8) };
        let mut words = [0; 8];
        let src = self.context(from);
        for (w, &r) in words.iter_mut().zip(&A::MSG_REGISTERS[..n]) {
            *w = src[r];
        }
        let info = info.with_extra_caps(0).with_caps_unwrapped(0);
        let ctx = self.context_mut(to);
        for (&w, &r) in words.iter().zip(&A::MSG_REGISTERS[..n]) {
            ctx[r] = w;
        }
        ctx[A::MSG_INFO_REGISTER] = info.word();
        ctx[A::CAP_REGISTER] = badge;
    }

    /// Call fastpath; false (nothing changed) when its conditions do not hold.
    pub(crate) fn fastpath_call(&mut self) -> bool {
        let cur = self.sched.current;
        let Some(info) = self.fast_message(cur) else {
            return false;
        };
        let Some((ep, badge, rights)) = self.fast_endpoint(cur) else {
            return false;
        };
        if !rights.can_write() || !(rights.can_grant() || rights.can_grant_reply()) {
            return false;
        }
        let (dest, _, state) = self.endpoint_queue(ep);
        let master = tcb::slot(cur, object::TCB_REPLY);
        let caller_slot = tcb::slot(dest, object::TCB_CALLER);
        if state != EpState::Recv {
            return false;
        }
        let (d, c) = (self.tcb(dest), self.tcb(cur));
        if d.priority < c.priority
            || d.domain != c.domain
            || !cap::is_master_reply(self.mem.object::<RawSlot>(master.0).cap)
            || !cap::is_null_words(self.mem.object::<RawSlot>(caller_slot.0).cap)
        {
            return false;
        }
        let reply_can_grant = d.blocking_flags & flags::CAN_GRANT != 0;
        self.endpoint_remove(ep, dest);
        self.fast_transfer(cur, dest, info, badge);
        self.tcb_mut(dest).state = ThreadState::Running as u64;
        self.tcb_mut(cur).state = ThreadState::BlockedOnReply as u64;
        cdt::insert_reply(&mut self.mem, cur, reply_can_grant, master, caller_slot);
        self.sched.current = dest;
        self.fastpath.call_hits += 1;
        true
    }

    /// ReplyRecv fastpath; false (nothing changed) when its conditions do not hold.
    pub(crate) fn fastpath_reply_recv(&mut self) -> bool {
        let cur = self.sched.current;
        let Some(info) = self.fast_message(cur) else {
            return false;
        };
        let Some((ep, _, rights)) = self.fast_endpoint(cur) else {
            return false;
        };
        let slot = tcb::slot(cur, object::TCB_CALLER);
        let Some(caller) = cap::reply_target(self.mem.object::<RawSlot>(slot.0).cap) else {
            return false;
        };
        let (r, c) = (self.tcb(caller), self.tcb(cur));
        let bound = c.bound_notification;
        if !rights.can_read()
            || r.state != ThreadState::BlockedOnReply as u64
            || r.fault[0] != 0
            || r.priority < c.priority
            || r.domain != c.domain
            || self.endpoint_queue(ep).2 == EpState::Send
            || (bound != 0 && self.notification_active(bound))
        {
            return false;
        }
        self.fast_transfer(cur, caller, info, 0);
        cdt::remove(&mut self.mem, slot);
        self.tcb_mut(caller).state = ThreadState::Running as u64;
        let f = self.tcb_mut(cur);
        (f.blocking_object, f.blocking_flags) = (
            ep,
            if rights.can_grant() {
                flags::CAN_GRANT
            } else {
                0
            },
        );
        f.state = ThreadState::BlockedOnReceive as u64;
        self.endpoint_append_recv(ep, cur);
        self.sched.current = caller;
        self.fastpath.reply_recv_hits += 1;
        true
    }
}
