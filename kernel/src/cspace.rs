//! CSpace addressing: guarded, multi-level resolution of a capability address
//! through CNodes, with seL4's exact lookup-failure reports.

use crate::cap::{self, Cap, CapWords};
use crate::error::SyscallError;
use crate::memory::PhysMem;
use crate::memory::Ram;
use crate::slot::{RawSlot, SlotMemory, SlotRef};
use selvm_abi::{LookupFault, WORD_BITS, Word};

/// Where a resolution stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved {
    /// The slot reached.
    pub slot: SlotRef,
    /// Address bits not consumed (the walk stopped at a non-CNode cap).
    pub bits_remaining: u32,
}

const fn mask(bits: u32) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1 << bits) - 1
    }
}

/// Resolves the low `n_bits` bits of `cptr` starting at the CNode cap `root`
/// (seL4's `resolveAddressBits`). Each level first matches the guard, then uses
/// `radix` bits as the slot index, and continues while bits remain and the slot
/// holds a CNode cap.
pub fn resolve_address_bits(
    mem: &PhysMem<impl Ram>,
    root: Cap,
    cptr: Word,
    mut n_bits: u32,
) -> Result<Resolved, LookupFault> {
    let Cap::CNode { .. } = root else {
        return Err(LookupFault::InvalidRoot);
    };
    let mut node = root;
    loop {
        let Cap::CNode {
            ptr,
            radix,
            guard_size,
            guard,
        } = node
        else {
            unreachable!("the loop only continues on CNode caps")
        };
        let (radix, guard_size) = (u32::from(radix), u32::from(guard_size));
        let level_bits = radix + guard_size;
        // seL4 reports the cap's guard as "guardFound" (the guard the walk
        // found in the CNode cap), with the guard size as "bitsFound". The
        // shift wraps as seL4's word arithmetic does when the guard is longer
        // than the bits left (that case is a mismatch either way).
        let shift = n_bits.wrapping_sub(guard_size) & (WORD_BITS - 1);
        let in_address = (cptr >> shift) & mask(guard_size);
        if guard_size > n_bits || in_address != guard {
            return Err(LookupFault::GuardMismatch {
                bits_left: n_bits.into(),
                guard_found: guard,
                bits_found: guard_size.into(),
            });
        }
        if level_bits > n_bits {
            return Err(LookupFault::DepthMismatch {
                bits_left: n_bits.into(),
                bits_found: level_bits.into(),
            });
        }
        let index = (cptr >> (n_bits - level_bits)) & mask(radix);
        let slot = SlotRef(ptr).offset(index);
        n_bits -= level_bits;
        if n_bits == 0 {
            return Ok(Resolved {
                slot,
                bits_remaining: 0,
            });
        }
        node = mem.cap(slot);
        if !matches!(node, Cap::CNode { .. }) {
            return Ok(Resolved {
                slot,
                bits_remaining: n_bits,
            });
        }
    }
}

/// The slot a syscall's capability address names (all 64 bits, stopping early at
/// a non-CNode cap), as seL4's `lookupSlot`.
pub fn lookup_slot(mem: &PhysMem<impl Ram>, root: Cap, cptr: Word) -> Result<SlotRef, LookupFault> {
    resolve_address_bits(mem, root, cptr, WORD_BITS).map(|r| r.slot)
}

/// [`lookup_slot`] from the stored words of the CSpace root's cap, on the stored
/// words of each CNode cap it meets, without decoding caps or calling anything (the
/// IPC fastpath's lookup, seL4's `lookup_fp`): the same walk as
/// [`resolve_address_bits`] over all 64 bits. `None` for any lookup failure.
#[inline(always)]
pub fn lookup_slot_from_words(
    mem: &PhysMem<impl Ram>,
    root: CapWords,
    cptr: Word,
) -> Option<SlotRef> {
    // One level resolving all 64 bits (guard size + radix = 64, as boot makes the
    // root CNode): the guard is the top `guard_size` bits, the index the rest.
    let (ptr, radix, guard_size, guard) = cap::cnode_fields(root)?;
    if radix + guard_size == WORD_BITS {
        return (cptr >> radix == guard).then(|| SlotRef(ptr).offset(cptr & mask(radix)));
    }
    let (mut node, mut bits) = (root, WORD_BITS);
    loop {
        let (ptr, radix, guard_size, guard) = cap::cnode_fields(node)?;
        let level = radix + guard_size;
        // The guard is the top `guard_size` of the bits left (shifts wrap as in
        // `resolve_address_bits`); then `radix` bits pick the slot.
        if level > bits || cptr.wrapping_shr(bits - guard_size) & mask(guard_size) != guard {
            return None;
        }
        bits -= level;
        let slot = SlotRef(ptr).offset(cptr.wrapping_shr(bits) & mask(radix));
        if bits == 0 {
            return Some(slot);
        }
        node = mem.object::<RawSlot>(slot.0).cap;
        if cap::cnode_fields(node).is_none() {
            return Some(slot);
        }
    }
}

