//! Capabilities: the kernel's view of one capability, decoded from the two words
//! a slot stores, with seL4's relations between caps (same region, same object).
//! An architecture's own objects are one neutral record, [`ArchCap`]: the portable
//! kernel knows only their memory, a kind and a data word, and leaves the rest
//! to the architecture (`Arch` hooks).

mod encoding;
mod ops;

pub use encoding::{
    CapWords, cnode_fields, decode, encode, endpoint_fields, is_master_reply, is_null_words,
    mapped_page_table_fields, ram_frame_fields, reply_target, reply_words,
};
pub use ops::{derive, mask_rights, update_data};

use crate::memory::PAddr;
use selvm_abi::{CapRights, object};

/// Size class of a frame: 4 KiB, 2 MiB or 1 GiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameSize {
    /// 4 KiB.
    Small,
    /// 2 MiB.
    Large,
    /// 1 GiB.
    Huge,
}

impl FrameSize {
    /// log2 of the frame size in bytes.
    pub const fn bits(self) -> u32 {
        match self {
            FrameSize::Small => object::PAGE_BITS,
            FrameSize::Large => object::LARGE_PAGE_BITS,
            FrameSize::Huge => object::HUGE_PAGE_BITS,
        }
    }
}

/// Access a frame cap grants to mappings (seL4's vm_rights; execute is a mapping attribute).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VmRights {
    /// Mappable with no user access.
    KernelOnly,
    /// Mappable read-only.
    ReadOnly,
    /// Mappable read-write.
    ReadWrite,
}

/// log2 bytes of a TCB's capability region (its 16 slots): the part of a TCB every
/// architecture has. What follows it, and so a TCB's whole size, is the
/// architecture's (`Arch::CONFIG.tcb_bits`), which a thread cap does not record.
pub const TCB_CNODE_BITS: u32 = object::TCB_CNODE_RADIX + object::SLOT_BITS;

/// A cap to an object an architecture adds (seL4's arch caps, e.g. the vm's module
/// and register stack): to the portable kernel, `2^size_bits` bytes at `ptr`, of the
/// architecture's `kind` (5 bits), with one word of the architecture's `data`. The
/// architecture decodes its invocations, checks its fields, and is told when one is
/// deleted; such objects hold no caps. Copies keep every field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ArchCap {
    /// The object.
    pub ptr: PAddr,
    /// log2 of its size.
    pub size_bits: u8,
    /// Which of the architecture's object types (`ARCH_KIND_BITS` bits).
    pub kind: u8,
    /// The architecture's word (the vm's module: its sealed length and progress).
    pub data: u64,
}

/// Bits of [`ArchCap::kind`].
pub const ARCH_KIND_BITS: u32 = 5;

/// What a zombie is finishing the deletion of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ZombieKind {
    /// A CNode of the given radix.
    CNode {
        /// log2 of the number of slots.
        radix: u8,
    },
    /// A TCB (its slot region).
    Tcb,
}

impl ZombieKind {
    /// How many slots the zombie must clear when it starts; a TCB has
    /// `tcb_slots` in use (its architecture's `Arch::TCB_CNODE_ENTRIES`).
    pub const fn slots(self, tcb_slots: u64) -> u64 {
        match self {
            ZombieKind::CNode { radix } => 1 << radix,
            ZombieKind::Tcb => tcb_slots,
        }
    }

    /// log2 of the size of the object's slots: a CNode, or a TCB's capability
    /// region (see [`TCB_CNODE_BITS`]).
    pub const fn size_bits(self) -> u32 {
        match self {
            ZombieKind::CNode { radix } => object::SLOT_BITS + radix as u32,
            ZombieKind::Tcb => TCB_CNODE_BITS,
        }
    }
}

