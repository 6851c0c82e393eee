//! The software MMU: the interpreter's loads and stores go through a
//! direct-mapped TLB of 4 KiB translations tagged with the ASID; a miss walks
//! the thread's page tables with the kernel's translation API. Entries hold
//! physical page addresses, never host pointers, and the kernel's flush
//! notices remove exactly the entries that may have gone stale. An access that
//! spans two pages checks both before it changes anything. Device frames go to the
//! device bus: registers as aligned 64-bit words, plain-memory frames as bytes, and
//! frames shared with other processes through their atomic accesses.

use crate::devices::{DeviceBus, Now, is_device};
use selvm_kernel::memory::{PAddr, SplitMem};
use selvm_kernel::vspace::TlbFlush;
use selvm_kernel::vspace::translate::{Access as KAccess, translate};
use selvm_vm::memory::CHUNK;
use selvm_vm::{Access, Fault, Memory};

const PAGE: u64 = 4096;
const ENTRIES: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    asid: u16,
    vpn: u64,
    page: PAddr,
    write: bool,
}

const INVALID: Entry = Entry {
    asid: 0,
    vpn: u64::MAX,
    page: 0,
    write: false,
};

/// Cached translations of every address space (direct-mapped by page number).
#[derive(Debug, Clone)]
pub struct Tlb {
    entries: [Entry; ENTRIES],
    /// Misses so far (walks of the page tables).
    pub misses: u64,
}

impl Default for Tlb {
    fn default() -> Self {
        Tlb {
            entries: [INVALID; ENTRIES],
            misses: 0,
        }
    }
}

impl Tlb {
    /// Forgets what `flush` names. A page flush names a mapping's base, whose
    /// size the notice does not carry: every entry of that ASID in the 1 GiB
    /// from the base goes, which covers mappings of any size.
    pub fn flush(&mut self, flush: TlbFlush) {
        for e in &mut self.entries {
            let stale = match flush {
                TlbFlush::Asid(a) => e.asid == a,
                TlbFlush::Page { asid, vaddr } => {
                    let first = vaddr / PAGE;
                    e.asid == asid && e.vpn >= first && e.vpn < first + (1 << 18)
                }
            };
            if stale {
                *e = INVALID;
            }
        }
    }

    /// How many entries are valid (for tests and statistics).
    pub fn valid_entries(&self) -> usize {
        self.entries.iter().filter(|e| e.vpn != u64::MAX).count()
    }
}

/// A thread's view of memory for one run of the interpreter.
pub struct SoftMmu<'a, 't> {
    mem: SplitMem<'a>,
    root: PAddr,
    asid: u16,
    tlb: &'t mut Tlb,
    devices: &'t mut DeviceBus,
    now: Now,
    size: u64,
    blocked: bool,
}

impl<'a, 't> SoftMmu<'a, 't> {
    /// The VSpace rooted at `root` with `asid`, over `mem` and the devices on
    /// `devices` (which see time `now`); `size` is what `memory.size` reports, in bytes.
    pub fn new(
        mem: SplitMem<'a>,
        root: PAddr,
        asid: u16,
        tlb: &'t mut Tlb,
        devices: &'t mut DeviceBus,
        now: Now,
        size: u64,
    ) -> Self {
        SoftMmu {
            mem,
            root,
            asid,
            tlb,
            devices,
            now,
            size,
            blocked: false,
        }
    }

    /// Whether the access the interpreter stopped on was a device read that must wait
    /// for input ([`crate::devices::WouldBlock`]); it reported a fault so the thread
    /// stops on the instruction and retries it, and no VMFault is to be raised.
    pub fn blocked(&self) -> bool {
        self.blocked
    }

    /// The physical page holding `address`, allowed for `access`.
    fn page(&mut self, address: u64, access: Access) -> Result<PAddr, Fault> {
        let vpn = address / PAGE;
        let slot = (vpn as usize) % ENTRIES;
        let e = self.tlb.entries[slot];
        let write = access == Access::Write;
        if e.vpn == vpn && e.asid == self.asid && (e.write || !write) {
            return Ok(e.page);
        }
        self.tlb.misses += 1;
        let kind = if write { KAccess::Write } else { KAccess::Read };
        let fault = Fault { address, access };
        let t = translate(&self.mem, self.root, address, kind).map_err(|_| fault)?;
        // Only RAM outside the register stack, or a device frame, can back a
        // user page.
        if self.mem.page(t.page).is_none() && !is_device(t.page) {
            return Err(fault);
        }
        self.tlb.entries[slot] = Entry {
            asid: self.asid,
            vpn,
            page: t.page,
            write: t.write,
        };
        Ok(t.page)
    }

