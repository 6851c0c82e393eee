//! Message transfer between threads (seL4's `doIPCTransfer`): message
//! registers (registers, then the IPC buffers), the badge, cap transfer with
//! Grant into the receiver's receive slot, unwrapping of caps to the endpoint
//! sent through, and fault messages; reply caps; cancelling a blocked thread's
//! IPC.

use crate::arch::Arch;
use crate::cap::{self, Cap};
use crate::cdt;
use crate::cspace;
use crate::memory::PAddr;
use crate::memory::Ram;
use crate::object::tcb::{self, ThreadState};
use crate::slot::{SlotMemory, SlotRef};
use crate::state::Kernel;
use selvm_abi::{MSG_MAX_EXTRA_CAPS, MessageInfo, Word, ipc_buffer::offsets, object};

impl<A: Arch, R: Ram> Kernel<A, R> {
    fn msg_word(&self, t: PAddr, buffer: Option<PAddr>, i: usize) -> Option<Word> {
        match (A::MSG_REGISTERS.get(i), buffer) {
            (Some(&r), _) => Some(self.context(t)[r]),
            (None, Some(b)) => Some(self.mem.read(b + offsets::msg(i) as u64)),
            (None, None) => None,
        }
    }

    /// Writes message register `i` of `t`; false if it has no place for it.
    pub(crate) fn set_msg_word(
        &mut self,
        t: PAddr,
        buffer: Option<PAddr>,
        i: usize,
        w: Word,
    ) -> bool {
        match (A::MSG_REGISTERS.get(i), buffer) {
            (Some(&r), _) => self.context_mut(t)[r] = w,
            (None, Some(b)) => self.mem.write(b + offsets::msg(i) as u64, w),
            (None, None) => return false,
        }
        true
    }

    /// seL4's `copyMRs`: copies up to `n` message registers; words beyond the
    /// registers go only when both threads have IPC buffers.
    fn copy_mrs(
        &mut self,
        from: PAddr,
        from_buf: Option<PAddr>,
        to: PAddr,
        to_buf: Option<PAddr>,
        n: usize,
    ) -> usize {
        let limit = if from_buf.is_some() && to_buf.is_some() {
            n
        } else {
            n.min(A::MSG_REGISTERS.len())
        };
        for i in 0..limit {
            let w = self.msg_word(from, from_buf, i).unwrap_or(0);
            self.set_msg_word(to, to_buf, i, w);
        }
        limit
    }

    /// The receiver's empty receive slot named by its IPC buffer, if any
    /// (seL4's `getReceiveSlots`).
    fn receive_slot(&self, receiver: PAddr, buffer: PAddr) -> Option<SlotRef> {
        let read = |off: usize| self.mem.read(buffer + off as u64);
        let (root_cptr, index, depth) = (
            read(offsets::RECEIVE_CNODE),
            read(offsets::RECEIVE_INDEX),
            read(offsets::RECEIVE_DEPTH),
        );
        let ctable = self.mem.cap(tcb::slot(receiver, object::TCB_CTABLE));
        let root = self
            .mem
            .cap(cspace::lookup_slot(&self.mem, ctable, root_cptr).ok()?);
        let slot = cspace::lookup_for_cnode_op(&self.mem, false, root, index, depth).ok()?;
        self.mem.cap(slot).is_null().then_some(slot)
    }

    /// seL4's `doIPCTransfer`: a normal message, or the sender's fault.
    pub(crate) fn do_ipc_transfer(
        &mut self,
        sender: PAddr,
        ep: Option<PAddr>,
        badge: Word,
        grant: bool,
        receiver: PAddr,
    ) {
        let recv_buf = self.ipc_buffer(receiver, true);
        if self.tcb(sender).fault[0] != 0 {
            self.do_fault_transfer(badge, sender, receiver, recv_buf);
            return;
        }
        let send_buf = self.ipc_buffer(sender, false);
        let tag = MessageInfo::from_word_clamped(self.context(sender)[A::MSG_INFO_REGISTER]);
        let mut caps = [None; MSG_MAX_EXTRA_CAPS];
        if grant {
            if let Some(b) = send_buf {
                let ctable = self.mem.cap(tcb::slot(sender, object::TCB_CTABLE));
                for (i, c) in caps.iter_mut().enumerate().take(tag.extra_caps()) {
                    let cptr = self.mem.read(b + offsets::cap_or_badge(i) as u64);
                    match cspace::lookup_slot(&self.mem, ctable, cptr) {
                        Ok(slot) => *c = Some(slot),
                        // A lookup failure transfers no caps at all.
                        Err(_) => {
                            caps = [None; MSG_MAX_EXTRA_CAPS];
                            break;
                        }
                    }
                }
            }
        }
        let length = self.copy_mrs(sender, send_buf, receiver, recv_buf, tag.length());
        let info = self
            .transfer_caps(tag, &caps, ep, receiver, recv_buf)
            .with_length(length as Word);
        let ctx = self.context_mut(receiver);
        ctx[A::MSG_INFO_REGISTER] = info.word();
        ctx[A::CAP_REGISTER] = if cfg!(feature = "mutation-badge") {
            0
        } else {
            badge
        };
    }

