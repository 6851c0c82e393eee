//! The IPC fastpath for Call and ReplyRecv (seL4's conditions): no extra caps,
//! a message that fits the registers, the right caps, a partner already
//! waiting and at least as important as the caller, no fault pending — then
//! the message moves and the kernel switches straight to the partner without
//! a scheduler pass. Every other case takes the slow path. The resulting state
//! is exactly the slow path's (tests compare them word for word); hit counters
//! show which path ran.
//!
//! Written for speed as seL4's `fastpath.c` is: each thread is one checked view
//! of its whole TCB ([`TcbView`]: slots, fields and registers), caps are read
//! from their stored words without decoding, every condition is tested before
//! anything is written, and the writes go straight to the words the slow path
//! would leave.

use crate::arch::Arch;
use crate::cap::{self, CapWords};
use crate::cdt;
use crate::cspace;
use crate::memory::{PAddr, PhysMem, Ram};
use crate::object::endpoint::state_bits::{MASK as EP_STATE, RECV as EP_RECV, SEND as EP_SEND};
use crate::object::endpoint::{EndpointObj, flags};
use crate::object::notification::NotificationObj;
use crate::object::tcb::{self, TcbObject, TcbView, ThreadState};
use crate::sched::Action;
use crate::slot::{self, RawSlot};
use crate::state::Kernel;
use crate::vspace::{Asid, vspace_of_root};
use selvm_abi::object::{TCB_CALLER, TCB_CTABLE, TCB_REPLY, TCB_VTABLE};
use selvm_abi::{CapRights, MessageInfo, Syscall, Word};

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

/// The stored words of TCB slot `index`'s cap.
#[inline(always)]
fn slot_cap<const N: usize>(head: &[u64; N], index: usize) -> [u64; 2] {
    let w = 4 * index;
    [head[w], head[w + 1]]
}

/// The message a thread's registers carry, if the fastpath can take it: no extra
/// caps and at most as many words as there are message registers.
#[inline(always)]
fn register_message<A: Arch>(context: &[Word]) -> Option<MessageInfo> {
    let info = MessageInfo::from_word_clamped(context[A::MSG_INFO_REGISTER]);
    (info.extra_caps() == 0 && info.length() <= A::MSG_REGISTERS.len()).then_some(info)
}

/// Moves a register message from the sender's context to the receiver's, with its
/// info (no caps) and the badge.
#[inline(always)]
fn transfer<A: Arch>(from: &[Word], to: &mut [Word], info: MessageInfo, badge: Word) {
    for &r in &A::MSG_REGISTERS[..info.length()] {
        to[r] = from[r];
    }
    to[A::MSG_INFO_REGISTER] = info.with_extra_caps(0).with_caps_unwrapped(0).word();
    to[A::CAP_REGISTER] = badge;
}

/// The endpoint cap (ptr, badge, rights) that `cptr` names in the CSpace whose root
/// cap is stored as `root`; `None` (no endpoint, or a lookup that fails) sends the
/// call to the slow path.
#[inline(always)]
fn fast_endpoint(
    mem: &PhysMem<impl Ram>,
    root: CapWords,
    cptr: Word,
) -> Option<(PAddr, u64, CapRights)> {
    let slot = cspace::lookup_slot_from_words(mem, root, cptr)?;
    cap::endpoint_fields(mem.object::<RawSlot>(slot.0).cap)
}

impl<A: Arch, R: Ram> Kernel<A, R> {
    /// The fastpath switch and counters.
    pub fn fastpath(&mut self) -> &mut Fastpath {
        &mut self.fastpath
    }

    /// The first half of [`Kernel::handle_syscall_number`]: counts a Call or
    /// ReplyRecv `number` and takes the fastpath for it if its conditions hold;
    /// false (nothing changed but the counter) otherwise, and for every other system
    /// call, after which [`Kernel::handle_slow_syscall`] must handle the same call.
    #[inline(always)]
    pub fn try_fastpath(&mut self, number: Word) -> bool {
        self.fastpath_entry::<false>(number).is_some()
    }

    /// [`Kernel::try_fastpath`] for a platform's trap entry, and when the fastpath
    /// took the call, where to resume the thread it switched to: its VSpace and
    /// context, as [`Kernel::resume`] gives them, read while the fastpath has its
    /// TCB in view. `None` like `try_fastpath`'s false: [`Kernel::handle_slow_syscall`]
    /// must handle the call.
    #[inline(always)]
    pub fn fastpath_switch(&mut self, number: Word) -> Option<(Option<(Asid, PAddr)>, *mut Word)> {
        self.fastpath_entry::<true>(number)
    }

