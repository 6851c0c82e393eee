//! The rules over the discovered caps (see the parent module for the list).

use super::Violation;
use super::discover::State;
use crate::arch::Arch;
use crate::cap::{ARCH_KIND_BITS, Cap, TCB_CNODE_BITS, ZombieKind};
use crate::cdt;
use crate::memory::Ram;
use crate::memory::{PADDR_LIMIT, PhysMem};
use crate::slot::{SlotMemory, SlotRef};
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;
use selvm_abi::{MAX_UNTYPED_BITS, MIN_UNTYPED_BITS, WORD_BITS};

pub fn check<A: Arch>(mem: &PhysMem<impl Ram>, s: &State) -> Result<(), Violation> {
    for (&slot, cap) in &s.caps {
        check_fields::<A>(mem, slot, cap)?;
    }
    check_links(mem, s)?;
    check_objects::<A>(mem, s)?;
    check_zombie_slots::<A>(s)?;
    check_untypeds::<A>(mem, s)
}

/// The whole object a cap names, `(base, log2 size)`: its region, except that a
/// thread cap's (and a TCB zombie's) is the whole TCB of architecture `A`, not
/// only its capability region (see `Cap::region`).
pub(super) fn extent<A: Arch>(cap: &Cap) -> Option<(u64, u32)> {
    let (base, bits) = cap.region()?;
    let tcb = matches!(
        cap,
        Cap::Thread { .. }
            | Cap::Zombie {
                kind: ZombieKind::Tcb,
                ..
            }
    );
    debug_assert!(!tcb || bits == TCB_CNODE_BITS);
    Some((base, if tcb { A::CONFIG.tcb_bits } else { bits }))
}

fn check_fields<A: Arch>(
    mem: &PhysMem<impl Ram>,
    slot: SlotRef,
    cap: &Cap,
) -> Result<(), Violation> {
    let bad = match *cap {
        Cap::CNode {
            radix,
            guard_size,
            guard,
            ..
        } => {
            radix == 0
                || u32::from(radix) + u32::from(guard_size) > WORD_BITS
                || (guard_size < 64 && guard >> guard_size != 0)
        }
        Cap::Untyped {
            size_bits,
            watermark,
            ..
        } => {
            !(MIN_UNTYPED_BITS..=MAX_UNTYPED_BITS).contains(&u32::from(size_bits))
                || watermark > 1 << size_bits
                || watermark % 16 != 0
        }
        Cap::Zombie {
            kind, remaining, ..
        } => remaining > kind.slots(A::TCB_CNODE_ENTRIES),
        Cap::Arch(c) => !A::cap_is_valid(c),
        _ => false,
    };
    if bad {
        return Err(Violation::BadFields(slot));
    }
    let Some((base, bits)) = extent::<A>(cap) else {
        return Ok(());
    };
    let size = 1u64 << bits;
    if base & (size - 1) != 0 {
        return Err(Violation::Misaligned(slot));
    }
    let device = matches!(
        cap,
        Cap::Untyped {
            is_device: true,
            ..
        } | Cap::Frame {
            is_device: true,
            ..
        }
    );
    let ok = if device {
        base + size <= PADDR_LIMIT && (base + size <= mem.base() || base >= mem.end())
    } else {
        mem.contains(base, size)
    };
    if ok {
        Ok(())
    } else {
        Err(Violation::OutsideMemory(slot))
    }
}

fn check_links(mem: &PhysMem<impl Ram>, s: &State) -> Result<(), Violation> {
    let mut heads = Vec::new();
    for &slot in s.caps.keys() {
        let node = mem.mdb(slot);
        if node.next.is_some_and(|n| mem.mdb(n).prev != Some(slot))
            || node.prev.is_some_and(|p| mem.mdb(p).next != Some(slot))
        {
            return Err(Violation::AsymmetricLink(slot));
        }
        if node.prev.is_none() {
            heads.push(slot);
        }
    }
    let mut seen = BTreeSet::new();
    // Caps to one object must form one run along one list (finality looks only
    // at neighbours), so a run once ended may never be met again, in any list.
    let mut finished: Vec<SlotRef> = Vec::new();
    for head in heads {
        let mut run_start: Option<SlotRef> = None;
        let mut cur = Some(head);
        while let Some(slot) = cur {
            if !seen.insert(slot) {
                return Err(Violation::CdtCycle(slot));
            }
            let cap = s.caps[&slot];
            let same_as_run = run_start.is_some_and(|r| s.caps[&r].same_object_as(&cap));
            if !same_as_run {
                finished.extend(run_start);
                if finished.iter().any(|r| s.caps[r].same_object_as(&cap)) {
                    return Err(Violation::ObjectNotContiguous(slot));
                }
                run_start = Some(slot);
            }
            cur = mem.mdb(slot).next;
        }
        finished.extend(run_start);
    }
    if let Some(&lost) = s.caps.keys().find(|slot| !seen.contains(slot)) {
        return Err(Violation::CdtCycle(lost));
    }
    Ok(())
}

/// Object identity for overlap checks: extent plus a kind that must agree.
fn object_key<A: Arch>(cap: &Cap) -> Option<(u64, u32, u8)> {
    let kind = match cap {
        Cap::CNode { .. }
        | Cap::Zombie {
            kind: ZombieKind::CNode { .. },
            ..
        } => 1,
        Cap::Thread { .. }
        | Cap::Zombie {
            kind: ZombieKind::Tcb,
            ..
        } => 8,
        Cap::Endpoint { .. } => 2,
        Cap::Notification { .. } => 3,
        Cap::Frame {
            is_device: false, ..
        } => 4,
        Cap::Frame {
            is_device: true, ..
        } => 5,
        Cap::PageTable { .. } => 6,
        Cap::AsidPool { .. } => 7,
        // Each architecture kind its own (after the portable ones).
        Cap::Arch(c) => 9 + c.kind,
        _ => return None,
    };
    extent::<A>(cap).map(|(b, bits)| (b, bits, kind))
}