    /// The physical page holding `address`, allowed for `access`, and whether its
    /// mapping allows stores (what the mmap back end maps it with).
    #[cfg_attr(
        not(all(target_os = "linux", target_arch = "x86_64")),
        allow(dead_code)
    )]
    pub(crate) fn translation(
        &mut self,
        address: u64,
        access: Access,
    ) -> Result<(PAddr, bool), Fault> {
        let page = self.page(address, access)?;
        let e = self.tlb.entries[((address / PAGE) as usize) % ENTRIES];
        Ok((page, e.write))
    }

    /// Checks `[address, address + len)` page by page for `access`.
    fn check_range(&mut self, address: u64, len: u64, access: Access) -> Result<(), Fault> {
        if len == 0 {
            return Ok(());
        }
        let end = address
            .checked_add(len - 1)
            .ok_or(Fault { address, access })?;
        let mut a = address;
        loop {
            self.page(a, access)?;
            let next = (a / PAGE + 1) * PAGE;
            if next > end {
                return Ok(());
            }
            a = next;
        }
    }

    /// Copies `buf.len()` bytes at `address` into `buf` (range checked).
    fn read_bytes(&mut self, address: u64, buf: &mut [u8]) -> Result<(), Fault> {
        let mut done = 0;
        while done < buf.len() {
            let a = address + done as u64;
            let off = (a % PAGE) as usize;
            let n = (buf.len() - done).min(PAGE as usize - off);
            let page = self.page(a, Access::Read)?;
            if is_device(page) {
                if let Some((shared, at)) = self.devices.shared(page) {
                    // Memory other processes write: atomic accesses only.
                    shared.load(at + off as u64, &mut buf[done..done + n]);
                } else if let Some(bytes) = self.devices.memory_frame(page) {
                    // A device's plain-memory frame; one shorter than a page reads
                    // zeros past its end.
                    let src = bytes.get(off..off + n);
                    match src {
                        Some(src) => buf[done..done + n].copy_from_slice(src),
                        None => buf[done..done + n].fill(0),
                    }
                } else if off % 8 == 0 && n <= 8 {
                    // Device registers: aligned 8-byte words; a narrower access
                    // sees the low bytes, any other reads 0.
                    let Ok(value) = self.devices.read(page + off as u64, self.now) else {
                        self.blocked = true;
                        return Err(Fault {
                            address: a,
                            access: Access::Read,
                        });
                    };
                    buf[done..done + n].copy_from_slice(&value.to_le_bytes()[..n]);
                } else {
                    buf[done..done + n].fill(0);
                }
                done += n;
                continue;
            }
            let bytes = self.mem.page(page).ok_or(Fault {
                address: a,
                access: Access::Read,
            })?;
            buf[done..done + n].copy_from_slice(&bytes[off..off + n]);
            done += n;
        }
        Ok(())
    }

    /// Writes `buf` at `address` (the caller checked the whole range).
    fn write_bytes(&mut self, address: u64, buf: &[u8]) -> Result<(), Fault> {
        let mut done = 0;
        while done < buf.len() {
            let a = address + done as u64;
            let off = (a % PAGE) as usize;
            let n = (buf.len() - done).min(PAGE as usize - off);
            let page = self.page(a, Access::Write)?;
            if is_device(page) {
                if let Some((shared, at)) = self.devices.shared(page) {
                    shared.store(at + off as u64, &buf[done..done + n]);
                } else if let Some(bytes) = self.devices.memory_frame(page) {
                    if let Some(dst) = bytes.get_mut(off..off + n) {
                        dst.copy_from_slice(&buf[done..done + n]);
                    }
                } else if off % 8 == 0 && n <= 8 {
                    let mut word = [0u8; 8];
                    word[..n].copy_from_slice(&buf[done..done + n]);
                    self.devices
                        .write(page + off as u64, u64::from_le_bytes(word), self.now);
                }
                done += n;
                continue;
            }
            let bytes = self.mem.page_mut(page).ok_or(Fault {
                address: a,
                access: Access::Write,
            })?;
            bytes[off..off + n].copy_from_slice(&buf[done..done + n]);
            done += n;
        }
        Ok(())
    }
}

impl Memory for SoftMmu<'_, '_> {
    fn load<const N: usize>(&mut self, address: u64) -> Result<[u8; N], Fault> {
        let mut out = [0u8; N];
        self.check_range(address, N as u64, Access::Read)?;
        self.read_bytes(address, &mut out)?;
        Ok(out)
    }

    fn store<const N: usize>(&mut self, address: u64, bytes: [u8; N]) -> Result<(), Fault> {
        self.check_range(address, N as u64, Access::Write)?;
        self.write_bytes(address, &bytes)
    }

    fn check(&mut self, address: u64, len: u64, access: Access) -> Result<(), Fault> {
        self.check_range(address, len, access)
    }

    fn copy(&mut self, dst: u64, src: u64, len: usize) -> Result<(), Fault> {
        let mut buf = [0u8; CHUNK];
        let len = len.min(CHUNK);
        self.check_range(src, len as u64, Access::Read)?;
        self.check_range(dst, len as u64, Access::Write)?;
        self.read_bytes(src, &mut buf[..len])?;
        self.write_bytes(dst, &buf[..len])
    }

    fn fill(&mut self, dst: u64, byte: u8, len: usize) -> Result<(), Fault> {
        let len = len.min(CHUNK);
        self.check_range(dst, len as u64, Access::Write)?;
        self.write_bytes(dst, &[byte; CHUNK][..len])
    }

    fn size(&self) -> u64 {
        self.size
    }
}