/// One capability, as the kernel reasons about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Cap {
    /// An empty slot.
    #[default]
    Null,
    /// Untyped memory `[ptr, ptr + 2^size_bits)`; objects are carved from `watermark` up.
    Untyped {
        /// Base physical address.
        ptr: PAddr,
        /// log2 of the size.
        size_bits: u8,
        /// Device memory: only frames and untypeds, never zeroed.
        is_device: bool,
        /// Bytes already used from the base (seL4's free index, in bytes).
        watermark: u64,
    },
    /// An endpoint.
    Endpoint {
        /// The object.
        ptr: PAddr,
        /// Badge delivered to receivers (0 = unbadged).
        badge: u64,
        /// Write = send, Read = receive, Grant, GrantReply.
        rights: CapRights,
    },
    /// A notification.
    Notification {
        /// The object.
        ptr: PAddr,
        /// Badge ORed in on signal (0 = unbadged).
        badge: u64,
        /// Write = signal, Read = wait.
        rights: CapRights,
    },
    /// A reply cap (non-MCS): to answer the thread at `tcb`.
    Reply {
        /// The TCB waiting for the reply.
        tcb: PAddr,
        /// The master reply cap kept in the TCB's own reply slot.
        master: bool,
        /// The reply may transfer caps.
        can_grant: bool,
    },
    /// A CNode with `2^radix` slots and a guard.
    CNode {
        /// The object.
        ptr: PAddr,
        /// log2 of the slot count.
        radix: u8,
        /// Number of guard bits.
        guard_size: u8,
        /// The guard value.
        guard: u64,
    },
    /// A thread (TCB).
    Thread {
        /// The TCB object.
        tcb: PAddr,
    },
    /// The authority to create IRQ handler caps.
    IrqControl,
    /// The authority over one interrupt line.
    IrqHandler {
        /// The interrupt number.
        irq: u64,
    },
    /// A CNode or TCB whose final cap is being deleted; `remaining` slots of it
    /// (from index 0) may still hold caps.
    Zombie {
        /// The object.
        ptr: PAddr,
        /// What kind of object it was.
        kind: ZombieKind,
        /// Slots `[0, remaining)` are not yet known to be empty.
        remaining: u64,
    },
    /// The authority to set threads' domains.
    Domain,
    /// A page frame.
    Frame {
        /// The frame.
        ptr: PAddr,
        /// Its size.
        size: FrameSize,
        /// What mappings may allow.
        rights: VmRights,
        /// Device memory.
        is_device: bool,
        /// `(asid, vaddr)` where it is mapped, if it is.
        mapping: Option<(u16, u64)>,
    },
    /// A page table.
    PageTable {
        /// The table.
        ptr: PAddr,
        /// `(asid, vaddr)` where it is mapped, if it is.
        mapping: Option<(u16, u64)>,
    },
    /// The authority to create ASID pools.
    AsidControl,
    /// An ASID pool.
    AsidPool {
        /// The pool object.
        ptr: PAddr,
        /// First ASID the pool serves.
        asid_base: u16,
    },
    /// An object of the architecture's own (see [`ArchCap`]).
    Arch(ArchCap),
}

impl Cap {
    /// Whether the slot is empty.
    pub const fn is_null(&self) -> bool {
        matches!(self, Cap::Null)
    }

