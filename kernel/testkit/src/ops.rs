//! Random operations over a CSpace, as `arbitrary` values. Operands are not raw
//! addresses but *selectors* the executor resolves against the current state
//! (an existing CNode as root, a walk through non-empty slots, occasionally a
//! deliberately garbled depth or index), so most operations reach the object
//! and a meaningful share succeed, while every error path stays reachable.

use arbitrary::Arbitrary;

/// Selects a slot address `(root cptr, index, depth)`.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Addr {
    /// Which CNode cap of the root CNode is the root.
    pub root: u8,
    /// Slot choice per level: bit 7 asks for a non-empty slot.
    pub path: [u8; 3],
    /// How many levels to walk (1..=3).
    pub levels: u8,
    /// Below 24: garble the depth or index (to exercise lookup errors).
    pub garble: u8,
}

/// Cap data for Mint and Mutate.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Data {
    /// A small badge.
    Badge(u8),
    /// A CNode guard: size `size % 5`, value `value`.
    Guard {
        /// Guard size selector.
        size: u8,
        /// Guard value.
        value: u8,
    },
    /// Any word.
    Raw(u64),
}

/// One random operation.
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// UntypedRetype.
    Retype {
        /// Which untyped of the root CNode.
        untyped: u8,
        /// Object type selector (some invalid).
        ty: u8,
        /// Size selector.
        size: u8,
        /// Destination CNode (depth 0 when `dest.levels` is 0 mod 4).
        dest: Addr,
        /// Offset selector.
        offset: u8,
        /// Object count selector.
        count: u8,
    },
    /// CNode Copy.
    Copy {
        /// Destination.
        dest: Addr,
        /// Source.
        src: Addr,
        /// Rights word.
        rights: u8,
    },
    /// CNode Mint.
    Mint {
        /// Destination.
        dest: Addr,
        /// Source.
        src: Addr,
        /// Rights word.
        rights: u8,
        /// Badge or guard.
        data: Data,
    },
    /// CNode Move.
    Move {
        /// Destination.
        dest: Addr,
        /// Source.
        src: Addr,
    },
    /// CNode Mutate.
    Mutate {
        /// Destination.
        dest: Addr,
        /// Source.
        src: Addr,
        /// Guard (badges are refused).
        data: Data,
    },
    /// CNode Rotate.
    Rotate {
        /// Destination.
        dest: Addr,
        /// Pivot.
        pivot: Addr,
        /// Source (equal to dest when `same` is even).
        src: Addr,
        /// Use dest as the source (a swap).
        same: bool,
        /// Data for the cap moved to dest.
        dest_data: Data,
        /// Data for the cap moved to the pivot.
        pivot_data: Data,
    },
    /// CNode Delete.
    Delete(Addr),
    /// CNode Revoke.
    Revoke(Addr),
    /// CNode CancelBadgedSends.
    CancelBadgedSends(Addr),
    /// CNode SaveCaller.
    SaveCaller(Addr),
    /// Any message to any address.
    Raw {
        /// Invoked address.
        cptr: u16,
        /// Label.
        label: u8,
        /// Message registers (length is `len % 9`).
        mrs: [u64; 8],
        /// Length selector.
        len: u8,
        /// Extra caps' addresses (count is `extra_count % 4`).
        extra: [u16; 3],
        /// Extra cap count selector.
        extra_count: u8,
    },
}

impl Op {
    /// The name used in histograms.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Retype { .. } => "retype",
            Op::Copy { .. } => "copy",
            Op::Mint { .. } => "mint",
            Op::Move { .. } => "move",
            Op::Mutate { .. } => "mutate",
            Op::Rotate { .. } => "rotate",
            Op::Delete(_) => "delete",
            Op::Revoke(_) => "revoke",
            Op::CancelBadgedSends(_) => "cancel_badged_sends",
            Op::SaveCaller(_) => "save_caller",
            Op::Raw { .. } => "raw",
        }
    }

    /// Decodes operations from fuzzer or property-test bytes until they run out.
    pub fn sequence(bytes: &[u8], max: usize) -> Vec<Op> {
        let mut u = arbitrary::Unstructured::new(bytes);
        let mut ops = Vec::new();
        while ops.len() < max {
            match Op::arbitrary(&mut u) {
                Ok(op) => ops.push(op),
                Err(_) => break,
            }
            if u.is_empty() {
                break;
            }
        }
        ops
    }
}

/// `n` deterministic pseudo-random bytes from `state` (a 64-bit LCG, advanced
/// in place): reproducible operation sequences for tests and the self-test.
pub fn lcg_bytes(state: &mut u64, n: usize) -> Vec<u8> {
    (0..n)
        .map(|_| {
            *state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (*state >> 33) as u8
        })
        .collect()
}
