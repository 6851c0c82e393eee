//! Faults: a thread's fault is sent as a Call on its behalf through the
//! endpoint its fault-handler address names in its own CSpace (needing Write
//! and Grant or GrantReply); without a usable handler the thread becomes
//! Inactive (seL4's double fault), never a kernel panic. The handler's reply
//! writes registers back and decides whether the thread restarts.

use crate::arch::Arch;
use crate::cap::Cap;
use crate::cspace;
use crate::memory::PAddr;
use crate::memory::Ram;
use crate::object::endpoint::Send;
use crate::object::tcb::{self, ThreadState};
use crate::slot::SlotMemory;
use crate::state::Kernel;
use selvm_abi::{FaultLabel, LookupFault, MessageInfo, Word, object};

/// A fault a thread raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// A cap address did not resolve.
    Cap {
        /// The address.
        cptr: Word,
        /// During the receive phase of a syscall.
        in_receive_phase: bool,
        /// Why it did not resolve.
        lookup: LookupFault,
    },
    /// A syscall number the kernel does not know.
    UnknownSyscall {
        /// The number.
        number: Word,
    },
    /// An architecture exception (e.g. an illegal instruction).
    UserException {
        /// The exception number.
        number: Word,
        /// An architecture-specific code.
        code: Word,
    },
    /// A memory access the VSpace does not allow.
    VmFault {
        /// The faulting address.
        address: Word,
        /// An instruction fetch.
        prefetch: bool,
        /// The architecture's fault status.
        status: Word,
    },
}

impl Fault {
    /// The fault's seL4 label.
    pub const fn label(&self) -> FaultLabel {
        match self {
            Fault::Cap { .. } => FaultLabel::CapFault,
            Fault::UnknownSyscall { .. } => FaultLabel::UnknownSyscall,
            Fault::UserException { .. } => FaultLabel::UserException,
            Fault::VmFault { .. } => FaultLabel::VmFault,
        }
    }

    /// The stored form: label and three words.
    fn words(&self) -> [Word; 4] {
        let label = self.label().word();
        match *self {
            Fault::Cap {
                cptr,
                in_receive_phase,
                ..
            } => [label, cptr, in_receive_phase.into(), 0],
            Fault::UnknownSyscall { number } => [label, number, 0, 0],
            Fault::UserException { number, code } => [label, number, code, 0],
            Fault::VmFault {
                address,
                prefetch,
                status,
            } => [label, address, prefetch.into(), status],
        }
    }
}

impl<A: Arch, R: Ram> Kernel<A, R> {
    /// The thread `t` faulted: send the fault to its handler, or stop it.
    pub(crate) fn handle_fault(&mut self, t: PAddr, fault: Fault) {
        let lookup = match fault {
            Fault::Cap { lookup, .. } => lookup.words().0,
            _ => [0; 4],
        };
        let ctable = self.mem.cap(tcb::slot(t, object::TCB_CTABLE));
        let handler = cspace::lookup_slot(&self.mem, ctable, self.tcb(t).fault_handler)
            .map(|s| self.mem.cap(s));
        match handler {
            Ok(Cap::Endpoint { ptr, badge, rights })
                if rights.can_write() && (rights.can_grant() || rights.can_grant_reply()) =>
            {
                let f = self.tcb_mut(t);
                (f.fault, f.lookup_failure) = (fault.words(), lookup);
                let send = Send {
                    blocking: true,
                    call: true,
                    badge,
                    can_grant: rights.can_grant(),
                    can_grant_reply: rights.can_grant_reply(),
                };
                self.send_ipc(t, ptr, send);
            }
            // No usable handler: seL4's double fault (the thread keeps no
            // pending fault, so a later restart sends normal messages).
            _ => {
                self.tcb_mut(t).last_double_fault = fault.words();
                self.double_faults += 1;
                self.set_thread_state(t, ThreadState::Inactive);
            }
        }
    }

