//! Lookup failures: why a capability lookup failed, and their message-word encoding.

use crate::Word;

/// Lookup-failure type word: the root CNode capability was invalid.
pub const LOOKUP_FAULT_INVALID_ROOT: Word = 1;
/// Lookup-failure type word: a slot on the path held no usable capability.
pub const LOOKUP_FAULT_MISSING_CAPABILITY: Word = 2;
/// Lookup-failure type word: the walk did not use up exactly the requested depth.
pub const LOOKUP_FAULT_DEPTH_MISMATCH: Word = 3;
/// Lookup-failure type word: a CNode guard did not match the address bits.
pub const LOOKUP_FAULT_GUARD_MISMATCH: Word = 4;

/// The most words a lookup failure occupies in a message (type word included).
pub const LOOKUP_FAULT_MAX_WORDS: usize = 4;

/// Why resolving a capability address failed (`seL4_LookupFailure`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupFault {
    /// The root CNode capability was not a CNode.
    InvalidRoot,
    /// The slot reached held no capability that the walk could use.
    MissingCapability {
        /// Address bits left unresolved when the lookup stopped.
        bits_left: u64,
    },
    /// The requested depth was not used up exactly.
    DepthMismatch {
        /// Address bits left unresolved when the lookup stopped.
        bits_left: u64,
        /// Bits the CNode at that point would have resolved.
        bits_found: u64,
    },
    /// A CNode's guard did not match the address.
    GuardMismatch {
        /// Address bits left unresolved when the lookup stopped.
        bits_left: u64,
        /// The guard of the CNode capability that did not match.
        guard_found: u64,
        /// The size of that guard in bits.
        bits_found: u64,
    },
}

impl LookupFault {
    /// The type word that opens this failure's message encoding.
    pub const fn type_word(&self) -> Word {
        match self {
            LookupFault::InvalidRoot => LOOKUP_FAULT_INVALID_ROOT,
            LookupFault::MissingCapability { .. } => LOOKUP_FAULT_MISSING_CAPABILITY,
            LookupFault::DepthMismatch { .. } => LOOKUP_FAULT_DEPTH_MISMATCH,
            LookupFault::GuardMismatch { .. } => LOOKUP_FAULT_GUARD_MISMATCH,
        }
    }

    /// The message words in order (type first, then the fields) and how many are used.
    pub fn words(&self) -> ([Word; LOOKUP_FAULT_MAX_WORDS], usize) {
        let t = self.type_word();
        match *self {
            LookupFault::InvalidRoot => ([t, 0, 0, 0], 1),
            LookupFault::MissingCapability { bits_left } => ([t, bits_left, 0, 0], 2),
            LookupFault::DepthMismatch {
                bits_left,
                bits_found,
            } => ([t, bits_left, bits_found, 0], 3),
            LookupFault::GuardMismatch {
                bits_left,
                guard_found,
                bits_found,
            } => ([t, bits_left, guard_found, bits_found], 4),
        }
    }

    /// Decodes message words produced by [`LookupFault::words`]; extra trailing words are
    /// ignored, an unknown type or too few words give `None`.
    pub fn from_words(words: &[Word]) -> Option<Self> {
        match *words {
            [LOOKUP_FAULT_INVALID_ROOT, ..] => Some(LookupFault::InvalidRoot),
            [LOOKUP_FAULT_MISSING_CAPABILITY, bits_left, ..] => {
                Some(LookupFault::MissingCapability { bits_left })
            }
            [LOOKUP_FAULT_DEPTH_MISMATCH, bits_left, bits_found, ..] => {
                Some(LookupFault::DepthMismatch {
                    bits_left,
                    bits_found,
                })
            }
            [
                LOOKUP_FAULT_GUARD_MISMATCH,
                bits_left,
                guard_found,
                bits_found,
                ..,
            ] => Some(LookupFault::GuardMismatch {
                bits_left,
                guard_found,
                bits_found,
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLES: [LookupFault; 4] = [
        LookupFault::InvalidRoot,
        LookupFault::MissingCapability { bits_left: 52 },
        LookupFault::DepthMismatch {
            bits_left: 7,
            bits_found: 12,
        },
        LookupFault::GuardMismatch {
            bits_left: 64,
            guard_found: 0x5,
            bits_found: 3,
        },
    ];

    #[test]
    fn words_round_trip() {
        for (i, f) in SAMPLES.iter().enumerate() {
            let (w, n) = f.words();
            assert_eq!(n, i + 1);
            assert_eq!(w[0], f.type_word());
            assert_eq!(f.type_word(), i as Word + 1);
            assert!(w[n..].iter().all(|&x| x == 0));
            assert_eq!(LookupFault::from_words(&w[..n]), Some(*f));
            // Trailing words (further message registers) are ignored.
            assert_eq!(LookupFault::from_words(&w), Some(*f));
            // Every strict prefix is too short.
            for k in 0..n {
                assert_eq!(LookupFault::from_words(&w[..k]), None);
            }
        }
    }

    #[test]
    fn field_order() {
        let f = LookupFault::GuardMismatch {
            bits_left: 1,
            guard_found: 2,
            bits_found: 3,
        };
        assert_eq!(f.words(), ([4, 1, 2, 3], 4));
        let d = LookupFault::DepthMismatch {
            bits_left: 9,
            bits_found: 8,
        };
        assert_eq!(d.words(), ([3, 9, 8, 0], 3));
    }

    #[test]
    fn rejects_unknown_types() {
        assert_eq!(LookupFault::from_words(&[0, 1, 2, 3]), None);
        assert_eq!(LookupFault::from_words(&[5, 1, 2, 3]), None);
        assert_eq!(LookupFault::from_words(&[Word::MAX]), None);
    }
}
