//! A libsel4-like client: builds the messages of CNode and Untyped invocations
//! and sends them as the root task would, restarting preempted operations.

use crate::system::TestKernel;
use selvm_abi::{CPtr, CapRights, InvocationLabel as L, MessageInfo, ObjectType, Word};
use selvm_kernel::{Caller, Outcome};
use std::cell::Cell;

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
}

/// A message: label, registers, extra caps.
#[derive(Debug, Clone)]
pub struct Message {
    /// The invocation label.
    pub label: Word,
    /// Message registers.
    pub mrs: Vec<Word>,
    /// Extra caps' addresses.
    pub extra: Vec<CPtr>,
}

impl Message {
    /// A message with `label`, `mrs` and `extra`.
    pub fn new(label: L, mrs: &[Word], extra: &[CPtr]) -> Self {
        Message {
            label: label.word(),
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
        }
    }

    /// Sends `msg` to the cap at `cptr`.
    pub fn send(&self, k: &mut TestKernel<'_>, cptr: CPtr, msg: &Message) -> Outcome {
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
        let mrs = [
            ty.word(),
            size_bits,
            node_index,
            node_depth,
            node_offset,
            count,
        ];
        self.send(k, untyped, &Message::new(L::UntypedRetype, &mrs, &[root]))
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
        let mrs = [dest_index, dest_depth, src_index, src_depth, rights.word()];
        self.send(k, dest_root, &Message::new(L::CNodeCopy, &mrs, &[src_root]))
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
        let mrs = [
            dest_index,
            dest_depth,
            src_index,
            src_depth,
            rights.word(),
            data,
        ];
        self.send(k, dest_root, &Message::new(L::CNodeMint, &mrs, &[src_root]))
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
        let mrs = [dest_index, dest_depth, src_index, src_depth];
        self.send(k, dest_root, &Message::new(L::CNodeMove, &mrs, &[src_root]))
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
        let mrs = [dest_index, dest_depth, src_index, src_depth, data];
        self.send(
            k,
            dest_root,
            &Message::new(L::CNodeMutate, &mrs, &[src_root]),
        )
    }

    /// seL4_CNode_Rotate: pivot → dest, src → pivot.
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
        let mrs = [
            dest.1,
            dest.2,
            dest_badge,
            pivot.1,
            pivot.2,
            pivot_badge,
            src.1,
            src.2,
        ];
        self.send(
            k,
            dest.0,
            &Message::new(L::CNodeRotate, &mrs, &[pivot.0, src.0]),
        )
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
        self.send(k, root, &Message::new(label, &[index, depth], &[]))
    }
}
