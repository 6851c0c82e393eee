//! The memory a thread loads from and stores to: a trait the embedder implements for
//! its address space (flat, a software MMU with a TLB, an mmap-backed region), used
//! generically so each access is a direct, inlinable call; and [`FlatMemory`].

use alloc::vec;
use alloc::vec::Vec;
use selvm_bytecode::format::PAGE_SIZE;

/// The kind of memory access that faulted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// A load (or the source of a copy).
    Read,
    /// A store (or the destination of a copy or fill).
    Write,
}

impl core::fmt::Display for Access {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Access::Read => "load",
            Access::Write => "store",
        })
    }
}

/// A memory access the memory refused: the first faulting address and the access kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    /// The lowest address of the access that could not be made.
    pub address: u64,
    /// Load or store.
    pub access: Access,
}

/// Largest number of bytes a bulk operation hands to [`Memory::copy`] or
/// [`Memory::fill`] at once; each such chunk costs one unit of budget.
pub const CHUNK: usize = 256;

/// A thread's memory. Every method either does the whole access or returns a fault
/// having changed nothing: an access spanning two pages checks both before writing.
pub trait Memory {
    /// Reads `N` bytes at `address`.
    fn load<const N: usize>(&mut self, address: u64) -> Result<[u8; N], Fault>;
    /// Writes `N` bytes at `address`.
    fn store<const N: usize>(&mut self, address: u64, bytes: [u8; N]) -> Result<(), Fault>;
    /// Checks that `len` bytes at `address` can be accessed as `access`.
    fn check(&mut self, address: u64, len: u64, access: Access) -> Result<(), Fault>;
    /// Copies `len` (at most [`CHUNK`]) bytes from `src` to `dst`; the ranges may overlap.
    fn copy(&mut self, dst: u64, src: u64, len: usize) -> Result<(), Fault>;
    /// Sets `len` (at most [`CHUNK`]) bytes at `dst` to `byte`.
    fn fill(&mut self, dst: u64, byte: u8, len: usize) -> Result<(), Fault>;
    /// The memory's size in bytes (`memory.size` reports it in 64 KiB pages).
    fn size(&self) -> u64;

    /// Whether the memory is one contiguous range of bytes from address 0 that
    /// [`Memory::flat`] hands out, with no faults but outside it. Sibling-call dispatch
    /// then keeps its base and length in registers and indexes it directly.
    const FLAT: bool = false;

    /// The memory's bytes, from address 0, when [`Memory::FLAT`] (else empty).
    fn flat(&mut self) -> &mut [u8] {
        &mut []
    }
}

/// One contiguous memory starting at address 0: by default a `Vec` grown in 64 KiB
/// pages; [`FlatMemory::over`] places it in bytes the embedder owns instead.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlatMemory<B = Vec<u8>> {
    bytes: B,
    max_pages: u32,
}

impl FlatMemory {
    /// A zeroed memory of `pages` pages that may grow to `max_pages`.
    pub fn new(pages: u32, max_pages: u32) -> FlatMemory {
        FlatMemory {
            bytes: vec![0; pages as usize * PAGE_SIZE as usize],
            max_pages,
        }
    }

    /// The initial memory of `module`: its declared size with its data segments copied in
    /// (the verifier checked that they fit).
    pub fn for_module(module: &crate::Module) -> FlatMemory {
        let m = module.container();
        let mut memory = FlatMemory::new(m.memory_min(), m.memory_max());
        memory.copy_data(module);
        memory
    }

    /// Grows by `delta` pages; returns the old size in pages, or `None` beyond the
    /// maximum or when the host has no memory for it (a hostile module's `memory.grow`
    /// fails as WebAssembly's does, with -1, instead of aborting the embedder).
    pub fn grow(&mut self, delta: u32) -> Option<u32> {
        let old = self.pages();
        let new = old.checked_add(delta).filter(|&n| n <= self.max_pages)?;
        let bytes = new as usize * PAGE_SIZE as usize;
        self.bytes
            .try_reserve_exact(bytes - self.bytes.len())
            .ok()?;
        self.bytes.resize(bytes, 0);
        Some(old)
    }
}

