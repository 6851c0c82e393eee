//! Preemption points of long operations (revoke, emptying a CNode, resetting an
//! Untyped): after enough work, a pending interrupt stops the operation, which
//! keeps its progress in kernel objects and continues when the syscall restarts.

use selvm_abi::MAX_WORK_UNITS_PER_PREEMPTION;

/// A long operation stopped at a preemption point; re-running the same syscall
/// continues it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preempted;

/// Preemption bookkeeping.
#[derive(Debug, Default)]
pub struct Preemption {
    work_units: u32,
    irq_pending: bool,
    force_every: u32,
    points: u64,
}

impl Preemption {
    /// Called at every preemption point: counts a unit of work and, every
    /// `MAX_WORK_UNITS_PER_PREEMPTION` units, stops if an interrupt is pending.
    /// The test hook set by `force_every` stops at every Nth point instead.
    pub fn point(&mut self) -> Result<(), Preempted> {
        self.points += 1;
        if self.force_every != 0 {
            return if self.points % u64::from(self.force_every) == 0 {
                Err(Preempted)
            } else {
                Ok(())
            };
        }
        self.work_units += 1;
        if self.work_units >= MAX_WORK_UNITS_PER_PREEMPTION {
            self.work_units = 0;
            if self.irq_pending {
                return Err(Preempted);
            }
        }
        Ok(())
    }

    /// The platform reports whether an interrupt is waiting.
    pub fn set_irq_pending(&mut self, pending: bool) {
        self.irq_pending = pending;
    }

    /// Test hook: preempt at every `n`th preemption point (0 turns it off).
    pub fn force_every(&mut self, n: u32) {
        self.force_every = n;
        self.points = 0;
    }

    /// Preemption points passed since the hook was last set.
    pub fn points_passed(&self) -> u64 {
        self.points
    }
}
