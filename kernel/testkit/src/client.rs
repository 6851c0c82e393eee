//! A libsel4-like client: builds the messages of CNode and Untyped invocations
//! and sends them as the root task would, restarting preempted operations.

use crate::system::TestKernel;
use selvm_abi::args::{
    CNodeCancelBadgedSends, CNodeCopy, CNodeDelete, CNodeMint, CNodeMove, CNodeMutate, CNodeRevoke,
    CNodeRotate, CNodeSaveCaller, UntypedRetype,
};
use selvm_abi::{CPtr, CapRights, Invocation, InvocationLabel as L, MessageInfo, ObjectType, Word};
use selvm_kernel::{Caller, Outcome};
use std::cell::{Cell, RefCell};

/// Invokes objects on behalf of one caller.
#[derive(Debug, Clone)]
pub struct Client {
    /// Whose CSpace resolves the addresses.
    pub caller: Caller,
    /// Re-invoke after `Outcome::Preempted` while the caller is still the running
    /// thread (as a restarted syscall would be).
    pub restart: bool,
    /// Restarted invocations that then failed: the operation destroyed a cap
    /// its own message named, so the re-decoded syscall cannot continue (as in
    /// seL4, where a restart decodes the invocation from scratch).
    pub failed_restarts: Cell<u64>,
    /// The last message sent (so tests can check how the client encodes).
    pub last_sent: RefCell<Option<Message>>,
}

/// A message: label, registers, extra caps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The invocation label.
    pub label: Word,
    /// Message registers.
    pub mrs: Vec<Word>,
    /// Extra caps' addresses.
    pub extra: Vec<CPtr>,
}

impl Message {
    /// The message of a typed invocation of the table.
    pub fn of<M: Invocation>(msg: &M) -> Self {
        Message {
            label: M::LABEL,
            mrs: msg.mrs().as_ref().to_vec(),
            extra: msg.caps().as_ref().to_vec(),
        }
    }

    /// Any message, as written (malformed ones included: a label outside the table,
    /// too few registers or caps).
    pub fn raw(label: Word, mrs: &[Word], extra: &[CPtr]) -> Self {
        Message {
            label,
            mrs: mrs.to_vec(),
            extra: extra.to_vec(),
        }
    }

    /// The message info word's contents.
    pub fn info(&self) -> MessageInfo {
        MessageInfo::new(
            self.label,
            0,
            self.extra.len() as Word,
            self.mrs.len() as Word,
        )
        .expect("test messages respect the limits")
    }
}

impl Client {
    /// A client acting as the thread whose TCB is at `tcb`.
    pub fn new(tcb: u64) -> Self {
        Client {
            caller: Caller { tcb },
            restart: true,
            failed_restarts: Cell::new(0),
            last_sent: RefCell::new(None),
        }
    }

    /// Sends `msg` to the cap at `cptr`.
    pub fn send(&self, k: &mut TestKernel<'_>, cptr: CPtr, msg: &Message) -> Outcome {
        self.last_sent.replace(Some(msg.clone()));
        let mut restarted = false;
        loop {
            let o = k.invoke(self.caller, cptr, msg.info(), &msg.mrs, &msg.extra);
            // The kernel's exit path: carry out the scheduling decision.
            k.schedule();
            // A preempted thread re-runs its syscall when it runs again; one the
            // operation suspended (it deleted its own TCB) never runs again.
            let runs_again = k.current_thread() == self.caller.tcb;
            if !(self.restart && o == Outcome::Preempted && runs_again) {
                if restarted && o != Outcome::Done {
                    self.failed_restarts.set(self.failed_restarts.get() + 1);
                }
                return o;
            }
            restarted = true;
        }
    }

    /// Sends a typed invocation of the table to the cap at `cptr`.
    pub fn invoke<M: Invocation>(&self, k: &mut TestKernel<'_>, cptr: CPtr, msg: &M) -> Outcome {
        self.send(k, cptr, &Message::of(msg))
    }

    /// seL4_Untyped_Retype.
    #[allow(clippy::too_many_arguments)]
    pub fn retype(
        &self,
        k: &mut TestKernel<'_>,
        untyped: CPtr,
        ty: ObjectType,
        size_bits: Word,
        root: CPtr,
        node_index: Word,
        node_depth: Word,
        node_offset: Word,
        count: Word,
    ) -> Outcome {
        let msg = UntypedRetype {
            object_type: ty.word(),
            size_bits,
            root,
            node_index,
            node_depth,
            node_offset,
            num_objects: count,
        };
        self.invoke(k, untyped, &msg)
    }

