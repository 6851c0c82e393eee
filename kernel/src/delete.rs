//! Deleting and revoking capabilities, preemptibly and restartably.
//!
//! Deleting the last cap to a CNode or TCB must first delete every cap inside
//! it, which may hold the last caps to further CNodes, without recursion in the
//! kernel. The cap is replaced in place by a *zombie* that counts the slots still
//! to clear, from the last one down. Each step works on the deepest unfinished
//! zombie, found by following zombies through last slots from the slot being
//! deleted, so all progress lives in the caps and a preempted delete simply
//! continues when restarted. Because each object has at most one zombie and a
//! slot lies in exactly one object, that descent can only come back to the slot
//! being deleted (a cycle of CNodes holding each other's last caps); that slot is
//! skipped, and if the object containing it empties first, its zombie moves into
//! the emptied object's own slot so no cap outlives its container. The slot the
//! caller named is then gone, so the kernel keeps the zombie's new slot as
//! deferred work and finishes it before any later invocation: a preempted and
//! restarted delete ends exactly where an uninterrupted one does.
//! See docs/kernel.md for the argument in full.

use crate::arch::Arch;
use crate::cap::{Cap, ZombieKind};
use crate::cdt;
use crate::memory::PAddr;
use crate::memory::Ram;
use crate::preemption::Preempted;
use crate::slot::{SlotMemory, SlotRef};
use crate::state::Kernel;

/// Result of one zombie step.
enum Step {
    /// The zombie in the slot being deleted has nothing left to clear.
    Finished,
    /// One slot was cleared, converted to a zombie, or skipped.
    Progress,
    /// The zombie being reduced moved to this slot.
    Moved(SlotRef),
}

fn object_contains(ptr: PAddr, kind: ZombieKind, slot: SlotRef) -> bool {
    slot.0 >= ptr && slot.0 - ptr < (1u64 << kind.size_bits())
}

impl<A: Arch, R: Ram> Kernel<A, R> {
    /// Deletes the cap in `slot` (seL4's `cteDelete` with `exposed`): the object
    /// is destroyed if this was its last cap.
    pub(crate) fn delete_slot(&mut self, slot: SlotRef) -> Result<(), Preempted> {
        self.delete_from(slot)?;
        self.deferred_delete = None;
        Ok(())
    }

    /// Finishes a delete whose zombie moved away from the slot its caller named
    /// (see the module comment); every invocation calls this first.
    pub(crate) fn finish_deferred_delete(&mut self) -> Result<(), Preempted> {
        match self.deferred_delete {
            Some(slot) => self.delete_slot(slot),
            None => Ok(()),
        }
    }

    fn delete_from(&mut self, slot: SlotRef) -> Result<(), Preempted> {
        let mut top = slot;
        loop {
            let cap = self.mem.cap(top);
            match cap {
                Cap::Null => return Ok(()),
                Cap::Zombie { .. } => {}
                _ => {
                    let is_final = cdt::is_final(&self.mem, top);
                    match self.finalise_cap(cap, is_final) {
                        Some(zombie) => self.mem.set_cap(top, zombie),
                        None => {
                            cdt::remove(&mut self.mem, top);
                            return Ok(());
                        }
                    }
                }
            }
            match self.reduce_zombie(top) {
                Step::Finished => {
                    cdt::remove(&mut self.mem, top);
                    return Ok(());
                }
                Step::Progress => {}
                Step::Moved(to) => {
                    top = to;
                    self.deferred_delete = Some(to);
                }
            }
            self.preemption.point()?;
        }
    }

    /// Deletes a cap that finalises in one step (seL4's `cteDeleteOne`): used
    /// for caps that can never need a zombie (notification caps in the IRQ
    /// node), without touching the deferred-delete state of an outer delete.
    pub(crate) fn delete_one(&mut self, slot: SlotRef) {
        let cap = self.mem.cap(slot);
        if cap.is_null()
            || matches!(
                cap,
                Cap::CNode { .. } | Cap::Thread { .. } | Cap::Zombie { .. }
            )
        {
            return;
        }
        let is_final = cdt::is_final(&self.mem, slot);
        let _ = self.finalise_cap(cap, is_final);
        cdt::remove(&mut self.mem, slot);
    }

    /// Deletes every CDT descendant of the cap in `slot` (seL4's `cteRevoke`).
    pub(crate) fn revoke_slot(&mut self, slot: SlotRef) -> Result<(), Preempted> {
        while let Some(next) = self.mem.mdb(slot).next {
            if !cdt::is_parent_of(&self.mem, slot, next) {
                break;
            }
            self.delete_slot(next)?;
            self.preemption.point()?;
        }
        Ok(())
    }

    fn decrement_zombie(&mut self, slot: SlotRef) {
        if let Cap::Zombie {
            ptr,
            kind,
            remaining,
        } = self.mem.cap(slot)
        {
            let remaining = remaining.saturating_sub(1);
            self.mem.set_cap(
                slot,
                Cap::Zombie {
                    ptr,
                    kind,
                    remaining,
                },
            );
        }
    }

    /// One unit of work on the zombie in `top` (see the module comment).
    fn reduce_zombie(&mut self, top: SlotRef) -> Step {
        let mut parent = None;
        let mut cur = top;
        loop {
            let Cap::Zombie {
                ptr,
                kind,
                remaining,
            } = self.mem.cap(cur)
            else {
                return Step::Finished;
            };
            if remaining == 0 {
                let Some(parent) = parent else {
                    return Step::Finished;
                };
                cdt::remove(&mut self.mem, cur);
                if object_contains(ptr, kind, top) {
                    // The zombie being reduced sat in the object just emptied:
                    // it takes that object's place in the parent.
                    let top_cap = self.mem.cap(top);
                    cdt::move_cap(&mut self.mem, top_cap, top, cur);
                    return Step::Moved(cur);
                }
                self.decrement_zombie(parent);
                return Step::Progress;
            }
            let end = SlotRef(ptr).offset(remaining - 1);
            if end == top || end == cur {
                self.decrement_zombie(cur);
                return Step::Progress;
            }
            let cap = self.mem.cap(end);
            match cap {
                Cap::Null => self.decrement_zombie(cur),
                Cap::Zombie { .. } => {
                    parent = Some(cur);
                    cur = end;
                    continue;
                }
                _ => {
                    let is_final = cdt::is_final(&self.mem, end);
                    match self.finalise_cap(cap, is_final) {
                        Some(zombie) => self.mem.set_cap(end, zombie),
                        None => {
                            cdt::remove(&mut self.mem, end);
                            self.decrement_zombie(cur);
                        }
                    }
                }
            }
            return Step::Progress;
        }
    }
}
