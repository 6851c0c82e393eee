//! The regions of the mmap back end and the `Memory` the interpreter runs on with
//! them (Linux on x86_64).

use crate::devices::is_device;
use crate::mmu::SoftMmu;
use crate::ram::Ram;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use selvm_hostmem::{Fd, PAGE, Region};
use selvm_kernel::memory::PAddr;
use selvm_kernel::vspace::{Asid, TlbFlush};
use selvm_vm::memory::CHUNK;
use selvm_vm::{Access, Fault, Memory};

/// Bytes of address space reserved per address space: all user addresses (below
/// `USER_TOP`, 2^38 - 4 KiB) and a guard page.
const REGION_BYTES: u64 = 1 << 38;
/// Address spaces that keep a region at once (the least recently run gives its
/// region up beyond this; 16 x 256 GiB of reserved, unbacked address space).
const MAX_SPACES: usize = 16;
/// Pages a `TlbFlush::Page` names: the 1 GiB from its base (the notice does not
/// carry the mapping's size; the software TLB drops the same).
const FLUSH_PAGES: u64 = 1 << 18;

/// One address space's region and the pages mapped in it (page number to whether
/// it is mapped writable).
pub(crate) struct Space {
    asid: Asid,
    region: Region,
    mapped: BTreeMap<u64, bool>,
    last_run: u64,
}

/// Host mappings made and removed (`Machine::memory_counts`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MappingCounts {
    /// Frames mapped into a region (on the slow path of an access).
    pub maps: u64,
    /// Ranges made inaccessible again (flush notices).
    pub clears: u64,
    /// Regions reserved (a thread of an address space without one ran).
    pub regions: u64,
}

/// The regions of a machine's address spaces.
pub(crate) struct Regions {
    fd: Fd,
    ram_base: PAddr,
    spaces: Vec<Space>,
    slices: u64,
    pub(crate) counts: MappingCounts,
}

/// What a slice on the mmap back end borrows: its address space's region and map,
/// and the memfd to map frames from.
pub(crate) struct SpaceRef<'r> {
    region: &'r mut Region,
    mapped: &'r mut BTreeMap<u64, bool>,
    fd: &'r Fd,
    ram_base: PAddr,
    counts: &'r mut MappingCounts,
}

impl Regions {
    /// Regions over `ram` (a memfd) at physical address `ram_base`.
    pub(crate) fn new(ram: &Ram, ram_base: PAddr) -> Result<Regions, String> {
        let Ram::Memfd(file) = ram else {
            return Err("the mmap back end needs RAM in a memfd".into());
        };
        let fd = file
            .try_clone_fd()
            .map_err(|e| format!("cannot duplicate the RAM memfd: {e}"))?;
        Ok(Regions {
            fd,
            ram_base,
            spaces: Vec::new(),
            slices: 0,
            counts: MappingCounts::default(),
        })
    }

    /// Forgets the host mappings `flush` names, as the software TLB forgets entries.
    /// A range that cannot be cleared takes its whole region with it.
    pub(crate) fn flush(&mut self, flush: TlbFlush) {
        let (asid, first) = match flush {
            TlbFlush::Asid(a) => {
                self.spaces.retain(|s| s.asid != a);
                return;
            }
            TlbFlush::Page { asid, vaddr } => (asid, vaddr / PAGE),
        };
        let Some(i) = self.spaces.iter().position(|s| s.asid == asid) else {
            return;
        };
        let space = &mut self.spaces[i];
        let stale: Vec<u64> = space
            .mapped
            .range(first..first.saturating_add(FLUSH_PAGES))
            .map(|(&vpn, _)| vpn)
            .collect();
        let mut ok = true;
        let mut run = stale.first().map(|&v| (v, v));
        for &vpn in stale.iter().skip(1).chain(core::iter::once(&u64::MAX)) {
            let Some((start, end)) = run else { break };
            if vpn == end + 1 {
                run = Some((start, vpn));
                continue;
            }
            ok &= space
                .region
                .clear(start * PAGE, (end - start + 1) * PAGE)
                .is_ok();
            self.counts.clears += 1;
            run = Some((vpn, vpn));
        }
        for vpn in &stale {
            space.mapped.remove(vpn);
        }
        if !ok {
            self.spaces.swap_remove(i);
        }
    }

    /// The region of `asid` for a slice, reserved if it has none (giving up the least
    /// recently run one beyond `MAX_SPACES`); `None` if the host will not reserve it.
    pub(crate) fn space(&mut self, asid: Asid) -> Option<SpaceRef<'_>> {
        self.slices += 1;
        let i = match self.spaces.iter().position(|s| s.asid == asid) {
            Some(i) => i,
            None => {
                let region = Region::reserve(REGION_BYTES).ok()?;
                if self.spaces.len() >= MAX_SPACES {
                    let oldest = (0..self.spaces.len()).min_by_key(|&i| self.spaces[i].last_run)?;
                    self.spaces.swap_remove(oldest);
                }
                self.counts.regions += 1;
                self.spaces.push(Space {
                    asid,
                    region,
                    mapped: BTreeMap::new(),
                    last_run: 0,
                });
                self.spaces.len() - 1
            }
        };
        let space = &mut self.spaces[i];
        space.last_run = self.slices;
        Some(SpaceRef {
            region: &mut space.region,
            mapped: &mut space.mapped,
            fd: &self.fd,
            ram_base: self.ram_base,
            counts: &mut self.counts,
        })
    }
}

