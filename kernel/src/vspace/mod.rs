//! VSpaces: the ASID table, walks over the Sv39-style page tables that live in
//! kernel memory, what deleting a frame, page table, VSpace root or ASID pool
//! does to the mappings that depended on it, and the TLB-flush notices the
//! architecture receives whenever a cached translation becomes stale.
//!
//! A VSpace is a top-level page table assigned an ASID from an ASID pool; the
//! kernel's ASID table names the pools. Frame and page-table caps remember
//! `(asid, vaddr)` where they are mapped. As in seL4, those records may go
//! stale (the root was deleted, the ASID reused): every unmap re-walks the
//! current tables and acts only if the entry still points at the same object.

pub mod translate;

use crate::arch::Arch;
use crate::arch::sv39::{self, Pte};
use crate::cap::{Cap, FrameSize};
use crate::memory::Ram;
use crate::memory::{PAddr, PhysMem};
use crate::object::tcb::{self, TcbObject, TcbView};
use crate::slot::RawSlot;
use crate::state::Kernel;
use selvm_abi::object::{ASID_HIGH_BITS, ASID_POOL_INDEX_BITS, PAGE_TABLE_BITS, TCB_VTABLE};
use selvm_abi::{LookupFault, Word};

/// An address-space identifier (7 pool bits, 9 index bits; 0 is never assigned).
pub type Asid = u16;

/// Number of ASID pools the ASID table can name.
pub const ASID_POOLS: usize = 1 << ASID_HIGH_BITS;
/// ASIDs one pool serves.
pub const POOL_ENTRIES: u64 = 1 << ASID_POOL_INDEX_BITS;
/// First virtual address user mappings may not reach (seL4_UserTop of Sv39).
pub const USER_TOP: u64 = 0x0000_003f_ffff_f000;
/// The level of a VSpace root (levels count down to 0, the 4 KiB level).
pub const TOP_LEVEL: u32 = sv39::LEVELS - 1;
/// Entries in one page table.
pub const PT_ENTRIES: u64 = 1 << sv39::INDEX_BITS;

/// The kernel's ASID table: the pool serving each block of 512 ASIDs (0 = none).
#[derive(Debug, Clone)]
pub struct AsidTable {
    pub(crate) pools: [PAddr; ASID_POOLS],
}

impl Default for AsidTable {
    fn default() -> Self {
        AsidTable {
            pools: [0; ASID_POOLS],
        }
    }
}

impl AsidTable {
    /// The pool serving `asid`, if there is one.
    #[inline]
    pub fn pool_of(&self, asid: Asid) -> Option<PAddr> {
        let p = self.pools[usize::from(asid) >> ASID_POOL_INDEX_BITS];
        (p != 0).then_some(p)
    }
}

/// The VSpace `(asid, root)` a thread whose VTable slot stores `vtable` runs in: a
/// mapped page table that its ASID still names (seL4's `setVMRoot` check; what
/// [`Kernel::find_vspace_for_asid`] finds).
#[inline(always)]
pub(crate) fn vspace_of_root(
    mem: &PhysMem<impl Ram>,
    asids: &AsidTable,
    vtable: crate::cap::CapWords,
) -> Option<(Asid, PAddr)> {
    let (ptr, asid) = crate::cap::mapped_page_table_fields(vtable)?;
    let pool = asids.pool_of(asid)?;
    let root = mem.read(pool + 8 * (u64::from(asid) % POOL_ENTRIES));
    (root == ptr && root != 0).then_some((asid, ptr))
}

/// What the architecture must forget from its translation caches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlbFlush {
    /// Every translation of the page at `vaddr` in `asid` (any size).
    Page {
        /// The address space.
        asid: Asid,
        /// A virtual address inside the page.
        vaddr: u64,
    },
    /// Every translation of `asid` (a page table went, or the ASID did).
    Asid(Asid),
}

/// Address bits a page-table entry at `level` covers (12, 21, 30).
pub const fn bits_left(level: u32) -> u32 {
    12 + level * sv39::INDEX_BITS
}

/// The page size whose frames a leaf at `bits` maps.
pub const fn frame_size_for_bits(bits: u32) -> Option<FrameSize> {
    match bits {
        12 => Some(FrameSize::Small),
        21 => Some(FrameSize::Large),
        30 => Some(FrameSize::Huge),
        _ => None,
    }
}

