//! Physical memory with one object carved out: what the vm architecture's run
//! loop hands the interpreter. The carved-out object (a thread's register
//! stack, which can never be mapped) is lent as its own `&mut [u64]`, while
//! loads and stores of user memory and page-table walks use the rest — two
//! disjoint borrows of one region, so no copying and no `unsafe`.

use super::Ram;
use super::typed::{as_bytes, as_bytes_mut};
use super::{PAddr, PhysMem};

/// Reads physical words for page-table walks.
pub trait WordSource {
    /// The word at `pa` (8-aligned), or `None` outside readable memory.
    fn read_word(&self, pa: PAddr) -> Option<u64>;
}

impl<R: Ram> WordSource for PhysMem<R> {
    fn read_word(&self, pa: PAddr) -> Option<u64> {
        (pa & 7 == 0 && self.contains(pa, 8)).then(|| self.read(pa))
    }
}

/// Physical memory without the hole `[hole_start, hole_end)`.
pub struct SplitMem<'a> {
    base: PAddr,
    low: &'a mut [u64],
    hole_end: PAddr,
    high: &'a mut [u64],
}

impl<'a> SplitMem<'a> {
    /// Splits `mem` around `[start, start + len)` (8-aligned, inside memory):
    /// the hole's words and the rest.
    pub fn carve(
        mem: &'a mut PhysMem<impl Ram>,
        start: PAddr,
        len: u64,
    ) -> (&'a mut [u64], SplitMem<'a>) {
        let base = mem.base();
        let words: &'a mut [u64] = mem.all_words_mut();
        let (low, rest) = words.split_at_mut(((start - base) / 8) as usize);
        let (hole, high) = rest.split_at_mut((len / 8) as usize);
        let split = SplitMem {
            base,
            low,
            hole_end: start + len,
            high,
        };
        (hole, split)
    }

    /// The words of `[pa, pa + 8 * n)` if they lie on one side of the hole.
    fn range(&self, pa: PAddr, n: u64) -> Option<&[u64]> {
        let low_end = self.base + 8 * self.low.len() as u64;
        let high_end = self.hole_end + 8 * self.high.len() as u64;
        if pa >= self.base && pa.checked_add(8 * n)? <= low_end {
            let i = ((pa - self.base) / 8) as usize;
            return self.low.get(i..i + n as usize);
        }
        if pa >= self.hole_end && pa.checked_add(8 * n)? <= high_end {
            let i = ((pa - self.hole_end) / 8) as usize;
            return self.high.get(i..i + n as usize);
        }
        None
    }

    fn range_mut(&mut self, pa: PAddr, n: u64) -> Option<&mut [u64]> {
        let low_end = self.base + 8 * self.low.len() as u64;
        let high_end = self.hole_end + 8 * self.high.len() as u64;
        if pa >= self.base && pa.checked_add(8 * n)? <= low_end {
            let i = ((pa - self.base) / 8) as usize;
            return self.low.get_mut(i..i + n as usize);
        }
        if pa >= self.hole_end && pa.checked_add(8 * n)? <= high_end {
            let i = ((pa - self.hole_end) / 8) as usize;
            return self.high.get_mut(i..i + n as usize);
        }
        None
    }

    /// The 4 KiB page at `page` (aligned) as bytes, if it is outside the hole.
    pub fn page(&self, page: PAddr) -> Option<&[u8]> {
        self.range(page, 512).map(as_bytes)
    }

    /// The 4 KiB page at `page` (aligned) as bytes, writable.
    pub fn page_mut(&mut self, page: PAddr) -> Option<&mut [u8]> {
        self.range_mut(page, 512).map(as_bytes_mut)
    }
}

impl WordSource for SplitMem<'_> {
    fn read_word(&self, pa: PAddr) -> Option<u64> {
        if pa & 7 != 0 {
            return None;
        }
        self.range(pa, 1).map(|w| w[0])
    }
}
