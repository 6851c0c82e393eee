//! Random VSpace operations for the property test and the `kernel_vspace`
//! fuzz target: retyping page tables, frames and pool-sized untypeds, ASID
//! pools and assignment, mapping and unmapping tables and frames at colliding
//! addresses, copies, deletes and revokes. After every step the invariant
//! checker runs, and `Translate` steps check the translation API against the
//! caps that record mappings.

use crate::client::Client;
use crate::histogram::{Histogram, outcome_name};
use crate::msg;
use crate::system::{TestKernel, largest_untyped};
use arbitrary::{Arbitrary, Unstructured};
use selvm_abi::args::{
    AsidPoolAssign, PageGetAddress, PageMap, PageTableMap, PageTableUnmap, PageUnmap,
};
use selvm_abi::{CPtr, CapRights, Invocation, ObjectType, Word, boot};
use selvm_kernel::BootSummary;
use selvm_kernel::cap::Cap;
use selvm_kernel::invariants::Violation;
use selvm_kernel::slot::SlotMemory;
use selvm_kernel::vspace::translate::{Access, translate};
use selvm_kernel::vspace::{PtSlot, lookup_pt_slot};
use std::fmt;

/// First root slot the operations use.
pub const FIRST_SLOT: CPtr = 64;
/// How many root slots they use.
pub const SLOTS: CPtr = 48;
/// RAM of a VSpace run: room for a 2 MiB frame (the checker scans all free
/// memory after every step, so more RAM slows fuzzing).
pub const VSPACE_MEMORY: usize = 4 << 20;

/// A virtual address chosen so that mappings collide often.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vaddr {
    /// GiB index (0..2).
    pub gib: u8,
    /// 2 MiB index within it (0..2).
    pub mib: u8,
    /// 4 KiB index within that (0..4).
    pub page: u8,
    /// Below 16: a bad address (misaligned, at the user top, huge).
    pub garble: u8,
}

impl Vaddr {
    /// The address.
    pub fn value(self) -> Word {
        let good = (Word::from(self.gib % 2) << 30)
            | (Word::from(self.mib % 2) << 21)
            | (Word::from(self.page % 4) << 12);
        match self.garble {
            0..=5 => good | 0x10,
            6..=9 => selvm_kernel::vspace::USER_TOP - 0x1000 * Word::from(self.page % 2),
            10..=11 => Word::MAX - 0xfff,
            _ => good,
        }
    }
}

/// One random VSpace operation. Selectors usually pick a slot holding the
/// kind of cap the operand needs (`VspaceRun::pick`), otherwise any of the
/// root slots `FIRST_SLOT..FIRST_SLOT + SLOTS`.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum VspaceOp {
    /// Retype one to three page tables, 4 KiB or 2 MiB frames, or 4 KiB untypeds.
    Retype {
        /// Object kind selector.
        kind: u8,
        /// Destination slot selector.
        slot: u8,
    },
    /// ASIDPool Assign.
    Assign {
        /// Pool selector (even: the boot pool).
        pool: u8,
        /// Page table slot selector.
        pt: u8,
    },
    /// ASIDControl MakePool.
    MakePool {
        /// Untyped slot selector.
        untyped: u8,
        /// Destination slot selector.
        dest: u8,
    },
    /// PageTableMap.
    MapTable {
        /// Page table slot selector.
        pt: u8,
        /// VSpace selector.
        vspace: u8,
        /// Where.
        vaddr: Vaddr,
    },
    /// PageTableUnmap.
    UnmapTable {
        /// Page table slot selector.
        pt: u8,
    },
    /// PageMap.
    MapFrame {
        /// Frame slot selector.
        frame: u8,
        /// VSpace selector.
        vspace: u8,
        /// Where.
        vaddr: Vaddr,
        /// Rights word (low 4 bits); bits 4-5 not both clear: on a missing
        /// page table, map unmapped tables there and retry.
        rights: u8,
        /// Attributes (bit 0: execute never).
        attr: u8,
    },
    /// PageUnmap.
    UnmapFrame {
        /// Frame slot selector.
        frame: u8,
    },
    /// PageGetAddress.
    GetAddress {
        /// Frame slot selector.
        frame: u8,
    },
    /// CNode Copy between root slots with a rights mask.
    Copy {
        /// Source selector.
        src: u8,
        /// Destination selector.
        dest: u8,
        /// Rights word.
        rights: u8,
    },
    /// CNode Delete.
    Delete {
        /// Slot selector.
        slot: u8,
    },
    /// CNode Revoke (selector 0 mod 16: the untyped everything comes from).
    Revoke {
        /// Slot selector.
        slot: u8,
    },
    /// Translate an address in a VSpace and check the answer against the caps.
    Translate {
        /// VSpace selector.
        vspace: u8,
        /// Where.
        vaddr: Vaddr,
        /// A store rather than a load.
        write: bool,
    },
}

