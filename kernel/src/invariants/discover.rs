//! Finds every cap the kernel holds: the slots of every live CNode and TCB,
//! starting from the boot objects and following caps and CDT links.

use super::{Census, Violation};
use crate::cap::{self, Cap, ZombieKind};
use crate::memory::PAddr;
use crate::memory::PhysMem;
use crate::memory::Ram;
use crate::slot::{SlotMemory, SlotRef, raw_words};
use crate::state::BootObjects;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;
use selvm_abi::{MAX_UNTYPED_BITS, object::SLOT_BITS};

/// Everything the rules look at.
pub struct State {
    /// Non-empty slots and their caps.
    pub caps: BTreeMap<SlotRef, Cap>,
    /// Live containers: base address → slot count.
    pub containers: BTreeMap<PAddr, u64>,
}

impl State {
    pub fn census(&self) -> Census {
        Census {
            caps: self.caps.len(),
            containers: self.containers.len(),
            untypeds: self
                .caps
                .values()
                .filter(|c| matches!(c, Cap::Untyped { .. }))
                .count(),
            zombies: self
                .caps
                .values()
                .filter(|c| matches!(c, Cap::Zombie { .. }))
                .count(),
        }
    }

    /// Whether `slot` is one of the slots of a live container.
    pub fn in_container(&self, slot: SlotRef) -> bool {
        self.containers
            .range(..=slot.0)
            .next_back()
            .is_some_and(|(&base, &n)| slot.0 < base + n * 32 && (slot.0 - base) % 32 == 0)
    }
}

/// Largest CNode radix a retype can produce (an object of at most 38 bits).
pub const MAX_RADIX: u8 = (MAX_UNTYPED_BITS - SLOT_BITS) as u8;

/// The slots a cap makes live: `(base, count)`, a TCB's `tcb_slots` (its
/// architecture's `TCB_CNODE_ENTRIES`); a radix no retype can produce is a
/// broken field, reported before anything computes with it.
fn container_of(
    slot: SlotRef,
    cap: &Cap,
    tcb_slots: u64,
) -> Result<Option<(PAddr, u64)>, Violation> {
    let cnode_radix = match *cap {
        Cap::CNode { radix, .. } => Some(radix),
        Cap::Zombie {
            kind: ZombieKind::CNode { radix },
            ..
        } => Some(radix),
        _ => None,
    };
    if cnode_radix.is_some_and(|r| r > MAX_RADIX) {
        return Err(Violation::BadFields(slot));
    }
    Ok(match *cap {
        Cap::CNode { ptr, radix, .. } => Some((ptr, 1 << radix)),
        Cap::Zombie {
            ptr,
            kind: ZombieKind::CNode { radix },
            ..
        } => Some((ptr, 1 << radix)),
        Cap::Thread { tcb: ptr }
        | Cap::Zombie {
            ptr,
            kind: ZombieKind::Tcb,
            ..
        } => Some((ptr, tcb_slots)),
        _ => None,
    })
}

pub fn discover(
    mem: &PhysMem<impl Ram>,
    boot: BootObjects,
    tcb_slots: u64,
) -> Result<State, Violation> {
    let mut state = State {
        caps: BTreeMap::new(),
        containers: BTreeMap::new(),
    };
    let mut todo: Vec<(PAddr, u64)> = Vec::from([
        (boot.root_cnode.0, 1u64 << boot.root_radix),
        (boot.root_tcb, tcb_slots),
        (boot.irq_node.0, boot.irq_count),
    ]);
    let mut linked: BTreeSet<SlotRef> = BTreeSet::new();
    loop {
        while let Some((base, n)) = todo.pop() {
            if state.containers.contains_key(&base) {
                continue;
            }
            state.containers.insert(base, n);
            for i in 0..n {
                let slot = SlotRef(base).offset(i);
                let words = raw_words(mem, slot);
                let cap = cap::decode([words[0], words[1]]);
                if cap::encode(&cap) != [words[0], words[1]] {
                    return Err(Violation::NonCanonicalCap(slot));
                }
                if cap.is_null() {
                    if words[2] != 0 || words[3] != 0 {
                        return Err(Violation::EmptySlotLinked(slot));
                    }
                    continue;
                }
                if let Some((b, count)) = container_of(slot, &cap, tcb_slots)? {
                    if !mem.contains(b, count * 32) || b % 32 != 0 {
                        return Err(Violation::OutsideMemory(slot));
                    }
                    todo.push((b, count));
                }
                let node = mem.mdb(slot);
                linked.extend(node.prev);
                linked.extend(node.next);
                state.caps.insert(slot, cap);
            }
        }
        // CDT links into containers not yet found (a cycle of CNodes holding
        // each other's last caps is reachable only this way): read the linked
        // slots' caps and links to learn of more containers.
        let unknown: Vec<SlotRef> = linked
            .iter()
            .copied()
            .filter(|&s| !state.caps.contains_key(&s) && !state.in_container(s))
            .collect();
        let mut grew = false;
        for slot in unknown {
            if slot.0 % 32 != 0 || !mem.contains(slot.0, 32) {
                return Err(Violation::DanglingLink(slot));
            }
            let node = mem.mdb(slot);
            for n in [node.prev, node.next].into_iter().flatten() {
                grew |= linked.insert(n);
            }
            if let Some((b, count)) = container_of(slot, &mem.cap(slot), tcb_slots)? {
                if mem.contains(b, count * 32) && !state.containers.contains_key(&b) {
                    todo.push((b, count));
                    grew = true;
                }
            }
        }
        if !grew {
            break;
        }
    }
    for &slot in &linked {
        if state.caps.contains_key(&slot) {
            continue;
        }
        // A slot of a CNode no cap names any more (it may hold its own only
        // cap, its untyped deleted): garbage seL4 allows, reachable only
        // through the derivation tree. Its caps must still be real caps.
        if !state.in_container(slot) {
            let words = raw_words(mem, slot);
            let cap = cap::decode([words[0], words[1]]);
            if !cap.is_null() && cap::encode(&cap) == [words[0], words[1]] {
                state.caps.insert(slot, cap);
                continue;
            }
        }
        return Err(Violation::DanglingLink(slot));
    }
    Ok(state)
}
