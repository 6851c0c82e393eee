//! Invocations: look up the invoked cap and the extra caps, then hand the
//! message to the object type's decoder, which validates everything before it
//! changes anything.

use crate::cap::Cap;
use crate::cspace;
use crate::error::SyscallError;
use crate::memory::PAddr;
use crate::object::{cnode, tcb, untyped};
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

/// How an invocation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done; the reply is empty (label 0, no message registers).
    Done,
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
    /// Invocations of this cap type belong to a kernel layer not built yet.
    Unsupported(&'static str),
}

impl From<Result<(), SyscallError>> for Outcome {
    fn from(r: Result<(), SyscallError>) -> Self {
        r.map_or_else(Outcome::Error, |()| Outcome::Done)
    }
}

impl From<Result<(), Preempted>> for Outcome {
    fn from(r: Result<(), Preempted>) -> Self {
        r.map_or(Outcome::Preempted, |()| Outcome::Done)
    }
}

impl Kernel<'_> {
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
        match cap {
            Cap::Null | Cap::Zombie { .. } => {
                Outcome::Error(SyscallError::InvalidCapability { cap: 0 })
            }
            Cap::CNode { .. } => self.invoke_cnode(caller, cap, &inv),
            Cap::Untyped { .. } => self.invoke_untyped(slot, cap, &inv),
            other => Outcome::Unsupported(other.type_name()),
        }
    }

    fn invoke_cnode(&mut self, caller: Caller, cap: Cap, inv: &Invocation<'_>) -> Outcome {
        match cnode::decode(&self.mem, cap, inv) {
            Ok(op) => self.perform_cnode(caller, op),
            Err(e) => Outcome::Error(e),
        }
    }

    fn invoke_untyped(&mut self, slot: SlotRef, cap: Cap, inv: &Invocation<'_>) -> Outcome {
        match untyped::decode(&self.mem, slot, cap, inv) {
            Ok(op) => self.perform_retype(op).into(),
            Err(e) => Outcome::Error(e),
        }
    }
}
