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
use selvm_abi::{CapRights, InvocationLabel as L, LookupFault, object::TCB_CALLER};

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
    if inv.mrs.len() < 2 {
        return Err(SyscallError::TruncatedMessage);
    }
    let dest = lookup_for_cnode_op(mem, false, cnode, inv.mr(0), inv.mr(1))?;
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
    let src_root = match inv.extra_cap(0) {
        Some(root) if inv.mrs.len() >= 4 => root,
        _ => return Err(SyscallError::TruncatedMessage),
    };
    let (src_index, src_depth) = (inv.mr(2), inv.mr(3));
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
            need(5)?;
            let masked = cap::mask_rights(CapRights::from_word(inv.mr(4)), src_cap);
            CNodeOp::Insert {
                cap: derive(masked)?,
                src,
                dest,
            }
        }
        L::CNodeMint => {
            need(6)?;
            let masked = cap::mask_rights(CapRights::from_word(inv.mr(4)), src_cap);
            CNodeOp::Insert {
                cap: derive(cap::update_data(false, inv.mr(5), masked))?,
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
            need(5)?;
            CNodeOp::Move {
                cap: cap::update_data(true, inv.mr(4), src_cap),
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
    let (Some(pivot_root), Some(src_root)) = (inv.extra_cap(0), inv.extra_cap(1)) else {
        return Err(SyscallError::TruncatedMessage);
    };
    if inv.mrs.len() < 8 {
        return Err(SyscallError::TruncatedMessage);
    }
    let (pivot_data, pivot_index, pivot_depth) = (inv.mr(2), inv.mr(3), inv.mr(4));
    let (src_data, src_index, src_depth) = (inv.mr(5), inv.mr(6), inv.mr(7));
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
