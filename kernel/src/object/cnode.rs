//! CNode invocations: Revoke, Delete, CancelBadgedSends, Copy, Mint, Move,
//! Mutate, Rotate, SaveCaller. `decode` checks everything in seL4's order and
//! returns an operation; `perform_cnode` cannot fail except by preemption.

use crate::arch::Arch;
use crate::cap::{self, Cap};
use crate::cdt;
use crate::cspace::lookup_for_cnode_op;
use crate::error::SyscallError;
use crate::invocation::{Caller, Invocation, Outcome};
use crate::memory::PhysMem;
use crate::memory::Ram;
use crate::object::tcb;
use crate::preemption::Preempted;
use crate::slot::{SlotMemory, SlotRef};
use crate::state::Kernel;
use selvm_abi::args::{
    CNodeCancelBadgedSends, CNodeCopy, CNodeDelete, CNodeMint, CNodeMove, CNodeMutate, CNodeRevoke,
    CNodeRotate, CNodeSaveCaller,
};
use selvm_abi::{CapRights, InvocationLabel as L, LookupFault, object::TCB_CALLER};

// Every CNode invocation names its own slot (the destination of Copy to
// Rotate) by the same two MRs, and the copy family its source by the same two
// MRs and extra cap: the decoder reads them once for every label.
const _: () = {
    let slot = [
        (CNodeRevoke::INDEX, CNodeRevoke::DEPTH),
        (CNodeDelete::INDEX, CNodeDelete::DEPTH),
        (CNodeCancelBadgedSends::INDEX, CNodeCancelBadgedSends::DEPTH),
        (CNodeSaveCaller::INDEX, CNodeSaveCaller::DEPTH),
        (CNodeCopy::DEST_INDEX, CNodeCopy::DEST_DEPTH),
        (CNodeMint::DEST_INDEX, CNodeMint::DEST_DEPTH),
        (CNodeMove::DEST_INDEX, CNodeMove::DEST_DEPTH),
        (CNodeMutate::DEST_INDEX, CNodeMutate::DEST_DEPTH),
        (CNodeRotate::DEST_INDEX, CNodeRotate::DEST_DEPTH),
    ];
    let src = [
        (
            CNodeCopy::SRC_INDEX,
            CNodeCopy::SRC_DEPTH,
            CNodeCopy::SRC_ROOT,
        ),
        (
            CNodeMint::SRC_INDEX,
            CNodeMint::SRC_DEPTH,
            CNodeMint::SRC_ROOT,
        ),
        (
            CNodeMutate::SRC_INDEX,
            CNodeMutate::SRC_DEPTH,
            CNodeMutate::SRC_ROOT,
        ),
    ];
    let mut i = 0;
    while i < slot.len() {
        assert!(slot[i].0 == CNodeRevoke::INDEX && slot[i].1 == CNodeRevoke::DEPTH);
        assert!(slot[i].0 < CNodeRevoke::MRS && slot[i].1 < CNodeRevoke::MRS);
        i += 1;
    }
    let mut i = 0;
    while i < src.len() {
        assert!(src[i].0 == CNodeMove::SRC_INDEX && src[i].1 == CNodeMove::SRC_DEPTH);
        assert!(src[i].2 == CNodeMove::SRC_ROOT);
        i += 1;
    }
};

/// A validated CNode operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CNodeOp {
    /// Delete every descendant of the cap in the slot.
    Revoke(SlotRef),
    /// Delete the cap in the slot.
    Delete(SlotRef),
    /// Abort queued sends with the endpoint cap's badge.
    CancelBadgedSends(Cap),
    /// Insert `cap`, derived from `src`, into the empty `dest` (Copy, Mint).
    Insert {
        /// The new cap.
        cap: Cap,
        /// Its CDT parent's slot.
        src: SlotRef,
        /// The empty destination.
        dest: SlotRef,
    },
    /// Move `src`'s cap, as `cap`, to the empty `dest` (Move, Mutate).
    Move {
        /// The cap as it will be stored.
        cap: Cap,
        /// The source slot.
        src: SlotRef,
        /// The empty destination.
        dest: SlotRef,
    },
    /// Pivot → dest, src → pivot (or swap when src is dest).
    Rotate {
        /// New cap for the source's contents.
        src_cap: Cap,
        /// New cap for the pivot's contents.
        pivot_cap: Cap,
        /// Source slot.
        src: SlotRef,
        /// Pivot slot.
        pivot: SlotRef,
        /// Destination slot.
        dest: SlotRef,
    },
    /// Move the caller's reply cap to the empty slot.
    SaveCaller(SlotRef),
}

