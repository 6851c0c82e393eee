//! The capability derivation tree (seL4's MDB): a doubly linked list of slots in
//! which every cap's descendants follow it contiguously. `is_parent_of` decides
//! where one cap's subtree ends; caps to the same object are neighbours, so
//! finality is a look at the two neighbours.

use crate::cap::Cap;
use crate::memory::Ram;
use crate::memory::{PAddr, PhysMem};
use crate::slot::{MdbNode, RawSlot, SlotMemory, SlotRef};

/// seL4's `isMDBParentOf`: whether `b` is a descendant of `a`, given that `b`
/// follows `a` in the list.
pub fn is_parent_of(mem: &PhysMem<impl Ram>, a: SlotRef, b: SlotRef) -> bool {
    let a_node = mem.mdb(a);
    if !a_node.revocable {
        return false;
    }
    let (a_cap, b_cap) = (mem.cap(a), mem.cap(b));
    if !a_cap.same_region_as(&b_cap) {
        return false;
    }
    match a_cap {
        Cap::Endpoint { badge, .. } | Cap::Notification { badge, .. } if badge != 0 => {
            badge == b_cap.badge() && !mem.mdb(b).first_badged
        }
        _ => true,
    }
}

/// Whether the cap in `slot` has CDT children.
pub fn has_children(mem: &PhysMem<impl Ram>, slot: SlotRef) -> bool {
    mem.mdb(slot)
        .next
        .is_some_and(|next| is_parent_of(mem, slot, next))
}

/// seL4's `isFinalCapability`: no other cap names the same object.
pub fn is_final(mem: &PhysMem<impl Ram>, slot: SlotRef) -> bool {
    let node = mem.mdb(slot);
    let cap = mem.cap(slot);
    let same = |other: Option<SlotRef>| other.is_some_and(|o| mem.cap(o).same_object_as(&cap));
    !same(node.prev) && !same(node.next)
}

fn set_next(mem: &mut PhysMem<impl Ram>, slot: Option<SlotRef>, next: Option<SlotRef>) {
    if let Some(s) = slot {
        let node = mem.mdb(s);
        mem.set_mdb(s, MdbNode { next, ..node });
    }
}

fn set_prev(mem: &mut PhysMem<impl Ram>, slot: Option<SlotRef>, prev: Option<SlotRef>) {
    if let Some(s) = slot {
        let node = mem.mdb(s);
        mem.set_mdb(s, MdbNode { prev, ..node });
    }
}

/// seL4's `cteInsert`: put `cap`, derived from the cap in `src`, into the empty
/// slot `dest` right after `src` in the list.
pub fn insert_derived(mem: &mut PhysMem<impl Ram>, cap: Cap, src: SlotRef, dest: SlotRef) {
    if cfg!(feature = "mutation-cdt-parent") {
        insert_original(mem, dest, cap);
        return;
    }
    let src_cap = mem.cap(src);
    let revocable = cap.is_revocable_from(&src_cap);
    // A child untyped covering its whole parent leaves nothing to retype there.
    if let (
        Cap::Untyped {
            ptr: p,
            size_bits: ps,
            is_device,
            ..
        },
        Cap::Untyped {
            ptr: c,
            size_bits: cs,
            ..
        },
    ) = (src_cap, cap)
    {
        if p == c && ps == cs {
            mem.set_cap(
                src,
                Cap::Untyped {
                    ptr: p,
                    size_bits: ps,
                    is_device,
                    watermark: 1 << ps,
                },
            );
        }
    }
    crate::slot::link_child(mem, crate::cap::encode(&cap), src, dest, revocable);
}

/// [`insert_derived`] of a non-master reply cap to thread `tcb` from its master
/// reply cap (`src`) on the IPC fastpath: the same words, written without
/// decoding the master or building a [`Cap`].
#[inline]
pub fn insert_reply(
    mem: &mut PhysMem<impl Ram>,
    tcb: PAddr,
    can_grant: bool,
    src: SlotRef,
    dest: SlotRef,
) {
    if cfg!(feature = "mutation-cdt-parent") {
        let reply = Cap::Reply {
            tcb,
            master: false,
            can_grant,
        };
        insert_derived(mem, reply, src, dest);
        return;
    }
    let words = crate::cap::reply_words(tcb, false, can_grant);
    crate::slot::link_child(mem, words, src, dest, false);
}

/// seL4's `insertNewCap`: a new object's cap goes right after its untyped parent.
pub fn insert_new(mem: &mut PhysMem<impl Ram>, parent: SlotRef, slot: SlotRef, cap: Cap) {
    crate::slot::link_child(mem, crate::cap::encode(&cap), parent, slot, true);
}

/// Places `cap` in an empty slot as an original with no CDT relatives (boot caps).
pub fn insert_original(mem: &mut PhysMem<impl Ram>, slot: SlotRef, cap: Cap) {
    mem.set_cap(slot, cap);
    mem.set_mdb(
        slot,
        MdbNode {
            prev: None,
            next: None,
            revocable: true,
            first_badged: true,
        },
    );
}

/// seL4's `cteMove`: `src`'s CDT position moves to the empty `dest`, holding `cap`.
pub fn move_cap(mem: &mut PhysMem<impl Ram>, cap: Cap, src: SlotRef, dest: SlotRef) {
    let node = mem.mdb(src);
    mem.set_cap(src, Cap::Null);
    mem.set_mdb(src, MdbNode::default());
    mem.set_cap(dest, cap);
    mem.set_mdb(dest, node);
    set_next(mem, node.prev, Some(dest));
    set_prev(mem, node.next, Some(dest));
}

/// seL4's `cteSwap`: exchange two slots' caps (as `cap1` → slot2, `cap2` → slot1)
/// and their CDT positions.
pub fn swap(mem: &mut PhysMem<impl Ram>, cap1: Cap, slot1: SlotRef, cap2: Cap, slot2: SlotRef) {
    let (n1, n2) = (mem.mdb(slot1), mem.mdb(slot2));
    mem.set_cap(slot1, cap2);
    mem.set_cap(slot2, cap1);
    // Re-point the neighbours, taking care when the two slots are neighbours.
    let fix = |s: Option<SlotRef>| match s {
        Some(x) if x == slot1 => Some(slot2),
        Some(x) if x == slot2 => Some(slot1),
        other => other,
    };
    let new1 = MdbNode {
        prev: fix(n2.prev),
        next: fix(n2.next),
        ..n2
    };
    let new2 = MdbNode {
        prev: fix(n1.prev),
        next: fix(n1.next),
        ..n1
    };
    mem.set_mdb(slot1, new1);
    mem.set_mdb(slot2, new2);
    set_next(mem, new1.prev.filter(|&p| p != slot2), Some(slot1));
    set_prev(mem, new1.next.filter(|&n| n != slot2), Some(slot1));
    set_next(mem, new2.prev.filter(|&p| p != slot1), Some(slot2));
    set_prev(mem, new2.next.filter(|&n| n != slot1), Some(slot2));
}

/// seL4's `emptySlot` (the CDT part): unlink `slot` and clear it. Its children
/// become children of its parent; a first-badged flag passes to the next node.
pub fn remove(mem: &mut PhysMem<impl Ram>, slot: SlotRef) {
    if crate::cap::is_null_words(mem.object::<RawSlot>(slot.0).cap) {
        return;
    }
    crate::slot::unlink(mem, slot);
}
