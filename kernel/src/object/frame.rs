//! Frames: PageMap (with rights masked by the cap's and an execute-never
//! attribute), PageUnmap and PageGetAddress, in seL4 13.0's check order.

use crate::arch::Arch;
use crate::arch::sv39::Pte;
use crate::cap::{Cap, VmRights, mask_rights};
use crate::error::SyscallError;
use crate::invocation::{Invocation, ReplyWords};
use crate::memory::PAddr;
use crate::memory::Ram;
use crate::slot::{SlotMemory, SlotRef};
use crate::state::Kernel;
use crate::vspace::{Asid, TlbFlush, USER_TOP, lookup_pt_slot};
use selvm_abi::args::{PageGetAddress, PageMap};
use selvm_abi::{CapRights, InvocationLabel as L, LookupFault, Word};

/// A validated frame invocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameOp {
    /// Write `pte` at `entry` and record the mapping in the cap at `slot`.
    Map {
        /// The frame cap's slot.
        slot: SlotRef,
        /// The cap with its new mapping.
        cap: Cap,
        /// The page-table entry to write.
        entry: PAddr,
        /// Its new value.
        pte: u64,
        /// The address space (for the flush of a remap).
        asid: Asid,
        /// The virtual address.
        vaddr: u64,
    },
    /// Remove the cap's mapping.
    Unmap(SlotRef),
    /// Reply with the frame's physical address.
    GetAddress(PAddr),
}

/// `cap` (a frame cap) recording `mapping`; other caps are returned unchanged.
fn with_mapping(cap: Cap, mapping: Option<(Asid, u64)>) -> Cap {
    match cap {
        Cap::Frame {
            ptr,
            size,
            rights,
            is_device,
            ..
        } => Cap::Frame {
            ptr,
            size,
            rights,
            is_device,
            mapping,
        },
        other => other,
    }
}

/// The user entry for a frame: no user access without rights, so a
/// kernel-only mapping that is not executable is no mapping at all.
fn user_pte(frame: PAddr, rights: VmRights, execute: bool) -> u64 {
    let (read, write) = match rights {
        VmRights::KernelOnly => (false, false),
        VmRights::ReadOnly => (true, false),
        VmRights::ReadWrite => (true, true),
    };
    if !read && !execute {
        return 0;
    }
    Pte::Leaf {
        paddr: frame,
        read,
        write,
        execute,
        user: rights != VmRights::KernelOnly,
        global: false,
    }
    .encode()
}

impl<A: Arch, R: Ram> Kernel<A, R> {
    /// Validates an invocation of the frame cap `cap` in `slot`.
    pub(crate) fn decode_frame(
        &self,
        slot: SlotRef,
        cap: Cap,
        inv: &Invocation<'_>,
    ) -> Result<FrameOp, SyscallError> {
        let Cap::Frame {
            ptr, size, mapping, ..
        } = cap
        else {
            return Err(SyscallError::IllegalOperation);
        };
        match L::from_word(inv.label) {
            Some(L::PageUnmap) => return Ok(FrameOp::Unmap(slot)),
            Some(L::PageGetAddress) => return Ok(FrameOp::GetAddress(ptr)),
            Some(L::PageMap) => {}
            _ => return Err(SyscallError::IllegalOperation),
        }
        let (Some(vspace), true) = (
            inv.extra_cap(PageMap::VSPACE),
            inv.mrs.len() >= PageMap::MRS,
        ) else {
            return Err(SyscallError::TruncatedMessage);
        };
        let vaddr = inv.mr(PageMap::VADDR);
        let (rights_word, attr) = (inv.mr(PageMap::RIGHTS), inv.mr(PageMap::ATTR));
        let Cap::PageTable {
            ptr: root,
            mapping: Some((asid, _)),
        } = vspace
        else {
            return Err(SyscallError::InvalidCapability { cap: 1 });
        };
        let found =
            self.find_vspace_for_asid(asid)
                .map_err(|fault| SyscallError::FailedLookup {
                    was_source: false,
                    fault,
                })?;
        if found != root {
            return Err(SyscallError::InvalidCapability { cap: 1 });
        }
        let page_bits = size.bits();
        let top = vaddr.checked_add((1 << page_bits) - 1);
        if top.is_none_or(|t| t >= USER_TOP) {
            return Err(SyscallError::InvalidArgument { arg: 0 });
        }
        if vaddr & ((1 << page_bits) - 1) != 0 {
            return Err(SyscallError::AlignmentError);
        }
        let entry = lookup_pt_slot(&self.mem, root, vaddr);
        if entry.bits_left() != page_bits {
            return Err(SyscallError::FailedLookup {
                was_source: false,
                fault: LookupFault::MissingCapability {
                    bits_left: entry.bits_left().into(),
                },
            });
        }
        let old = Pte::decode(self.mem.read(entry.addr));
        match mapping {
            Some((mapped_asid, mapped_vaddr)) => {
                if mapped_asid != asid {
                    return Err(SyscallError::InvalidCapability { cap: 1 });
                }
                if mapped_vaddr != vaddr {
                    return Err(SyscallError::InvalidArgument { arg: 0 });
                }
                if matches!(old, Pte::Table(_)) {
                    return Err(SyscallError::DeleteFirst);
                }
            }
            None if old != Pte::Invalid => return Err(SyscallError::DeleteFirst),
            None => {}
        }
        let masked = mask_rights(CapRights::from_word(rights_word), cap);
        let Cap::Frame { rights, .. } = masked else {
            return Err(SyscallError::IllegalOperation);
        };
        let execute = attr & 1 == 0;
        Ok(FrameOp::Map {
            slot,
            cap: with_mapping(cap, Some((asid, vaddr))),
            entry: entry.addr,
            pte: user_pte(ptr, rights, execute),
            asid,
            vaddr,
        })
    }

    /// Performs a validated frame invocation; GetAddress replies with the
    /// physical address.
    pub(crate) fn perform_frame(&mut self, op: FrameOp) -> Option<ReplyWords> {
        match op {
            FrameOp::Map {
                slot,
                cap,
                entry,
                pte,
                asid,
                vaddr,
            } => {
                self.mem.set_cap(slot, cap);
                let was_valid = self.mem.read(entry) != 0;
                self.mem.write(entry, pte);
                if was_valid {
                    // A remap may lower rights: cached translations are stale.
                    self.arch.flush_tlb(TlbFlush::Page { asid, vaddr });
                }
                None
            }
            FrameOp::Unmap(slot) => {
                let cap = self.mem.cap(slot);
                if let Cap::Frame {
                    ptr,
                    size,
                    mapping: Some((asid, vaddr)),
                    ..
                } = cap
                {
                    self.unmap_page(size, asid, vaddr, ptr);
                }
                self.mem.set_cap(slot, with_mapping(cap, None));
                None
            }
            FrameOp::GetAddress(paddr) => {
                let mut words = ReplyWords::default();
                words.push(paddr as Word);
                debug_assert_eq!(words.as_slice()[PageGetAddress::REPLY_PADDR], paddr);
                Some(words)
            }
        }
    }
}
