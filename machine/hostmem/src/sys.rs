//! Every `unsafe` of the crate, each block with its argument: the memfd and its one
//! shared mapping (the machine's RAM), reserved regions and the frames mapped into
//! them (`mmap` with `MAP_FIXED`), and the guarded accesses — x86_64 leaf routines
//! (no stack frame, no calls) whose one memory instruction, when it faults, the
//! SIGSEGV/SIGBUS handler resumes at `selvm_hostmem_fixup`, which returns "faulted"
//! to the Rust caller. The handler only rewrites the instruction pointer of a fault
//! at one of those instructions; any other fault goes to the handler that was
//! installed before (Rust's stack-overflow report, or the default action).

use std::ffi::c_void;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::{Once, OnceLock};

/// Bytes of a host (and guest) page.
pub const PAGE: u64 = 4096;

/// What a guarded routine returns: the loaded value, and 1 if the access faulted.
#[repr(C)]
struct Guarded {
    value: u64,
    fault: u64,
}

// The guarded routines (System V ABI: arguments in rdi, rsi, rdx; the pair returned
// in rax:rdx). Each clears the fault flag, then makes its one access at the label
// `<name>_at`; the fixup sets the flag and returns. The stack pointer at each access
// is the one at entry (nothing is pushed), so the fixup's `ret` returns to the caller.
std::arch::global_asm!(
    ".text",
    ".p2align 4",
    ".globl selvm_hostmem_load1, selvm_hostmem_load1_at",
    "selvm_hostmem_load1:",
    "xor edx, edx",
    "selvm_hostmem_load1_at:",
    "movzx eax, byte ptr [rdi]",
    "ret",
    ".globl selvm_hostmem_load2, selvm_hostmem_load2_at",
    "selvm_hostmem_load2:",
    "xor edx, edx",
    "selvm_hostmem_load2_at:",
    "movzx eax, word ptr [rdi]",
    "ret",
    ".globl selvm_hostmem_load4, selvm_hostmem_load4_at",
    "selvm_hostmem_load4:",
    "xor edx, edx",
    "selvm_hostmem_load4_at:",
    "mov eax, dword ptr [rdi]",
    "ret",
    ".globl selvm_hostmem_load8, selvm_hostmem_load8_at",
    "selvm_hostmem_load8:",
    "xor edx, edx",
    "selvm_hostmem_load8_at:",
    "mov rax, qword ptr [rdi]",
    "ret",
    ".globl selvm_hostmem_store1, selvm_hostmem_store1_at",
    "selvm_hostmem_store1:",
    "xor eax, eax",
    "xor edx, edx",
    "selvm_hostmem_store1_at:",
    "mov byte ptr [rdi], sil",
    "ret",
    ".globl selvm_hostmem_store2, selvm_hostmem_store2_at",
    "selvm_hostmem_store2:",
    "xor eax, eax",
    "xor edx, edx",
    "selvm_hostmem_store2_at:",
    "mov word ptr [rdi], si",
    "ret",
    ".globl selvm_hostmem_store4, selvm_hostmem_store4_at",
    "selvm_hostmem_store4:",
    "xor eax, eax",
    "xor edx, edx",
    "selvm_hostmem_store4_at:",
    "mov dword ptr [rdi], esi",
    "ret",
    ".globl selvm_hostmem_store8, selvm_hostmem_store8_at",
    "selvm_hostmem_store8:",
    "xor eax, eax",
    "xor edx, edx",
    "selvm_hostmem_store8_at:",
    "mov qword ptr [rdi], rsi",
    "ret",
    // A store that changes nothing (atomically, so even memory another thread
    // writes keeps its value): faults where a store would.
    ".globl selvm_hostmem_probe_write, selvm_hostmem_probe_write_at",
    "selvm_hostmem_probe_write:",
    "xor eax, eax",
    "xor edx, edx",
    "selvm_hostmem_probe_write_at:",
    "lock or byte ptr [rdi], 0",
    "ret",
    // copy(dst, src, len): rep movsb (forwards; callers never overlap the ranges).
    ".globl selvm_hostmem_copy, selvm_hostmem_copy_at",
    "selvm_hostmem_copy:",
    "mov rcx, rdx",
    "xor eax, eax",
    "xor edx, edx",
    "selvm_hostmem_copy_at:",
    "rep movsb",
    "ret",
    // fill(dst, byte, len): rep stosb.
    ".globl selvm_hostmem_fill, selvm_hostmem_fill_at",
    "selvm_hostmem_fill:",
    "mov rcx, rdx",
    "mov eax, esi",
    "xor edx, edx",
    "selvm_hostmem_fill_at:",
    "rep stosb",
    "xor eax, eax",
    "ret",
    ".globl selvm_hostmem_fixup",
    "selvm_hostmem_fixup:",
    "xor eax, eax",
    "mov edx, 1",
    "ret",
);

