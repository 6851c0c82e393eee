//! Invocation labels: the MessageInfo label that names a kernel-object operation.

use crate::Word;

/// The first architecture-specific label (riscv64, shared by the vm architecture).
pub const ARCH_LABEL_FIRST: Word = 30;

/// The first label the vm architecture adds after the riscv64 ones.
pub const VM_ARCH_LABEL_FIRST: Word = 38;

/// An invocation label of seL4 13.0.0 (generic labels, then the riscv64 ones).
#[repr(u64)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InvocationLabel {
    /// Not a valid invocation (label 0).
    InvalidInvocation = 0,
    /// Retype memory from an untyped object into new objects.
    UntypedRetype = 1,
    /// Read a thread's registers.
    TcbReadRegisters = 2,
    /// Write a thread's registers.
    TcbWriteRegisters = 3,
    /// Copy registers from one thread to another.
    TcbCopyRegisters = 4,
    /// Set a thread's fault endpoint, CSpace, VSpace and IPC buffer at once.
    TcbConfigure = 5,
    /// Set a thread's priority.
    TcbSetPriority = 6,
    /// Set a thread's maximum controlled priority.
    TcbSetMcPriority = 7,
    /// Set a thread's priority and maximum controlled priority.
    TcbSetSchedParams = 8,
    /// Set a thread's IPC buffer.
    TcbSetIpcBuffer = 9,
    /// Set a thread's fault endpoint, CSpace and VSpace.
    TcbSetSpace = 10,
    /// Suspend a thread.
    TcbSuspend = 11,
    /// Resume a thread.
    TcbResume = 12,
    /// Bind a notification to a thread.
    TcbBindNotification = 13,
    /// Unbind a thread's notification.
    TcbUnbindNotification = 14,
    /// Set a thread's TLS base register.
    TcbSetTlsBase = 15,
    /// Delete every descendant of a capability.
    CNodeRevoke = 16,
    /// Delete one capability.
    CNodeDelete = 17,
    /// Cancel pending sends carrying a badge.
    CNodeCancelBadgedSends = 18,
    /// Copy a capability, possibly with fewer rights.
    CNodeCopy = 19,
    /// Copy a capability with fewer rights and/or a badge.
    CNodeMint = 20,
    /// Move a capability.
    CNodeMove = 21,
    /// Move a capability, changing its badge or guard.
    CNodeMutate = 22,
    /// Move two capabilities around three slots.
    CNodeRotate = 23,
    /// Move the reply capability out of the caller slot.
    CNodeSaveCaller = 24,
    /// Make an IRQ handler capability.
    IrqIssueIrqHandler = 25,
    /// Acknowledge an interrupt.
    IrqAckIrq = 26,
    /// Set the notification an IRQ is delivered to.
    IrqSetIrqHandler = 27,
    /// Clear an IRQ's notification.
    IrqClearIrqHandler = 28,
    /// Put a thread in a scheduling domain.
    DomainSetSet = 29,
    /// Map a page table (riscv64 numbering).
    PageTableMap = 30,
    /// Unmap a page table (riscv64 numbering).
    PageTableUnmap = 31,
    /// Map a frame (riscv64 numbering).
    PageMap = 32,
    /// Unmap a frame (riscv64 numbering).
    PageUnmap = 33,
    /// Read a frame's physical address (riscv64 numbering).
    PageGetAddress = 34,
    /// Make an ASID pool (riscv64 numbering).
    AsidControlMakePool = 35,
    /// Assign an ASID to a VSpace (riscv64 numbering).
    AsidPoolAssign = 36,
    /// Make an IRQ handler capability with a trigger mode (riscv64 numbering).
    IrqIssueIrqHandlerTrigger = 37,
}