/// A thread's memory on the mmap back end for one slice: its region, with the
/// software MMU for the slow path.
pub(crate) struct MappedMmu<'a, 't, 'r> {
    space: SpaceRef<'r>,
    soft: SoftMmu<'a, 't>,
}

impl<'a, 't, 'r> MappedMmu<'a, 't, 'r> {
    pub(crate) fn new(soft: SoftMmu<'a, 't>, space: SpaceRef<'r>) -> Self {
        MappedMmu { space, soft }
    }

    /// Whether the slice stopped on a device read waiting for input.
    pub(crate) fn blocked(&self) -> bool {
        self.soft.blocked()
    }

    /// Maps every page of `[address, address + len)` whose translation allows
    /// `access` and is RAM; false at the first that faults, is a device frame or
    /// cannot be mapped (the caller then leaves the access to the software MMU).
    #[cold]
    fn resolve(&mut self, address: u64, len: u64, access: Access) -> bool {
        let Some(end) = address.checked_add(len.max(1) - 1) else {
            return false;
        };
        let mut a = address;
        loop {
            let Ok((page, write)) = self.soft.translation(a, access) else {
                return false;
            };
            if is_device(page) {
                return false;
            }
            let vpn = a / PAGE;
            if self.space.mapped.get(&vpn) != Some(&write) {
                let s = &mut self.space;
                let offset = page - s.ram_base;
                if s.region.map(vpn * PAGE, PAGE, s.fd, offset, write).is_err() {
                    return false;
                }
                s.mapped.insert(vpn, write);
                s.counts.maps += 1;
            }
            let next = (vpn + 1) * PAGE;
            if next > end {
                return true;
            }
            a = next;
        }
    }

    /// Whether every page of the range is mapped for `access` (a guarded probe each).
    fn probed(&mut self, address: u64, len: u64, access: Access) -> bool {
        let Some(end) = address.checked_add(len.max(1) - 1) else {
            return false;
        };
        let mut a = address;
        loop {
            if !self.space.region.probe(a, access == Access::Write) {
                return false;
            }
            let next = (a / PAGE + 1) * PAGE;
            if next > end {
                return true;
            }
            a = next;
        }
    }

    /// Whether the range is mapped for `access`, mapping it if it can be.
    fn ready(&mut self, address: u64, len: u64, access: Access) -> bool {
        self.probed(address, len, access)
            || (self.resolve(address, len, access) && self.probed(address, len, access))
    }

    #[cold]
    #[inline(never)]
    fn load_slow<const N: usize>(&mut self, address: u64) -> Result<[u8; N], Fault> {
        if self.resolve(address, N as u64, Access::Read) {
            if let Some(bytes) = self.space.region.load::<N>(address) {
                return Ok(bytes);
            }
        }
        self.soft.load::<N>(address)
    }

    #[cold]
    #[inline(never)]
    fn store_slow<const N: usize>(&mut self, address: u64, bytes: [u8; N]) -> Result<(), Fault> {
        // Every page is mapped writable before the store, so it cannot stop halfway.
        if self.resolve(address, N as u64, Access::Write) && self.space.region.store(address, bytes)
        {
            return Ok(());
        }
        self.soft.store::<N>(address, bytes)
    }
}

impl Memory for MappedMmu<'_, '_, '_> {
    #[inline(always)]
    fn load<const N: usize>(&mut self, address: u64) -> Result<[u8; N], Fault> {
        match self.space.region.load::<N>(address) {
            Some(bytes) => Ok(bytes),
            None => self.load_slow(address),
        }
    }

    #[inline(always)]
    fn store<const N: usize>(&mut self, address: u64, bytes: [u8; N]) -> Result<(), Fault> {
        // A store crossing a page boundary takes the slow path, which maps both pages
        // first: nothing is written if either faults.
        if (address % PAGE) as usize + N <= PAGE as usize && self.space.region.store(address, bytes)
        {
            return Ok(());
        }
        self.store_slow(address, bytes)
    }

    fn check(&mut self, address: u64, len: u64, access: Access) -> Result<(), Fault> {
        if len == 0 || self.ready(address, len, access) {
            return Ok(());
        }
        self.soft.check(address, len, access)
    }

    fn copy(&mut self, dst: u64, src: u64, len: usize) -> Result<(), Fault> {
        let len = len.min(CHUNK);
        if len > 0
            && self.ready(src, len as u64, Access::Read)
            && self.ready(dst, len as u64, Access::Write)
        {
            // Through a buffer, as the software MMU copies (the two ranges may overlap
            // or be one frame mapped twice).
            let mut buf = [0u8; CHUNK];
            if self.space.region.read(src, &mut buf[..len])
                && self.space.region.write(dst, &buf[..len])
            {
                return Ok(());
            }
        }
        self.soft.copy(dst, src, len)
    }

    fn fill(&mut self, dst: u64, byte: u8, len: usize) -> Result<(), Fault> {
        let len = len.min(CHUNK);
        if len > 0
            && self.ready(dst, len as u64, Access::Write)
            && self.space.region.fill(dst, byte, len)
        {
            return Ok(());
        }
        self.soft.fill(dst, byte, len)
    }

    fn size(&self) -> u64 {
        self.soft.size()
    }
}

#[cfg(test)]
mod tests;
