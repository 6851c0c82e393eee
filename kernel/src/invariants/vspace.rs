//! VSpace rules: the ASID table names exactly the live pools at their bases;
//! every assigned ASID names a page table whose cap records it as a root and
//! which holds the architecture's kernel entries (skipped by the walk);
//! walking every VSpace, each entry is canonical, each table entry leads to a
//! page table (reached once, never a root) whose cap records that place, and
//! each leaf maps a frame, aligned to its size, that a cap of matching size
//! records as mapped there with rights covering the entry's; a page table
//! with no mapped cap is all zero. Pools and VSpaces whose caps all sit in CNode
//! cycles nothing reaches (legal in seL4) cannot be audited beyond checking
//! that their memory holds no other object.

use super::Violation;
use super::discover::State;
use crate::arch::Arch;
use crate::arch::sv39::Pte;
use crate::cap::{Cap, VmRights};
use crate::memory::Ram;
use crate::memory::{PAddr, PhysMem};
use crate::vspace::{
    Asid, AsidTable, POOL_ENTRIES, PT_ENTRIES, TOP_LEVEL, USER_TOP, bits_left, frame_size_for_bits,
};
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;
use selvm_abi::object::ASID_POOL_INDEX_BITS;

/// Where a cap records its object mapped.
type Mapping = Option<(Asid, u64)>;

struct Index {
    /// Page table → the mappings its caps record.
    tables: BTreeMap<PAddr, Vec<Mapping>>,
    /// Frame base → (size bits, rights, mapping) of each cap.
    frames: BTreeMap<PAddr, Vec<(u32, VmRights, Mapping)>>,
}

fn index(s: &State) -> Index {
    let mut ix = Index {
        tables: BTreeMap::new(),
        frames: BTreeMap::new(),
    };
    for cap in s.caps.values() {
        match *cap {
            Cap::PageTable { ptr, mapping } => ix.tables.entry(ptr).or_default().push(mapping),
            Cap::Frame {
                ptr,
                size,
                rights,
                mapping,
                ..
            } => ix
                .frames
                .entry(ptr)
                .or_default()
                .push((size.bits(), rights, mapping)),
            _ => {}
        }
    }
    ix
}

pub fn check<A: Arch>(
    arch: &A,
    mem: &PhysMem<impl Ram>,
    asids: &AsidTable,
    s: &State,
) -> Result<(), Violation> {
    let ix = index(s);
    let bad = |what| Err(Violation::BadVspace(what));
    // Pools: the table and the live pool caps agree.
    for cap in s.caps.values() {
        if let Cap::AsidPool { ptr, asid_base } = *cap {
            if asid_base % POOL_ENTRIES as Asid != 0 || asids.pool_of(asid_base) != Some(ptr) {
                return bad("ASID pool cap not in the ASID table");
            }
        }
    }
    let mut seen = BTreeSet::new();
    let mut roots = BTreeSet::new();
    let mut vspaces = Vec::new();
    for (i, &pool) in asids.pools.iter().enumerate() {
        if pool == 0 {
            continue;
        }
        let base = (i as Asid) << ASID_POOL_INDEX_BITS;
        let has_cap = s.caps.values().any(|c| {
            *c == Cap::AsidPool {
                ptr: pool,
                asid_base: base,
            }
        });
        if !has_cap {
            return bad("ASID table names a pool with no cap");
        }
        for j in 0..POOL_ENTRIES {
            let root = mem.read(pool + 8 * j);
            if root == 0 {
                continue;
            }
            let asid = base + j as Asid;
            let recorded = ix
                .tables
                .get(&root)
                .is_some_and(|m| m.contains(&Some((asid, 0))));
            if asid == 0 || !roots.insert(root) {
                return bad("assigned ASID without a matching root page table cap");
            }
            if recorded {
                vspaces.push((asid, root));
            } else if ix.tables.contains_key(&root)
                || reused::<A>(s, root, |c| matches!(c, Cap::PageTable { .. }))
            {
                // Reachable caps to the table that do not record the ASID, or
                // its memory holding another object.
                return bad("assigned ASID without a matching root page table cap");
            }
            // Otherwise its caps are all in unreachable CNodes: not auditable.
        }
    }
    for &(asid, root) in &vspaces {
        let kernel_entry_differs = (A::KERNEL_ROOT_ENTRIES)
            .clone()
            .any(|i| mem.read(root + 8 * i as u64) != arch.kernel_root_entry(i));
        if kernel_entry_differs {
            return bad("VSpace root without the kernel's own entries");
        }
        walk::<A>(mem, &ix, &roots, &mut seen, asid, root, TOP_LEVEL, 0)?;
    }
    // A table no cap records as mapped is unreachable and must be empty.
    for (&pt, mappings) in &ix.tables {
        if mappings.iter().all(Option::is_none) && !mem.is_zero(pt, PT_ENTRIES * 8) {
            return bad("unmapped page table is not empty");
        }
    }
    Ok(())
}