impl<'a> FlatMemory<&'a mut [u8]> {
    /// A memory of fixed size over the whole 64 KiB pages at the start of `bytes` (the
    /// rest is never touched): for embedders that place the memory themselves.
    pub fn over(bytes: &'a mut [u8]) -> FlatMemory<&'a mut [u8]> {
        let pages = bytes.len() / PAGE_SIZE as usize;
        FlatMemory {
            bytes: &mut bytes[..pages * PAGE_SIZE as usize],
            max_pages: pages as u32,
        }
    }
}

impl<B: AsRef<[u8]> + AsMut<[u8]>> FlatMemory<B> {
    /// Copies `module`'s data segments in. Returns false, having copied nothing, if the
    /// memory is smaller than the module's initial size.
    pub fn copy_data(&mut self, module: &crate::Module) -> bool {
        let m = module.container();
        if self.size() < m.memory_min() as u64 * PAGE_SIZE {
            return false;
        }
        for d in (0..m.count(selvm_bytecode::format::Section::Data)).filter_map(|i| m.data(i)) {
            let payload = m.data_bytes(&d).expect("verified");
            let start = d.address as usize;
            self.bytes.as_mut()[start..start + payload.len()].copy_from_slice(payload);
        }
        true
    }

    /// The size in pages.
    pub fn pages(&self) -> u32 {
        (self.bytes.as_ref().len() as u64 / PAGE_SIZE) as u32
    }

    /// The contents.
    pub fn bytes(&self) -> &[u8] {
        self.bytes.as_ref()
    }

    /// The contents, writable.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        self.bytes.as_mut()
    }

    /// The byte range `address .. address + len` if it is inside the memory.
    #[inline(always)]
    fn range(
        &self,
        address: u64,
        len: usize,
        access: Access,
    ) -> Result<core::ops::Range<usize>, Fault> {
        let size = self.bytes.as_ref().len() as u64;
        if address <= size && len as u64 <= size - address {
            Ok(address as usize..address as usize + len)
        } else {
            Err(out_of_bounds(address, access))
        }
    }
}

/// The `N` bytes at `address` of `bytes`, if inside: two comparisons (the start
/// against the length, then the room left), with no second check when indexing.
#[inline(always)]
fn window<const N: usize>(bytes: &[u8], address: u64) -> Option<&[u8; N]> {
    bytes.get(usize::try_from(address).ok()?..)?.first_chunk()
}

/// [`window`], writable.
#[inline(always)]
fn window_mut<const N: usize>(bytes: &mut [u8], address: u64) -> Option<&mut [u8; N]> {
    bytes
        .get_mut(usize::try_from(address).ok()?..)?
        .first_chunk_mut()
}

/// The fault for an access outside the memory. Inlined (it only builds the value), so
/// a load or store in a threaded handler makes no call and saves no registers on its
/// fast path; `#[cold]` keeps the branch to it out of line.
#[cold]
#[inline(always)]
fn out_of_bounds(address: u64, access: Access) -> Fault {
    Fault { address, access }
}

impl<B: AsRef<[u8]> + AsMut<[u8]>> Memory for FlatMemory<B> {
    #[inline(always)]
    fn load<const N: usize>(&mut self, address: u64) -> Result<[u8; N], Fault> {
        match window::<N>(self.bytes.as_ref(), address) {
            Some(bytes) => Ok(*bytes),
            None => Err(out_of_bounds(address, Access::Read)),
        }
    }

    #[inline(always)]
    fn store<const N: usize>(&mut self, address: u64, bytes: [u8; N]) -> Result<(), Fault> {
        match window_mut::<N>(self.bytes.as_mut(), address) {
            Some(to) => {
                *to = bytes;
                Ok(())
            }
            None => Err(out_of_bounds(address, Access::Write)),
        }
    }

    fn check(&mut self, address: u64, len: u64, access: Access) -> Result<(), Fault> {
        let size = self.size();
        if address <= size && len <= size - address {
            Ok(())
        } else {
            Err(out_of_bounds(address, access))
        }
    }

    fn copy(&mut self, dst: u64, src: u64, len: usize) -> Result<(), Fault> {
        let from = self.range(src, len, Access::Read)?;
        let to = self.range(dst, len, Access::Write)?;
        self.bytes.as_mut().copy_within(from, to.start);
        Ok(())
    }

    fn fill(&mut self, dst: u64, byte: u8, len: usize) -> Result<(), Fault> {
        let to = self.range(dst, len, Access::Write)?;
        self.bytes.as_mut()[to].fill(byte);
        Ok(())
    }

    fn size(&self) -> u64 {
        self.bytes.as_ref().len() as u64
    }

    const FLAT: bool = true;

    fn flat(&mut self) -> &mut [u8] {
        self.bytes.as_mut()
    }
}
