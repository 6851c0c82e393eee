//! Faults a thread takes: what they record and where they go. Fault messages
//! are delivered through the thread's fault endpoint by the IPC layer; until
//! it exists every fault ends as seL4's double fault does when no handler can
//! take it: the thread becomes Inactive (never a kernel panic).

use crate::arch::Arch;
use crate::memory::PAddr;
use crate::object::tcb::ThreadState;
use crate::state::Kernel;
use selvm_abi::{FaultLabel, LookupFault, Word};

/// A fault a thread raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// A cap address did not resolve.
    Cap {
        /// The address.
        cptr: Word,
        /// During the receive phase of a syscall.
        in_receive_phase: bool,
        /// Why it did not resolve.
        lookup: LookupFault,
    },
    /// A syscall number the kernel does not know.
    UnknownSyscall {
        /// The number.
        number: Word,
    },
}

impl Fault {
    /// The fault's seL4 label.
    pub const fn label(&self) -> FaultLabel {
        match self {
            Fault::Cap { .. } => FaultLabel::CapFault,
            Fault::UnknownSyscall { .. } => FaultLabel::UnknownSyscall,
        }
    }
}

impl<A: Arch> Kernel<'_, A> {
    /// The thread `t` faulted: record the fault and stop the thread (the
    /// double-fault outcome; delivery to a handler comes with IPC).
    pub(crate) fn handle_fault(&mut self, t: PAddr, fault: Fault) {
        let (a, b) = match fault {
            Fault::Cap {
                cptr,
                in_receive_phase,
                ..
            } => (cptr, Word::from(in_receive_phase)),
            Fault::UnknownSyscall { number } => (number, 0),
        };
        let lookup = match fault {
            Fault::Cap { lookup, .. } => lookup.words().0,
            Fault::UnknownSyscall { .. } => [0; 4],
        };
        let f = self.tcb_mut(t);
        f.fault = [fault.label().word(), a, b, 0];
        f.lookup_failure = lookup;
        self.set_thread_state(t, ThreadState::Inactive);
    }
}
