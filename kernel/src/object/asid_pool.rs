//! ASIDs: ASIDControl MakePool turns a 4 KiB untyped into the pool serving the
//! next free block of 512 ASIDs; ASIDPool Assign gives an unmapped page table
//! the pool's first free ASID, which makes it a VSpace root. A pool is an
//! array of 512 words, each the root page table of one ASID (0 = free).

use crate::arch::Arch;
use crate::cap::Cap;
use crate::cdt;
use crate::cspace::lookup_for_cnode_op;
use crate::error::SyscallError;
use crate::invocation::Invocation;
use crate::memory::PAddr;
use crate::memory::Ram;
use crate::slot::{SlotMemory, SlotRef};
use crate::state::Kernel;
use crate::vspace::{Asid, POOL_ENTRIES};
use selvm_abi::args::{AsidControlMakePool as MakePool, AsidPoolAssign};
use selvm_abi::object::{ASID_POOL_BITS, ASID_POOL_INDEX_BITS};
use selvm_abi::{InvocationLabel as L, LookupFault};

/// A validated ASID invocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsidOp {
    /// Make the untyped at `parent` (4 KiB, no children) a pool for ASIDs
    /// from `base`, its cap in `dest`.
    MakePool {
        /// The untyped's slot.
        parent: SlotRef,
        /// The empty destination slot.
        dest: SlotRef,
        /// The pool's first ASID.
        base: Asid,
    },
    /// Assign `asid` (from `pool`) to the page table whose cap is at `slot`.
    Assign {
        /// The pool object.
        pool: PAddr,
        /// The ASID.
        asid: Asid,
        /// The page table cap's slot.
        slot: SlotRef,
    },
}

impl<A: Arch, R: Ram> Kernel<A, R> {
    /// Validates an ASIDControl invocation.
    pub(crate) fn decode_asid_control(&self, inv: &Invocation<'_>) -> Result<AsidOp, SyscallError> {
        if L::from_word(inv.label) != Some(L::AsidControlMakePool) {
            return Err(SyscallError::IllegalOperation);
        }
        let (Some(untyped), Some(root), true) = (
            inv.extra[MakePool::UNTYPED],
            inv.extra_cap(MakePool::ROOT),
            inv.mrs.len() >= MakePool::MRS,
        ) else {
            return Err(SyscallError::TruncatedMessage);
        };
        let Some(free) = self.asids.pools.iter().position(|&p| p == 0) else {
            return Err(SyscallError::DeleteFirst);
        };
        let base = (free as Asid) << ASID_POOL_INDEX_BITS;
        match untyped.cap {
            Cap::Untyped {
                size_bits,
                is_device: false,
                ..
            } if u32::from(size_bits) == ASID_POOL_BITS => {}
            _ => return Err(SyscallError::InvalidCapability { cap: 1 }),
        }
        if cdt::has_children(&self.mem, untyped.slot) {
            return Err(SyscallError::RevokeFirst);
        }
        let (index, depth) = (inv.mr(MakePool::INDEX), inv.mr(MakePool::DEPTH));
        let dest = lookup_for_cnode_op(&self.mem, false, root, index, depth)?;
        if !self.mem.cap(dest).is_null() {
            return Err(SyscallError::DeleteFirst);
        }
        Ok(AsidOp::MakePool {
            parent: untyped.slot,
            dest,
            base,
        })
    }

    /// Validates an ASIDPool invocation on the pool cap `cap`.
    pub(crate) fn decode_asid_pool(
        &self,
        cap: Cap,
        inv: &Invocation<'_>,
    ) -> Result<AsidOp, SyscallError> {
        let Cap::AsidPool { ptr, asid_base } = cap else {
            return Err(SyscallError::IllegalOperation);
        };
        if L::from_word(inv.label) != Some(L::AsidPoolAssign) {
            return Err(SyscallError::IllegalOperation);
        }
        let Some(vspace) = inv.extra[AsidPoolAssign::VSPACE] else {
            return Err(SyscallError::TruncatedMessage);
        };
        if !matches!(vspace.cap, Cap::PageTable { mapping: None, .. }) {
            return Err(SyscallError::InvalidCapability { cap: 1 });
        }
        let Some(pool) = self.asids.pool_of(asid_base) else {
            return Err(SyscallError::FailedLookup {
                was_source: false,
                fault: LookupFault::InvalidRoot,
            });
        };
        if pool != ptr {
            return Err(SyscallError::InvalidCapability { cap: 0 });
        }
        let free = (0..POOL_ENTRIES)
            .find(|&i| u64::from(asid_base) + i != 0 && self.mem.read(pool + 8 * i) == 0);
        let Some(i) = free else {
            return Err(SyscallError::DeleteFirst);
        };
        Ok(AsidOp::Assign {
            pool,
            asid: asid_base + i as Asid,
            slot: vspace.slot,
        })
    }

    /// Performs a validated ASID invocation.
    pub(crate) fn perform_asid(&mut self, op: AsidOp) {
        match op {
            AsidOp::MakePool { parent, dest, base } => {
                let Cap::Untyped {
                    ptr,
                    size_bits,
                    is_device,
                    ..
                } = self.mem.cap(parent)
                else {
                    return;
                };
                let full = Cap::Untyped {
                    ptr,
                    size_bits,
                    is_device,
                    watermark: 1 << size_bits,
                };
                self.mem.set_cap(parent, full);
                self.mem.zero(ptr, 1 << ASID_POOL_BITS);
                let pool = Cap::AsidPool {
                    ptr,
                    asid_base: base,
                };
                cdt::insert_derived(&mut self.mem, pool, parent, dest);
                self.asids.pools[usize::from(base) >> ASID_POOL_INDEX_BITS] = ptr;
            }
            AsidOp::Assign { pool, asid, slot } => {
                if let Cap::PageTable { ptr, .. } = self.mem.cap(slot) {
                    self.mem.set_cap(
                        slot,
                        Cap::PageTable {
                            ptr,
                            mapping: Some((asid, 0)),
                        },
                    );
                    self.copy_kernel_root_entries(ptr);
                    self.mem
                        .write(pool + 8 * (u64::from(asid) % POOL_ENTRIES), ptr);
                }
            }
        }
    }
}
