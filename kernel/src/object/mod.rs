//! Kernel object types: their sizes, creation from Untyped memory, and what
//! deleting the last cap to each one does. One module per object type.

pub mod asid_pool;
pub mod cnode;
pub mod domain;
pub mod endpoint;
pub mod frame;
pub mod irq;
pub mod module;
pub mod notification;
pub mod page_table;
pub mod tcb;
pub mod tcb_invocation;
pub mod untyped;

use crate::arch::Arch;
use crate::cap::{Cap, FrameSize, VmRights, ZombieKind};
use crate::memory::PAddr;
use crate::memory::Ram;
use crate::state::Kernel;
use selvm_abi::{CapRights, ObjectType, object};

/// log2 of the size of an object of `ty` (`user_size` is the caller's size
/// argument, used by Untyped and CNode). Wraps like seL4's word arithmetic; the
/// caller checks the result.
pub fn object_size_bits(ty: ObjectType, user_size: u64) -> u64 {
    match ty {
        ObjectType::Untyped => user_size,
        ObjectType::CNode => user_size.wrapping_add(object::SLOT_BITS.into()),
        ObjectType::Tcb => object::TCB_BITS.into(),
        ObjectType::Endpoint => object::ENDPOINT_BITS.into(),
        ObjectType::Notification => object::NOTIFICATION_BITS.into(),
        ObjectType::SmallPage => object::PAGE_BITS.into(),
        ObjectType::LargePage => object::LARGE_PAGE_BITS.into(),
        ObjectType::GigaPage => object::HUGE_PAGE_BITS.into(),
        ObjectType::PageTable => object::PAGE_TABLE_BITS.into(),
        ObjectType::Module | ObjectType::RegisterStack => user_size,
    }
}

/// Initialises a new object of `ty` at `ptr` (memory already zero, or device
/// memory that the kernel never touches) and returns its first cap.
pub fn create(ty: ObjectType, ptr: PAddr, user_size: u64, is_device: bool) -> Cap {
    let frame = |size| Cap::Frame {
        ptr,
        size,
        rights: VmRights::ReadWrite,
        is_device,
        mapping: None,
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
        ObjectType::Module => Cap::Module {
            ptr,
            size_bits: user_size as u8,
            sealed: 0,
            progress: 0,
        },
        ObjectType::RegisterStack => Cap::RegisterStack {
            ptr,
            size_bits: user_size as u8,
        },
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
                    remaining: tcb::CNODE_ENTRIES,
                })
            }
            Cap::IrqHandler { irq } if is_final => {
                self.irq_handler_final(irq);
                None
            }
            Cap::Zombie { .. } => Some(cap),
            Cap::Module { ptr, .. } if is_final => {
                self.arch.module_deleted(ptr);
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
