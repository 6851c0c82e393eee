//! Physical memory: the one region the platform hands the kernel, addressed by
//! physical address.
//!
//! Hosted platforms pass a host allocation and a fixed physical base; bare metal
//! passes its RAM. Kernel objects live at the physical addresses their Untyped
//! retype gave them, and no host pointer is ever stored in kernel memory: a
//! physical address is turned into a host location only here, for the length
//! of one borrow.

mod split;
mod typed;

pub use split::{SplitMem, WordSource};
pub(crate) use typed::word_struct;
pub use typed::{Prefixed, WordField, WordStruct, word_field};

/// A physical address.
pub type PAddr = u64;

/// Smallest alignment the platform must give the region's physical base.
pub const REGION_ALIGN_BITS: u32 = 12;

/// Why a region cannot be used as physical memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionError {
    /// The physical base is not aligned to 4 KiB.
    MisalignedBase(PAddr),
    /// The region is empty or not a whole number of 4 KiB pages.
    BadLength(u64),
    /// Base plus length overflows the physical address space the caps can name.
    TooHigh(PAddr),
}

/// Highest physical address (exclusive) that a capability can name.
pub const PADDR_LIMIT: u64 = 1 << 48;

/// Storage for physical memory: anything that is its words — a borrowed slice (the
/// kernel's tests, bare metal's RAM) or an owned allocation (`Box<[u64]>`, `Vec<u64>`:
/// a hosted machine that owns its memory and can be moved between threads or held by
/// a browser binding). The kernel itself never allocates; it only keeps what it is
/// given, and every access is a slice access either way.
pub trait Ram: core::ops::DerefMut<Target = [u64]> {}

impl<T: core::ops::DerefMut<Target = [u64]>> Ram for T {}

/// The kernel's physical memory: words `[base, base + 8 * words.len())`.
pub struct PhysMem<R: Ram> {
    base: PAddr,
    words: R,
}

impl<R: Ram> PhysMem<R> {
    /// Takes over `words` as the physical memory starting at `base`.
    pub fn new(base: PAddr, words: R) -> Result<Self, RegionError> {
        let bytes = (words.len() as u64) * 8;
        if base & ((1 << REGION_ALIGN_BITS) - 1) != 0 {
            return Err(RegionError::MisalignedBase(base));
        }
        if bytes == 0 || bytes & ((1 << REGION_ALIGN_BITS) - 1) != 0 {
            return Err(RegionError::BadLength(bytes));
        }
        match base.checked_add(bytes) {
            Some(end) if end <= PADDR_LIMIT => Ok(PhysMem { base, words }),
            _ => Err(RegionError::TooHigh(base)),
        }
    }

    /// First physical address of the region.
    #[inline]
    pub fn base(&self) -> PAddr {
        self.base
    }

    /// One past the last physical address of the region.
    #[inline]
    pub fn end(&self) -> PAddr {
        self.base + self.size()
    }

    /// Size of the region in bytes.
    #[inline]
    pub fn size(&self) -> u64 {
        (self.words.len() as u64) * 8
    }

    /// Whether `[pa, pa + len)` lies inside the region.
    #[inline]
    pub fn contains(&self, pa: PAddr, len: u64) -> bool {
        pa >= self.base && pa.checked_add(len).is_some_and(|end| end <= self.end())
    }

    // `index` and the word accessors below are the kernel's hottest code
    // (every cap, TCB and context access): always inlined.

    /// Word index of `pa`; kernel addresses come from validated caps, so a bad one
    /// is a kernel bug and stops here rather than touching the wrong memory.
    #[inline(always)]
    fn index(&self, pa: PAddr) -> usize {
        // One comparison: the base is aligned (`new`), so `pa` is aligned iff
        // its offset is, and an address below the base wraps to an offset
        // past the end. Rotating the offset right by 3 gives the word index
        // when it is aligned and puts any low bit at the top (an index of at
        // least 2^61, past every memory) when it is not: the same test as
        // `pa & 7 == 0 && self.contains(pa, 8)`.
        let index = pa.wrapping_sub(self.base).rotate_right(3);
        if index >= self.words.len() as u64 {
            typed::outside(pa);
        }
        index as usize
    }

