//! Fault messages on the vm architecture: the UnknownSyscall and UserException layouts,
//! the VMFault status word, and the numbers of the VM's trap kinds.

use super::context::{A0, A1, A2, A3, A4, A5, PC, SP};
use crate::Word;

/// UnknownSyscall message word: the pc of the `syscall` instruction.
pub const UNKNOWN_SYSCALL_PC: usize = 0;
/// UnknownSyscall message word: the stack pointer.
pub const UNKNOWN_SYSCALL_SP: usize = 1;
/// UnknownSyscall message word: window register 0 (a1..a5 follow at 3..7).
pub const UNKNOWN_SYSCALL_A0: usize = 2;
/// UnknownSyscall message word: the syscall number (the instruction's code sign-extended).
pub const UNKNOWN_SYSCALL_NUMBER: usize = 8;
/// Words of an UnknownSyscall message.
pub const UNKNOWN_SYSCALL_LENGTH: usize = 9;
/// Context words an UnknownSyscall message carries, in message order; a reply writes
/// them back (the syscall number, which follows them, is not written back).
pub const UNKNOWN_SYSCALL_REGISTERS: [usize; 8] = [PC, SP, A0, A1, A2, A3, A4, A5];

/// UserException message word: the pc of the trapping instruction.
pub const USER_EXCEPTION_PC: usize = 0;
/// UserException message word: the stack pointer.
pub const USER_EXCEPTION_SP: usize = 1;
/// UserException message word: the exception number, the [`TrapKind`].
pub const USER_EXCEPTION_NUMBER: usize = 2;
/// UserException message word: the exception code, the `trap` instruction's operand for
/// [`TrapKind::Program`] (0 is WebAssembly's `unreachable`), 0 for the other kinds.
pub const USER_EXCEPTION_CODE: usize = 3;
/// Words of a UserException message.
pub const USER_EXCEPTION_LENGTH: usize = 4;
/// Context words a UserException message carries, in message order; a reply writes
/// them back.
pub const USER_EXCEPTION_REGISTERS: [usize; 2] = [PC, SP];

/// VMFault status word (`FSR`, like riscv's scause) of a faulting load.
pub const VM_FAULT_FSR_LOAD: Word = 13;
/// VMFault status word of a faulting store (also `memory.fill` and a copy's target).
pub const VM_FAULT_FSR_STORE: Word = 15;
/// VMFault prefetch flag: always 0, since code is not in the VSpace.
pub const VM_FAULT_PREFETCH: Word = 0;

/// Why a VM thread trapped, as a UserException's number.
#[repr(u64)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrapKind {
    /// A `trap` instruction; its operand is the exception code.
    Program = 1,
    /// Integer division or remainder by zero.
    DivideByZero = 2,
    /// Signed division overflow, or a float-to-integer truncation out of range.
    IntegerOverflow = 3,
    /// A float-to-integer truncation of NaN.
    InvalidConversion = 4,
    /// A call found no room in the register stack or exceeded the call depth.
    StackOverflow = 5,
    /// A table access outside the table.
    TableOutOfBounds = 6,
    /// An indirect call through a null reference.
    NullReference = 7,
    /// An indirect call through a value that names no function.
    BadReference = 8,
    /// An indirect call to a function of another signature.
    SignatureMismatch = 9,
    /// Raised by the kernel, not the VM: the thread was scheduled without a module,
    /// register stack or entry point (see TcbBindModule and friends).
    NoCode = 10,
    /// `memory.init` or `table.init` reading beyond its segment (or from a dropped one).
    SegmentOutOfBounds = 11,
}

impl TrapKind {
    /// Every trap kind, in numbering order (1..=11).
    pub const ALL: [TrapKind; 11] = [
        TrapKind::Program,
        TrapKind::DivideByZero,
        TrapKind::IntegerOverflow,
        TrapKind::InvalidConversion,
        TrapKind::StackOverflow,
        TrapKind::TableOutOfBounds,
        TrapKind::NullReference,
        TrapKind::BadReference,
        TrapKind::SignatureMismatch,
        TrapKind::NoCode,
        TrapKind::SegmentOutOfBounds,
    ];

    /// Decodes a UserException number; `None` for 0 and anything above 11.
    pub const fn from_word(w: Word) -> Option<TrapKind> {
        if w >= 1 && w <= Self::ALL.len() as Word {
            Some(Self::ALL[w as usize - 1])
        } else {
            None
        }
    }

    /// The UserException number.
    pub const fn word(self) -> Word {
        self as Word
    }

    /// The name the docs use (the VM's `Trap` variant).
    pub const fn name(self) -> &'static str {
        match self {
            TrapKind::Program => "Program",
            TrapKind::DivideByZero => "DivideByZero",
            TrapKind::IntegerOverflow => "IntegerOverflow",
            TrapKind::InvalidConversion => "InvalidConversion",
            TrapKind::StackOverflow => "StackOverflow",
            TrapKind::TableOutOfBounds => "TableOutOfBounds",
            TrapKind::NullReference => "NullReference",
            TrapKind::BadReference => "BadReference",
            TrapKind::SignatureMismatch => "SignatureMismatch",
            TrapKind::NoCode => "NoCode",
            TrapKind::SegmentOutOfBounds => "SegmentOutOfBounds",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_every_kind() {
        for (i, k) in TrapKind::ALL.iter().enumerate() {
            assert_eq!(k.word(), i as Word + 1);
            assert_eq!(TrapKind::from_word(k.word()), Some(*k));
        }
        assert_eq!(TrapKind::from_word(0), None);
        assert_eq!(TrapKind::from_word(12), None);
        assert_eq!(TrapKind::from_word(Word::MAX), None);
    }

    #[test]
    fn layouts_are_consistent() {
        assert_eq!(UNKNOWN_SYSCALL_A0 + 6, UNKNOWN_SYSCALL_NUMBER);
        assert_eq!(UNKNOWN_SYSCALL_REGISTERS.len() + 1, UNKNOWN_SYSCALL_LENGTH);
        assert_eq!(UNKNOWN_SYSCALL_REGISTERS[UNKNOWN_SYSCALL_PC], PC);
        assert_eq!(UNKNOWN_SYSCALL_REGISTERS[UNKNOWN_SYSCALL_SP], SP);
        assert_eq!(UNKNOWN_SYSCALL_REGISTERS[UNKNOWN_SYSCALL_A0], A0);
        assert_eq!(USER_EXCEPTION_REGISTERS.len() + 2, USER_EXCEPTION_LENGTH);
        assert_eq!(USER_EXCEPTION_REGISTERS[USER_EXCEPTION_PC], PC);
        assert_eq!(USER_EXCEPTION_REGISTERS[USER_EXCEPTION_SP], SP);
        assert_eq!(USER_EXCEPTION_CODE, USER_EXCEPTION_NUMBER + 1);
        // The VMFault layout is the generic one of the crate root.
        assert_eq!(crate::VM_FAULT_LENGTH, 4);
        assert_eq!((VM_FAULT_FSR_LOAD, VM_FAULT_FSR_STORE), (13, 15));
    }
}