/// Where an entry of a walk sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PtSlot {
    /// Physical address of the entry.
    pub addr: PAddr,
    /// Its level (`TOP_LEVEL` for the root's entries).
    pub level: u32,
}

impl PtSlot {
    /// Address bits the entry covers.
    pub const fn bits_left(self) -> u32 {
        bits_left(self.level)
    }
}

/// The entry of `table` (a page table at `level`) that `vaddr` selects.
pub fn entry_addr(table: PAddr, level: u32, vaddr: u64) -> PAddr {
    table + 8 * sv39::index(vaddr, level) as u64
}

/// The next table a valid table entry points at; an entry pointing outside
/// memory (never written by the kernel) reads as a leaf so no walk leaves RAM.
fn next_table(mem: &PhysMem<impl Ram>, entry: PAddr) -> Option<PAddr> {
    match Pte::decode(mem.read(entry)) {
        Pte::Table(next) if mem.contains(next, 1 << PAGE_TABLE_BITS) => Some(next),
        _ => None,
    }
}

/// seL4's `lookupPTSlot`: walks from `root` through table entries and returns
/// the entry where the walk for `vaddr` stops (a leaf, an invalid entry, or
/// the last level).
pub fn lookup_pt_slot(mem: &PhysMem<impl Ram>, root: PAddr, vaddr: u64) -> PtSlot {
    let (mut table, mut level) = (root, TOP_LEVEL);
    loop {
        let addr = entry_addr(table, level, vaddr);
        match next_table(mem, addr) {
            Some(next) if level > 0 => {
                table = next;
                level -= 1;
            }
            _ => return PtSlot { addr, level },
        }
    }
}

/// The entry above level 0 in `root`'s tree that points at page table
/// `target` on the walk for `vaddr`, if the walk meets it.
fn lookup_parent_entry(
    mem: &PhysMem<impl Ram>,
    root: PAddr,
    vaddr: u64,
    target: PAddr,
) -> Option<PAddr> {
    let (mut table, mut level) = (root, TOP_LEVEL);
    while level > 0 {
        let addr = entry_addr(table, level, vaddr);
        let next = next_table(mem, addr)?;
        if next == target {
            return Some(addr);
        }
        table = next;
        level -= 1;
    }
    None
}

impl<A: Arch, R: Ram> Kernel<A, R> {
    /// The ASID table.
    pub fn asid_table(&self) -> &AsidTable {
        &self.asids
    }

    /// seL4's `findVSpaceForASID`: the root page table assigned `asid`.
    #[inline]
    pub fn find_vspace_for_asid(&self, asid: Asid) -> Result<PAddr, LookupFault> {
        let pool = self.asids.pool_of(asid).ok_or(LookupFault::InvalidRoot)?;
        let root = self.mem.read(pool + 8 * (u64::from(asid) % POOL_ENTRIES));
        if asid == 0 || root == 0 {
            return Err(LookupFault::InvalidRoot);
        }
        Ok(root)
    }

    /// The VSpace thread `t` runs in (seL4's `setVMRoot` check): its VTable
    /// slot holds a page table assigned an ASID that still maps to it.
    /// Read from the stored words of the cap: the platform asks on every switch.
    #[inline]
    pub fn thread_vspace(&self, t: PAddr) -> Option<(Asid, PAddr)> {
        self.vspace_of_root(self.mem.object::<RawSlot>(tcb::slot(t, TCB_VTABLE).0).cap)
    }

    /// Where a platform resumes the current thread ([`Kernel::resume`]); `None`
    /// while the idle thread runs.
    #[inline]
    pub fn resume_current(&mut self) -> Option<(Option<(Asid, PAddr)>, *mut Word)> {
        let t = self.sched.current;
        (t != self.sched.idle).then(|| self.resume(t))
    }

    /// Where a platform resumes user thread `t`, read with one look at its TCB: its
    /// VSpace as [`Kernel::thread_vspace`] gives it, and the address of its saved
    /// context (`context_mut(t)`, for the platform's exit to restore from).
    #[inline(always)]
    pub fn resume(&mut self, t: PAddr) -> (Option<(Asid, PAddr)>, *mut Word) {
        let view = self.mem.object_mut::<TcbView<A::Tcb>>(t);
        let vtable = [view.head[4 * TCB_VTABLE], view.head[4 * TCB_VTABLE + 1]];
        let context = view.tail.context_mut().as_mut_ptr();
        (self.vspace_of_root(vtable), context)
    }

