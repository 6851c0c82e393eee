//! The shared region: device frames backed by host memory that other processes map
//! too (the node processes of one cluster on one host), so a frame two nodes map is
//! the same memory. Frame 0 holds registers (how many data frames; take and give
//! back a frame); frames 1 to 255 are data. Memory another process writes is never
//! behind a Rust reference: the machine reaches it only through [`SharedMemory`],
//! whose host implementation uses atomic accesses (docs/cluster.md, "Shared frames"),
//! and the software MMU sends every guest load and store of a data frame there (the
//! mmap back end hands device frames to the software MMU, so both back ends do).

use super::{Device, FRAME, Now, WouldBlock};
use alloc::boxed::Box;
use selvm_abi::vm::device::{
    SHARED_ALLOC, SHARED_BASE, SHARED_BITS, SHARED_FRAMES, SHARED_FREE, SHARED_NONE,
};

/// Host memory shared with other processes, as pages of 4 KiB: page 0 is the host's
/// own (its allocation table), pages 1 to `pages() - 1` are the data frames.
///
/// Every access is atomic per byte, and a naturally aligned access of 1, 2, 4 or 8
/// bytes is one atomic access (single-copy atomic); loads are Acquire and stores
/// Release, so a guest program gets x86's total store order (a store may still be seen
/// after a later load of another location: two threads that each store and then load
/// the other's word may both read the old values).
pub trait SharedMemory: Send {
    /// How many pages, page 0 included.
    fn pages(&self) -> u64;
    /// Reads `buf.len()` bytes at byte `offset` (inside one data page).
    fn load(&self, offset: u64, buf: &mut [u8]);
    /// Writes `buf` at byte `offset` (inside one data page).
    fn store(&self, offset: u64, buf: &[u8]);
    /// Takes a free data page for this process (zeroed), if one is free.
    fn alloc(&self) -> Option<u64>;
    /// Gives data page `page` back; false if it was not taken.
    fn free(&self, page: u64) -> bool;
}

/// The shared region's device.
pub struct SharedRegion {
    memory: Box<dyn SharedMemory>,
}

impl SharedRegion {
    /// The region over `memory` (at most as many pages as the region has frames).
    pub fn new(memory: Box<dyn SharedMemory>) -> SharedRegion {
        SharedRegion { memory }
    }

    /// Data frames: the backing's pages after its own page 0, at most the region's.
    fn data_frames(&self) -> u64 {
        let frames = (1u64 << SHARED_BITS) / FRAME;
        self.memory.pages().min(frames).saturating_sub(1)
    }

    /// The memory and the byte offset in it of `offset` from the region's base, when
    /// that is a data frame's byte.
    pub fn data(&self, offset: u64) -> Option<(&dyn SharedMemory, u64)> {
        let frame = offset / FRAME;
        (frame >= 1 && frame <= self.data_frames()).then_some((self.memory.as_ref(), offset))
    }
}

impl Device for SharedRegion {
    fn name(&self) -> &'static str {
        "shared region"
    }

    fn base(&self) -> u64 {
        SHARED_BASE
    }

    fn frames(&self) -> u64 {
        (1 << SHARED_BITS) / FRAME
    }

    fn read(&mut self, offset: u64, _now: Now) -> Result<u64, WouldBlock> {
        Ok(match offset {
            SHARED_FRAMES => self.data_frames(),
            SHARED_ALLOC => (self.memory.alloc())
                .filter(|&p| p <= self.data_frames())
                .unwrap_or(SHARED_NONE),
            _ => 0,
        })
    }

    fn write(&mut self, offset: u64, value: u64, _now: Now) {
        if offset == SHARED_FREE && value >= 1 && value <= self.data_frames() {
            self.memory.free(value);
        }
    }

    fn shared(&self, offset: u64) -> Option<(&dyn SharedMemory, u64)> {
        self.data(offset)
    }
}

#[cfg(test)]
mod tests {
    use super::super::DeviceBus;
    use super::*;
    use alloc::sync::Arc;
    use alloc::vec::Vec;
    use core::sync::atomic::{AtomicU8, Ordering};

    /// Host memory two machines share, in one process: bytes as atomics.
    #[derive(Clone)]
    struct Bytes(Arc<Vec<AtomicU8>>);

    impl SharedMemory for Bytes {
        fn pages(&self) -> u64 {
            self.0.len() as u64 / FRAME
        }
        fn load(&self, offset: u64, buf: &mut [u8]) {
            for (i, b) in buf.iter_mut().enumerate() {
                *b = self.0[offset as usize + i].load(Ordering::Acquire);
            }
        }
        fn store(&self, offset: u64, buf: &[u8]) {
            for (i, &b) in buf.iter().enumerate() {
                self.0[offset as usize + i].store(b, Ordering::Release);
            }
        }
        fn alloc(&self) -> Option<u64> {
            Some(3)
        }
        fn free(&self, page: u64) -> bool {
            page == 3
        }
    }

    const NOW: Now = Now {
        ns: 0,
        deterministic: true,
    };

    #[test]
    fn two_buses_over_one_memory_see_each_others_data_frames_not_the_registers() {
        let memory = Bytes(Arc::new((0..4 * FRAME).map(|_| AtomicU8::new(0)).collect()));
        let mut a = DeviceBus::new();
        let mut b = DeviceBus::new();
        for bus in [&mut a, &mut b] {
            let region = SharedRegion::new(Box::new(memory.clone()));
            bus.attach(Box::new(region)).unwrap();
        }
        // Three data frames (the backing's pages after its page 0), one to take.
        assert_eq!(a.read(SHARED_BASE + SHARED_FRAMES, NOW), Ok(3));
        assert_eq!(a.read(SHARED_BASE + SHARED_ALLOC, NOW), Ok(3));
        // A store through one bus's data frame is what the other loads.
        let pa = SHARED_BASE + 2 * FRAME + 40;
        let (mem, at) = a.shared(pa).unwrap();
        mem.store(at, &[1, 2, 3, 4]);
        let (other, at) = b.shared(pa).unwrap();
        let mut got = [0u8; 4];
        other.load(at, &mut got);
        assert_eq!(got, [1, 2, 3, 4]);
        // The register frame and frames beyond the backing are not shared memory.
        assert!(a.shared(SHARED_BASE).is_none());
        assert!(a.shared(SHARED_BASE + 4 * FRAME).is_none());
        assert!(a.shared(crate::devices::FRAME).is_none());
    }
}