// SAFETY: these are the routines and labels defined in the `global_asm!` above,
// with the signatures their code implements (System V ABI).
unsafe extern "C" {
    fn selvm_hostmem_load1(at: *const u8) -> Guarded;
    fn selvm_hostmem_load2(at: *const u8) -> Guarded;
    fn selvm_hostmem_load4(at: *const u8) -> Guarded;
    fn selvm_hostmem_load8(at: *const u8) -> Guarded;
    fn selvm_hostmem_store1(at: *mut u8, value: u64) -> Guarded;
    fn selvm_hostmem_store2(at: *mut u8, value: u64) -> Guarded;
    fn selvm_hostmem_store4(at: *mut u8, value: u64) -> Guarded;
    fn selvm_hostmem_store8(at: *mut u8, value: u64) -> Guarded;
    fn selvm_hostmem_probe_write(at: *mut u8) -> Guarded;
    fn selvm_hostmem_copy(dst: *mut u8, src: *const u8, len: usize) -> Guarded;
    fn selvm_hostmem_fill(dst: *mut u8, byte: u64, len: usize) -> Guarded;
    static selvm_hostmem_load1_at: u8;
    static selvm_hostmem_load2_at: u8;
    static selvm_hostmem_load4_at: u8;
    static selvm_hostmem_load8_at: u8;
    static selvm_hostmem_store1_at: u8;
    static selvm_hostmem_store2_at: u8;
    static selvm_hostmem_store4_at: u8;
    static selvm_hostmem_store8_at: u8;
    static selvm_hostmem_probe_write_at: u8;
    static selvm_hostmem_copy_at: u8;
    static selvm_hostmem_fill_at: u8;
    static selvm_hostmem_fixup: u8;
}

/// The addresses of the guarded instructions (the only faults the handler resumes).
fn guarded_sites() -> [usize; 11] {
    [
        (&raw const selvm_hostmem_load1_at) as usize,
        (&raw const selvm_hostmem_load2_at) as usize,
        (&raw const selvm_hostmem_load4_at) as usize,
        (&raw const selvm_hostmem_load8_at) as usize,
        (&raw const selvm_hostmem_store1_at) as usize,
        (&raw const selvm_hostmem_store2_at) as usize,
        (&raw const selvm_hostmem_store4_at) as usize,
        (&raw const selvm_hostmem_store8_at) as usize,
        (&raw const selvm_hostmem_probe_write_at) as usize,
        (&raw const selvm_hostmem_copy_at) as usize,
        (&raw const selvm_hostmem_fill_at) as usize,
    ]
}

/// The actions installed before ours, for SIGSEGV and SIGBUS.
static PREVIOUS: [OnceLock<libc::sigaction>; 2] = [OnceLock::new(), OnceLock::new()];
static INSTALL: Once = Once::new();

/// The SIGSEGV/SIGBUS handler: a fault at a guarded instruction resumes at the fixup;
/// any other goes to the previous handler. Async-signal-safe: it reads the signal
/// context, compares addresses and, for other faults, calls the previous action.
extern "C" fn on_fault(signal: libc::c_int, info: *mut libc::siginfo_t, context: *mut c_void) {
    // SAFETY: the kernel passes an SA_SIGINFO handler a valid, exclusive ucontext_t
    // for the duration of the handler.
    let uc = unsafe { &mut *context.cast::<libc::ucontext_t>() };
    let rip = uc.uc_mcontext.gregs[libc::REG_RIP as usize] as usize;
    if guarded_sites().contains(&rip) {
        uc.uc_mcontext.gregs[libc::REG_RIP as usize] =
            (&raw const selvm_hostmem_fixup) as usize as i64;
        return;
    }
    let slot = usize::from(signal == libc::SIGBUS);
    let previous = PREVIOUS[slot].get().map(|p| (p.sa_sigaction, p.sa_flags));
    match previous {
        Some((handler, flags)) if handler != libc::SIG_DFL && handler != libc::SIG_IGN => {
            if flags & libc::SA_SIGINFO != 0 {
                // SAFETY: an SA_SIGINFO action's handler has this signature; it gets
                // the arguments the kernel gave us.
                let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut c_void) =
                    unsafe { std::mem::transmute(handler) };
                f(signal, info, context);
            } else {
                // SAFETY: a plain action's handler takes the signal number.
                let f: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(handler) };
                f(signal);
            }
        }
        _ => {
            // The default action: reset it and return, so the faulting instruction
            // runs again and the process dies of the signal as it would have.
            // SAFETY: sigaction with a zeroed action (SIG_DFL, no flags) and no old one.
            unsafe {
                let mut dfl: libc::sigaction = std::mem::zeroed();
                dfl.sa_sigaction = libc::SIG_DFL;
                libc::sigaction(signal, &dfl, std::ptr::null_mut());
            }
        }
    }
}

/// Installs the handler once per process, keeping the actions it replaces.
fn install_handler() {
    INSTALL.call_once(|| {
        for (slot, signal) in [libc::SIGSEGV, libc::SIGBUS].into_iter().enumerate() {
            // SAFETY: sigaction reads `ours` and writes `old`, both valid; the
            // handler has the SA_SIGINFO signature. It runs on the alternate signal
            // stack when there is one (as Rust's stack-overflow handler does).
            unsafe {
                let mut old: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(signal, std::ptr::null(), &mut old) != 0 {
                    continue;
                }
                let _ = PREVIOUS[slot].set(old);
                let mut ours: libc::sigaction = std::mem::zeroed();
                ours.sa_sigaction = on_fault as *const () as usize;
                ours.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
                libc::sigemptyset(&mut ours.sa_mask);
                libc::sigaction(signal, &ours, std::ptr::null_mut());
            }
        }
    });
}

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
                1 => selvm_hostmem_load1(at),
                2 => selvm_hostmem_load2(at),
                4 => selvm_hostmem_load4(at),
                8 => selvm_hostmem_load8(at),
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
                1 => selvm_hostmem_store1(at, value),
                2 => selvm_hostmem_store2(at, value),
                4 => selvm_hostmem_store4(at, value),
                8 => selvm_hostmem_store8(at, value),
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
