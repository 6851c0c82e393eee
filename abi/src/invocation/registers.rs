//! The flag words of the register invocations (ReadRegisters, WriteRegisters,
//! CopyRegisters): libsel4 packs its boolean arguments into MR0 bit by bit and the
//! architecture flags into bits 8..16.

use super::args::{TcbCopyRegisters, TcbReadRegisters, TcbWriteRegisters};
use crate::Word;

/// Where the architecture flags start in a register invocation's flags word.
pub const ARCH_FLAGS_SHIFT: u32 = 8;

impl TcbReadRegisters {
    /// Flags bit: suspend the thread before reading.
    pub const FLAG_SUSPEND_SOURCE: Word = 1;

    /// The flags word.
    pub const fn flags(suspend_source: bool, arch_flags: u8) -> Word {
        suspend_source as Word | (arch_flags as Word) << ARCH_FLAGS_SHIFT
    }
}

impl TcbWriteRegisters<'_> {
    /// Flags bit: resume the thread after writing.
    pub const FLAG_RESUME_TARGET: Word = 1;

    /// The flags word.
    pub const fn flags(resume_target: bool, arch_flags: u8) -> Word {
        resume_target as Word | (arch_flags as Word) << ARCH_FLAGS_SHIFT
    }
}

impl TcbCopyRegisters {
    /// Flags bit: suspend the source thread first.
    pub const FLAG_SUSPEND_SOURCE: Word = 1;
    /// Flags bit: resume the target thread afterwards.
    pub const FLAG_RESUME_TARGET: Word = 2;
    /// Flags bit: copy the frame registers.
    pub const FLAG_TRANSFER_FRAME: Word = 4;
    /// Flags bit: copy the integer registers.
    pub const FLAG_TRANSFER_INTEGER: Word = 8;

    /// The flags word.
    pub const fn flags(
        suspend_source: bool,
        resume_target: bool,
        transfer_frame: bool,
        transfer_integer: bool,
        arch_flags: u8,
    ) -> Word {
        (suspend_source as Word * Self::FLAG_SUSPEND_SOURCE)
            | (resume_target as Word * Self::FLAG_RESUME_TARGET)
            | (transfer_frame as Word * Self::FLAG_TRANSFER_FRAME)
            | (transfer_integer as Word * Self::FLAG_TRANSFER_INTEGER)
            | (arch_flags as Word) << ARCH_FLAGS_SHIFT
    }
}
