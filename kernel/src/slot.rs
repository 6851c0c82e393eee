//! Capability slots: 32 bytes each — the cap's two words, then the derivation-tree
//! links (previous and next slot in the CDT list, with the revocable and
//! first-badged flags in the low bits of the next link).

use crate::cap::{self, Cap};
use crate::memory::Ram;
use crate::memory::{PAddr, PhysMem, word_struct};

/// A slot, named by its physical address (32-byte aligned).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SlotRef(pub PAddr);

/// Bytes per slot.
pub const SLOT_SIZE: u64 = 1 << selvm_abi::object::SLOT_BITS;

impl SlotRef {
    /// The slot `index` slots after this one (slots of one CNode are contiguous).
    pub const fn offset(self, index: u64) -> SlotRef {
        SlotRef(self.0 + index * SLOT_SIZE)
    }
}

word_struct! {
    /// A slot's stored layout.
    pub struct RawSlot {
        /// The cap (see `cap::encoding`).
        pub cap: [u64; 2],
        /// Address of the previous slot in the CDT list, 0 if none.
        pub prev: u64,
        /// Address of the next slot in the CDT list, 0 if none; flags in bits 0-1.
        pub next_and_flags: u64,
    }
}

const REVOCABLE: u64 = 1;
/// The first-badged flag in `next_and_flags`.
pub(crate) const FIRST_BADGED: u64 = 2;
/// Both flags of `next_and_flags`.
pub(crate) const FLAGS: u64 = REVOCABLE | FIRST_BADGED;

/// A slot's CDT node, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MdbNode {
    /// Previous slot in the list.
    pub prev: Option<SlotRef>,
    /// Next slot in the list.
    pub next: Option<SlotRef>,
    /// The cap may have children that Revoke removes (an "original").
    pub revocable: bool,
    /// The first cap with its badge: badged copies below it are its children.
    pub first_badged: bool,
}

fn link(addr: u64) -> Option<SlotRef> {
    (addr != 0).then_some(SlotRef(addr))
}

fn addr(slot: Option<SlotRef>) -> u64 {
    slot.map_or(0, |s| s.0)
}

/// Slot access on physical memory.
pub trait SlotMemory {
    /// The cap in `slot`.
    fn cap(&self, slot: SlotRef) -> Cap;
    /// Replaces the cap in `slot`, keeping its CDT node.
    fn set_cap(&mut self, slot: SlotRef, cap: Cap);
    /// The CDT node of `slot`.
    fn mdb(&self, slot: SlotRef) -> MdbNode;
    /// Replaces the CDT node of `slot`.
    fn set_mdb(&mut self, slot: SlotRef, node: MdbNode);
}

impl<R: Ram> SlotMemory for PhysMem<R> {
    #[inline]
    fn cap(&self, slot: SlotRef) -> Cap {
        cap::decode(self.object::<RawSlot>(slot.0).cap)
    }

    fn set_cap(&mut self, slot: SlotRef, cap: Cap) {
        self.object_mut::<RawSlot>(slot.0).cap = cap::encode(&cap);
    }

    fn mdb(&self, slot: SlotRef) -> MdbNode {
        let raw = self.object::<RawSlot>(slot.0);
        MdbNode {
            prev: link(raw.prev),
            next: link(raw.next_and_flags & !FLAGS),
            revocable: raw.next_and_flags & REVOCABLE != 0,
            first_badged: raw.next_and_flags & FIRST_BADGED != 0,
        }
    }

    fn set_mdb(&mut self, slot: SlotRef, node: MdbNode) {
        let raw = self.object_mut::<RawSlot>(slot.0);
        raw.prev = addr(node.prev);
        raw.next_and_flags = addr(node.next)
            | if node.revocable { REVOCABLE } else { 0 }
            | if node.first_badged { FIRST_BADGED } else { 0 };
    }
}

/// Puts the cap `words` into the empty slot `dest` as the next entry after `parent`
/// in the derivation list, revocable and first-badged or neither (the linking of
/// every `cdt` insertion, done on the stored words).
#[inline]
pub(crate) fn link_child(
    mem: &mut PhysMem<impl Ram>,
    words: [u64; 2],
    parent: SlotRef,
    dest: SlotRef,
    revocable: bool,
) {
    let parent_link = mem.object::<RawSlot>(parent.0).next_and_flags;
    let next = parent_link & !FLAGS;
    let flags = if revocable { FLAGS } else { 0 };
    *mem.object_mut::<RawSlot>(dest.0) = RawSlot {
        cap: words,
        prev: parent.0,
        next_and_flags: next | flags,
    };
    if next != 0 {
        mem.object_mut::<RawSlot>(next).prev = dest.0;
    }
    mem.object_mut::<RawSlot>(parent.0).next_and_flags = dest.0 | (parent_link & FLAGS);
}

/// Empties the (non-null) slot and takes it out of the derivation list, passing its
/// first-badged flag on to the next entry (`cdt::remove`, on the stored words).
#[inline]
pub(crate) fn unlink(mem: &mut PhysMem<impl Ram>, slot: SlotRef) {
    let &RawSlot {
        prev,
        next_and_flags,
        ..
    } = mem.object::<RawSlot>(slot.0);
    let next = next_and_flags & !FLAGS;
    if prev != 0 {
        let p = mem.object_mut::<RawSlot>(prev);
        p.next_and_flags = next | (p.next_and_flags & FLAGS);
    }
    if next != 0 {
        let n = mem.object_mut::<RawSlot>(next);
        n.prev = prev;
        n.next_and_flags |= next_and_flags & FIRST_BADGED;
    }
    *mem.object_mut::<RawSlot>(slot.0) = RawSlot {
        cap: [0, 0],
        prev: 0,
        next_and_flags: 0,
    };
}

/// Raw access for the invariant checker: the stored words of a slot.
pub fn raw_words(mem: &PhysMem<impl Ram>, slot: SlotRef) -> [u64; 4] {
    let raw = mem.object::<RawSlot>(slot.0);
    [raw.cap[0], raw.cap[1], raw.prev, raw.next_and_flags]
}