fn ensure_empty(mem: &PhysMem<impl Ram>, slot: SlotRef) -> Result<(), SyscallError> {
    if mem.cap(slot).is_null() {
        Ok(())
    } else {
        Err(SyscallError::DeleteFirst)
    }
}

fn missing(was_source: bool, depth: u64) -> SyscallError {
    SyscallError::FailedLookup {
        was_source,
        fault: LookupFault::MissingCapability { bits_left: depth },
    }
}

fn non_null(cap: Cap) -> Result<Cap, SyscallError> {
    if cap.is_null() {
        Err(SyscallError::IllegalOperation)
    } else {
        Ok(cap)
    }
}

/// Validates a CNode invocation on `cnode` (the invoked cap).
pub fn decode(
    mem: &PhysMem<impl Ram>,
    cnode: Cap,
    inv: &Invocation<'_>,
) -> Result<CNodeOp, SyscallError> {
    let label = L::from_word(inv.label)
        .filter(|l| (L::CNodeRevoke.word()..=L::CNodeSaveCaller.word()).contains(&l.word()))
        .ok_or(SyscallError::IllegalOperation)?;
    if inv.mrs.len() < CNodeRevoke::MRS {
        return Err(SyscallError::TruncatedMessage);
    }
    let (index, depth) = (inv.mr(CNodeRevoke::INDEX), inv.mr(CNodeRevoke::DEPTH));
    let dest = lookup_for_cnode_op(mem, false, cnode, index, depth)?;
    match label {
        L::CNodeCopy | L::CNodeMint | L::CNodeMove | L::CNodeMutate => {
            decode_copy_family(mem, label, dest, inv)
        }
        L::CNodeRevoke => Ok(CNodeOp::Revoke(dest)),
        L::CNodeDelete => Ok(CNodeOp::Delete(dest)),
        L::CNodeSaveCaller => {
            ensure_empty(mem, dest)?;
            Ok(CNodeOp::SaveCaller(dest))
        }
        L::CNodeCancelBadgedSends => {
            let cap = mem.cap(dest);
            if !cap.has_cancel_send_rights() {
                return Err(SyscallError::IllegalOperation);
            }
            Ok(CNodeOp::CancelBadgedSends(cap))
        }
        _ => decode_rotate(mem, dest, inv),
    }
}

fn decode_copy_family(
    mem: &PhysMem<impl Ram>,
    label: L,
    dest: SlotRef,
    inv: &Invocation<'_>,
) -> Result<CNodeOp, SyscallError> {
    let src_root = match inv.extra_cap(CNodeMove::SRC_ROOT) {
        Some(root) if inv.mrs.len() >= CNodeMove::MRS => root,
        _ => return Err(SyscallError::TruncatedMessage),
    };
    let (src_index, src_depth) = (inv.mr(CNodeMove::SRC_INDEX), inv.mr(CNodeMove::SRC_DEPTH));
    ensure_empty(mem, dest)?;
    let src = lookup_for_cnode_op(mem, true, src_root, src_index, src_depth)?;
    let src_cap = mem.cap(src);
    if src_cap.is_null() {
        return Err(missing(true, src_depth));
    }
    let need = |n: usize| {
        if inv.mrs.len() < n {
            Err(SyscallError::TruncatedMessage)
        } else {
            Ok(())
        }
    };
    let derive =
        |c: Cap| cap::derive(c, || cdt::has_children(mem, src)).map_err(SyscallError::from);
    let op = match label {
        L::CNodeCopy => {
            need(CNodeCopy::MRS)?;
            let rights = CapRights::from_word(inv.mr(CNodeCopy::RIGHTS));
            let masked = cap::mask_rights(rights, src_cap);
            CNodeOp::Insert {
                cap: derive(masked)?,
                src,
                dest,
            }
        }
        L::CNodeMint => {
            need(CNodeMint::MRS)?;
            let rights = CapRights::from_word(inv.mr(CNodeMint::RIGHTS));
            let masked = cap::mask_rights(rights, src_cap);
            let badged = cap::update_data(false, inv.mr(CNodeMint::BADGE), masked);
            CNodeOp::Insert {
                cap: derive(badged)?,
                src,
                dest,
            }
        }
        L::CNodeMove => CNodeOp::Move {
            cap: src_cap,
            src,
            dest,
        },
        _ => {
            need(CNodeMutate::MRS)?;
            CNodeOp::Move {
                cap: cap::update_data(true, inv.mr(CNodeMutate::BADGE), src_cap),
                src,
                dest,
            }
        }
    };
    match op {
        CNodeOp::Insert { cap, .. } | CNodeOp::Move { cap, .. } => non_null(cap).map(|_| op),
        _ => Ok(op),
    }
}