    /// Reads the word at `pa`.
    #[inline(always)]
    pub fn read(&self, pa: PAddr) -> u64 {
        self.words[self.index(pa)]
    }

    /// Writes the word at `pa`.
    #[inline(always)]
    pub fn write(&mut self, pa: PAddr, value: u64) {
        let i = self.index(pa);
        self.words[i] = value;
    }

    /// The `n` words starting at `pa`.
    #[inline(always)]
    pub fn words(&self, pa: PAddr, n: usize) -> &[u64] {
        let i = self.index(pa);
        &self.words[i..i + n]
    }

    /// The `n` words starting at `pa`, writable.
    #[inline(always)]
    pub fn words_mut(&mut self, pa: PAddr, n: usize) -> &mut [u64] {
        let i = self.index(pa);
        &mut self.words[i..i + n]
    }

    /// The same memory for the length of a borrow, as a plain slice: a value of
    /// its own, whose base and slice the compiler keeps in registers while objects
    /// in it are written (the IPC fastpath's handle).
    #[inline(always)]
    pub fn reborrow(&mut self) -> PhysMem<&mut [u64]> {
        PhysMem {
            base: self.base,
            words: &mut self.words,
        }
    }

    /// Every word of the region (for [`SplitMem::carve`]).
    pub(crate) fn all_words_mut(&mut self) -> &mut [u64] {
        &mut self.words
    }

    /// Gives the storage back (a machine reusing its memory for a new boot).
    pub fn into_words(self) -> R {
        self.words
    }

    /// Zeroes `[pa, pa + len)`; both must be multiples of 8.
    pub fn zero(&mut self, pa: PAddr, len: u64) {
        if len == 0 {
            return;
        }
        self.words_mut(pa, (len / 8) as usize).fill(0);
    }

    /// Whether every byte of `[pa, pa + len)` is zero.
    pub fn is_zero(&self, pa: PAddr, len: u64) -> bool {
        len == 0 || self.words(pa, (len / 8) as usize).iter().all(|&w| w == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_rules() {
        let mut w = [0u64; 512];
        assert_eq!(
            PhysMem::new(0x1000 + 8, &mut w[..]).err(),
            Some(RegionError::MisalignedBase(0x1008))
        );
        assert_eq!(
            PhysMem::new(0x1000, &mut [][..]).err(),
            Some(RegionError::BadLength(0))
        );
        assert_eq!(
            PhysMem::new(PADDR_LIMIT, &mut w[..]).err(),
            Some(RegionError::TooHigh(PADDR_LIMIT))
        );
        assert!(PhysMem::new(PADDR_LIMIT - 0x1000, &mut w[..]).is_ok());
        let mut m = PhysMem::new(0x8000_0000, &mut w[..]).unwrap();
        assert!(m.contains(0x8000_0ff8, 8) && !m.contains(0x8000_0ff8, 9));
        m.write(0x8000_0010, 7);
        assert_eq!(m.read(0x8000_0010), 7);
        assert!(!m.is_zero(0x8000_0000, 32));
        m.zero(0x8000_0010, 8);
        assert!(m.is_zero(0x8000_0000, 4096));
    }

    /// Every address `index` must refuse: misaligned anywhere (first word, last
    /// word, the low bits one at a time), below the base, and at or past the end.
    #[test]
    fn word_access_refuses_misaligned_and_outside_addresses() {
        let base = 0x8000_0000;
        let mut bad = std::vec![
            base - 8,
            base - 1,
            base + 4096,
            base + 4096 + 8,
            0,
            u64::MAX
        ];
        for low in 1..8 {
            bad.extend([base + low, base + 4088 + low, base + 8 * 100 + low]);
        }
        for pa in bad {
            let caught = std::panic::catch_unwind(|| {
                let mut w = [0u64; 512];
                PhysMem::new(base, &mut w[..]).unwrap().read(pa)
            });
            assert!(caught.is_err(), "{pa:#x} was accepted");
        }
        let mut w = [0u64; 512];
        let m = PhysMem::new(base, &mut w[..]).unwrap();
        for pa in [base, base + 8, base + 4088] {
            assert_eq!(m.read(pa), 0);
        }
    }
}