/// Whether a discovered object other than an untyped or a `same_kind` cap
/// covers `addr` (the memory of an object whose caps discovery cannot see has
/// been handed to something else).
fn reused<A: Arch>(s: &State, addr: PAddr, same_kind: impl Fn(&Cap) -> bool) -> bool {
    s.caps.values().any(|c| match super::rules::extent::<A>(c) {
        Some((base, bits)) => {
            !matches!(c, Cap::Untyped { .. })
                && !same_kind(c)
                && base <= addr
                && addr - base < (1u64 << bits)
        }
        None => false,
    })
}

#[allow(clippy::too_many_arguments)]
fn walk<A: Arch>(
    mem: &PhysMem<impl Ram>,
    ix: &Index,
    roots: &BTreeSet<PAddr>,
    seen: &mut BTreeSet<PAddr>,
    asid: Asid,
    table: PAddr,
    level: u32,
    prefix: u64,
) -> Result<(), Violation> {
    let bad = |what| Err(Violation::BadVspace(what));
    for i in 0..PT_ENTRIES {
        let word = mem.read(table + 8 * i);
        let kernels = level == TOP_LEVEL && A::KERNEL_ROOT_ENTRIES.contains(&(i as usize));
        if word == 0 || kernels {
            continue;
        }
        let vaddr = prefix | (i << bits_left(level));
        let pte = Pte::decode(word);
        if pte.encode() != word || vaddr >= USER_TOP {
            return bad("non-canonical page-table entry or entry above the user range");
        }
        match pte {
            Pte::Invalid => {}
            Pte::Table(next) => {
                let covers = |m: &Option<(Asid, u64)>| matches!(*m, Some((a, v)) if a == asid && v >> bits_left(level) == vaddr >> bits_left(level));
                let recorded = ix.tables.get(&next).is_some_and(|m| m.iter().any(covers));
                if level == 0 || !recorded || roots.contains(&next) || !seen.insert(next) {
                    return bad("table entry to a page table not recorded there");
                }
                walk::<A>(mem, ix, roots, seen, asid, next, level - 1, vaddr)?;
            }
            Pte::Leaf {
                paddr,
                read,
                write,
                user,
                ..
            } => {
                let bits = bits_left(level);
                let ok_size = frame_size_for_bits(bits).is_some();
                let covered = ix.frames.get(&paddr).is_some_and(|caps| {
                    caps.iter().any(|&(b, rights, m)| {
                        b == bits
                            && m == Some((asid, vaddr))
                            && (!write || rights == VmRights::ReadWrite)
                            && (!read || rights != VmRights::KernelOnly)
                            && (!user || rights != VmRights::KernelOnly)
                    })
                });
                if !ok_size || paddr & ((1 << bits) - 1) != 0 || !covered {
                    return bad("leaf not backed by a frame cap mapped there");
                }
            }
        }
    }
    Ok(())
}
