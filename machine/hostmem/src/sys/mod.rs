//! Every `unsafe` of the crate, each block with its argument: the memfd and its one
//! shared mapping (the machine's RAM), reserved regions and the frames mapped into
//! them (`mmap` with `MAP_FIXED`), and, in `guarded`, the guarded accesses and the
//! fault handler that makes a faulting one return "faulted".

mod guarded;

use guarded::{
    inline_load, inline_store, install_handler, selvm_hostmem_copy, selvm_hostmem_fill,
    selvm_hostmem_load1, selvm_hostmem_probe_write,
};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// Bytes of a host (and guest) page.
pub const PAGE: u64 = 4096;

/// An owned mapping of host address space, unmapped when dropped.
struct Mapping {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: the mapping is owned by one value; moving it to another thread moves the
// only handle to it (nothing thread-local refers to it).
unsafe impl Send for Mapping {}

impl Mapping {
    fn new(len: usize, prot: libc::c_int, flags: libc::c_int, fd: libc::c_int) -> io::Result<Self> {
        // SAFETY: a new mapping at an address the kernel chooses; it aliases no Rust
        // object.
        let ptr = unsafe { libc::mmap(std::ptr::null_mut(), len, prot, flags, fd, 0) };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(Mapping {
            ptr: ptr.cast(),
            len,
        })
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: `ptr..ptr + len` is the mapping this value owns; no reference into
        // it outlives the value (RamFile's slices borrow it, Region hands out none).
        unsafe {
            libc::munmap(self.ptr.cast(), self.len);
        }
    }
}

/// Physical memory in a memfd, mapped once read-write: the kernel's words.
pub struct RamFile {
    fd: OwnedFd,
    map: Mapping,
}

impl RamFile {
    /// A zeroed memfd of `bytes` (a multiple of the page size), mapped.
    pub fn new(bytes: u64) -> io::Result<RamFile> {
        if bytes == 0 || bytes % PAGE != 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "size not a whole number of pages",
            ));
        }
        let len =
            usize::try_from(bytes).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        // SAFETY: the name is a NUL-terminated literal.
        let raw = unsafe { libc::memfd_create(c"selvm-ram".as_ptr(), libc::MFD_CLOEXEC) };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: memfd_create just returned this descriptor; nothing else owns it.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: ftruncate of a descriptor we own.
        if unsafe { libc::ftruncate(fd.as_raw_fd(), bytes as libc::off_t) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let flags = libc::MAP_SHARED;
        let map = Mapping::new(
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            flags,
            fd.as_raw_fd(),
        )?;
        Ok(RamFile { fd, map })
    }

    /// The size in bytes.
    pub fn len(&self) -> u64 {
        self.map.len as u64
    }

    /// Whether the memory is empty (never: sizes are whole pages).
    pub fn is_empty(&self) -> bool {
        self.map.len == 0
    }

    /// A second handle on the same memory, for mapping frames into regions.
    pub fn try_clone_fd(&self) -> io::Result<OwnedFd> {
        self.fd.try_clone()
    }
}

impl std::ops::Deref for RamFile {
    type Target = [u64];
    fn deref(&self) -> &[u64] {
        // SAFETY: the mapping is readable and writable, page-aligned (so 8-aligned),
        // `len` bytes long, initialised (a memfd reads zeros) and lives as long as
        // `self`. Its bytes are also reachable through regions' aliases, which only
        // guarded routines touch, never while this borrow is used by the same thread
        // to read a frame (docs/hosted.md, "Aliasing").
        unsafe { std::slice::from_raw_parts(self.map.ptr.cast(), self.map.len / 8) }
    }
}

impl std::ops::DerefMut for RamFile {
    fn deref_mut(&mut self) -> &mut [u64] {
        // SAFETY: as for `deref`; `&mut self` makes this the only Rust reference.
        unsafe { std::slice::from_raw_parts_mut(self.map.ptr.cast(), self.map.len / 8) }
    }
}

/// A reserved host region for one address space: `bytes` of inaccessible address
/// space into which frames of a [`RamFile`] are mapped at page granularity. Read and
/// written only with guarded accesses, so an access to an unmapped or read-only page
/// is reported, not taken.
pub struct Region {
    map: Mapping,
}

impl Region {
    /// Reserves `bytes` (a multiple of the page size) of address space, none of it
    /// accessible, and installs the fault handler (once per process).
    pub fn reserve(bytes: u64) -> io::Result<Region> {
        install_handler();
        let len =
            usize::try_from(bytes).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE;
        Ok(Region {
            map: Mapping::new(len, libc::PROT_NONE, flags, -1)?,
        })
    }

    /// The region's size in bytes.
    pub fn len(&self) -> u64 {
        self.map.len as u64
    }

    /// Whether the region is empty.
    pub fn is_empty(&self) -> bool {
        self.map.len == 0
    }

    /// The host address of `offset .. offset + len` if it lies inside the region.
    #[inline(always)]
    fn at(&self, offset: u64, len: usize) -> Option<*mut u8> {
        let room = (self.map.len as u64).checked_sub(offset)?;
        (len as u64 <= room).then(|| self.map.ptr.wrapping_add(offset as usize))
    }