impl InvocationLabel {
    /// Every label, indexed by its value (0..=37).
    pub const ALL: [InvocationLabel; 38] = [
        InvocationLabel::InvalidInvocation,
        InvocationLabel::UntypedRetype,
        InvocationLabel::TcbReadRegisters,
        InvocationLabel::TcbWriteRegisters,
        InvocationLabel::TcbCopyRegisters,
        InvocationLabel::TcbConfigure,
        InvocationLabel::TcbSetPriority,
        InvocationLabel::TcbSetMcPriority,
        InvocationLabel::TcbSetSchedParams,
        InvocationLabel::TcbSetIpcBuffer,
        InvocationLabel::TcbSetSpace,
        InvocationLabel::TcbSuspend,
        InvocationLabel::TcbResume,
        InvocationLabel::TcbBindNotification,
        InvocationLabel::TcbUnbindNotification,
        InvocationLabel::TcbSetTlsBase,
        InvocationLabel::CNodeRevoke,
        InvocationLabel::CNodeDelete,
        InvocationLabel::CNodeCancelBadgedSends,
        InvocationLabel::CNodeCopy,
        InvocationLabel::CNodeMint,
        InvocationLabel::CNodeMove,
        InvocationLabel::CNodeMutate,
        InvocationLabel::CNodeRotate,
        InvocationLabel::CNodeSaveCaller,
        InvocationLabel::IrqIssueIrqHandler,
        InvocationLabel::IrqAckIrq,
        InvocationLabel::IrqSetIrqHandler,
        InvocationLabel::IrqClearIrqHandler,
        InvocationLabel::DomainSetSet,
        InvocationLabel::PageTableMap,
        InvocationLabel::PageTableUnmap,
        InvocationLabel::PageMap,
        InvocationLabel::PageUnmap,
        InvocationLabel::PageGetAddress,
        InvocationLabel::AsidControlMakePool,
        InvocationLabel::AsidPoolAssign,
        InvocationLabel::IrqIssueIrqHandlerTrigger,
    ];

    /// Decodes a label word; `None` for anything not in 0..=37.
    pub const fn from_word(w: Word) -> Option<Self> {
        if w < Self::ALL.len() as Word {
            Some(Self::ALL[w as usize])
        } else {
            None
        }
    }

    /// The label word for this invocation.
    pub const fn word(self) -> Word {
        self as Word
    }

    /// Whether the label belongs to the architecture-specific range.
    pub const fn is_arch(self) -> bool {
        self.word() >= ARCH_LABEL_FIRST
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_every_label() {
        for (i, l) in InvocationLabel::ALL.iter().enumerate() {
            assert_eq!(l.word(), i as Word);
            assert_eq!(InvocationLabel::from_word(i as Word), Some(*l));
        }
    }

    #[test]
    fn spot_values() {
        assert_eq!(InvocationLabel::UntypedRetype.word(), 1);
        assert_eq!(InvocationLabel::TcbSetTlsBase.word(), 15);
        assert_eq!(InvocationLabel::CNodeRevoke.word(), 16);
        assert_eq!(InvocationLabel::CNodeSaveCaller.word(), 24);
        assert_eq!(InvocationLabel::IrqIssueIrqHandler.word(), 25);
        assert_eq!(InvocationLabel::DomainSetSet.word(), 29);
        assert_eq!(InvocationLabel::PageTableMap.word(), ARCH_LABEL_FIRST);
        assert_eq!(
            InvocationLabel::IrqIssueIrqHandlerTrigger.word() + 1,
            VM_ARCH_LABEL_FIRST
        );
        assert!(InvocationLabel::PageMap.is_arch());
        assert!(!InvocationLabel::DomainSetSet.is_arch());
    }

    #[test]
    fn rejects_neighbours() {
        assert_eq!(InvocationLabel::from_word(38), None);
        assert_eq!(InvocationLabel::from_word(VM_ARCH_LABEL_FIRST), None);
        assert_eq!(InvocationLabel::from_word(Word::MAX), None);
        assert_eq!(InvocationLabel::from_word(1 << 52), None);
    }
}
