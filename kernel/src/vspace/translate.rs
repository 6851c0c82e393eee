//! The translation API the architectures call on a TLB miss: walk a VSpace
//! for an address and an access kind and get the physical page and its
//! rights, or the VMFault to raise. It reads a few words (through any
//! [`WordSource`], so the vm run loop can walk memory it has split) and never
//! allocates.

use super::{Asid, TOP_LEVEL, USER_TOP, bits_left, entry_addr};
use crate::arch::Arch;
use crate::arch::sv39::Pte;
use crate::memory::Ram;
use crate::memory::{PAddr, WordSource};
use crate::state::Kernel;

/// How a thread touches memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    /// A load.
    Read,
    /// A store.
    Write,
    /// An instruction fetch.
    Execute,
}

/// A successful translation of one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Translation {
    /// Physical address of the 4 KiB page holding the address (a large
    /// mapping is cut into 4 KiB pieces so TLBs can cache 4 KiB entries).
    pub page: PAddr,
    /// log2 of the size of the mapping the walk found (12, 21 or 30).
    pub mapping_bits: u32,
    /// Loads are allowed.
    pub read: bool,
    /// Stores are allowed.
    pub write: bool,
    /// Instruction fetches are allowed.
    pub execute: bool,
}

impl Translation {
    /// Whether `access` is allowed.
    pub const fn allows(&self, access: Access) -> bool {
        match access {
            Access::Read => self.read,
            Access::Write => self.write,
            Access::Execute => self.execute,
        }
    }
}

/// A failed translation: the VMFault the thread takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VmFault {
    /// The faulting address.
    pub address: u64,
    /// What the thread tried.
    pub access: Access,
}

/// Translates `vaddr` for `access` in the VSpace rooted at `root`. The
/// result's rights are the mapping's; the access itself must be allowed.
pub fn translate(
    mem: &impl WordSource,
    root: PAddr,
    vaddr: u64,
    access: Access,
) -> Result<Translation, VmFault> {
    let fault = VmFault {
        address: vaddr,
        access,
    };
    if vaddr >= USER_TOP {
        return Err(fault);
    }
    let (mut table, mut level) = (root, TOP_LEVEL);
    loop {
        let Some(word) = mem.read_word(entry_addr(table, level, vaddr)) else {
            return Err(fault);
        };
        match Pte::decode(word) {
            Pte::Table(next) if level > 0 => {
                table = next;
                level -= 1;
            }
            Pte::Leaf {
                paddr,
                read,
                write,
                execute,
                user: true,
                ..
            } => {
                let bits = bits_left(level);
                let offset = vaddr & ((1 << bits) - 1) & !0xfff;
                let t = Translation {
                    page: paddr + offset,
                    mapping_bits: bits,
                    read,
                    write,
                    execute,
                };
                return if t.allows(access) { Ok(t) } else { Err(fault) };
            }
            _ => return Err(fault),
        }
    }
}

impl<A: Arch, R: Ram> Kernel<A, R> {
    /// Translates `vaddr` for `access` as thread `t` sees memory; a thread
    /// with no valid VSpace faults on every access.
    pub fn translate_for_thread(
        &self,
        t: PAddr,
        vaddr: u64,
        access: Access,
    ) -> Result<(Asid, Translation), VmFault> {
        let Some((asid, root)) = self.thread_vspace(t) else {
            return Err(VmFault {
                address: vaddr,
                access,
            });
        };
        translate(&self.mem, root, vaddr, access).map(|t| (asid, t))
    }
}
