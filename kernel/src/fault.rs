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
use selvm_abi::{
    FaultLabel, LOOKUP_FAULT_DEPTH_MISMATCH, LOOKUP_FAULT_GUARD_MISMATCH,
    LOOKUP_FAULT_INVALID_ROOT, LOOKUP_FAULT_MISSING_CAPABILITY, LookupFault, MessageInfo, Word,
    object,
};

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

/// A lookup failure as a TCB keeps it, in two words as seL4 packs it: the type
/// word (0: none) with bits left and bits found in bits 8..16 and 16..24 of word
/// 0, the guard found in word 1. Bit counts are at most 64, so nothing is lost.
fn pack_lookup(lookup: Option<LookupFault>) -> [Word; 2] {
    let Some(l) = lookup else { return [0, 0] };
    let (bits_left, bits_found, guard) = match l {
        LookupFault::InvalidRoot => (0, 0, 0),
        LookupFault::MissingCapability { bits_left } => (bits_left, 0, 0),
        LookupFault::DepthMismatch {
            bits_left,
            bits_found,
        } => (bits_left, bits_found, 0),
        LookupFault::GuardMismatch {
            bits_left,
            guard_found,
            bits_found,
        } => (bits_left, bits_found, guard_found),
    };
    let small = |v: Word| v & 0xff;
    [
        l.type_word() | small(bits_left) << 8 | small(bits_found) << 16,
        guard,
    ]
}

/// The lookup failure [`pack_lookup`] stored.
fn unpack_lookup([w0, guard_found]: [Word; 2]) -> Option<LookupFault> {
    let (bits_left, bits_found) = ((w0 >> 8) & 0xff, (w0 >> 16) & 0xff);
    Some(match w0 & 0xff {
        LOOKUP_FAULT_INVALID_ROOT => LookupFault::InvalidRoot,
        LOOKUP_FAULT_MISSING_CAPABILITY => LookupFault::MissingCapability { bits_left },
        LOOKUP_FAULT_DEPTH_MISMATCH => LookupFault::DepthMismatch {
            bits_left,
            bits_found,
        },
        LOOKUP_FAULT_GUARD_MISMATCH => LookupFault::GuardMismatch {
            bits_left,
            guard_found,
            bits_found,
        },
        _ => return None,
    })
}

impl<A: Arch, R: Ram> Kernel<A, R> {
    /// The thread `t` faulted: send the fault to its handler, or stop it.
    pub(crate) fn handle_fault(&mut self, t: PAddr, fault: Fault) {
        let lookup = match fault {
            Fault::Cap { lookup, .. } => pack_lookup(Some(lookup)),
            _ => pack_lookup(None),
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
                let lookup = unpack_lookup(lookup);
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
    /// replies always restart it. A pc the architecture rejects
    /// ([`Arch::user_pc_write`]) changes nothing and leaves the thread Inactive.
    pub(crate) fn handle_fault_reply(&mut self, faulted: PAddr, replier: PAddr) -> bool {
        let info = MessageInfo::from_word_clamped(self.context(replier)[A::MSG_INFO_REGISTER]);
        let regs: &[usize] = match FaultLabel::from_word(self.tcb(faulted).fault[0]) {
            Some(FaultLabel::UnknownSyscall) => A::SYSCALL_MESSAGE,
            Some(FaultLabel::UserException) => A::EXCEPTION_MESSAGE,
            _ => return true,
        };
        let buf = self.ipc_buffer(replier, false);
        // The reply's value for register i of the message, if it carries one.
        let value = |k: &Self, i: usize| match (A::MSG_REGISTERS.get(i), buf) {
            (Some(&m), _) => Some(k.context(replier)[m]),
            (None, Some(b)) => Some(
                k.mem
                    .read(b + selvm_abi::ipc_buffer::offsets::msg(i) as u64),
            ),
            (None, None) => None,
        };
        let count = regs.len().min(info.length());
        // The pc first: checked before anything is written.
        let pc_write = match regs[..count]
            .iter()
            .position(|&r| r == A::FAULT_IP_REGISTER)
        {
            Some(i) => match value(self, i) {
                Some(pc) => match A::user_pc_write(
                    self,
                    faulted,
                    A::sanitise_register(A::FAULT_IP_REGISTER, pc),
                ) {
                    Some(w) => Some(w),
                    None => return false,
                },
                None => None,
            },
            None => None,
        };
        for (i, &r) in regs[..count].iter().enumerate() {
            let Some(v) = value(self, i) else { break };
            if !A::is_read_only_register(r) {
                self.context_mut(faulted)[r] = A::sanitise_register(r, v);
            }
        }
        if let Some(w) = pc_write {
            A::user_pc_written(self, faulted, w);
        }
        info.label() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_failures_pack_into_two_words() {
        let all = [
            LookupFault::InvalidRoot,
            LookupFault::MissingCapability { bits_left: 64 },
            LookupFault::DepthMismatch {
                bits_left: 0,
                bits_found: 63,
            },
            LookupFault::GuardMismatch {
                bits_left: 37,
                guard_found: Word::MAX,
                bits_found: 64,
            },
        ];
        for l in all {
            assert_eq!(unpack_lookup(pack_lookup(Some(l))), Some(l));
        }
        assert_eq!(unpack_lookup(pack_lookup(None)), None);
    }
}
