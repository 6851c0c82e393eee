//! The `Kernel` value: all kernel state, so several kernels can live in one
//! process (tests, the browser, co-located cluster nodes). There is no global.

use crate::arch::Arch;
use crate::memory::{PhysMem, Ram};
use crate::preemption::Preemption;
use crate::sched::Scheduler;
use crate::slot::SlotRef;

/// Objects the boot code placed directly (not retyped from an Untyped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BootObjects {
    /// The root CNode's first slot.
    pub root_cnode: SlotRef,
    /// log2 of the root CNode's slot count.
    pub root_radix: u8,
    /// The root task's TCB.
    pub root_tcb: crate::memory::PAddr,
    /// The IRQ node: one slot per interrupt line.
    pub irq_node: SlotRef,
    /// Interrupt lines (slots of the IRQ node).
    pub irq_count: u64,
}

/// One seLVM kernel instance. Laid out in this order (`repr(C)`): what every system
/// call reads comes first, within the reach of a load's 12-bit offset on riscv64,
/// the scheduler's queues and the architecture after it.
#[repr(C)]
pub struct Kernel<A: Arch, R: Ram> {
    pub(crate) mem: PhysMem<R>,
    pub(crate) fastpath: crate::fastpath::Fastpath,
    pub(crate) asids: crate::vspace::AsidTable,
    pub(crate) sched: Scheduler,
    /// Faults no handler received (seL4's double faults), counted since boot.
    pub(crate) double_faults: u64,
    pub(crate) preemption: Preemption,
    pub(crate) boot: BootObjects,
    /// A delete whose zombie left the slot its caller named (see `delete`).
    pub(crate) deferred_delete: Option<SlotRef>,
    pub(crate) irqs: crate::object::irq::Irqs,
    pub(crate) arch: A,
}

impl<A: Arch, R: Ram> Kernel<A, R> {
    /// The architecture (and the effects it recorded, for the test double).
    pub fn arch(&self) -> &A {
        &self.arch
    }

    /// How many faults found no handler since boot (each left its thread
    /// Inactive, the fault in the TCB's `last_double_fault`).
    pub fn double_faults(&self) -> u64 {
        self.double_faults
    }

    /// The architecture, writable (a hosted machine drains what it recorded).
    pub fn arch_mut(&mut self) -> &mut A {
        &mut self.arch
    }

    /// Physical memory (read-only view, for checkers and debuggers).
    pub fn memory(&self) -> &PhysMem<R> {
        &self.mem
    }

    /// Ends the kernel and gives its physical memory's storage back.
    pub fn into_memory(self) -> R {
        self.mem.into_words()
    }

    /// Objects placed at boot.
    pub fn boot_objects(&self) -> BootObjects {
        self.boot
    }

    /// Preemption control (the platform's pending-interrupt flag, the test hook).
    pub fn preemption(&mut self) -> &mut Preemption {
        &mut self.preemption
    }

    /// Raw physical memory, writable: only for tests that corrupt state on
    /// purpose to prove the invariant checker notices.
    #[cfg(any(test, feature = "checker"))]
    pub fn memory_mut_for_corruption_tests(&mut self) -> &mut PhysMem<R> {
        &mut self.mem
    }
}
