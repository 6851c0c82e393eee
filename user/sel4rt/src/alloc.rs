//! The root task's allocators: a bitmap over the root CNode's empty slots, and the
//! boot untypeds objects are retyped from.

use libsel4::{CPtr, Error, Word, untyped};
use selvm_abi::MAX_BOOTINFO_UNTYPED_CAPS;

use crate::ROOT_CNODE;

/// Bitmap words for every slot of the root CNode (this configuration's size:
/// `selvm_abi::ROOT_CNODE_SLOTS`, 4,096 on the vm, 8,192 on riscv64).
const SLOT_WORDS: usize = (selvm_abi::ROOT_CNODE_SLOTS as usize).div_ceil(64);

/// A bitmap allocator over the root CNode's empty slots (BootInfo `empty`).
pub struct Slots {
    start: CPtr,
    end: CPtr,
    used: [u64; SLOT_WORDS],
}

impl Slots {
    /// An allocator for slots `start..end` (at most the root CNode's slot count).
    pub fn new(start: CPtr, end: CPtr) -> Slots {
        let end = end.min(start + (SLOT_WORDS * 64) as CPtr);
        Slots {
            start,
            end,
            used: [0; SLOT_WORDS],
        }
    }

    fn bit(&self, slot: CPtr) -> (usize, u64) {
        let i = (slot - self.start) as usize;
        (i / 64, 1 << (i % 64))
    }

    fn is_free(&self, slot: CPtr) -> bool {
        let (w, b) = self.bit(slot);
        self.used[w] & b == 0
    }

    fn mark(&mut self, slot: CPtr, used: bool) {
        let (w, b) = self.bit(slot);
        if used {
            self.used[w] |= b;
        } else {
            self.used[w] &= !b;
        }
    }

    /// One free slot.
    pub fn alloc(&mut self) -> Result<CPtr, Error> {
        self.alloc_range(1)
    }

    /// `n` consecutive free slots; the first is returned.
    pub fn alloc_range(&mut self, n: usize) -> Result<CPtr, Error> {
        let n = n as CPtr;
        let mut s = self.start;
        while s + n <= self.end {
            match (s..s + n).find(|&x| !self.is_free(x)) {
                Some(busy) => s = busy + 1,
                None => {
                    (s..s + n).for_each(|x| self.mark(x, true));
                    return Ok(s);
                }
            }
        }
        Err(Error::NotEnoughMemory)
    }

    /// Gives `slot` back (it must be empty by now).
    pub fn free(&mut self, slot: CPtr) {
        if (self.start..self.end).contains(&slot) {
            self.mark(slot, false);
        }
    }

    /// Slots still free.
    pub fn available(&self) -> usize {
        (self.start..self.end).filter(|&s| self.is_free(s)).count()
    }
}

/// The untyped caps of BootInfo; objects are retyped from the first non-device
/// untyped that has room.
pub struct Untypeds {
    first: CPtr,
    count: usize,
    device: [bool; MAX_BOOTINFO_UNTYPED_CAPS],
}

impl Untypeds {
    /// The untypeds BootInfo lists.
    pub fn from_boot_info(bi: &libsel4::BootInfo) -> Untypeds {
        let mut device = [false; MAX_BOOTINFO_UNTYPED_CAPS];
        for (d, u) in device.iter_mut().zip(bi.untypeds()) {
            *d = u.is_device != 0;
        }
        Untypeds {
            first: bi.untyped.start,
            count: bi.untypeds().len(),
            device,
        }
    }

    /// The first device untyped's cap, if any.
    pub fn device_untyped(&self) -> Option<CPtr> {
        (0..self.count)
            .find(|&i| self.device[i])
            .map(|i| self.first + i as CPtr)
    }

    /// Retypes `count` objects of `ty`/`size_bits` into root slots `dest..dest+count`,
    /// trying each RAM untyped in turn while the answer is NotEnoughMemory.
    pub fn retype_into(
        &self,
        ty: Word,
        size_bits: Word,
        dest: CPtr,
        count: usize,
    ) -> Result<(), Error> {
        let mut last = Error::NotEnoughMemory;
        for i in (0..self.count).filter(|&i| !self.device[i]) {
            let ut = self.first + i as CPtr;
            match untyped::retype(ut, ty, size_bits, ROOT_CNODE, 0, 0, dest, count as Word) {
                Ok(()) => return Ok(()),
                Err(Error::NotEnoughMemory) => last = Error::NotEnoughMemory,
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }
}
