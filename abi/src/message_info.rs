//! The message tag (`seL4_MessageInfo_t`): label, unwrapped-caps mask, extra caps, length.

use core::fmt;

use crate::Word;

/// The most message words a message can carry (`seL4_MsgMaxLength`).
pub const MSG_MAX_LENGTH: usize = 120;
/// The most extra capabilities a message can carry (`seL4_MsgMaxExtraCaps`).
pub const MSG_MAX_EXTRA_CAPS: usize = 3;

/// Width in bits of the label field (the top of the word).
pub const MSG_LABEL_BITS: u32 = 52;
/// Width in bits of the capsUnwrapped field.
pub const MSG_CAPS_UNWRAPPED_BITS: u32 = 3;
/// Width in bits of the extraCaps field.
pub const MSG_EXTRA_CAPS_BITS: u32 = 2;
/// Width in bits of the length field (the bottom of the word).
pub const MSG_LENGTH_BITS: u32 = 7;

const LENGTH_SHIFT: u32 = 0;
const EXTRA_CAPS_SHIFT: u32 = LENGTH_SHIFT + MSG_LENGTH_BITS;
const CAPS_UNWRAPPED_SHIFT: u32 = EXTRA_CAPS_SHIFT + MSG_EXTRA_CAPS_BITS;
const LABEL_SHIFT: u32 = CAPS_UNWRAPPED_SHIFT + MSG_CAPS_UNWRAPPED_BITS;

const fn mask(bits: u32) -> Word {
    (1 << bits) - 1
}

const _: () = assert!(LABEL_SHIFT + MSG_LABEL_BITS == Word::BITS);

/// A message tag. Every value has length ≤ 120 and extra caps ≤ 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MessageInfo(Word);

/// Which field a checked [`MessageInfo::new`] rejected, with the rejected value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageInfoError {
    /// The label does not fit in 52 bits.
    Label(Word),
    /// The capsUnwrapped mask does not fit in 3 bits.
    CapsUnwrapped(Word),
    /// More than 3 extra capabilities.
    ExtraCaps(Word),
    /// More than 120 message words.
    Length(Word),
}

impl fmt::Display for MessageInfoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            MessageInfoError::Label(v) => write!(f, "label {v:#x} does not fit in 52 bits"),
            MessageInfoError::CapsUnwrapped(v) => {
                write!(f, "capsUnwrapped {v:#x} does not fit in 3 bits")
            }
            MessageInfoError::ExtraCaps(v) => {
                write!(f, "extraCaps {v} exceeds {MSG_MAX_EXTRA_CAPS}")
            }
            MessageInfoError::Length(v) => write!(f, "length {v} exceeds {MSG_MAX_LENGTH}"),
        }
    }
}

impl MessageInfo {
    /// Checked user-side constructor: every field must fit and respect the maxima.
    pub const fn new(
        label: Word,
        caps_unwrapped: Word,
        extra_caps: Word,
        length: Word,
    ) -> Result<MessageInfo, MessageInfoError> {
        if label > mask(MSG_LABEL_BITS) {
            Err(MessageInfoError::Label(label))
        } else if caps_unwrapped > mask(MSG_CAPS_UNWRAPPED_BITS) {
            Err(MessageInfoError::CapsUnwrapped(caps_unwrapped))
        } else if extra_caps > MSG_MAX_EXTRA_CAPS as Word {
            Err(MessageInfoError::ExtraCaps(extra_caps))
        } else if length > MSG_MAX_LENGTH as Word {
            Err(MessageInfoError::Length(length))
        } else {
            Ok(MessageInfo(
                label << LABEL_SHIFT
                    | caps_unwrapped << CAPS_UNWRAPPED_SHIFT
                    | extra_caps << EXTRA_CAPS_SHIFT
                    | length << LENGTH_SHIFT,
            ))
        }
    }

    /// Kernel-side decoding that never fails: length is clamped to 120, extra caps to 3.
    pub const fn from_word_clamped(w: Word) -> MessageInfo {
        MessageInfo(w)
            .with_length((w >> LENGTH_SHIFT) & mask(MSG_LENGTH_BITS))
            .with_extra_caps((w >> EXTRA_CAPS_SHIFT) & mask(MSG_EXTRA_CAPS_BITS))
    }

    /// The packed word, as passed in the msginfo register.
    pub const fn word(self) -> Word {
        self.0
    }

    /// The label (52 bits): an invocation label, error code or user-defined value.
    pub const fn label(self) -> Word {
        self.0 >> LABEL_SHIFT
    }

    /// The capsUnwrapped mask: bit i set means extra cap i was unwrapped to a badge.
    pub const fn caps_unwrapped(self) -> Word {
        (self.0 >> CAPS_UNWRAPPED_SHIFT) & mask(MSG_CAPS_UNWRAPPED_BITS)
    }

    /// The number of extra capabilities (0..=3).
    pub const fn extra_caps(self) -> usize {
        ((self.0 >> EXTRA_CAPS_SHIFT) & mask(MSG_EXTRA_CAPS_BITS)) as usize
    }

    /// The number of message words (0..=120).
    pub const fn length(self) -> usize {
        ((self.0 >> LENGTH_SHIFT) & mask(MSG_LENGTH_BITS)) as usize
    }

    /// Replaces the label, masked to 52 bits.
    pub const fn with_label(self, label: Word) -> Self {
        self.with_field(LABEL_SHIFT, MSG_LABEL_BITS, label)
    }

    /// Replaces the capsUnwrapped mask, masked to 3 bits.
    pub const fn with_caps_unwrapped(self, caps_unwrapped: Word) -> Self {
        self.with_field(
            CAPS_UNWRAPPED_SHIFT,
            MSG_CAPS_UNWRAPPED_BITS,
            caps_unwrapped,
        )
    }

    /// Replaces the extra-caps count, masked to 2 bits (hence at most 3).
    pub const fn with_extra_caps(self, extra_caps: Word) -> Self {
        let n = extra_caps & mask(MSG_EXTRA_CAPS_BITS);
        let n = if n > MSG_MAX_EXTRA_CAPS as Word {
            MSG_MAX_EXTRA_CAPS as Word
        } else {
            n
        };
        self.with_field(EXTRA_CAPS_SHIFT, MSG_EXTRA_CAPS_BITS, n)
    }

    /// Replaces the length, masked to 7 bits and then clamped to 120.
    pub const fn with_length(self, length: Word) -> Self {
        let n = length & mask(MSG_LENGTH_BITS);
        let n = if n > MSG_MAX_LENGTH as Word {
            MSG_MAX_LENGTH as Word
        } else {
            n
        };
        self.with_field(LENGTH_SHIFT, MSG_LENGTH_BITS, n)
    }

    const fn with_field(self, shift: u32, bits: u32, value: Word) -> Self {
        let m = mask(bits) << shift;
        MessageInfo((self.0 & !m) | ((value << shift) & m))
    }
}

#[cfg(test)]
mod tests;
