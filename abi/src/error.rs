//! Kernel error codes, returned as the label of an invocation's reply.

use core::fmt;

use crate::Word;

/// The reply label of a successful invocation (`seL4_NoError`).
pub const NO_ERROR: Word = 0;

/// An error returned by a kernel-object invocation (`seL4_Error`, without `seL4_NoError`).
#[repr(u64)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Error {
    /// An argument was invalid; MR0 names the argument number.
    InvalidArgument = 1,
    /// A capability argument was invalid; MR0 names the capability number.
    InvalidCapability = 2,
    /// The operation is not allowed on this object or in this state.
    IllegalOperation = 3,
    /// A value was out of range; MR0 and MR1 give the allowed minimum and maximum.
    RangeError = 4,
    /// An address or size was misaligned.
    AlignmentError = 5,
    /// A capability lookup failed; MR0 is wasSource, then the lookup-failure words.
    FailedLookup = 6,
    /// The message had too few words or extra capabilities.
    TruncatedMessage = 7,
    /// A destination slot must be emptied first.
    DeleteFirst = 8,
    /// The capability has children that must be revoked first.
    RevokeFirst = 9,
    /// Not enough memory in the untyped; MR0 gives the bytes available.
    NotEnoughMemory = 10,
}

impl Error {
    /// Every error, in code order (1..=10).
    pub const ALL: [Error; 10] = [
        Error::InvalidArgument,
        Error::InvalidCapability,
        Error::IllegalOperation,
        Error::RangeError,
        Error::AlignmentError,
        Error::FailedLookup,
        Error::TruncatedMessage,
        Error::DeleteFirst,
        Error::RevokeFirst,
        Error::NotEnoughMemory,
    ];

    /// Decodes an error code; `None` for `NO_ERROR` and anything above 10.
    pub const fn from_word(w: Word) -> Option<Error> {
        if w >= 1 && w <= Self::ALL.len() as Word {
            Some(Self::ALL[(w - 1) as usize])
        } else {
            None
        }
    }

    /// The error code word.
    pub const fn word(self) -> Word {
        self as Word
    }

    /// The libsel4 name of this error, e.g. `"seL4_InvalidArgument"`.
    pub const fn name(self) -> &'static str {
        match self {
            Error::InvalidArgument => "seL4_InvalidArgument",
            Error::InvalidCapability => "seL4_InvalidCapability",
            Error::IllegalOperation => "seL4_IllegalOperation",
            Error::RangeError => "seL4_RangeError",
            Error::AlignmentError => "seL4_AlignmentError",
            Error::FailedLookup => "seL4_FailedLookup",
            Error::TruncatedMessage => "seL4_TruncatedMessage",
            Error::DeleteFirst => "seL4_DeleteFirst",
            Error::RevokeFirst => "seL4_RevokeFirst",
            Error::NotEnoughMemory => "seL4_NotEnoughMemory",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn round_trip_every_error() {
        for (i, e) in Error::ALL.iter().enumerate() {
            assert_eq!(e.word(), i as Word + 1);
            assert_eq!(Error::from_word(e.word()), Some(*e));
        }
    }

    #[test]
    fn rejects_neighbours() {
        assert_eq!(Error::from_word(NO_ERROR), None);
        assert_eq!(Error::from_word(11), None);
        assert_eq!(Error::from_word(Word::MAX), None);
    }

    #[test]
    fn names_and_display() {
        assert_eq!(Error::InvalidArgument.name(), "seL4_InvalidArgument");
        assert_eq!(Error::NotEnoughMemory.to_string(), "seL4_NotEnoughMemory");
        for e in Error::ALL {
            assert!(e.name().starts_with("seL4_"));
            assert_eq!(e.to_string(), e.name());
            // The name is the variant name with the libsel4 prefix.
            assert_eq!(std::format!("seL4_{e:?}"), e.name());
        }
    }
}