    /// seL4_CNode_Copy.
    #[allow(clippy::too_many_arguments)]
    pub fn copy(
        &self,
        k: &mut TestKernel<'_>,
        dest_root: CPtr,
        dest_index: Word,
        dest_depth: Word,
        src_root: CPtr,
        src_index: Word,
        src_depth: Word,
        rights: CapRights,
    ) -> Outcome {
        let msg = CNodeCopy {
            dest_index,
            dest_depth,
            src_root,
            src_index,
            src_depth,
            rights,
        };
        self.invoke(k, dest_root, &msg)
    }

    /// seL4_CNode_Mint.
    #[allow(clippy::too_many_arguments)]
    pub fn mint(
        &self,
        k: &mut TestKernel<'_>,
        dest_root: CPtr,
        dest_index: Word,
        dest_depth: Word,
        src_root: CPtr,
        src_index: Word,
        src_depth: Word,
        rights: CapRights,
        data: Word,
    ) -> Outcome {
        let msg = CNodeMint {
            dest_index,
            dest_depth,
            src_root,
            src_index,
            src_depth,
            rights,
            badge: data,
        };
        self.invoke(k, dest_root, &msg)
    }

    /// seL4_CNode_Move.
    #[allow(clippy::too_many_arguments)]
    pub fn move_(
        &self,
        k: &mut TestKernel<'_>,
        dest_root: CPtr,
        dest_index: Word,
        dest_depth: Word,
        src_root: CPtr,
        src_index: Word,
        src_depth: Word,
    ) -> Outcome {
        let msg = CNodeMove {
            dest_index,
            dest_depth,
            src_root,
            src_index,
            src_depth,
        };
        self.invoke(k, dest_root, &msg)
    }

    /// seL4_CNode_Mutate.
    #[allow(clippy::too_many_arguments)]
    pub fn mutate(
        &self,
        k: &mut TestKernel<'_>,
        dest_root: CPtr,
        dest_index: Word,
        dest_depth: Word,
        src_root: CPtr,
        src_index: Word,
        src_depth: Word,
        data: Word,
    ) -> Outcome {
        let msg = CNodeMutate {
            dest_index,
            dest_depth,
            src_root,
            src_index,
            src_depth,
            badge: data,
        };
        self.invoke(k, dest_root, &msg)
    }

    /// seL4_CNode_Rotate: pivot → dest (with `dest_badge`), src → pivot (with
    /// `pivot_badge`).
    #[allow(clippy::too_many_arguments)]
    pub fn rotate(
        &self,
        k: &mut TestKernel<'_>,
        dest: (CPtr, Word, Word),
        dest_badge: Word,
        pivot: (CPtr, Word, Word),
        pivot_badge: Word,
        src: (CPtr, Word, Word),
    ) -> Outcome {
        let msg = CNodeRotate {
            dest_index: dest.1,
            dest_depth: dest.2,
            dest_badge,
            pivot_root: pivot.0,
            pivot_index: pivot.1,
            pivot_depth: pivot.2,
            pivot_badge,
            src_root: src.0,
            src_index: src.1,
            src_depth: src.2,
        };
        self.invoke(k, dest.0, &msg)
    }

    /// A one-slot CNode operation (Delete, Revoke, SaveCaller, CancelBadgedSends).
    pub fn slot_op(
        &self,
        k: &mut TestKernel<'_>,
        label: L,
        root: CPtr,
        index: Word,
        depth: Word,
    ) -> Outcome {
        match label {
            L::CNodeRevoke => self.invoke(k, root, &CNodeRevoke { index, depth }),
            L::CNodeDelete => self.invoke(k, root, &CNodeDelete { index, depth }),
            L::CNodeCancelBadgedSends => {
                self.invoke(k, root, &CNodeCancelBadgedSends { index, depth })
            }
            L::CNodeSaveCaller => self.invoke(k, root, &CNodeSaveCaller { index, depth }),
            other => panic!("{other:?} is not a one-slot CNode operation"),
        }
    }
}
