//! IRQ invocations: IRQControl issues handler caps (label 25, and riscv64's trigger form
//! 37); an IRQ handler acknowledges (26), sets (27) and clears (28) its notification.

use selvm_abi::{CPtr, Error, InvocationLabel as L, Word};

use super::invoke_label;

/// Makes a handler cap for `irq` in (index, depth) of `root`. MR0 irq, MR1 index, MR2
/// depth; `root` as extra cap 0.
pub fn control_get(
    service: CPtr,
    irq: Word,
    root: CPtr,
    index: CPtr,
    depth: Word,
) -> Result<(), Error> {
    invoke_label(
        service,
        L::IrqIssueIrqHandler,
        &[irq, index, depth],
        &[root],
    )
    .map(drop)
}

/// As [`control_get`] with a trigger mode (1 edge, 0 level): MR0 irq, MR1 trigger, MR2
/// index, MR3 depth.
pub fn control_get_trigger(
    service: CPtr,
    irq: Word,
    edge_triggered: bool,
    root: CPtr,
    index: CPtr,
    depth: Word,
) -> Result<(), Error> {
    let mrs = [irq, Word::from(edge_triggered), index, depth];
    invoke_label(service, L::IrqIssueIrqHandlerTrigger, &mrs, &[root]).map(drop)
}

/// Acknowledges the interrupt, unmasking it.
pub fn handler_ack(service: CPtr) -> Result<(), Error> {
    invoke_label(service, L::IrqAckIrq, &[], &[]).map(drop)
}

/// Sets the notification the interrupt signals; the notification as extra cap 0.
pub fn handler_set_notification(service: CPtr, notification: CPtr) -> Result<(), Error> {
    invoke_label(service, L::IrqSetIrqHandler, &[], &[notification]).map(drop)
}

/// Clears the interrupt's notification.
pub fn handler_clear(service: CPtr) -> Result<(), Error> {
    invoke_label(service, L::IrqClearIrqHandler, &[], &[]).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::testing::*;

    #[test]
    fn irq_encoding() {
        assert_eq!(control_get(4, 1, 2, 70, 64), Ok(()));
        expect(4, 25, &[1, 70, 64], &[2]);
        assert_eq!(control_get_trigger(4, 2, true, 2, 71, 64), Ok(()));
        expect(4, 37, &[2, 1, 71, 64], &[2]);
        assert_eq!(handler_ack(70), Ok(()));
        expect(70, 26, &[], &[]);
        assert_eq!(handler_set_notification(70, 33), Ok(()));
        expect(70, 27, &[], &[33]);
        assert_eq!(handler_clear(70), Ok(()));
        expect(70, 28, &[], &[]);
        answer(9, &[]);
        assert_eq!(control_get(4, 0, 2, 72, 64), Err(Error::RevokeFirst));
        sent_one();
    }
}