    /// The VSpace `(asid, root)` a thread whose VTable slot stores `vtable` runs in.
    #[inline(always)]
    pub(crate) fn vspace_of_root(&self, vtable: crate::cap::CapWords) -> Option<(Asid, PAddr)> {
        vspace_of_root(&self.mem, &self.asids, vtable)
    }

    /// Removes the mapping of frame `frame` (of `size`) at `vaddr` in `asid`,
    /// if the tables still hold exactly that mapping (seL4's `unmapPage`).
    pub(crate) fn unmap_page(&mut self, size: FrameSize, asid: Asid, vaddr: u64, frame: PAddr) {
        let Ok(root) = self.find_vspace_for_asid(asid) else {
            return;
        };
        let slot = lookup_pt_slot(&self.mem, root, vaddr);
        if slot.bits_left() != size.bits() {
            return;
        }
        if let Pte::Leaf { paddr, .. } = Pte::decode(self.mem.read(slot.addr)) {
            if paddr == frame {
                self.mem.write(slot.addr, 0);
                self.arch.flush_tlb(TlbFlush::Page { asid, vaddr });
            }
        }
    }

    /// Unlinks page table `pt` from `asid`'s tables at `vaddr`, if it is still
    /// linked there (seL4's `unmapPageTable`).
    pub(crate) fn unmap_page_table(&mut self, asid: Asid, vaddr: u64, pt: PAddr) {
        let Ok(root) = self.find_vspace_for_asid(asid) else {
            return;
        };
        if let Some(entry) = lookup_parent_entry(&self.mem, root, vaddr, pt) {
            self.mem.write(entry, 0);
            self.arch.flush_tlb(TlbFlush::Asid(asid));
        }
    }

    /// Gives the new VSpace root `root` the kernel's own entries (seL4's
    /// `copyGlobalMappings`).
    pub(crate) fn copy_kernel_root_entries(&mut self, root: PAddr) {
        for i in A::KERNEL_ROOT_ENTRIES {
            let entry = self.arch.kernel_root_entry(i);
            self.mem.write(root + 8 * i as u64, entry);
        }
    }

    /// The VSpace root `root` is going: free its ASID (seL4's `deleteASID`).
    pub(crate) fn delete_asid(&mut self, asid: Asid, root: PAddr) {
        if let Some(pool) = self.asids.pool_of(asid) {
            let entry = pool + 8 * (u64::from(asid) % POOL_ENTRIES);
            if self.mem.read(entry) == root {
                self.mem.write(entry, 0);
                self.arch.flush_tlb(TlbFlush::Asid(asid));
            }
        }
    }

    /// The ASID pool `pool` serving from `base` is going: every ASID it
    /// assigned is freed (seL4's `deleteASIDPool`).
    pub(crate) fn delete_asid_pool(&mut self, base: Asid, pool: PAddr) {
        let index = usize::from(base) >> ASID_POOL_INDEX_BITS;
        if self.asids.pools.get(index) != Some(&pool) {
            return;
        }
        for i in 0..POOL_ENTRIES {
            if self.mem.read(pool + 8 * i) != 0 {
                self.arch.flush_tlb(TlbFlush::Asid(base + i as Asid));
            }
        }
        self.asids.pools[index] = 0;
    }

    /// What deleting a VSpace cap does to the mappings (seL4's arch
    /// `finaliseCap`): a mapped frame cap is unmapped whether or not it is
    /// the last cap; the last cap of a page table unlinks it (or frees its
    /// ASID if it is a root); the last cap of a pool frees its ASIDs.
    pub(crate) fn finalise_vspace_cap(&mut self, cap: Cap, is_final: bool) {
        match cap {
            Cap::Frame {
                ptr,
                size,
                mapping: Some((asid, vaddr)),
                ..
            } if !cfg!(feature = "mutation-unmap") => self.unmap_page(size, asid, vaddr, ptr),
            Cap::PageTable {
                ptr,
                mapping: Some((asid, vaddr)),
            } if is_final => {
                if self.find_vspace_for_asid(asid) == Ok(ptr) {
                    self.delete_asid(asid, ptr);
                } else {
                    self.unmap_page_table(asid, vaddr, ptr);
                }
            }
            Cap::AsidPool { ptr, asid_base } if is_final => self.delete_asid_pool(asid_base, ptr),
            _ => {}
        }
    }
}
