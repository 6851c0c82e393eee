//! Interrupts: IRQControl issues IRQHandler caps (one per line), an IRQHandler
//! names the notification its interrupts signal (the cap sits in the kernel's
//! IRQ node, a boot-placed array of slots), and an interrupt masks its line
//! until the handler acknowledges it, as in seL4.

use crate::arch::Arch;
use crate::cap::Cap;
use crate::cdt;
use crate::cspace::lookup_for_cnode_op;
use crate::error::SyscallError;
use crate::invocation::Invocation;
use crate::memory::PAddr;
use crate::memory::Ram;
use crate::preemption::Preempted;
use crate::slot::{SlotMemory, SlotRef};
use crate::state::Kernel;
use selvm_abi::args::IrqSetIrqHandler;
use selvm_abi::args::{IrqIssueIrqHandler as Issue, IrqIssueIrqHandlerTrigger as Trigger};
use selvm_abi::{InvocationLabel as L, Word};

/// Most interrupt lines any architecture may have.
pub const MAX_IRQS: usize = 256;

/// Interrupt bookkeeping: which lines have a handler, and the IRQ node.
#[derive(Debug, Clone)]
pub struct Irqs {
    /// Line `i` has an IRQHandler cap (seL4's IRQSignal state).
    pub(crate) active: [bool; MAX_IRQS],
    /// First slot of the IRQ node (one slot per line).
    pub(crate) node: PAddr,
}

/// A validated IRQ invocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IrqOp {
    /// Create the handler cap for `irq` in `dest`, derived from IRQControl.
    Issue {
        /// The line.
        irq: Word,
        /// The IRQControl cap's slot.
        control: SlotRef,
        /// The empty destination.
        dest: SlotRef,
    },
    /// Unmask the line after handling.
    Ack(Word),
    /// Signal this notification on interrupts.
    SetHandler {
        /// The line.
        irq: Word,
        /// The notification cap.
        ntfn: Cap,
        /// Where it comes from.
        src: SlotRef,
    },
    /// Stop signalling.
    Clear(Word),
}

impl<A: Arch, R: Ram> Kernel<A, R> {
    /// The IRQ node slot of line `irq`.
    pub(crate) fn irq_slot(&self, irq: Word) -> SlotRef {
        SlotRef(self.irqs.node).offset(irq)
    }

    /// Validates an IRQControl invocation on the cap in `control`.
    pub(crate) fn decode_irq_control(
        &self,
        control: SlotRef,
        inv: &Invocation<'_>,
    ) -> Result<IrqOp, SyscallError> {
        // The riscv64 form adds a trigger flag (accepted and ignored: the PLIC
        // lines are level). Indices: (MRs, irq, index, depth, root).
        let at = match L::from_word(inv.label) {
            Some(L::IrqIssueIrqHandler) => (
                Issue::MRS,
                Issue::IRQ,
                Issue::INDEX,
                Issue::DEPTH,
                Issue::ROOT,
            ),
            Some(L::IrqIssueIrqHandlerTrigger) => (
                Trigger::MRS,
                Trigger::IRQ,
                Trigger::INDEX,
                Trigger::DEPTH,
                Trigger::ROOT,
            ),
            _ => return Err(SyscallError::IllegalOperation),
        };
        let (Some(root), true) = (inv.extra_cap(at.4), inv.mrs.len() >= at.0) else {
            return Err(SyscallError::TruncatedMessage);
        };
        let irq = inv.mr(at.1);
        let (index, depth) = (inv.mr(at.2), inv.mr(at.3));
        let max = A::IRQ_COUNT.min(MAX_IRQS as u64) - 1;
        if irq > max {
            return Err(SyscallError::RangeError { min: 0, max });
        }
        if self.irqs.active[irq as usize] {
            return Err(SyscallError::RevokeFirst);
        }
        let dest = lookup_for_cnode_op(&self.mem, false, root, index, depth)?;
        if !self.mem.cap(dest).is_null() {
            return Err(SyscallError::DeleteFirst);
        }
        Ok(IrqOp::Issue { irq, control, dest })
    }

    /// Performs a validated IRQ invocation.
    pub(crate) fn perform_irq(&mut self, op: IrqOp) -> Result<(), Preempted> {
        match op {
            IrqOp::Issue { irq, control, dest } => {
                // seL4's setIRQState: a line with a handler is unmasked, one
                // without (IRQInactive, as every line is at boot) masked.
                self.irqs.active[irq as usize] = true;
                self.arch.set_irq_masked(irq, false);
                cdt::insert_derived(&mut self.mem, Cap::IrqHandler { irq }, control, dest);
            }
            IrqOp::Ack(irq) => {
                self.arch.ack_irq(irq);
                self.arch.set_irq_masked(irq, false);
            }
            IrqOp::SetHandler { irq, ntfn, src } => {
                let slot = self.irq_slot(irq);
                self.delete_one(slot);
                cdt::insert_derived(&mut self.mem, ntfn, src, slot);
            }
            IrqOp::Clear(irq) => self.delete_one(self.irq_slot(irq)),
        }
        Ok(())
    }

    /// The last handler cap of `irq` is going (seL4's `deletingIRQHandler`
    /// and the IRQ part of `postCapDeletion`).
    pub(crate) fn irq_handler_final(&mut self, irq: Word) {
        if let Some(a) = self.irqs.active.get_mut(irq as usize) {
            *a = false;
            self.arch.set_irq_masked(irq, true);
            self.delete_one(self.irq_slot(irq));
        }
    }

    /// The platform took interrupt `irq`: signal its notification and mask the
    /// line until the handler acknowledges it; a line without a handler is
    /// masked. Then schedule (a woken thread may preempt).
    pub fn handle_interrupt(&mut self, irq: Word) {
        if irq < A::IRQ_COUNT.min(MAX_IRQS as u64) {
            if self.irqs.active[irq as usize] {
                if let Cap::Notification { ptr, badge, rights } = self.mem.cap(self.irq_slot(irq)) {
                    if rights.can_write() {
                        self.send_signal(ptr, badge);
                    }
                }
            }
            self.arch.set_irq_masked(irq, true);
            self.arch.ack_irq(irq);
        }
        self.schedule();
    }
}

/// Validates an IRQHandler invocation on the handler of `irq`.
pub fn decode_irq_handler(irq: Word, inv: &Invocation<'_>) -> Result<IrqOp, SyscallError> {
    match L::from_word(inv.label) {
        Some(L::IrqAckIrq) => Ok(IrqOp::Ack(irq)),
        Some(L::IrqClearIrqHandler) => Ok(IrqOp::Clear(irq)),
        Some(L::IrqSetIrqHandler) => match inv.extra[IrqSetIrqHandler::NOTIFICATION] {
            None => Err(SyscallError::TruncatedMessage),
            Some(e) => match e.cap {
                Cap::Notification { rights, .. } if rights.can_write() => Ok(IrqOp::SetHandler {
                    irq,
                    ntfn: e.cap,
                    src: e.slot,
                }),
                _ => Err(SyscallError::InvalidCapability { cap: 0 }),
            },
        },
        _ => Err(SyscallError::IllegalOperation),
    }
}
