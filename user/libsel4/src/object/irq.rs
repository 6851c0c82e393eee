//! IRQ invocations: IRQControl issues handler caps (label 25, and riscv64's trigger form
//! 37); an IRQ handler acknowledges (26), sets (27) and clears (28) its notification.

use selvm_abi::args::{
    IrqAckIrq, IrqClearIrqHandler, IrqIssueIrqHandler, IrqIssueIrqHandlerTrigger, IrqSetIrqHandler,
};
use selvm_abi::{CPtr, Error, Word};

use super::api;

api! {
    /// The IRQControl and IRQHandler invocations on any backend.
    pub trait IrqOps;

    /// Makes a handler cap for `irq` in (index, depth) of `root`.
    pub fn control_get(
        b,
        service: CPtr,
        irq: Word,
        root: CPtr,
        index: CPtr,
        depth: Word,
    ) -> Result<(), Error> {
        let msg = IrqIssueIrqHandler {
            irq,
            index,
            depth,
            root,
        };
        b.call(service, &msg, &mut []).map(drop)
    }

    /// As [`control_get`] with a trigger mode (edge or level).
    pub fn control_get_trigger(
        b,
        service: CPtr,
        irq: Word,
        edge_triggered: bool,
        root: CPtr,
        index: CPtr,
        depth: Word,
    ) -> Result<(), Error> {
        let msg = IrqIssueIrqHandlerTrigger {
            irq,
            trigger: Word::from(edge_triggered),
            index,
            depth,
            root,
        };
        b.call(service, &msg, &mut []).map(drop)
    }

    /// Acknowledges the interrupt, unmasking it.
    pub fn handler_ack(b, service: CPtr) -> Result<(), Error> {
        b.call(service, &IrqAckIrq {}, &mut []).map(drop)
    }

    /// Sets the notification the interrupt signals.
    pub fn handler_set_notification(b, service: CPtr, notification: CPtr) -> Result<(), Error> {
        b.call(service, &IrqSetIrqHandler { notification }, &mut []).map(drop)
    }

    /// Clears the interrupt's notification.
    pub fn handler_clear(b, service: CPtr) -> Result<(), Error> {
        b.call(service, &IrqClearIrqHandler {}, &mut []).map(drop)
    }
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