    /// Maps `len` bytes of `fd` from `file_offset` at `offset` (all page-aligned),
    /// readable, and writable if `writable`, replacing what was there.
    pub fn map(
        &mut self,
        offset: u64,
        len: u64,
        fd: &OwnedFd,
        file_offset: u64,
        writable: bool,
    ) -> io::Result<()> {
        let aligned = (offset | len | file_offset) % PAGE == 0;
        let at = self.at(offset, len as usize).filter(|_| aligned && len > 0);
        let at = at.ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
        let prot = libc::PROT_READ | if writable { libc::PROT_WRITE } else { 0 };
        let flags = libc::MAP_SHARED | libc::MAP_FIXED;
        // SAFETY: `at .. at + len` lies inside this region's reservation, which no
        // Rust reference points into (only guarded routines access it), so replacing
        // its pages invalidates nothing the compiler knows about.
        let ptr = unsafe {
            libc::mmap(
                at.cast(),
                len as usize,
                prot,
                flags,
                fd.as_raw_fd(),
                file_offset as libc::off_t,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Makes `offset .. offset + len` (page-aligned) inaccessible again.
    pub fn clear(&mut self, offset: u64, len: u64) -> io::Result<()> {
        let aligned = (offset | len) % PAGE == 0;
        let at = self.at(offset, len as usize).filter(|_| aligned && len > 0);
        let at = at.ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
        let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_FIXED;
        // SAFETY: as in `map`: the range is inside the reservation, which no Rust
        // reference points into.
        let ptr = unsafe { libc::mmap(at.cast(), len as usize, libc::PROT_NONE, flags, -1, 0) };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// The `N` bytes at `offset`, or `None` if any is outside the region, unmapped
    /// or unreadable.
    #[inline(always)]
    pub fn load<const N: usize>(&self, offset: u64) -> Option<[u8; N]> {
        let at = self.at(offset, N)?;
        let mut out = [0u8; N];
        // SAFETY: `at .. at + N` is inside the reservation; the guarded routines read
        // it or report a fault (the handler resumes them), and write only `out`.
        let r = unsafe {
            match N {
                1 | 2 | 4 | 8 => inline_load::<N>(at),
                _ => selvm_hostmem_copy(out.as_mut_ptr(), at, N),
            }
        };
        if r.fault != 0 {
            return None;
        }
        if N <= 8 && N.is_power_of_two() {
            out.copy_from_slice(&r.value.to_le_bytes()[..N]);
        }
        Some(out)
    }

    /// Writes `bytes` at `offset`; false if any byte is outside the region, unmapped
    /// or read-only. An access within one page writes all or nothing.
    #[inline(always)]
    pub fn store<const N: usize>(&mut self, offset: u64, bytes: [u8; N]) -> bool {
        let Some(at) = self.at(offset, N) else {
            return false;
        };
        let mut word = [0u8; 8];
        let value = if N <= 8 {
            word[..N].copy_from_slice(&bytes[..N.min(8)]);
            u64::from_le_bytes(word)
        } else {
            0
        };
        // SAFETY: `at .. at + N` is inside the reservation; the routines write it or
        // report a fault, and read only `bytes`.
        let r = unsafe {
            match N {
                1 | 2 | 4 | 8 => inline_store::<N>(at, value),
                _ => selvm_hostmem_copy(at, bytes.as_ptr(), N),
            }
        };
        r.fault == 0
    }

    /// Whether the page holding `offset` is mapped readable (and writable if `write`),
    /// changing nothing.
    pub fn probe(&mut self, offset: u64, write: bool) -> bool {
        let Some(at) = self.at(offset, 1) else {
            return false;
        };
        // SAFETY: `at` is inside the reservation; the routines read a byte, or
        // atomically OR zero into it (no change), or report a fault.
        let r = unsafe {
            if write {
                selvm_hostmem_probe_write(at)
            } else {
                selvm_hostmem_load1(at)
            }
        };
        r.fault == 0
    }

    /// Reads `out.len()` bytes at `offset`; false if any is outside the region or
    /// unmapped (then `out` may hold part of them).
    pub fn read(&self, offset: u64, out: &mut [u8]) -> bool {
        let Some(at) = self.at(offset, out.len()) else {
            return false;
        };
        // SAFETY: the source is inside the reservation (guarded), the destination is
        // `out`, which the two ranges cannot overlap (`out` is a Rust object, the
        // reservation holds none).
        unsafe { selvm_hostmem_copy(out.as_mut_ptr(), at, out.len()).fault == 0 }
    }

    /// Writes `bytes` at `offset`; false if any is outside the region, unmapped or
    /// read-only (then part of them may have been written).
    pub fn write(&mut self, offset: u64, bytes: &[u8]) -> bool {
        let Some(at) = self.at(offset, bytes.len()) else {
            return false;
        };
        // SAFETY: as in `read`, with the directions swapped.
        unsafe { selvm_hostmem_copy(at, bytes.as_ptr(), bytes.len()).fault == 0 }
    }

    /// Sets `len` bytes at `offset` to `byte`; false as for [`Region::write`].
    pub fn fill(&mut self, offset: u64, byte: u8, len: usize) -> bool {
        let Some(at) = self.at(offset, len) else {
            return false;
        };
        // SAFETY: the destination is inside the reservation (guarded).
        unsafe { selvm_hostmem_fill(at, u64::from(byte), len).fault == 0 }
    }
}