const _: () = assert!(9 + (1u32 << ARCH_KIND_BITS) <= u8::MAX as u32);

fn check_objects<A: Arch>(_mem: &PhysMem<impl Ram>, s: &State) -> Result<(), Violation> {
    let mut objects: BTreeMap<(u64, u32, u8), SlotRef> = BTreeMap::new();
    let mut zombies: BTreeMap<u64, SlotRef> = BTreeMap::new();
    for (&slot, cap) in &s.caps {
        if let Cap::Zombie { ptr, .. } = cap {
            if zombies.insert(*ptr, slot).is_some() {
                return Err(Violation::BadZombie(slot));
            }
        }
        if let Some(key) = object_key::<A>(cap) {
            objects.entry(key).or_insert(slot);
        }
    }
    for (&slot, cap) in &s.caps {
        let shares_zombie_object = match cap {
            Cap::CNode { ptr, .. } | Cap::Thread { tcb: ptr } => zombies.contains_key(ptr),
            _ => false,
        };
        if shares_zombie_object {
            return Err(Violation::BadZombie(slot));
        }
    }
    let list: Vec<_> = objects.iter().collect();
    for pair in list.windows(2) {
        let (&(a, a_bits, _), &a_slot) = pair[0];
        let (&(b, _, _), &b_slot) = pair[1];
        if b < a + (1u64 << a_bits) {
            return Err(Violation::Overlap(a_slot, b_slot));
        }
    }
    Ok(())
}

/// The object a cap names as `(base, end)`; `None` when it names none.
fn span<A: Arch>(cap: &Cap) -> Option<(u64, u64)> {
    extent::<A>(cap).map(|(b, bits)| (b, b + (1u64 << bits)))
}

fn descendants_of(mem: &PhysMem<impl Ram>, slot: SlotRef) -> BTreeSet<SlotRef> {
    let mut out = BTreeSet::new();
    let mut cur = mem.mdb(slot).next;
    while let Some(n) = cur {
        if !cdt::is_parent_of(mem, slot, n) {
            break;
        }
        out.insert(n);
        cur = mem.mdb(n).next;
    }
    out
}

/// Untyped rules: free memory is zero; every other region is nested in it or
/// disjoint from it; what lies inside sits below its watermark and is its CDT
/// descendant; a whole-region copy below it keeps it full.
fn check_untypeds<A: Arch>(mem: &PhysMem<impl Ram>, s: &State) -> Result<(), Violation> {
    let untypeds: Vec<(SlotRef, Cap)> = s
        .caps
        .iter()
        .filter(|(_, c)| matches!(c, Cap::Untyped { .. }))
        .map(|(&k, &c)| (k, c))
        .collect();
    let descendants: BTreeMap<SlotRef, BTreeSet<SlotRef>> = untypeds
        .iter()
        .map(|&(slot, _)| (slot, descendants_of(mem, slot)))
        .collect();
    for &(u_slot, u) in &untypeds {
        let Cap::Untyped {
            ptr,
            size_bits,
            is_device,
            watermark,
        } = u
        else {
            continue;
        };
        let end = ptr + (1u64 << size_bits);
        if !is_device && !mem.is_zero(ptr + watermark, end - (ptr + watermark)) {
            return Err(Violation::DirtyFreeMemory(u_slot));
        }
        let below = &descendants[&u_slot];
        for (&o_slot, o) in &s.caps {
            let Some((b, o_end)) = span::<A>(o) else {
                continue;
            };
            if o_slot == u_slot || o_end <= ptr || b >= end {
                continue;
            }
            let o_is_untyped = matches!(o, Cap::Untyped { .. });
            if b < ptr || o_end > end {
                // Only an untyped may contain this one; nothing may straddle it.
                if o_is_untyped && b <= ptr && end <= o_end {
                    continue;
                }
                return Err(Violation::Overlap(o_slot, u_slot));
            }
            let same_region = o_is_untyped && b == ptr && o_end == end;
            if same_region {
                let above = descendants
                    .get(&o_slot)
                    .is_some_and(|d| d.contains(&u_slot));
                if below.contains(&o_slot) && watermark != end - ptr {
                    return Err(Violation::AboveWatermark {
                        object: o_slot,
                        untyped: u_slot,
                    });
                }
                if !below.contains(&o_slot) && !above {
                    return Err(Violation::NotDescendant {
                        object: o_slot,
                        untyped: u_slot,
                    });
                }
                continue;
            }
            if o_end > ptr + watermark {
                return Err(Violation::AboveWatermark {
                    object: o_slot,
                    untyped: u_slot,
                });
            }
            if !below.contains(&o_slot) {
                return Err(Violation::NotDescendant {
                    object: o_slot,
                    untyped: u_slot,
                });
            }
        }
    }
    Ok(())
}

/// A zombie has cleared its object's slots from `remaining` up: only zombies
/// (the one being deleted, parked in a cycle) may remain there.
fn check_zombie_slots<A: Arch>(s: &State) -> Result<(), Violation> {
    for cap in s.caps.values() {
        let Cap::Zombie {
            ptr,
            kind,
            remaining,
        } = *cap
        else {
            continue;
        };
        for i in remaining..kind.slots(A::TCB_CNODE_ENTRIES) {
            let slot = SlotRef(ptr).offset(i);
            if let Some(c) = s.caps.get(&slot) {
                if !matches!(c, Cap::Zombie { .. }) {
                    return Err(Violation::BadZombie(slot));
                }
            }
        }
    }
    Ok(())
}
