//! Fault messages: the labels of fault IPCs and the positions of their words.

use crate::Word;

/// The label of a fault message sent to a thread's fault endpoint (`seL4_Fault_tag`).
#[repr(u64)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultLabel {
    /// A capability lookup failed during a system call.
    CapFault = 1,
    /// The thread made a system call with an unknown number.
    UnknownSyscall = 2,
    /// The thread raised an architecture exception (e.g. an illegal instruction).
    UserException = 3,
    /// A virtual-memory fault (no mapping, or insufficient rights).
    VmFault = 5,
}

/// Label word of a capability fault.
pub const CAP_FAULT: Word = FaultLabel::CapFault.word();
/// Label word of an unknown-syscall fault.
pub const UNKNOWN_SYSCALL: Word = FaultLabel::UnknownSyscall.word();
/// Label word of a user exception.
pub const USER_EXCEPTION: Word = FaultLabel::UserException.word();
/// Label word of a VM fault.
pub const VM_FAULT: Word = FaultLabel::VmFault.word();

/// CapFault message word: the faulting instruction address.
pub const CAP_FAULT_IP: usize = 0;
/// CapFault message word: the capability address that failed to resolve.
pub const CAP_FAULT_ADDR: usize = 1;
/// CapFault message word: 1 if the fault happened in the receive phase, else 0.
pub const CAP_FAULT_IN_RECV_PHASE: usize = 2;
/// CapFault message word: the first lookup-failure word (its type); the rest follow.
pub const CAP_FAULT_LOOKUP_FAILURE_TYPE: usize = 3;

/// VMFault message word: the faulting instruction address.
pub const VM_FAULT_IP: usize = 0;
/// VMFault message word: the faulting data address.
pub const VM_FAULT_ADDR: usize = 1;
/// VMFault message word: 1 for an instruction fetch fault, else 0.
pub const VM_FAULT_PREFETCH_FAULT: usize = 2;
/// VMFault message word: the architecture's fault status.
pub const VM_FAULT_FSR: usize = 3;
/// The number of words in a VMFault message.
pub const VM_FAULT_LENGTH: usize = 4;

impl FaultLabel {
    /// Every fault label, in numbering order.
    pub const ALL: [FaultLabel; 4] = [
        FaultLabel::CapFault,
        FaultLabel::UnknownSyscall,
        FaultLabel::UserException,
        FaultLabel::VmFault,
    ];

    /// Decodes a fault label; `None` for 0, 4 and anything above 5.
    pub const fn from_word(w: Word) -> Option<FaultLabel> {
        match w {
            1 => Some(FaultLabel::CapFault),
            2 => Some(FaultLabel::UnknownSyscall),
            3 => Some(FaultLabel::UserException),
            5 => Some(FaultLabel::VmFault),
            _ => None,
        }
    }

    /// The label word of this fault.
    pub const fn word(self) -> Word {
        self as Word
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_every_label() {
        for f in FaultLabel::ALL {
            assert_eq!(FaultLabel::from_word(f.word()), Some(f));
        }
        assert_eq!(
            [CAP_FAULT, UNKNOWN_SYSCALL, USER_EXCEPTION, VM_FAULT],
            [1, 2, 3, 5]
        );
    }

    #[test]
    fn rejects_neighbours() {
        assert_eq!(FaultLabel::from_word(0), None);
        assert_eq!(FaultLabel::from_word(4), None);
        assert_eq!(FaultLabel::from_word(6), None);
        assert_eq!(FaultLabel::from_word(Word::MAX), None);
    }
}