    /// seL4's `transferCaps`: caps to the endpoint sent through are unwrapped
    /// (their badge in caps_or_badges); at most one other cap is derived into
    /// the receiver's receive slot.
    fn transfer_caps(
        &mut self,
        tag: MessageInfo,
        caps: &[Option<SlotRef>; MSG_MAX_EXTRA_CAPS],
        ep: Option<PAddr>,
        receiver: PAddr,
        recv_buf: Option<PAddr>,
    ) -> MessageInfo {
        let mut info = tag.with_extra_caps(0).with_caps_unwrapped(0);
        let (Some(_), Some(buffer)) = (caps[0], recv_buf) else {
            return info;
        };
        let mut dest = self.receive_slot(receiver, buffer);
        let mut unwrapped = 0;
        for (i, slot) in caps.iter().enumerate() {
            let Some(slot) = *slot else { break };
            let cap = self.mem.cap(slot);
            match cap {
                Cap::Endpoint { ptr, badge, .. } if Some(ptr) == ep => {
                    self.mem
                        .write(buffer + offsets::cap_or_badge(i) as u64, badge);
                    unwrapped |= 1 << i;
                }
                _ => {
                    let Some(d) = dest else { break };
                    match cap::derive(cap, || cdt::has_children(&self.mem, slot)) {
                        Ok(new) if !new.is_null() => {
                            cdt::insert_derived(&mut self.mem, new, slot, d)
                        }
                        _ => break,
                    }
                    dest = None;
                }
            }
            info = info.with_extra_caps(i as Word + 1);
        }
        info.with_caps_unwrapped(unwrapped)
    }

    /// seL4's `setupCallerCap`: the caller waits for a reply; the receiver's
    /// caller slot gets a reply cap derived from the caller's master reply cap.
    pub(crate) fn setup_caller_cap(&mut self, sender: PAddr, receiver: PAddr, can_grant: bool) {
        self.set_thread_state(sender, ThreadState::BlockedOnReply);
        let master = tcb::slot(sender, object::TCB_REPLY);
        let caller_slot = tcb::slot(receiver, object::TCB_CALLER);
        if !matches!(self.mem.cap(master), Cap::Reply { master: true, .. })
            || !self.mem.cap(caller_slot).is_null()
        {
            return;
        }
        let reply = Cap::Reply {
            tcb: sender,
            master: false,
            can_grant,
        };
        cdt::insert_derived(&mut self.mem, reply, master, caller_slot);
    }

    /// Deletes the reply cap in `t`'s caller slot (seL4's `deleteCallerCap`).
    pub(crate) fn delete_caller_cap(&mut self, t: PAddr) {
        cdt::remove(&mut self.mem, tcb::slot(t, object::TCB_CALLER));
    }

    /// seL4's `doReplyTransfer`: `replier` answers `caller` through the reply
    /// cap in `slot` (deleted as it is used).
    pub(crate) fn do_reply_transfer(
        &mut self,
        replier: PAddr,
        caller: PAddr,
        slot: SlotRef,
        grant: bool,
    ) {
        if self.thread_state(caller) != ThreadState::BlockedOnReply {
            cdt::remove(&mut self.mem, slot);
            return;
        }
        if self.tcb(caller).fault[0] == 0 {
            self.do_ipc_transfer(replier, None, 0, grant, caller);
            cdt::remove(&mut self.mem, slot);
            self.set_thread_state(caller, ThreadState::Running);
            self.possible_switch_to(caller);
        } else {
            cdt::remove(&mut self.mem, slot);
            let restart = self.handle_fault_reply(caller, replier);
            self.tcb_mut(caller).fault = [0; 4];
            if restart {
                self.set_thread_state(caller, ThreadState::Restart);
                self.possible_switch_to(caller);
            } else {
                self.set_thread_state(caller, ThreadState::Inactive);
            }
        }
    }

    /// seL4's `cancelIPC`: a blocked thread stops waiting and becomes Inactive;
    /// a thread waiting for a reply loses the reply cap pointing at it.
    pub(crate) fn cancel_ipc(&mut self, t: PAddr) {
        let obj = self.tcb(t).blocking_object;
        match self.thread_state(t) {
            ThreadState::BlockedOnSend | ThreadState::BlockedOnReceive => {
                self.endpoint_remove(obj, t);
                self.set_thread_state(t, ThreadState::Inactive);
            }
            ThreadState::BlockedOnNotification => self.cancel_signal(obj, t),
            ThreadState::BlockedOnReply => {
                self.tcb_mut(t).fault = [0; 4];
                let master = tcb::slot(t, object::TCB_REPLY);
                if let Some(child) = self.mem.mdb(master).next {
                    if matches!(self.mem.cap(child), Cap::Reply { master: false, tcb, .. } if tcb == t)
                    {
                        cdt::remove(&mut self.mem, child);
                    }
                }
            }
            _ => {}
        }
    }
}
