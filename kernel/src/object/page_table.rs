//! Page tables: PageTableMap links an unmapped table into a VSpace at the
//! level where the walk for the address stops; PageTableUnmap (last cap only,
//! never a VSpace root) unlinks it and clears its entries.

use crate::arch::Arch;
use crate::arch::sv39::Pte;
use crate::cap::Cap;
use crate::cdt;
use crate::error::SyscallError;
use crate::invocation::Invocation;
use crate::memory::PAddr;
use crate::memory::Ram;
use crate::slot::{SlotMemory, SlotRef};
use crate::state::Kernel;
use crate::vspace::{PT_ENTRIES, USER_TOP, lookup_pt_slot};
use selvm_abi::InvocationLabel as L;
use selvm_abi::args::PageTableMap;
use selvm_abi::object::PAGE_TABLE_BITS;

/// A validated page-table invocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageTableOp {
    /// Write `pte` at `entry`; the cap at `slot` records the mapping.
    Map {
        /// The page table cap's slot.
        slot: SlotRef,
        /// The cap with its mapping.
        cap: Cap,
        /// The parent entry.
        entry: PAddr,
        /// The table entry pointing at the new table.
        pte: u64,
    },
    /// Unlink and clear the table whose (final) cap is at this slot.
    Unmap(SlotRef),
}

impl<A: Arch, R: Ram> Kernel<A, R> {
    /// Validates an invocation of the page-table cap `cap` in `slot`.
    pub(crate) fn decode_page_table(
        &self,
        slot: SlotRef,
        cap: Cap,
        inv: &Invocation<'_>,
    ) -> Result<PageTableOp, SyscallError> {
        let Cap::PageTable { ptr, mapping } = cap else {
            return Err(SyscallError::IllegalOperation);
        };
        match L::from_word(inv.label) {
            Some(L::PageTableUnmap) => {
                if !cdt::is_final(&self.mem, slot) {
                    return Err(SyscallError::RevokeFirst);
                }
                // A VSpace root goes only by deleting or revoking it.
                if let Some((asid, _)) = mapping {
                    if self.find_vspace_for_asid(asid) == Ok(ptr) {
                        return Err(SyscallError::RevokeFirst);
                    }
                }
                return Ok(PageTableOp::Unmap(slot));
            }
            Some(L::PageTableMap) => {}
            _ => return Err(SyscallError::IllegalOperation),
        }
        let vspace = inv.extra_cap(PageTableMap::VSPACE);
        let (Some(vspace), true) = (vspace, inv.mrs.len() >= PageTableMap::MRS) else {
            return Err(SyscallError::TruncatedMessage);
        };
        if mapping.is_some() {
            return Err(SyscallError::InvalidCapability { cap: 0 });
        }
        let Cap::PageTable {
            ptr: root,
            mapping: Some((asid, _)),
        } = vspace
        else {
            return Err(SyscallError::InvalidCapability { cap: 1 });
        };
        let vaddr = inv.mr(PageTableMap::VADDR);
        if vaddr >= USER_TOP {
            return Err(SyscallError::InvalidArgument { arg: 0 });
        }
        let found =
            self.find_vspace_for_asid(asid)
                .map_err(|fault| SyscallError::FailedLookup {
                    was_source: false,
                    fault,
                })?;
        if found != root {
            return Err(SyscallError::InvalidCapability { cap: 1 });
        }
        let entry = lookup_pt_slot(&self.mem, root, vaddr);
        if entry.level == 0 || self.mem.read(entry.addr) != 0 {
            return Err(SyscallError::DeleteFirst);
        }
        Ok(PageTableOp::Map {
            slot,
            // The cap keeps the page-aligned address (the walk needs no more).
            cap: Cap::PageTable {
                ptr,
                mapping: Some((asid, vaddr & !0xfff)),
            },
            entry: entry.addr,
            pte: Pte::Table(ptr).encode(),
        })
    }

    /// Performs a validated page-table invocation.
    pub(crate) fn perform_page_table(&mut self, op: PageTableOp) {
        match op {
            PageTableOp::Map {
                slot,
                cap,
                entry,
                pte,
            } => {
                self.mem.set_cap(slot, cap);
                self.mem.write(entry, pte);
            }
            PageTableOp::Unmap(slot) => {
                if let Cap::PageTable { ptr, mapping } = self.mem.cap(slot) {
                    if let Some((asid, vaddr)) = mapping {
                        self.unmap_page_table(asid, vaddr, ptr);
                        self.mem.zero(ptr, PT_ENTRIES * 8);
                    }
                    self.mem
                        .set_cap(slot, Cap::PageTable { ptr, mapping: None });
                }
            }
        }
    }
}

const _: () = assert!(PT_ENTRIES * 8 == 1 << PAGE_TABLE_BITS);