fn decode_rotate(
    mem: &PhysMem<impl Ram>,
    dest: SlotRef,
    inv: &Invocation<'_>,
) -> Result<CNodeOp, SyscallError> {
    type R = CNodeRotate;
    let (Some(pivot_root), Some(src_root)) =
        (inv.extra_cap(R::PIVOT_ROOT), inv.extra_cap(R::SRC_ROOT))
    else {
        return Err(SyscallError::TruncatedMessage);
    };
    if inv.mrs.len() < R::MRS {
        return Err(SyscallError::TruncatedMessage);
    }
    // seL4 names these by what they become: the pivot's cap moves to the
    // destination with `dest_badge`, the source's to the pivot with `pivot_badge`.
    let (pivot_index, pivot_depth) = (inv.mr(R::PIVOT_INDEX), inv.mr(R::PIVOT_DEPTH));
    let (src_index, src_depth) = (inv.mr(R::SRC_INDEX), inv.mr(R::SRC_DEPTH));
    let (pivot_data, src_data) = (inv.mr(R::DEST_BADGE), inv.mr(R::PIVOT_BADGE));
    let src = lookup_for_cnode_op(mem, true, src_root, src_index, src_depth)?;
    let pivot = lookup_for_cnode_op(mem, true, pivot_root, pivot_index, pivot_depth)?;
    if pivot == src || pivot == dest {
        return Err(SyscallError::IllegalOperation);
    }
    if src != dest {
        ensure_empty(mem, dest)?;
    }
    if mem.cap(src).is_null() {
        return Err(missing(true, src_depth));
    }
    if mem.cap(pivot).is_null() {
        return Err(missing(false, pivot_depth));
    }
    let src_cap = non_null(cap::update_data(true, src_data, mem.cap(src)))?;
    let pivot_cap = non_null(cap::update_data(true, pivot_data, mem.cap(pivot)))?;
    Ok(CNodeOp::Rotate {
        src_cap,
        pivot_cap,
        src,
        pivot,
        dest,
    })
}

impl<A: Arch, R: Ram> Kernel<A, R> {
    /// Carries out a validated CNode operation for `caller`.
    pub fn perform_cnode(&mut self, caller: Caller, op: CNodeOp) -> Result<Outcome, Preempted> {
        let mem = &mut self.mem;
        match op {
            CNodeOp::Revoke(slot) => self.revoke_slot(slot)?,
            CNodeOp::Delete(slot) => self.delete_slot(slot)?,
            CNodeOp::CancelBadgedSends(Cap::Endpoint { ptr, badge, .. }) if badge != 0 => {
                self.cancel_badged_sends(ptr, badge);
            }
            CNodeOp::CancelBadgedSends(_) => {}
            CNodeOp::Insert { cap, src, dest } => cdt::insert_derived(mem, cap, src, dest),
            CNodeOp::Move { cap, src, dest } => cdt::move_cap(mem, cap, src, dest),
            CNodeOp::Rotate {
                src_cap,
                pivot_cap,
                src,
                pivot,
                dest,
            } => {
                if src == dest {
                    cdt::swap(mem, src_cap, src, pivot_cap, pivot);
                } else {
                    cdt::move_cap(mem, pivot_cap, pivot, dest);
                    cdt::move_cap(mem, src_cap, src, pivot);
                }
            }
            CNodeOp::SaveCaller(dest) => {
                let from = tcb::slot(caller.tcb, TCB_CALLER);
                if let reply @ Cap::Reply { master: false, .. } = mem.cap(from) {
                    cdt::move_cap(mem, reply, from, dest);
                }
            }
        }
        Ok(Outcome::Done)
    }
}
