//! Kernel object types and sizes (riscv64 numbering, shared by the vm architecture).
//! The sizes every configuration shares are here; the TCB's is per configuration
//! ([`crate::config`]).

use crate::Word;

/// Bits in a machine word.
pub const WORD_BITS: u32 = 64;
/// log2 bytes of a CSpace slot.
pub const SLOT_BITS: u32 = 5;
/// log2 bytes of a TCB in the configuration user code is built for
/// (`config::current`: 11 on the vm, 10 in riscv64's reference configuration). The
/// kernel takes its architecture's (`Arch::CONFIG.tcb_bits`) instead.
pub use crate::config::current::TCB_BITS;
/// log2 bytes of an endpoint.
pub const ENDPOINT_BITS: u32 = 4;
/// log2 bytes of a notification.
pub const NOTIFICATION_BITS: u32 = 5;
/// log2 bytes of a small (4 KiB) page.
pub const PAGE_BITS: u32 = 12;
/// log2 bytes of a large (2 MiB) page.
pub const LARGE_PAGE_BITS: u32 = 21;
/// log2 bytes of a huge (1 GiB) page.
pub const HUGE_PAGE_BITS: u32 = 30;
/// log2 bytes of a page table.
pub const PAGE_TABLE_BITS: u32 = 12;
/// The smallest untyped object, in log2 bytes.
pub const MIN_UNTYPED_BITS: u32 = 4;
/// The largest untyped object, in log2 bytes.
pub const MAX_UNTYPED_BITS: u32 = 38;
/// log2 bytes of an ASID pool.
pub const ASID_POOL_BITS: u32 = 12;
/// ASID bits that index within a pool.
pub const ASID_POOL_INDEX_BITS: u32 = 9;
/// ASID bits that select a pool.
pub const ASID_HIGH_BITS: u32 = 7;
/// The smallest radix a CNode may have.
pub const MIN_CNODE_RADIX: u32 = 1;
/// The most objects one Retype may create.
pub const RETYPE_FAN_OUT_LIMIT: Word = 256;
/// Slots in the CNode region at the start of every TCB object.
pub const TCB_CNODE_SLOTS: usize = 16;
/// Radix of the TCB's CNode region.
pub const TCB_CNODE_RADIX: u32 = 4;
/// TCB slot holding the thread's CSpace root.
pub const TCB_CTABLE: usize = 0;
/// TCB slot holding the thread's VSpace root.
pub const TCB_VTABLE: usize = 1;
/// TCB slot holding the thread's own reply capability (the master reply cap).
pub const TCB_REPLY: usize = 2;
/// TCB slot holding the reply capability of the thread's current caller.
pub const TCB_CALLER: usize = 3;
/// TCB slot holding the thread's IPC buffer frame capability.
pub const TCB_BUFFER: usize = 4;

/// The byte size of a CNode of the given radix, in log2 bytes.
pub const fn cnode_size_bits(radix: u32) -> u32 {
    SLOT_BITS + radix
}

/// A kernel object type that Retype can create.
#[repr(u64)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectType {
    /// Untyped memory; the caller chooses the size.
    Untyped = 0,
    /// A thread control block.
    Tcb = 1,
    /// An IPC endpoint.
    Endpoint = 2,
    /// A notification object.
    Notification = 3,
    /// A CNode; the caller chooses the radix.
    CNode = 4,
    /// A 1 GiB page.
    GigaPage = 5,
    /// A 4 KiB page.
    SmallPage = 6,
    /// A 2 MiB page.
    LargePage = 7,
    /// A page table.
    PageTable = 8,
}

impl ObjectType {
    /// Every generic and riscv64 object type, indexed by its value (0..=8).
    pub const ALL: [ObjectType; 9] = [
        ObjectType::Untyped,
        ObjectType::Tcb,
        ObjectType::Endpoint,
        ObjectType::Notification,
        ObjectType::CNode,
        ObjectType::GigaPage,
        ObjectType::SmallPage,
        ObjectType::LargePage,
        ObjectType::PageTable,
    ];