impl VspaceOp {
    /// Decodes up to `max` operations from fuzz or property-test bytes.
    pub fn sequence(data: &[u8], max: usize) -> Vec<VspaceOp> {
        let mut u = Unstructured::new(data);
        let mut ops = Vec::new();
        while ops.len() < max {
            match VspaceOp::arbitrary(&mut u) {
                Ok(op) => ops.push(op),
                Err(_) => break,
            }
        }
        ops
    }

    /// The histogram name of the operation.
    pub fn name(&self) -> &'static str {
        match self {
            VspaceOp::Retype { .. } => "retype",
            VspaceOp::Assign { .. } => "asid_assign",
            VspaceOp::MakePool { .. } => "make_pool",
            VspaceOp::MapTable { .. } => "pt_map",
            VspaceOp::UnmapTable { .. } => "pt_unmap",
            VspaceOp::MapFrame { .. } => "page_map",
            VspaceOp::UnmapFrame { .. } => "page_unmap",
            VspaceOp::GetAddress { .. } => "page_get_address",
            VspaceOp::Copy { .. } => "copy",
            VspaceOp::Delete { .. } => "delete",
            VspaceOp::Revoke { .. } => "revoke",
            VspaceOp::Translate { .. } => "translate",
        }
    }
}

/// A failed step: the invariant it broke, or a translation that disagrees
/// with the caps.
#[derive(Debug, Clone)]
pub struct VspaceFinding {
    /// Index of the operation.
    pub step: usize,
    /// The operation.
    pub op: VspaceOp,
    /// What went wrong.
    pub what: String,
}

impl fmt::Display for VspaceFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "step {}: {:?}: {}", self.step, self.op, self.what)
    }
}

/// A kernel under random VSpace operations, acting as its root task.
pub struct VspaceRun<'k, 'm> {
    kernel: &'k mut TestKernel<'m>,
    client: Client,
    untyped: CPtr,
    /// Outcomes per operation.
    pub histogram: Histogram,
}

fn slot(sel: u8) -> CPtr {
    FIRST_SLOT + CPtr::from(sel) % SLOTS
}

/// Which caps an operand should name.
#[derive(Clone, Copy)]
enum Want {
    Empty,
    PageTable,
    UnmappedTable,
    Root,
    Frame,
    Pool,
    PoolUntyped,
    Any,
}

impl Want {
    fn accepts(self, cap: &Cap) -> bool {
        match self {
            Want::Empty => cap.is_null(),
            Want::PageTable => matches!(cap, Cap::PageTable { .. }),
            Want::UnmappedTable => matches!(cap, Cap::PageTable { mapping: None, .. }),
            Want::Root => matches!(
                cap,
                Cap::PageTable {
                    mapping: Some((_, 0)),
                    ..
                }
            ),
            Want::Frame => matches!(cap, Cap::Frame { .. }),
            Want::Pool => matches!(cap, Cap::AsidPool { .. }),
            Want::PoolUntyped => matches!(cap, Cap::Untyped { size_bits: 12, .. }),
            Want::Any => !cap.is_null(),
        }
    }
}

impl<'k, 'm> VspaceRun<'k, 'm> {
    /// Starts on a freshly booted kernel; objects come from its largest untyped.
    pub fn new(kernel: &'k mut TestKernel<'m>, summary: &BootSummary) -> Self {
        let untyped = largest_untyped(summary);
        VspaceRun {
            client: Client::new(summary.root_tcb),
            kernel,
            untyped,
            histogram: Histogram::default(),
        }
    }

    /// Resolves a selector: usually one of the slots (the operation slots
    /// and the boot VSpace and pool) holding what `want` asks for, sometimes
    /// any operation slot, so the error paths stay reachable.
    fn pick(&self, sel: u8, want: Want) -> CPtr {
        let k = &*self.kernel;
        let cap = |i: CPtr| k.memory().cap(k.boot_objects().root_cnode.offset(i));
        // The boot VSpace and pool are offered as operands, never deleted.
        let boot_slots = match want {
            Want::Root => Some(boot::CAP_INIT_THREAD_VSPACE),
            Want::Pool => Some(boot::CAP_INIT_THREAD_ASID_POOL),
            _ => None,
        };
        let fitting: Vec<CPtr> = boot_slots
            .into_iter()
            .chain(FIRST_SLOT..FIRST_SLOT + SLOTS)
            .filter(|&i| match (want, cap(i)) {
                // A root is a table its ASID still names (a table mapped at
                // address 0 records the same kind of mapping).
                (
                    Want::Root,
                    Cap::PageTable {
                        ptr,
                        mapping: Some((asid, _)),
                    },
                ) => k.find_vspace_for_asid(asid) == Ok(ptr),
                (want, c) => want.accepts(&c),
            })
            .collect();
        if sel % 16 == 0 || fitting.is_empty() {
            slot(sel / 16)
        } else {
            fitting[usize::from(sel / 16) % fitting.len()]
        }
    }

