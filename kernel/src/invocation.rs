//! Invocations: look up the invoked cap and the extra caps, then hand the
//! message to the object type's decoder (or to the architecture's, for its own
//! caps and labels), which validates everything before it changes anything.

use crate::arch::Arch;
use crate::cap::Cap;
use crate::cspace;
use crate::error::SyscallError;
use crate::memory::PAddr;
use crate::memory::Ram;
use crate::object::tcb::{self, ThreadState};
use crate::object::tcb_invocation::TcbOp;
use crate::object::{asid_pool, cnode, domain, frame, irq, page_table, untyped};
use crate::preemption::Preempted;
use crate::slot::{SlotMemory, SlotRef};
use crate::state::Kernel;
use selvm_abi::{CPtr, LookupFault, MSG_MAX_EXTRA_CAPS, MessageInfo, Word, object::TCB_CTABLE};

/// An extra cap of a message: where it was found and what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtraCap {
    /// The slot the extra cap's address named.
    pub slot: SlotRef,
    /// The cap there (possibly null).
    pub cap: Cap,
}

/// A decoded message addressed to a kernel object.
#[derive(Debug, Clone, Copy)]
pub struct Invocation<'a> {
    /// The invocation label.
    pub label: Word,
    /// The message registers, cut to the message's length.
    pub mrs: &'a [Word],
    /// The extra caps, in order; `None` past the message's count.
    pub extra: [Option<ExtraCap>; MSG_MAX_EXTRA_CAPS],
}

impl Invocation<'_> {
    /// Message register `i`; decoders check the length first.
    pub fn mr(&self, i: usize) -> Word {
        self.mrs.get(i).copied().unwrap_or(0)
    }

    /// The cap of extra cap `i`, if the message has one there.
    pub fn extra_cap(&self, i: usize) -> Option<Cap> {
        self.extra.get(i).copied().flatten().map(|e| e.cap)
    }
}

/// The invoking thread: its CTable slot is the CSpace root its addresses
/// resolve in, and its caller slot backs SaveCaller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    /// The caller's TCB.
    pub tcb: PAddr,
}

/// Most words a kernel reply carries (ReadRegisters of every register).
pub const MAX_REPLY_WORDS: usize = 64;

/// The message registers of a successful reply with data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyWords {
    words: [Word; MAX_REPLY_WORDS],
    len: usize,
}

impl Default for ReplyWords {
    fn default() -> Self {
        ReplyWords {
            words: [0; MAX_REPLY_WORDS],
            len: 0,
        }
    }
}

impl ReplyWords {
    /// Appends a word (words beyond the capacity are dropped).
    pub fn push(&mut self, w: Word) {
        if let Some(slot) = self.words.get_mut(self.len) {
            *slot = w;
            self.len += 1;
        }
    }

    /// The words.
    pub fn as_slice(&self) -> &[Word] {
        &self.words[..self.len]
    }
}

/// How an invocation ended.
// Returned by value once per invocation; the kernel has no heap to box the
// register reply into, and copying 520 bytes here is immaterial.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done; the reply is empty (label 0, no message registers).
    Done,
    /// Done; the reply carries these message registers (label 0).
    Reply(ReplyWords),
    /// Done, but the caller stopped running meanwhile (it suspended or
    /// deleted itself): no reply.
    NoReply,
    /// The object reported an error (its reply: `SyscallError::reply`).
    Error(SyscallError),
    /// A long operation stopped at a preemption point; invoke again to continue.
    Preempted,
    /// The invoked cap's or an extra cap's address did not resolve: the caller
    /// gets a cap fault, not a reply.
    CapFault {
        /// The address that failed.
        cptr: CPtr,
        /// Why.
        fault: LookupFault,
    },
}

/// A validated invocation of any object type; `Op` is the architecture's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation<Op> {
    CNode(cnode::CNodeOp),
    Retype(untyped::Retype),
    Tcb(TcbOp),
    SetDomain(PAddr, Word),
    Irq(irq::IrqOp),
    Frame(frame::FrameOp),
    PageTable(page_table::PageTableOp),
    Asid(asid_pool::AsidOp),
    Arch(Op),
}

