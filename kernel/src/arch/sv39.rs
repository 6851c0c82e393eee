//! Sv39-style page-table entries: the format of riscv64's page tables, which
//! the vm architecture's page tables share. Pure encode/decode; the VSpace layer
//! builds page tables from them.

use crate::memory::PAddr;

/// Page-table levels of Sv39.
pub const LEVELS: u32 = 3;
/// Index bits per level (512 entries of 8 bytes per 4 KiB table).
pub const INDEX_BITS: u32 = 9;
/// Bits of virtual address translated (39).
pub const VADDR_BITS: u32 = 12 + LEVELS * INDEX_BITS;

const V: u64 = 1 << 0;
const R: u64 = 1 << 1;
const W: u64 = 1 << 2;
const X: u64 = 1 << 3;
const U: u64 = 1 << 4;
const G: u64 = 1 << 5;
const A: u64 = 1 << 6;
const D: u64 = 1 << 7;
const PPN_SHIFT: u32 = 10;
const PPN_BITS: u32 = 44;

/// A decoded page-table entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pte {
    /// Not valid.
    Invalid,
    /// Points at the next-level page table at this physical address.
    Table(PAddr),
    /// Maps a page at this physical address with these permissions.
    Leaf {
        /// Physical address of the page.
        paddr: PAddr,
        /// Readable.
        read: bool,
        /// Writable.
        write: bool,
        /// Executable.
        execute: bool,
        /// Accessible from user mode.
        user: bool,
        /// Global mapping.
        global: bool,
    },
}

impl Pte {
    /// The 64-bit entry. Leaves are written with Accessed and Dirty set (seL4
    /// does the same, so hardware never needs to update them).
    pub const fn encode(self) -> u64 {
        const fn ppn(pa: PAddr) -> u64 {
            ((pa >> 12) & ((1 << PPN_BITS) - 1)) << PPN_SHIFT
        }
        const fn flag(b: bool, f: u64) -> u64 {
            if b { f } else { 0 }
        }
        match self {
            Pte::Invalid => 0,
            Pte::Table(pa) => ppn(pa) | V,
            Pte::Leaf {
                paddr,
                read,
                write,
                execute,
                user,
                global,
            } => {
                ppn(paddr)
                    | V
                    | A
                    | D
                    | flag(read, R)
                    | flag(write, W)
                    | flag(execute, X)
                    | flag(user, U)
                    | flag(global, G)
            }
        }
    }

    /// Decodes an entry; reserved encodings (write without read) read as invalid.
    pub const fn decode(word: u64) -> Pte {
        if word & V == 0 {
            return Pte::Invalid;
        }
        let paddr = ((word >> PPN_SHIFT) & ((1 << PPN_BITS) - 1)) << 12;
        let (read, write, execute) = (word & R != 0, word & W != 0, word & X != 0);
        if !read && !write && !execute {
            return Pte::Table(paddr);
        }
        if write && !read {
            return Pte::Invalid;
        }
        Pte::Leaf {
            paddr,
            read,
            write,
            execute,
            user: word & U != 0,
            global: word & G != 0,
        }
    }
}

/// Index into the table at `level` (2 = top, 0 = last) for `vaddr`.
pub const fn index(vaddr: u64, level: u32) -> usize {
    ((vaddr >> (12 + level * INDEX_BITS)) & ((1 << INDEX_BITS) - 1)) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_and_leaf_round_trip() {
        for pa in [0u64, 0x8000_0000, 0x3f_ffff_f000, (1 << 56) - 4096] {
            assert_eq!(Pte::decode(Pte::Table(pa).encode()), Pte::Table(pa));
            for bits in 0..32u32 {
                let (read, write, execute) = (bits & 1 != 0, bits & 2 != 0, bits & 4 != 0);
                let leaf = Pte::Leaf {
                    paddr: pa,
                    read: read || write || !execute,
                    write,
                    execute,
                    user: bits & 8 != 0,
                    global: bits & 16 != 0,
                };
                assert_eq!(Pte::decode(leaf.encode()), leaf, "{leaf:?}");
            }
        }
    }

    #[test]
    fn encoding_matches_the_privileged_spec() {
        let leaf = Pte::Leaf {
            paddr: 0x8020_3000,
            read: true,
            write: true,
            execute: false,
            user: true,
            global: false,
        };
        // PPN 0x80203 at bit 10; D A U W R V = 0b1101_0111.
        assert_eq!(leaf.encode(), (0x80203 << 10) | 0xd7);
        assert_eq!(Pte::Table(0x8000_1000).encode(), (0x80001 << 10) | 1);
        assert_eq!(Pte::decode(0), Pte::Invalid);
        assert_eq!(Pte::decode(W | V), Pte::Invalid, "write-only is reserved");
        assert_eq!(Pte::decode((5 << 10) | 0b1110), Pte::Invalid, "not valid");
    }

    #[test]
    fn indices_split_a_virtual_address() {
        let va = (3 << 30) | (5 << 21) | (7 << 12) | 0x123;
        assert_eq!((index(va, 2), index(va, 1), index(va, 0)), (3, 5, 7));
        assert_eq!(VADDR_BITS, 39);
    }
}