    /// Usually an address inside a frame some cap records as mapped in the
    /// VSpace at `v` (so translations hit), otherwise the selector's own.
    fn mapped_vaddr(&self, v: CPtr, sel: Vaddr) -> Word {
        let Cap::PageTable {
            mapping: Some((asid, _)),
            ..
        } = self.cap(v)
        else {
            return sel.value();
        };
        let mapped: Vec<Word> = (FIRST_SLOT..FIRST_SLOT + SLOTS)
            .filter_map(|i| match self.cap(i) {
                Cap::Frame {
                    size,
                    mapping: Some((a, va)),
                    ..
                } if a == asid => {
                    let pages = 1 << (size.bits() - 12);
                    Some(va + Word::from(sel.page) % pages * 0x1000 + 8)
                }
                _ => None,
            })
            .collect();
        match mapped.len() {
            0 => sel.value(),
            _ if sel.garble < 64 => sel.value(),
            n => mapped[usize::from(sel.gib) % n],
        }
    }

    /// The first operation slot holding what `want` asks for.
    fn find(&self, want: Want) -> Option<CPtr> {
        (FIRST_SLOT..FIRST_SLOT + SLOTS).find(|&i| want.accepts(&self.cap(i)))
    }

    fn cap(&self, cptr: CPtr) -> Cap {
        let k = &*self.kernel;
        k.memory().cap(k.boot_objects().root_cnode.offset(cptr))
    }

    /// Like a root task that knows its own layout: usually one of the grid
    /// addresses where the walk in the VSpace at `v` stops at an empty entry
    /// `fits` accepts; otherwise (bad addresses, no fit) the selector's own.
    fn fitting_vaddr(&self, v: CPtr, sel: Vaddr, fits: impl Fn(PtSlot) -> bool) -> Word {
        let k = &*self.kernel;
        let root = match self.cap(v) {
            Cap::PageTable {
                ptr,
                mapping: Some((asid, _)),
            } if k.find_vspace_for_asid(asid) == Ok(ptr) => ptr,
            _ => return sel.value(),
        };
        if sel.garble < 16 {
            return sel.value();
        }
        let grid = (0..16u64).map(|i| ((i >> 3) << 30) | (((i >> 2) & 1) << 21) | ((i & 3) << 12));
        let fitting: Vec<Word> = grid
            .filter(|&va| {
                let slot = lookup_pt_slot(k.memory(), root, va);
                k.memory().read(slot.addr) == 0 && fits(slot)
            })
            .collect();
        match fitting.len() {
            0 => sel.value(),
            n => fitting[usize::from(sel.page) % n],
        }
    }