    /// A short name for messages and histograms.
    pub const fn type_name(&self) -> &'static str {
        match self {
            Cap::Null => "null",
            Cap::Untyped { .. } => "untyped",
            Cap::Endpoint { .. } => "endpoint",
            Cap::Notification { .. } => "notification",
            Cap::Reply { .. } => "reply",
            Cap::CNode { .. } => "cnode",
            Cap::Thread { .. } => "thread",
            Cap::IrqControl => "irq_control",
            Cap::IrqHandler { .. } => "irq_handler",
            Cap::Zombie { .. } => "zombie",
            Cap::Domain => "domain",
            Cap::Frame { .. } => "frame",
            Cap::PageTable { .. } => "page_table",
            Cap::AsidControl => "asid_control",
            Cap::AsidPool { .. } => "asid_pool",
            Cap::Arch(_) => "arch",
        }
    }

    /// seL4's cap type number (`cap_get_capType`), as DebugCapIdentify
    /// reports it: even numbers for portable caps, odd for riscv64's and an
    /// architecture's own (`Arch::cap_type_tag`).
    pub fn sel4_type_tag<A: crate::arch::Arch>(&self) -> u64 {
        match self {
            Cap::Null => 0,
            Cap::Frame { .. } => 1,
            Cap::Untyped { .. } => 2,
            Cap::PageTable { .. } => 3,
            Cap::Endpoint { .. } => 4,
            Cap::Notification { .. } => 6,
            Cap::Reply { .. } => 8,
            Cap::CNode { .. } => 10,
            Cap::AsidControl => 11,
            Cap::Thread { .. } => 12,
            Cap::AsidPool { .. } => 13,
            Cap::Arch(c) => A::cap_type_tag(*c),
            Cap::IrqControl => 14,
            Cap::IrqHandler { .. } => 16,
            Cap::Zombie { .. } => 18,
            Cap::Domain => 20,
        }
    }

    /// The memory a physical cap names: `(base, log2 size)`; `None` for caps that
    /// name no memory (null, control caps, IRQ handlers, reply caps). A thread cap
    /// (and a TCB's zombie) names its TCB's capability region here, the
    /// [`TCB_CNODE_BITS`] every architecture's TCB starts with: the TCB's whole
    /// size is the architecture's, which a cap does not record. For the relations
    /// below that is the same thing: no valid state has an object that contains a
    /// TCB's slots but not the rest of it (objects do not overlap, and untyped
    /// regions are aligned to their size, at least a TCB's, or lie inside it).
    /// The invariant checker, which must find overlaps, uses the whole size.
    pub const fn region(&self) -> Option<(PAddr, u32)> {
        match *self {
            Cap::Untyped { ptr, size_bits, .. } => Some((ptr, size_bits as u32)),
            Cap::Endpoint { ptr, .. } => Some((ptr, object::ENDPOINT_BITS)),
            Cap::Notification { ptr, .. } => Some((ptr, object::NOTIFICATION_BITS)),
            Cap::CNode { ptr, radix, .. } => Some((ptr, object::SLOT_BITS + radix as u32)),
            Cap::Thread { tcb } => Some((tcb, TCB_CNODE_BITS)),
            Cap::Zombie { ptr, kind, .. } => Some((ptr, kind.size_bits())),
            Cap::Frame { ptr, size, .. } => Some((ptr, size.bits())),
            Cap::PageTable { ptr, .. } => Some((ptr, object::PAGE_TABLE_BITS)),
            Cap::AsidPool { ptr, .. } => Some((ptr, object::ASID_POOL_BITS)),
            Cap::Arch(ArchCap { ptr, size_bits, .. }) => Some((ptr, size_bits as u32)),
            Cap::Null
            | Cap::Reply { .. }
            | Cap::IrqControl
            | Cap::IrqHandler { .. }
            | Cap::Domain
            | Cap::AsidControl => None,
        }
    }

    /// seL4's `sameRegionAs`: `other` names memory or authority inside what `self` names.
    pub fn same_region_as(&self, other: &Cap) -> bool {
        match (*self, *other) {
            (Cap::Untyped { ptr, size_bits, .. }, _) => match other.region() {
                Some((b, bits)) => {
                    let a_top = ptr + ((1u64 << size_bits) - 1);
                    let b_top = b + ((1u64 << bits) - 1);
                    ptr <= b && b_top <= a_top
                }
                None => false,
            },
            (Cap::Endpoint { ptr: a, .. }, Cap::Endpoint { ptr: b, .. })
            | (Cap::Notification { ptr: a, .. }, Cap::Notification { ptr: b, .. })
            | (Cap::Thread { tcb: a }, Cap::Thread { tcb: b })
            | (Cap::Reply { tcb: a, .. }, Cap::Reply { tcb: b, .. })
            | (Cap::PageTable { ptr: a, .. }, Cap::PageTable { ptr: b, .. })
            | (Cap::AsidPool { ptr: a, .. }, Cap::AsidPool { ptr: b, .. }) => a == b,
            (Cap::Arch(a), Cap::Arch(b)) => a.ptr == b.ptr && a.kind == b.kind,
            (
                Cap::CNode {
                    ptr: a, radix: ra, ..
                },
                Cap::CNode {
                    ptr: b, radix: rb, ..
                },
            ) => a == b && ra == rb,
            (Cap::Domain, Cap::Domain)
            | (Cap::AsidControl, Cap::AsidControl)
            | (Cap::IrqControl, Cap::IrqControl | Cap::IrqHandler { .. }) => true,
            (Cap::IrqHandler { irq: a }, Cap::IrqHandler { irq: b }) => a == b,
            (
                Cap::Frame {
                    ptr: a, size: sa, ..
                },
                Cap::Frame {
                    ptr: b, size: sb, ..
                },
            ) => {
                let a_top = a + ((1u64 << sa.bits()) - 1);
                let b_top = b + ((1u64 << sb.bits()) - 1);
                a <= b && b_top <= a_top
            }
            _ => false,
        }
    }

    /// seL4's `sameObjectAs`: both caps name the same kernel object.
    pub fn same_object_as(&self, other: &Cap) -> bool {
        match (*self, *other) {
            (Cap::Untyped { .. }, _) | (Cap::IrqControl, Cap::IrqHandler { .. }) => false,
            (
                Cap::Frame {
                    ptr: a,
                    size: sa,
                    is_device: da,
                    ..
                },
                Cap::Frame {
                    ptr: b,
                    size: sb,
                    is_device: db,
                    ..
                },
            ) => a == b && sa == sb && da == db,
            _ => self.same_region_as(other),
        }
    }

    /// The badge of an endpoint or notification cap (0 for anything else).
    pub const fn badge(&self) -> u64 {
        match *self {
            Cap::Endpoint { badge, .. } | Cap::Notification { badge, .. } => badge,
            _ => 0,
        }
    }

    /// Whether this cap, newly derived from `parent`, starts a revocable CDT
    /// subtree (seL4's `isCapRevocable`): a newly badged endpoint/notification,
    /// an untyped or an IRQ handler.
    pub fn is_revocable_from(&self, parent: &Cap) -> bool {
        match *self {
            Cap::Endpoint { badge, .. } | Cap::Notification { badge, .. } => {
                badge != parent.badge()
            }
            Cap::IrqHandler { .. } => matches!(parent, Cap::IrqControl),
            Cap::Untyped { .. } => true,
            _ => false,
        }
    }

    /// Whether the cap allows CancelBadgedSends (an endpoint cap with all rights).
    pub fn has_cancel_send_rights(&self) -> bool {
        matches!(self, Cap::Endpoint { rights, .. } if rights.contains(CapRights::ALL))
    }
}