    /// [`Kernel::fastpath_switch`]; with `RESUME` false the VSpace it gives is always
    /// `None` and not looked up ([`Kernel::try_fastpath`], whose caller does not
    /// use it).
    #[inline(always)]
    fn fastpath_entry<const RESUME: bool>(
        &mut self,
        number: Word,
    ) -> Option<(Option<(Asid, PAddr)>, *mut Word)> {
        if number == Syscall::Call.word() {
            self.fastpath.calls += 1;
            if !self.fastpath.enabled {
                return None;
            }
            self.fastpath_call::<RESUME>()
        } else if number == Syscall::ReplyRecv.word() {
            self.fastpath.reply_recvs += 1;
            if !self.fastpath.enabled {
                return None;
            }
            self.fastpath_reply_recv::<RESUME>()
        } else {
            None
        }
    }

    /// Call fastpath: `None` (nothing changed) when its conditions do not hold, else
    /// where to resume the receiver (see [`Kernel::fastpath_switch`]).
    #[inline(always)]
    pub(crate) fn fastpath_call<const RESUME: bool>(
        &mut self,
    ) -> Option<(Option<(Asid, PAddr)>, *mut Word)> {
        if self.sched.action != Action::ResumeCurrent {
            return None;
        }
        let cur = self.sched.current;
        let mem = &mut self.mem.reborrow();
        // Everything is read and checked first.
        let c = mem.object::<TcbView<A::Tcb>>(cur);
        let (cf, context) = (c.tail.fields(), c.tail.context());
        let info = register_message::<A>(context)?;
        if cf.fault[0] != 0 || !cap::is_master_reply(slot_cap(&c.head, TCB_REPLY)) {
            return None;
        }
        let (prio, domain) = (cf.priority, cf.domain);
        let master_link = c.head[4 * TCB_REPLY + 3];
        let (ep, badge, rights) =
            fast_endpoint(mem, slot_cap(&c.head, TCB_CTABLE), context[A::CAP_REGISTER])?;
        if !rights.can_write() || !(rights.can_grant() || rights.can_grant_reply()) {
            return None;
        }
        let e = mem.object::<EndpointObj>(ep);
        let (dest, tail_and_state) = (e.queue_head, e.queue_tail_and_state);
        if tail_and_state & EP_STATE != EP_RECV {
            return None;
        }
        let d = mem.object::<TcbView<A::Tcb>>(dest);
        let df = d.tail.fields();
        if df.priority < prio
            || df.domain != domain
            || !cap::is_null_words(slot_cap(&d.head, TCB_CALLER))
        {
            return None;
        }
        let next = df.ep_next;
        let reply_can_grant = df.blocking_flags & flags::CAN_GRANT != 0;

        // The receiver leaves the endpoint's queue (it is its head).
        let e = mem.object_mut::<EndpointObj>(ep);
        e.queue_head = next;
        e.queue_tail_and_state = if next == 0 { 0 } else { tail_and_state };
        if next != 0 {
            mem.object_mut::<TcbView<A::Tcb>>(next)
                .tail
                .fields_mut()
                .ep_prev = 0;
        }
        // The reply cap goes into the receiver's caller slot, right after the
        // caller's master reply cap (`cdt::insert_reply`).
        let master = tcb::slot(cur, TCB_REPLY);
        let caller_slot = tcb::slot(dest, TCB_CALLER);
        let mutation = cfg!(feature = "mutation-cdt-parent");
        let old_next = master_link & !slot::FLAGS;
        if mutation {
            cdt::insert_reply(mem, cur, reply_can_grant, master, caller_slot);
        } else if old_next != 0 {
            mem.object_mut::<RawSlot>(old_next).prev = caller_slot.0;
        }
        // Two threads, one running and one waiting: two distinct TCBs.
        let (c, d) = mem.object_pair_mut::<TcbView<A::Tcb>, TcbView<A::Tcb>>(cur, dest);
        if !mutation {
            let [w0, w1] = cap::reply_words(cur, false, reply_can_grant);
            d.head[4 * TCB_CALLER..4 * TCB_CALLER + 4]
                .copy_from_slice(&[w0, w1, master.0, old_next]);
            c.head[4 * TCB_REPLY + 3] = caller_slot.0 | (master_link & slot::FLAGS);
        }
        // The caller waits for the reply; the receiver gets the message and runs.
        c.tail.fields_mut().state = ThreadState::BlockedOnReply as u64;
        let df = d.tail.fields_mut();
        (df.ep_prev, df.ep_next) = (0, 0);
        df.state = ThreadState::Running as u64;
        transfer::<A>(c.tail.context(), d.tail.context_mut(), info, badge);
        let (vtable, context) = (
            slot_cap(&d.head, TCB_VTABLE),
            d.tail.context_mut().as_mut_ptr(),
        );
        let vspace = if RESUME {
            vspace_of_root(mem, &self.asids, vtable)
        } else {
            None
        };
        self.sched.current = dest;
        self.fastpath.call_hits += 1;
        Some((vspace, context))
    }

