//! Interrupt rules: a line is active exactly when an IRQHandler cap for it
//! exists, and the IRQ node holds only notification caps, for active lines.

use super::Violation;
use super::discover::State;
use crate::cap::Cap;
use crate::object::irq::Irqs;
use crate::state::BootObjects;

pub fn check(irqs: &Irqs, boot: BootObjects, s: &State) -> Result<(), Violation> {
    for irq in 0..boot.irq_count {
        let slot = boot.irq_node.offset(irq);
        let has_handler = s.caps.values().any(|c| *c == Cap::IrqHandler { irq });
        let active = irqs.active[irq as usize];
        if active != has_handler {
            return Err(Violation::BadIrq(irq));
        }
        match s.caps.get(&slot) {
            None => {}
            Some(Cap::Notification { .. }) if active => {}
            Some(_) => return Err(Violation::BadIrq(irq)),
        }
    }
    Ok(())
}
