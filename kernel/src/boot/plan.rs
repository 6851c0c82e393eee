//! Where boot puts things: the RAM region minus the ranges the platform reserves
//! (the device tree, the root task's image) as free runs, a bump allocator for the
//! objects boot places directly, and what is left over for the Untyped caps.

use crate::memory::PAddr;

/// Most reserved ranges a platform may name.
pub const MAX_RESERVED: usize = 8;
/// Most free runs the reserved ranges can cut RAM into.
const MAX_RUNS: usize = MAX_RESERVED + 1;

/// Free runs of RAM, in address order, and the block boot took from one of them.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    runs: [(PAddr, PAddr); MAX_RUNS],
    len: usize,
    /// The run boot allocates from, and the next free address in it.
    current: usize,
    next: PAddr,
}

/// Why boot could not plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanError {
    /// More reserved ranges than [`MAX_RESERVED`], or one not 4 KiB aligned.
    BadReserved,
    /// No free run holds what boot must place.
    TooSmall,
}

impl Plan {
    /// `[base, end)` without the `reserved` ranges (clipped to it, 4 KiB aligned).
    pub fn new(base: PAddr, end: PAddr, reserved: &[(PAddr, PAddr)]) -> Result<Plan, PlanError> {
        if reserved.len() > MAX_RESERVED
            || reserved
                .iter()
                .any(|&(s, e)| s % 4096 != 0 || e % 4096 != 0 || e < s)
        {
            return Err(PlanError::BadReserved);
        }
        let mut runs = [(0, 0); MAX_RUNS];
        let mut len = 0;
        let mut at = base;
        // Reserved ranges in address order (a handful: a selection sort will do).
        let mut order = [0usize; MAX_RESERVED];
        for (i, o) in order.iter_mut().enumerate().take(reserved.len()) {
            *o = i;
        }
        let order = &mut order[..reserved.len()];
        order.sort_unstable_by_key(|&i| reserved[i].0);
        for &i in order.iter() {
            let (s, e) = (
                reserved[i].0.clamp(base, end),
                reserved[i].1.clamp(base, end),
            );
            if s > at {
                runs[len] = (at, s);
                len += 1;
            }
            at = at.max(e);
        }
        if end > at {
            runs[len] = (at, end);
            len += 1;
        }
        Ok(Plan {
            runs,
            len,
            current: 0,
            next: runs[0].0,
        })
    }

    /// Chooses the first run that holds `bytes` once aligned to `align` (a power of
    /// two) and starts allocating there.
    pub fn start_block(&mut self, bytes: u64, align: u64) -> Result<(), PlanError> {
        for i in 0..self.len {
            let (s, e) = self.runs[i];
            let at = align_up(s, align);
            if at.checked_add(bytes).is_some_and(|end| end <= e) {
                self.current = i;
                self.next = at;
                return Ok(());
            }
        }
        Err(PlanError::TooSmall)
    }

    /// `bytes` aligned to `align` from the current run.
    pub fn alloc(&mut self, bytes: u64, align: u64) -> Result<PAddr, PlanError> {
        let at = align_up(self.next, align);
        let end = at.checked_add(bytes).ok_or(PlanError::TooSmall)?;
        if end > self.runs[self.current].1 {
            return Err(PlanError::TooSmall);
        }
        self.next = end;
        Ok(at)
    }

    /// The free runs with `taken` (boot's own objects, each `(start, end)`) cut out:
    /// what the Untyped caps cover.
    pub fn free_runs(&self, taken: &[(PAddr, PAddr)], mut emit: impl FnMut(PAddr, PAddr)) {
        for &(s, e) in &self.runs[..self.len] {
            let mut at = s;
            let mut cuts: [(PAddr, PAddr); 16] = [(0, 0); 16];
            let mut n = 0;
            for &(ts, te) in taken {
                if ts < e && te > s && n < cuts.len() {
                    cuts[n] = (ts.max(s), te.min(e));
                    n += 1;
                }
            }
            cuts[..n].sort_unstable();
            for &(cs, ce) in &cuts[..n] {
                if cs > at {
                    emit(at, cs);
                }
                at = at.max(ce);
            }
            if e > at {
                emit(at, e);
            }
        }
    }
}

/// `value` rounded up to a multiple of `align` (a power of two).
pub const fn align_up(value: u64, align: u64) -> u64 {
    (value + align - 1) & !(align - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::vec::Vec;

    #[test]
    fn reserved_ranges_cut_ram_into_runs_and_boot_allocates_in_the_first_that_fits() {
        let reserved = [(0x8400_3000, 0x8400_4000), (0x8400_0000, 0x8400_2000)];
        let mut p = Plan::new(0x8400_0000, 0x8410_0000, &reserved).unwrap();
        p.start_block(0x1_0000, 0x1_0000).unwrap();
        assert_eq!(
            p.alloc(0x1000, 0x1000),
            Ok(0x8401_0000),
            "first 64 KiB-aligned fit"
        );
        assert_eq!(p.alloc(8, 4096), Ok(0x8401_1000));
        let mut free = Vec::new();
        p.free_runs(&[(0x8401_0000, 0x8401_2000)], |s, e| free.push((s, e)));
        assert_eq!(
            free,
            [
                (0x8400_2000, 0x8400_3000),
                (0x8400_4000, 0x8401_0000),
                (0x8401_2000, 0x8410_0000)
            ]
        );
        assert_eq!(
            Plan::new(0, 0x1000, &[(1, 0x1000)]).err(),
            Some(PlanError::BadReserved)
        );
        let mut tiny = Plan::new(0x1000, 0x2000, &[]).unwrap();
        assert_eq!(tiny.start_block(0x2000, 0x1000), Err(PlanError::TooSmall));
    }
}