    fn send<M: Invocation>(&mut self, cptr: CPtr, msg: &M) -> &'static str {
        outcome_name(&self.client.invoke(self.kernel, cptr, msg))
    }

    /// Runs one operation, then the checks.
    pub fn run(&mut self, step: usize, op: VspaceOp) -> Result<(), VspaceFinding> {
        let root = boot::CAP_INIT_THREAD_CNODE;
        let outcome = match op {
            VspaceOp::Retype { kind, slot } => {
                let (ty, size) = match kind % 8 {
                    0..=2 => (ObjectType::PageTable, 0),
                    3..=5 => (ObjectType::SmallPage, 0),
                    6 => (ObjectType::LargePage, 0),
                    _ => (ObjectType::Untyped, 12),
                };
                let count = 1 + Word::from(kind / 8) % 3;
                let at = self.pick(slot, Want::Empty);
                self.send(self.untyped, &msg::retype(ty, size, at, count))
            }
            VspaceOp::Assign { pool, pt } => {
                let (pool, pt) = (
                    self.pick(pool, Want::Pool),
                    self.pick(pt, Want::UnmappedTable),
                );
                self.send(pool, &AsidPoolAssign { vspace: pt })
            }
            VspaceOp::MakePool { untyped, dest } => {
                let (ut, dest) = (
                    self.pick(untyped, Want::PoolUntyped),
                    self.pick(dest, Want::Empty),
                );
                self.send(boot::CAP_ASID_CONTROL, &msg::make_pool(ut, dest))
            }
            VspaceOp::MapTable { pt, vspace, vaddr } => {
                let (pt, v) = (
                    self.pick(pt, Want::UnmappedTable),
                    self.pick(vspace, Want::Root),
                );
                let (vaddr, attr) = (vaddr.value(), 0);
                self.send(
                    pt,
                    &PageTableMap {
                        vaddr,
                        attr,
                        vspace: v,
                    },
                )
            }
            VspaceOp::UnmapTable { pt } => {
                let pt = self.pick(pt, Want::PageTable);
                self.send(pt, &PageTableUnmap {})
            }
            VspaceOp::MapFrame {
                frame,
                vspace,
                vaddr,
                rights,
                attr,
            } => {
                let (f, v) = (self.pick(frame, Want::Frame), self.pick(vspace, Want::Root));
                let bits = match self.cap(f) {
                    Cap::Frame { size, .. } => size.bits(),
                    _ => 12,
                };
                let va = self.fitting_vaddr(v, vaddr, |slot| slot.bits_left() == bits);
                let map = PageMap {
                    vaddr: va,
                    rights: CapRights::from_word(Word::from(rights % 16)),
                    attr: Word::from(attr % 2),
                    vspace: v,
                };
                let mut r = self.send(f, &map);
                // As user-level VSpace libraries do: on a missing page table,
                // map unmapped ones there (while any are left) and retry.
                while r == "FailedLookup" && rights & 0x30 != 0 {
                    let Some(pt) = self.find(Want::UnmappedTable) else {
                        break;
                    };
                    let table = PageTableMap {
                        vaddr: va,
                        attr: 0,
                        vspace: v,
                    };
                    let linked = self.send(pt, &table);
                    self.histogram.record("pt_map", linked);
                    if linked != "ok" {
                        break;
                    }
                    r = self.send(f, &map);
                }
                r
            }
            VspaceOp::UnmapFrame { frame } => {
                // Mostly a random slot: mappings should live long enough to
                // be translated.
                let want = if frame % 4 == 0 {
                    Want::Frame
                } else {
                    Want::Any
                };
                let f = self.pick(frame / 4, want);
                self.send(f, &PageUnmap {})
            }
            VspaceOp::GetAddress { frame } => {
                let f = self.pick(frame, Want::Frame);
                self.send(f, &PageGetAddress {})
            }
            VspaceOp::Copy { src, dest, rights } => {
                let (src, dest) = (self.pick(src, Want::Any), self.pick(dest, Want::Empty));
                let rights = CapRights::from_word(rights.into());
                self.send(root, &msg::copy(dest, src, rights))
            }
            VspaceOp::Delete { slot } => {
                // Half of the deletes name a random (often empty) slot, so
                // the population of objects grows.
                let want = if slot % 2 == 0 {
                    Want::Any
                } else {
                    Want::Empty
                };
                let s = self.pick(slot / 2, want);
                self.send(root, &msg::delete(s))
            }
            VspaceOp::Revoke { slot } => {
                let target = if slot % 16 == 0 {
                    self.untyped
                } else {
                    self.pick(slot, Want::PageTable)
                };
                self.send(root, &msg::revoke(target))
            }
            VspaceOp::Translate {
                vspace,
                vaddr,
                write,
            } => {
                let v = self.pick(vspace, Want::Root);
                let va = self.mapped_vaddr(v, vaddr);
                self.check_translation(v, va, write)
            }
        };
        self.histogram.record(op.name(), outcome);
        let finding = |what: String| VspaceFinding { step, op, what };
        if outcome == "mismatch" {
            return Err(finding("translation disagrees with the frame caps".into()));
        }
        self.kernel
            .check_invariants()
            .map_err(|v: Violation| finding(format!("invariant broken: {v:?}")))?;
        Ok(())
    }

    /// Translates through the VSpace whose root cap is at `cptr` and checks a
    /// hit against the frame caps: some cap of the frame must record the
    /// mapping there, with rights that allow the access.
    fn check_translation(&self, cptr: CPtr, vaddr: Word, write: bool) -> &'static str {
        let k = &*self.kernel;
        let Cap::PageTable {
            ptr,
            mapping: Some((asid, _)),
        } = k.memory().cap(k.boot_objects().root_cnode.offset(cptr))
        else {
            return "no_vspace";
        };
        if k.find_vspace_for_asid(asid) != Ok(ptr) {
            return "no_vspace";
        }
        let access = if write { Access::Write } else { Access::Read };
        let Ok(t) = translate(k.memory(), ptr, vaddr, access) else {
            return "fault";
        };
        let base = vaddr & !((1u64 << t.mapping_bits) - 1);
        let page = vaddr & !0xfff;
        let backed =
            (0..256).any(
                |i| match k.memory().cap(k.boot_objects().root_cnode.offset(i)) {
                    Cap::Frame {
                        ptr: frame,
                        size,
                        mapping,
                        ..
                    } => {
                        size.bits() == t.mapping_bits
                            && mapping == Some((asid, base))
                            && frame + (page - base) == t.page
                    }
                    _ => false,
                },
            );
        if backed { "ok" } else { "mismatch" }
    }
}