impl<A: Arch, R: Ram> Kernel<A, R> {
    /// Invokes the cap at `cptr` in the caller's CSpace with the message `info`,
    /// whose registers are `mrs` and whose extra caps' addresses are
    /// `extra_cptrs` (the IPC buffer's caps_or_badges). Lengths beyond what the
    /// slices hold are cut, as a message without an IPC buffer is.
    pub fn invoke(
        &mut self,
        caller: Caller,
        cptr: CPtr,
        info: MessageInfo,
        mrs: &[Word],
        extra_cptrs: &[CPtr],
    ) -> Outcome {
        if self.finish_deferred_delete().is_err() {
            return Outcome::Preempted;
        }
        let root = self.mem.cap(tcb::slot(caller.tcb, TCB_CTABLE));
        let slot = match cspace::lookup_slot(&self.mem, root, cptr) {
            Ok(slot) => slot,
            Err(fault) => return Outcome::CapFault { cptr, fault },
        };
        let mut extra = [None; MSG_MAX_EXTRA_CAPS];
        let count = info.extra_caps().min(extra_cptrs.len());
        for (i, &extra_cptr) in extra_cptrs[..count].iter().enumerate() {
            match cspace::lookup_slot(&self.mem, root, extra_cptr) {
                Ok(s) => {
                    extra[i] = Some(ExtraCap {
                        slot: s,
                        cap: self.mem.cap(s),
                    })
                }
                Err(fault) => {
                    return Outcome::CapFault {
                        cptr: extra_cptr,
                        fault,
                    };
                }
            }
        }
        let length = info.length().min(mrs.len());
        let inv = Invocation {
            label: info.label(),
            mrs: &mrs[..length],
            extra,
        };
        let cap = self.mem.cap(slot);
        let op = match A::decode_invocation(self, slot, cap, &inv) {
            Some(arch) => arch.map(Operation::Arch),
            None => self.decode(caller, slot, cap, &inv),
        };
        let op = match op {
            Ok(op) => op,
            Err(e) => return Outcome::Error(e),
        };
        // As in seL4: a validated invocation runs with the caller in Restart,
        // so a preempted one re-executes, and one that stopped its own caller
        // sends no reply.
        self.set_thread_state(caller.tcb, ThreadState::Restart);
        let done = match op {
            Operation::CNode(op) => self.perform_cnode(caller, op),
            Operation::Retype(op) => self.perform_retype(op).map(|()| Outcome::Done),
            Operation::Tcb(op) => self.perform_tcb(caller.tcb, op, inv.mrs),
            Operation::Irq(op) => self.perform_irq(op).map(|()| Outcome::Done),
            Operation::Frame(op) => Ok(match self.perform_frame(op) {
                Some(words) => Outcome::Reply(words),
                None => Outcome::Done,
            }),
            Operation::PageTable(op) => {
                self.perform_page_table(op);
                Ok(Outcome::Done)
            }
            Operation::Asid(op) => {
                self.perform_asid(op);
                Ok(Outcome::Done)
            }
            Operation::Arch(op) => A::perform_invocation(self, op),
            Operation::SetDomain(t, d) => {
                self.set_domain(t, d);
                Ok(Outcome::Done)
            }
        };
        match done {
            Err(Preempted) => Outcome::Preempted,
            // A reply with data (ReadRegisters, PageGetAddress) or an error found
            // while performing (a seal the verifier rejects): the caller, still in
            // Restart, resumes after its syscall with that reply.
            Ok(answer @ (Outcome::Reply(_) | Outcome::Error(_))) => {
                if self.thread_state(caller.tcb) == ThreadState::Restart {
                    self.set_thread_state(caller.tcb, ThreadState::Running);
                }
                answer
            }
            Ok(_) if self.thread_state(caller.tcb) == ThreadState::Restart => {
                self.set_thread_state(caller.tcb, ThreadState::Running);
                Outcome::Done
            }
            Ok(_) => Outcome::NoReply,
        }
    }

    /// The portable decoders: the invoked cap's type picks one.
    fn decode(
        &self,
        caller: Caller,
        slot: SlotRef,
        cap: Cap,
        inv: &Invocation<'_>,
    ) -> Result<Operation<A::Op>, SyscallError> {
        match cap {
            Cap::Null | Cap::Zombie { .. } => Err(SyscallError::InvalidCapability { cap: 0 }),
            Cap::CNode { .. } => cnode::decode(&self.mem, cap, inv).map(Operation::CNode),
            Cap::Untyped { .. } => {
                untyped::decode::<A>(&self.mem, slot, cap, inv).map(Operation::Retype)
            }
            Cap::Thread { .. } => self
                .decode_tcb(caller.tcb, slot, cap, inv)
                .map(Operation::Tcb),
            Cap::Domain => domain::decode(inv).map(|(t, d)| Operation::SetDomain(t, d)),
            Cap::IrqControl => self.decode_irq_control(slot, inv).map(Operation::Irq),
            Cap::IrqHandler { irq } => irq::decode_irq_handler(irq, inv).map(Operation::Irq),
            Cap::Frame { .. } => self.decode_frame(slot, cap, inv).map(Operation::Frame),
            Cap::PageTable { .. } => self
                .decode_page_table(slot, cap, inv)
                .map(Operation::PageTable),
            Cap::AsidControl => self.decode_asid_control(inv).map(Operation::Asid),
            Cap::AsidPool { .. } => self.decode_asid_pool(cap, inv).map(Operation::Asid),
            // A cap with no invocations of its own (a master reply cap, an
            // architecture cap its architecture does not claim, e.g. the vm's
            // register stack; endpoint, notification and reply sends go through
            // the syscall entry): seL4 answers InvalidCapability.
            _ => Err(SyscallError::InvalidCapability { cap: 0 }),
        }
    }
}
