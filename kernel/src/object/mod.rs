//! Kernel object types: their sizes, creation from Untyped memory, and what
//! deleting the last cap to each one does. One module per object type; an
//! architecture's own objects live under `arch/` and reach this module only
//! through [`NewObject::Arch`] and `Cap::Arch`.

pub mod asid_pool;
pub mod cnode;
pub mod domain;
pub mod endpoint;
pub mod frame;
pub mod irq;
pub mod notification;
pub mod page_table;
pub mod tcb;
pub mod tcb_invocation;
pub mod untyped;

use crate::arch::{Arch, ArchObjectType};
use crate::cap::{ArchCap, Cap, FrameSize, VmRights, ZombieKind};
use crate::memory::PAddr;
use crate::memory::Ram;
use crate::state::Kernel;
use selvm_abi::{CapRights, MIN_UNTYPED_BITS, ObjectType, Word, object};

/// What Retype makes: a portable object (seL4's generic types and riscv64's
/// numbering, 0–8) or one of the architecture's own (`Arch::object_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewObject {
    /// A portable object type.
    Portable(ObjectType),
    /// An object type the architecture adds.
    Arch(ArchObjectType),
}

impl NewObject {
    /// Decodes Retype's object-type word for architecture `A`.
    pub fn from_word<A: Arch>(w: Word) -> Option<NewObject> {
        match ObjectType::from_word(w) {
            Some(ty) => Some(NewObject::Portable(ty)),
            None => A::object_type(w).map(NewObject::Arch),
        }
    }

    /// log2 of the size of such an object on architecture `A` (`user_size` is
    /// the caller's size argument, used by Untyped, CNode and the architecture's
    /// own types). Wraps like seL4's word arithmetic; the caller checks the result.
    pub fn size_bits<A: Arch>(self, user_size: u64) -> u64 {
        let ty = match self {
            NewObject::Arch(_) => return user_size,
            NewObject::Portable(ty) => ty,
        };
        match ty {
            ObjectType::Untyped => user_size,
            ObjectType::CNode => user_size.wrapping_add(object::SLOT_BITS.into()),
            ObjectType::Tcb => A::CONFIG.tcb_bits.into(),
            ObjectType::Endpoint => object::ENDPOINT_BITS.into(),
            ObjectType::Notification => object::NOTIFICATION_BITS.into(),
            ObjectType::SmallPage => object::PAGE_BITS.into(),
            ObjectType::LargePage => object::LARGE_PAGE_BITS.into(),
            ObjectType::GigaPage => object::HUGE_PAGE_BITS.into(),
            ObjectType::PageTable => object::PAGE_TABLE_BITS.into(),
        }
    }

    /// Whether the caller's size argument suits the type (seL4's checks that
    /// answer InvalidArgument 1: a CNode radix of at least 1, an untyped of at
    /// least 16 bytes, an architecture type's own range).
    pub fn size_is_valid(self, user_size: u64) -> bool {
        match self {
            NewObject::Portable(ObjectType::CNode) => user_size != 0,
            NewObject::Portable(ObjectType::Untyped) => user_size >= u64::from(MIN_UNTYPED_BITS),
            NewObject::Portable(_) => true,
            NewObject::Arch(t) => {
                (u64::from(t.min_bits)..=u64::from(t.max_bits)).contains(&user_size)
            }
        }
    }

    /// Whether it may be made from device memory (frames and untypeds only).
    pub fn fits_device_memory(self) -> bool {
        matches!(self, NewObject::Portable(ty) if ty.is_frame() || ty == ObjectType::Untyped)
    }
}

/// Initialises a new object of `ty` at `ptr` (memory already zero, or device
/// memory that the kernel never touches) and returns its first cap.
pub fn create(ty: NewObject, ptr: PAddr, user_size: u64, is_device: bool) -> Cap {
    let frame = |size| Cap::Frame {
        ptr,
        size,
        rights: VmRights::ReadWrite,
        is_device,
        mapping: None,
    };
    let ty = match ty {
        NewObject::Arch(t) => {
            return Cap::Arch(ArchCap {
                ptr,
                size_bits: user_size as u8,
                kind: t.kind,
                data: 0,
            });
        }
        NewObject::Portable(ty) => ty,
    };
    match ty {
        ObjectType::Untyped => Cap::Untyped {
            ptr,
            size_bits: user_size as u8,
            is_device,
            watermark: 0,
        },
        ObjectType::CNode => Cap::CNode {
            ptr,
            radix: user_size as u8,
            guard_size: 0,
            guard: 0,
        },
        ObjectType::Tcb => Cap::Thread { tcb: ptr },
        ObjectType::Endpoint => Cap::Endpoint {
            ptr,
            badge: 0,
            rights: CapRights::ALL,
        },
        ObjectType::Notification => Cap::Notification {
            ptr,
            badge: 0,
            rights: CapRights::new(false, false, true, true),
        },
        ObjectType::SmallPage => frame(FrameSize::Small),
        ObjectType::LargePage => frame(FrameSize::Large),
        ObjectType::GigaPage => frame(FrameSize::Huge),
        ObjectType::PageTable => Cap::PageTable { ptr, mapping: None },
    }
}

impl<A: Arch, R: Ram> Kernel<A, R> {
    /// What remains in a slot after finalising its cap (seL4's `finaliseCap`):
    /// nothing, or a zombie that must clear the object's slots first. A final
    /// cap releases its object's kernel state first.
    pub(crate) fn finalise_cap(&mut self, cap: Cap, is_final: bool) -> Option<Cap> {
        match cap {
            Cap::Endpoint { ptr, .. } if is_final => {
                self.endpoint_final(ptr);
                None
            }
            Cap::Notification { ptr, .. } if is_final => {
                self.notification_final(ptr);
                None
            }
            Cap::CNode { ptr, radix, .. } if is_final => Some(Cap::Zombie {
                ptr,
                kind: ZombieKind::CNode { radix },
                remaining: 1 << radix,
            }),
            Cap::Thread { tcb } if is_final => {
                self.unbind_notification(tcb);
                self.suspend(tcb);
                Some(Cap::Zombie {
                    ptr: tcb,
                    kind: ZombieKind::Tcb,
                    remaining: A::TCB_CNODE_ENTRIES,
                })
            }
            Cap::IrqHandler { irq } if is_final => {
                self.irq_handler_final(irq);
                None
            }
            Cap::Zombie { .. } => Some(cap),
            Cap::Arch(c) => {
                self.arch.finalise_cap(c, is_final);
                None
            }
            Cap::Frame { .. } | Cap::PageTable { .. } | Cap::AsidPool { .. } => {
                self.finalise_vspace_cap(cap, is_final);
                None
            }
            _ => None,
        }
    }
}
