//! The invariant checker: a whole-state audit that tests, property tests and the
//! fuzzer run after every step. Each violation names the rule and the slot.
//!
//! Rules checked: every stored cap is canonically encoded and empty slots have
//! no CDT links; CDT links are symmetric, acyclic, and lead only to caps (in
//! live CNodes/TCBs, or in garbage CNodes only the derivation tree reaches);
//! caps to one object are contiguous in the CDT (what makes finality a
//! neighbour check); every object cap lies inside RAM (device caps
//! outside it), aligned to its size; objects never overlap; an object inside an
//! Untyped's region lies below its watermark and is its CDT descendant; memory
//! above a RAM Untyped's watermark is zero; zombies are unique and in range;
//! thread states are valid, ready queues hold exactly the runnable threads
//! waiting to run, the current thread is live, bindings are mutual; interrupt
//! lines agree with their handler caps; the ASID table, pools and page tables
//! agree with the caps that record mappings (see `vspace`).
//! It needs `alloc` for its bookkeeping and is built only for tests and with
//! the `checker` feature.

mod discover;
mod irqs;
mod rules;
mod threads;
mod vspace;

use crate::arch::Arch;
use crate::memory::Ram;
use crate::slot::SlotRef;
use crate::state::Kernel;

/// A broken invariant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    /// The slot's cap words are not the canonical encoding of any cap.
    NonCanonicalCap(SlotRef),
    /// An empty slot has CDT links or flags.
    EmptySlotLinked(SlotRef),
    /// A CDT neighbour does not link back.
    AsymmetricLink(SlotRef),
    /// Some CDT nodes form a cycle (unreachable from any list head).
    CdtCycle(SlotRef),
    /// A CDT link leads to an empty slot or outside every live CNode/TCB.
    DanglingLink(SlotRef),
    /// Caps to one object are split into separate runs of the CDT.
    ObjectNotContiguous(SlotRef),
    /// A cap's object lies outside memory, or a device cap inside RAM.
    OutsideMemory(SlotRef),
    /// A cap's object is not aligned to its size.
    Misaligned(SlotRef),
    /// A cap's fields are out of range (radix, guard, untyped size, watermark).
    BadFields(SlotRef),
    /// Two distinct objects overlap.
    Overlap(SlotRef, SlotRef),
    /// An object inside an Untyped lies above its watermark.
    AboveWatermark {
        /// The object's cap.
        object: SlotRef,
        /// The Untyped's cap.
        untyped: SlotRef,
    },
    /// An object inside an Untyped's region is not its CDT descendant.
    NotDescendant {
        /// The object's cap.
        object: SlotRef,
        /// The Untyped's cap.
        untyped: SlotRef,
    },
    /// Memory above a RAM Untyped's watermark is not zero.
    DirtyFreeMemory(SlotRef),
    /// A zombie's count is too large, or another cap names its object.
    BadZombie(SlotRef),
    /// A thread's state, priority, queue membership or binding is wrong (or
    /// the scheduler names a dead thread).
    BadThread(crate::memory::PAddr, &'static str),
    /// A ready queue (this priority) is malformed or disagrees with the bitmap.
    BadReadyQueue(usize, &'static str),
    /// An interrupt line's state disagrees with its handler caps or IRQ node slot.
    BadIrq(u64),
    /// The ASID table, an ASID pool or a page table breaks a VSpace rule.
    BadVspace(&'static str),
}

/// Counts from a successful check.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Census {
    /// Non-empty slots.
    pub caps: usize,
    /// Live CNodes and TCBs whose slots were audited.
    pub containers: usize,
    /// Untyped caps.
    pub untypeds: usize,
    /// Zombies.
    pub zombies: usize,
}

impl<A: Arch, R: Ram> Kernel<A, R> {
    /// Audits the whole kernel state.
    pub fn check_invariants(&self) -> Result<Census, Violation> {
        let state = discover::discover(&self.mem, self.boot, A::TCB_CNODE_ENTRIES)?;
        rules::check::<A>(&self.mem, &state)?;
        threads::check(&self.mem, &self.sched, &state, self.boot.root_tcb)?;
        irqs::check(&self.irqs, self.boot, &state)?;
        vspace::check(&self.arch, &self.mem, &self.asids, &state)?;
        Ok(state.census())
    }
}

#[cfg(test)]
mod tests;
