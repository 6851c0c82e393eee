//! Errors an invocation reports to its caller, with the exact message seL4 sends
//! for each (label = error code, then the error's message registers).

use selvm_abi::{Error, LookupFault, Word};

/// An invocation's failure, with the details seL4 reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyscallError {
    /// Argument number `arg` is invalid.
    InvalidArgument {
        /// Which argument (0-based message register or extra-cap index).
        arg: Word,
    },
    /// Cap number `cap` is of the wrong kind (0 is the invoked cap).
    InvalidCapability {
        /// Which cap.
        cap: Word,
    },
    /// The cap does not support the operation.
    IllegalOperation,
    /// A value lies outside `[min, max]`.
    RangeError {
        /// Smallest allowed.
        min: Word,
        /// Largest allowed.
        max: Word,
    },
    /// Misaligned address.
    AlignmentError,
    /// A slot lookup failed.
    FailedLookup {
        /// The failing lookup was the source slot's.
        was_source: bool,
        /// Why.
        fault: LookupFault,
    },
    /// Too few message registers or extra caps.
    TruncatedMessage,
    /// The destination slot is not empty.
    DeleteFirst,
    /// The cap has children.
    RevokeFirst,
    /// The untyped has only `available` bytes left.
    NotEnoughMemory {
        /// Bytes free.
        available: Word,
    },
    /// ModuleSeal: the verifier rejected the image (vm architecture). Reported
    /// as InvalidArgument 0 followed by where and why (docs/vm-abi.md).
    SealFailed {
        /// The broken rule's stable code.
        rule: Word,
        /// Function index, or record index of a module-level rule.
        index: Word,
        /// Word offset in the function, all ones for a module-level rule.
        offset: Word,
        /// The offending value.
        value: Word,
    },
}

/// The reply a failed invocation sends: label and message registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorReply {
    /// The error code.
    pub label: Word,
    /// Message registers `mrs[..len]`.
    pub mrs: [Word; 5],
    /// How many message registers.
    pub len: usize,
}

impl ErrorReply {
    /// The message registers in use.
    pub fn words(&self) -> &[Word] {
        &self.mrs[..self.len]
    }
}

impl SyscallError {
    /// The seL4 error code.
    pub const fn code(&self) -> Error {
        match self {
            SyscallError::InvalidArgument { .. } | SyscallError::SealFailed { .. } => {
                Error::InvalidArgument
            }
            SyscallError::InvalidCapability { .. } => Error::InvalidCapability,
            SyscallError::IllegalOperation => Error::IllegalOperation,
            SyscallError::RangeError { .. } => Error::RangeError,
            SyscallError::AlignmentError => Error::AlignmentError,
            SyscallError::FailedLookup { .. } => Error::FailedLookup,
            SyscallError::TruncatedMessage => Error::TruncatedMessage,
            SyscallError::DeleteFirst => Error::DeleteFirst,
            SyscallError::RevokeFirst => Error::RevokeFirst,
            SyscallError::NotEnoughMemory { .. } => Error::NotEnoughMemory,
        }
    }

    /// The message seL4 sends for this error.
    pub fn reply(&self) -> ErrorReply {
        let mut mrs = [0; 5];
        let len = match *self {
            SyscallError::InvalidArgument { arg: w }
            | SyscallError::InvalidCapability { cap: w }
            | SyscallError::NotEnoughMemory { available: w } => {
                mrs[0] = w;
                1
            }
            SyscallError::RangeError { min, max } => {
                mrs[..2].copy_from_slice(&[min, max]);
                2
            }
            SyscallError::FailedLookup { was_source, fault } => {
                mrs[0] = Word::from(was_source);
                let (words, n) = fault.words();
                mrs[1..1 + n].copy_from_slice(&words[..n]);
                1 + n
            }
            SyscallError::SealFailed {
                rule,
                index,
                offset,
                value,
            } => {
                mrs = [0, rule, index, offset, value];
                5
            }
            _ => 0,
        };
        ErrorReply {
            label: self.code().word(),
            mrs,
            len,
        }
    }
}

impl From<Error> for SyscallError {
    /// Errors that carry no details.
    fn from(e: Error) -> Self {
        match e {
            Error::IllegalOperation => SyscallError::IllegalOperation,
            Error::AlignmentError => SyscallError::AlignmentError,
            Error::TruncatedMessage => SyscallError::TruncatedMessage,
            Error::DeleteFirst => SyscallError::DeleteFirst,
            Error::RevokeFirst => SyscallError::RevokeFirst,
            // Detail-carrying errors are never built this way; report the code with zeros.
            Error::InvalidArgument => SyscallError::InvalidArgument { arg: 0 },
            Error::InvalidCapability => SyscallError::InvalidCapability { cap: 0 },
            Error::RangeError => SyscallError::RangeError { min: 0, max: 0 },
            Error::FailedLookup => SyscallError::FailedLookup {
                was_source: false,
                fault: LookupFault::InvalidRoot,
            },
            Error::NotEnoughMemory => SyscallError::NotEnoughMemory { available: 0 },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_lookup_message_layout() {
        let e = SyscallError::FailedLookup {
            was_source: true,
            fault: LookupFault::GuardMismatch {
                bits_left: 60,
                guard_found: 3,
                bits_found: 4,
            },
        };
        let r = e.reply();
        assert_eq!(r.label, 6);
        assert_eq!(r.words(), &[1, 4, 60, 3, 4]);
        let r = SyscallError::RangeError { min: 1, max: 256 }.reply();
        assert_eq!((r.label, r.words()), (4, &[1u64, 256][..]));
        assert_eq!(SyscallError::DeleteFirst.reply().words(), &[] as &[u64]);
    }
}
