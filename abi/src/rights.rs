//! Capability access rights (`seL4_CapRights_t`): four bits in the low end of a word.

use core::ops::{BitAnd, BitOr};

use crate::Word;

/// A set of capability rights; only the low four bits are ever set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CapRights(u8);

impl CapRights {
    /// Write: send on an endpoint, signal a notification, write a frame.
    pub const WRITE: CapRights = CapRights(1);
    /// Read: receive on an endpoint, wait on a notification, read a frame.
    pub const READ: CapRights = CapRights(2);
    /// Grant: transfer capabilities through an endpoint.
    pub const GRANT: CapRights = CapRights(4);
    /// GrantReply: send reply capabilities through an endpoint (Call).
    pub const GRANT_REPLY: CapRights = CapRights(8);
    /// All four rights.
    pub const ALL: CapRights = CapRights(0xf);
    /// No rights.
    pub const NONE: CapRights = CapRights(0);

    /// Decodes a rights word, ignoring every bit above the low four.
    pub const fn from_word(w: Word) -> Self {
        CapRights((w & 0xf) as u8)
    }

    /// The rights as bits (GrantReply 8, Grant 4, Read 2, Write 1).
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// The rights as a message word.
    pub const fn word(self) -> Word {
        self.0 as Word
    }

    /// Builds rights in the argument order of libsel4's `seL4_CapRights_new`.
    pub const fn new(grant_reply: bool, grant: bool, read: bool, write: bool) -> Self {
        CapRights((grant_reply as u8) << 3 | (grant as u8) << 2 | (read as u8) << 1 | write as u8)
    }

    /// Whether the Write right is present.
    pub const fn can_write(self) -> bool {
        self.0 & Self::WRITE.0 != 0
    }

    /// Whether the Read right is present.
    pub const fn can_read(self) -> bool {
        self.0 & Self::READ.0 != 0
    }

    /// Whether the Grant right is present.
    pub const fn can_grant(self) -> bool {
        self.0 & Self::GRANT.0 != 0
    }

    /// Whether the GrantReply right is present.
    pub const fn can_grant_reply(self) -> bool {
        self.0 & Self::GRANT_REPLY.0 != 0
    }

    /// The rights present in both sets (how Mint and Copy derive rights).
    pub const fn intersect(self, other: CapRights) -> Self {
        CapRights(self.0 & other.0)
    }

    /// The rights present in either set.
    pub const fn union(self, other: CapRights) -> Self {
        CapRights(self.0 | other.0)
    }

    /// Whether every right in `other` is also in `self`.
    pub const fn contains(self, other: CapRights) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitAnd for CapRights {
    type Output = CapRights;
    fn bitand(self, rhs: CapRights) -> CapRights {
        self.intersect(rhs)
    }
}

impl BitOr for CapRights {
    type Output = CapRights;
    fn bitor(self, rhs: CapRights) -> CapRights {
        self.union(rhs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_word_masks() {
        assert_eq!(CapRights::from_word(0xf), CapRights::ALL);
        assert_eq!(CapRights::from_word(0x10), CapRights::NONE);
        assert_eq!(CapRights::from_word(Word::MAX), CapRights::ALL);
        assert_eq!(CapRights::from_word(0xfff2).bits(), 2);
        for w in 0..64u64 {
            let r = CapRights::from_word(w);
            assert_eq!(r.word(), w & 0xf);
            assert!(r.bits() < 16);
        }
    }

    #[test]
    fn new_matches_libsel4_order() {
        assert_eq!(
            CapRights::new(true, false, false, false),
            CapRights::GRANT_REPLY
        );
        assert_eq!(CapRights::new(false, true, false, false), CapRights::GRANT);
        assert_eq!(CapRights::new(false, false, true, false), CapRights::READ);
        assert_eq!(CapRights::new(false, false, false, true), CapRights::WRITE);
        assert_eq!(CapRights::new(true, true, true, true), CapRights::ALL);
        assert_eq!(CapRights::default(), CapRights::NONE);
    }

    #[test]
    fn predicates() {
        let rw = CapRights::READ | CapRights::WRITE;
        assert!(rw.can_read() && rw.can_write());
        assert!(!rw.can_grant() && !rw.can_grant_reply());
        assert!(CapRights::GRANT_REPLY.can_grant_reply());
        assert!(!CapRights::GRANT_REPLY.can_grant());
        assert!(CapRights::GRANT.can_grant());
        assert_eq!(rw.word(), 3);
    }

    #[test]
    fn intersect_and_contains() {
        let rw = CapRights::READ.union(CapRights::WRITE);
        assert_eq!(rw.intersect(CapRights::ALL), rw);
        assert_eq!(rw & CapRights::GRANT, CapRights::NONE);
        assert_eq!(rw.intersect(CapRights::READ), CapRights::READ);
        assert!(CapRights::ALL.contains(rw));
        assert!(rw.contains(CapRights::WRITE));
        assert!(rw.contains(CapRights::NONE));
        assert!(!rw.contains(CapRights::GRANT));
        assert!(!rw.contains(CapRights::ALL));
        for a in 0..16 {
            for b in 0..16 {
                let (x, y) = (CapRights::from_word(a), CapRights::from_word(b));
                assert!(x.contains(x.intersect(y)));
                assert_eq!(x.contains(y), x.intersect(y) == y);
            }
        }
    }
}