    /// ReplyRecv fastpath: `None` (nothing changed) when its conditions do not hold,
    /// else where to resume the caller (see [`Kernel::fastpath_switch`]).
    #[inline(always)]
    pub(crate) fn fastpath_reply_recv<const RESUME: bool>(
        &mut self,
    ) -> Option<(Option<(Asid, PAddr)>, *mut Word)> {
        if self.sched.action != Action::ResumeCurrent {
            return None;
        }
        let cur = self.sched.current;
        let mem = &mut self.mem.reborrow();
        let c = mem.object::<TcbView<A::Tcb>>(cur);
        let (cf, context) = (c.tail.fields(), c.tail.context());
        let info = register_message::<A>(context)?;
        if cf.fault[0] != 0 {
            return None;
        }
        let caller = cap::reply_target(slot_cap(&c.head, TCB_CALLER))?;
        let (prio, domain, bound) = (cf.priority, cf.domain, cf.bound_notification);
        let reply = &c.head[4 * TCB_CALLER..4 * TCB_CALLER + 4];
        let (prev, link) = (reply[2], reply[3]);
        let (ep, _, rights) =
            fast_endpoint(mem, slot_cap(&c.head, TCB_CTABLE), context[A::CAP_REGISTER])?;
        if !rights.can_read() || (bound != 0 && mem.object::<NotificationObj>(bound).is_active()) {
            return None;
        }
        let e = mem.object::<EndpointObj>(ep);
        let (head, tail_and_state) = (e.queue_head, e.queue_tail_and_state);
        if tail_and_state & EP_STATE == EP_SEND {
            return None;
        }
        let rf = mem.object::<TcbView<A::Tcb>>(caller).tail.fields();
        if rf.state != ThreadState::BlockedOnReply as u64
            || rf.fault[0] != 0
            || rf.priority < prio
            || rf.domain != domain
        {
            return None;
        }

        // The reply cap goes (`cdt::remove`): its neighbours are linked to each other.
        // Its predecessor is normally the caller's master reply cap (written below).
        let next = link & !slot::FLAGS;
        let master = tcb::slot(caller, TCB_REPLY).0;
        if prev != master && prev != 0 {
            let p = mem.object_mut::<RawSlot>(prev);
            p.next_and_flags = next | (p.next_and_flags & slot::FLAGS);
        }
        if next != 0 {
            let n = mem.object_mut::<RawSlot>(next);
            n.prev = prev;
            n.next_and_flags |= link & slot::FIRST_BADGED;
        }
        // The replier waits on the endpoint, at the end of its queue.
        let tail = tail_and_state & !EP_STATE;
        let head = if head == 0 {
            cur
        } else {
            mem.object_mut::<TcbView<A::Tcb>>(tail)
                .tail
                .fields_mut()
                .ep_next = cur;
            head
        };
        let e = mem.object_mut::<EndpointObj>(ep);
        (e.queue_head, e.queue_tail_and_state) = (head, cur | EP_RECV);
        let (c, r) = mem.object_pair_mut::<TcbView<A::Tcb>, TcbView<A::Tcb>>(cur, caller);
        if prev == master {
            let p = &mut r.head[4 * TCB_REPLY + 3];
            *p = next | (*p & slot::FLAGS);
        }
        c.head[4 * TCB_CALLER..4 * TCB_CALLER + 4].fill(0);
        let cf = c.tail.fields_mut();
        cf.blocking_object = ep;
        cf.blocking_flags = if rights.can_grant() {
            flags::CAN_GRANT
        } else {
            0
        };
        cf.state = ThreadState::BlockedOnReceive as u64;
        (cf.ep_prev, cf.ep_next) = (tail, 0);
        // The caller gets the message and runs.
        r.tail.fields_mut().state = ThreadState::Running as u64;
        transfer::<A>(c.tail.context(), r.tail.context_mut(), info, 0);
        let (vtable, context) = (
            slot_cap(&r.head, TCB_VTABLE),
            r.tail.context_mut().as_mut_ptr(),
        );
        let vspace = if RESUME {
            vspace_of_root(mem, &self.asids, vtable)
        } else {
            None
        };
        self.sched.current = caller;
        self.fastpath.reply_recv_hits += 1;
        Some((vspace, context))
    }
}