    /// seL4's `doFaultTransfer`: the fault message of `sender` to `receiver`.
    pub(crate) fn do_fault_transfer(
        &mut self,
        badge: Word,
        sender: PAddr,
        receiver: PAddr,
        buf: Option<PAddr>,
    ) {
        let [label, a, b, c] = self.tcb(sender).fault;
        let lookup = self.tcb(sender).lookup_failure;
        let ctx = self.context(sender);
        let mut msg = [0; 24];
        let mut n = 0;
        let mut push = |w: Word| {
            msg[n] = w;
            n += 1;
        };
        match FaultLabel::from_word(label) {
            Some(FaultLabel::CapFault) => {
                push(ctx[A::FAULT_IP_REGISTER]);
                push(a);
                push(b);
                let lookup = LookupFault::from_words(&lookup);
                let (words, count) = lookup.map_or(([0; 4], 0), |l| l.words());
                words[..count].iter().for_each(|&w| push(w));
            }
            Some(FaultLabel::UnknownSyscall) => {
                A::SYSCALL_MESSAGE.iter().for_each(|&r| push(ctx[r]));
                push(a);
            }
            Some(FaultLabel::UserException) => {
                A::EXCEPTION_MESSAGE.iter().for_each(|&r| push(ctx[r]));
                push(a);
                push(b);
            }
            _ => {
                push(ctx[A::FAULT_IP_REGISTER]);
                push(a);
                push(b);
                push(c);
            }
        }
        let mut len = 0;
        for (i, &w) in msg[..n].iter().enumerate() {
            if !self.set_msg_word(receiver, buf, i, w) {
                break;
            }
            len = i + 1;
        }
        let info = MessageInfo::from_word_clamped(0)
            .with_label(label)
            .with_length(len as Word);
        let rctx = self.context_mut(receiver);
        rctx[A::MSG_INFO_REGISTER] = info.word();
        rctx[A::CAP_REGISTER] = badge;
    }

    /// seL4's `handleFaultReply`: UnknownSyscall and UserException replies
    /// write the fault message's registers back (as many as the reply's length
    /// covers) and restart the thread only for label 0; CapFault and VMFault
    /// replies always restart it.
    pub(crate) fn handle_fault_reply(&mut self, faulted: PAddr, replier: PAddr) -> bool {
        let info = MessageInfo::from_word_clamped(self.context(replier)[A::MSG_INFO_REGISTER]);
        let regs: &[usize] = match FaultLabel::from_word(self.tcb(faulted).fault[0]) {
            Some(FaultLabel::UnknownSyscall) => A::SYSCALL_MESSAGE,
            Some(FaultLabel::UserException) => A::EXCEPTION_MESSAGE,
            _ => return true,
        };
        let buf = self.ipc_buffer(replier, false);
        let before = self.tcb(faulted).context;
        for (i, &r) in regs.iter().enumerate().take(info.length()) {
            let v = match (A::MSG_REGISTERS.get(i), buf) {
                (Some(&m), _) => self.context(replier)[m],
                (None, Some(b)) => self
                    .mem
                    .read(b + selvm_abi::ipc_buffer::offsets::msg(i) as u64),
                (None, None) => break,
            };
            if !A::is_read_only_register(r) {
                self.context_mut(faulted)[r] = A::sanitise_register(r, v);
            }
        }
        if A::VM_OBJECTS && regs.first() == Some(&A::FAULT_IP_REGISTER) && info.length() > 0 {
            // A pc the module does not allow: the reply changes nothing and
            // the thread stays Inactive (docs/vm-abi.md).
            let pc = self.context(faulted)[A::FAULT_IP_REGISTER];
            let old_pc = before[A::FAULT_IP_REGISTER];
            self.context_mut(faulted)[A::FAULT_IP_REGISTER] = old_pc;
            match self.vm_pc_write(faulted, pc) {
                None => {
                    self.tcb_mut(faulted).context = before;
                    return false;
                }
                Some(crate::arch::vm::PcWrite::Restart(func)) => {
                    self.context_mut(faulted)[A::FAULT_IP_REGISTER] = pc;
                    self.vm_restart_at(faulted, func);
                }
                Some(crate::arch::vm::PcWrite::InPlace) => {
                    self.context_mut(faulted)[A::FAULT_IP_REGISTER] = pc;
                }
            }
        }
        info.label() == 0
    }
}