/// The slot a CNode operation names by `(root, index, depth)`: the depth must be
/// 1..=64 and used up exactly (seL4's `lookupSlotForCNodeOp`).
pub fn lookup_for_cnode_op(
    mem: &PhysMem<impl Ram>,
    is_source: bool,
    root: Cap,
    index: Word,
    depth: Word,
) -> Result<SlotRef, SyscallError> {
    let failed = |fault| SyscallError::FailedLookup {
        was_source: is_source,
        fault,
    };
    if !matches!(root, Cap::CNode { .. }) {
        return Err(failed(LookupFault::InvalidRoot));
    }
    if !(1..=Word::from(WORD_BITS)).contains(&depth) {
        return Err(SyscallError::RangeError {
            min: 1,
            max: WORD_BITS.into(),
        });
    }
    let r = resolve_address_bits(mem, root, index, depth as u32).map_err(failed)?;
    if r.bits_remaining != 0 {
        return Err(failed(LookupFault::DepthMismatch {
            bits_left: r.bits_remaining.into(),
            bits_found: 0,
        }));
    }
    Ok(r.slot)
}

#[cfg(test)]
mod tests {
    use super::*;
    use selvm_abi::CapRights;

    const BASE: u64 = 0x1_0000;

    /// A root CNode at BASE (radix 4, guard `guard` of `guard_size` bits) whose slot
    /// 3 holds a second-level CNode (radix 3, guard 0b10 of 2 bits) at BASE + 0x400,
    /// whose slot 5 holds an endpoint; slot 7 of the root holds an endpoint too.
    fn two_levels(mem: &mut PhysMem<&mut [u64]>, guard_size: u8, guard: u64) -> Cap {
        let leaf = Cap::CNode {
            ptr: BASE + 0x400,
            radix: 3,
            guard_size: 2,
            guard: 0b10,
        };
        let ep = |ptr| Cap::Endpoint {
            ptr,
            badge: 0,
            rights: CapRights::ALL,
        };
        mem.set_cap(SlotRef(BASE).offset(3), leaf);
        mem.set_cap(SlotRef(BASE).offset(7), ep(BASE + 0x800));
        mem.set_cap(SlotRef(BASE + 0x400).offset(5), ep(BASE + 0x820));
        Cap::CNode {
            ptr: BASE,
            radix: 4,
            guard_size,
            guard,
        }
    }

    proptest::proptest! {
        /// The fastpath's lookup on stored words finds the slot the general walk
        /// finds, and fails where it fails, at every depth and on any address.
        #[test]
        fn the_word_lookup_agrees_with_the_general_walk(
            guard_size in 0u8..=60,
            guard_bits: u64,
            noise: u64,
            shape in 0usize..5,
        ) {
            let guard = guard_bits & mask(u32::from(guard_size));
            let mut words = [0u64; 1024];
            let mut mem = PhysMem::new(BASE, &mut words[..]).unwrap();
            let root = two_levels(&mut mem, guard_size, guard);
            let g = u32::from(guard_size);
            // `value` placed right after the guard, taking `bits` bits (0 past 64).
            let field = |value: u64, at: u32| 64u32.checked_sub(at).and_then(|s| value.checked_shl(s)).unwrap_or(0);
            let guarded = field(guard, g);
            let cptr = match shape {
                0 => guarded | field(7, g + 4),
                1 => guarded | field(3, g + 4) | field(0b10, g + 6) | field(5, g + 9),
                2 => guarded | field(3, g + 4) | field(0b01, g + 6) | field(5, g + 9),
                3 => guarded | field(9, g + 4) | (noise & 0xff),
                _ => noise,
            };
            let expected = lookup_slot(&mem, root, cptr).ok();
            // The addresses built to reach a slot reach it (the walk is exercised).
            match shape {
                0 if g + 4 <= 64 => proptest::prop_assert_eq!(expected, Some(SlotRef(BASE).offset(7))),
                1 if g + 9 <= 64 => proptest::prop_assert_eq!(expected, Some(SlotRef(BASE + 0x400).offset(5))),
                2 if g + 9 <= 64 => proptest::prop_assert_eq!(expected, None),
                _ => {}
            }
            proptest::prop_assert_eq!(lookup_slot_from_words(&mem, cap::encode(&root), cptr), expected);
        }
    }
}