    /// Decodes an object-type word of the generic and riscv64 numbering (0..=8);
    /// `None` for any other, the vm's 9 and 10 included (an architecture's own types
    /// are its business: `selvm_abi::vm::VmObjectType`).
    pub const fn from_word(w: Word) -> Option<ObjectType> {
        if w < Self::ALL.len() as Word {
            Some(Self::ALL[w as usize])
        } else {
            None
        }
    }

    /// The object-type word.
    pub const fn word(self) -> Word {
        self as Word
    }

    /// The object's size in log2 bytes in the current configuration, or `None` where
    /// the caller chooses it.
    pub const fn fixed_size_bits(self) -> Option<u32> {
        self.fixed_size_bits_in(&crate::config::CURRENT)
    }

    /// The object's size in log2 bytes in configuration `config`, or `None` where the
    /// caller chooses it.
    pub const fn fixed_size_bits_in(self, config: &crate::config::Config) -> Option<u32> {
        match self {
            ObjectType::Untyped | ObjectType::CNode => None,
            ObjectType::Tcb => Some(config.tcb_bits),
            ObjectType::Endpoint => Some(ENDPOINT_BITS),
            ObjectType::Notification => Some(NOTIFICATION_BITS),
            ObjectType::GigaPage => Some(HUGE_PAGE_BITS),
            ObjectType::SmallPage => Some(PAGE_BITS),
            ObjectType::LargePage => Some(LARGE_PAGE_BITS),
            ObjectType::PageTable => Some(PAGE_TABLE_BITS),
        }
    }

    /// Whether the object is a frame (a page of any size).
    pub const fn is_frame(self) -> bool {
        matches!(
            self,
            ObjectType::SmallPage | ObjectType::LargePage | ObjectType::GigaPage
        )
    }
}

// Every fixed-size object fits the untyped size range (the TCB's CNode region fits each
// configuration's TCB: `Config::check`).
const _: () = assert!(MIN_UNTYPED_BITS <= ENDPOINT_BITS && HUGE_PAGE_BITS <= MAX_UNTYPED_BITS);
const _: () = assert!(MAX_UNTYPED_BITS < WORD_BITS);
const _: () = assert!(TCB_BUFFER < TCB_CNODE_SLOTS);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_every_type() {
        for (i, t) in ObjectType::ALL.iter().enumerate() {
            assert_eq!(t.word(), i as Word);
            assert_eq!(ObjectType::from_word(i as Word), Some(*t));
        }
        assert_eq!(ObjectType::from_word(9), None);
        assert_eq!(ObjectType::from_word(Word::MAX), None);
    }

    #[test]
    fn sizes() {
        assert_eq!(ObjectType::Untyped.fixed_size_bits(), None);
        assert_eq!(ObjectType::CNode.fixed_size_bits(), None);
        assert_eq!(ObjectType::Tcb.fixed_size_bits(), Some(TCB_BITS));
        let tcb_in = |c| ObjectType::Tcb.fixed_size_bits_in(&c);
        assert_eq!(tcb_in(crate::config::vm::CONFIG), Some(11));
        assert_eq!(tcb_in(crate::config::riscv64::CONFIG), Some(10));
        assert_eq!(ObjectType::Endpoint.fixed_size_bits(), Some(4));
        assert_eq!(ObjectType::Notification.fixed_size_bits(), Some(5));
        assert_eq!(ObjectType::GigaPage.fixed_size_bits(), Some(30));
        assert_eq!(ObjectType::SmallPage.fixed_size_bits(), Some(12));
        assert_eq!(ObjectType::LargePage.fixed_size_bits(), Some(21));
        assert_eq!(ObjectType::PageTable.fixed_size_bits(), Some(12));
        assert!(ObjectType::LargePage.is_frame() && !ObjectType::PageTable.is_frame());
    }

    #[test]
    fn derived_constants_agree() {
        assert_eq!(cnode_size_bits(MIN_CNODE_RADIX), 6);
        assert_eq!(cnode_size_bits(12), 17);
        assert_eq!(1usize << TCB_CNODE_RADIX, TCB_CNODE_SLOTS);
        assert_eq!(ASID_POOL_INDEX_BITS + ASID_HIGH_BITS, 16);
        // An ASID pool is one page of 2^9 word-sized entries.
        assert_eq!(ASID_POOL_INDEX_BITS + 3, ASID_POOL_BITS);
    }
}
