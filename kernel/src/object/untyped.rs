//! Untyped memory and Retype: carving typed objects out of an Untyped region at
//! its watermark, and resetting (zeroing, preemptibly) an Untyped whose objects
//! are all gone.

use crate::arch::Arch;
use crate::cap::Cap;
use crate::cdt;
use crate::cspace::lookup_for_cnode_op;
use crate::error::SyscallError;
use crate::invocation::Invocation;
use crate::memory::Ram;
use crate::memory::{PAddr, PhysMem};
use crate::object::{NewObject, create};
use crate::preemption::Preempted;
use crate::slot::{SlotMemory, SlotRef};
use crate::state::Kernel;
use selvm_abi::args::UntypedRetype as R;
use selvm_abi::{
    InvocationLabel, LookupFault, MAX_UNTYPED_BITS, ObjectType, RESET_CHUNK_BITS,
    RETYPE_FAN_OUT_LIMIT, WORD_BITS,
};

/// A validated Retype.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retype {
    /// The untyped's slot.
    pub untyped: SlotRef,
    /// Reset first (the untyped has no children).
    pub reset: bool,
    /// Address of the first new object.
    pub base: PAddr,
    /// Type of the objects.
    pub ty: NewObject,
    /// The caller's size argument.
    pub user_size: u64,
    /// First destination slot; the others follow it.
    pub dest: SlotRef,
    /// How many objects.
    pub count: u64,
    /// Whether the untyped is device memory.
    pub is_device: bool,
}

const fn align_up(value: u64, bits: u64) -> u64 {
    let mask = (1u64 << bits) - 1;
    (value + mask) & !mask
}

/// Validates an Untyped invocation in seL4's check order, on architecture `A`
/// (its TCB size and object types).
pub fn decode<A: Arch>(
    mem: &PhysMem<impl Ram>,
    slot: SlotRef,
    cap: Cap,
    inv: &Invocation<'_>,
) -> Result<Retype, SyscallError> {
    let Cap::Untyped {
        ptr,
        size_bits,
        is_device,
        watermark,
    } = cap
    else {
        return Err(SyscallError::InvalidCapability { cap: 0 });
    };
    if inv.label != InvocationLabel::UntypedRetype.word() {
        return Err(SyscallError::IllegalOperation);
    }
    let root = match inv.extra_cap(R::ROOT) {
        Some(root) if inv.mrs.len() >= R::MRS => root,
        _ => return Err(SyscallError::TruncatedMessage),
    };
    let (ty_word, user_size) = (inv.mr(R::OBJECT_TYPE), inv.mr(R::SIZE_BITS));
    let (node_index, node_depth) = (inv.mr(R::NODE_INDEX), inv.mr(R::NODE_DEPTH));
    let (node_offset, count) = (inv.mr(R::NODE_OFFSET), inv.mr(R::NUM_OBJECTS));
    let ty = NewObject::from_word::<A>(ty_word).ok_or(SyscallError::InvalidArgument { arg: 0 })?;
    let obj_bits = ty.size_bits::<A>(user_size);
    if user_size >= u64::from(WORD_BITS) || obj_bits > u64::from(MAX_UNTYPED_BITS) {
        return Err(SyscallError::RangeError {
            min: 0,
            max: MAX_UNTYPED_BITS.into(),
        });
    }
    if !ty.size_is_valid(user_size) {
        return Err(SyscallError::InvalidArgument { arg: 1 });
    }
    let node = if node_depth == 0 {
        root
    } else {
        mem.cap(lookup_for_cnode_op(
            mem, false, root, node_index, node_depth,
        )?)
    };
    let Cap::CNode {
        ptr: node_ptr,
        radix,
        ..
    } = node
    else {
        return Err(SyscallError::FailedLookup {
            was_source: false,
            fault: LookupFault::MissingCapability {
                bits_left: node_depth,
            },
        });
    };
    let node_size = 1u64 << radix;
    if node_offset > node_size - 1 {
        return Err(SyscallError::RangeError {
            min: 0,
            max: node_size - 1,
        });
    }
    if !(1..=RETYPE_FAN_OUT_LIMIT).contains(&count) {
        return Err(SyscallError::RangeError {
            min: 1,
            max: RETYPE_FAN_OUT_LIMIT,
        });
    }
    if count > node_size - node_offset {
        return Err(SyscallError::RangeError {
            min: 1,
            max: node_size - node_offset,
        });
    }
    let dest = SlotRef(node_ptr).offset(node_offset);
    if (0..count).any(|i| !mem.cap(dest.offset(i)).is_null()) {
        return Err(SyscallError::DeleteFirst);
    }
    let reset = !cdt::has_children(mem, slot);
    let used = if reset { 0 } else { watermark };
    let available = (1u64 << size_bits).saturating_sub(used);
    if (available >> obj_bits) < count {
        return Err(SyscallError::NotEnoughMemory { available });
    }
    if is_device && !ty.fits_device_memory() {
        return Err(SyscallError::InvalidArgument { arg: 1 });
    }
    let base = align_up(ptr + used, obj_bits);
    Ok(Retype {
        untyped: slot,
        reset,
        base,
        ty,
        user_size,
        dest,
        count,
        is_device,
    })
}

impl<A: Arch, R: Ram> Kernel<A, R> {
    /// Performs a validated Retype: reset if asked, move the watermark, create
    /// the objects and insert their caps as the untyped's CDT children.
    pub fn perform_retype(&mut self, op: Retype) -> Result<(), Preempted> {
        if op.reset {
            self.reset_untyped(op.untyped)?;
        }
        let Cap::Untyped {
            ptr,
            size_bits,
            is_device,
            ..
        } = self.mem.cap(op.untyped)
        else {
            return Ok(());
        };
        let obj_bits = op.ty.size_bits::<A>(op.user_size);
        let watermark = op.base - ptr + (op.count << obj_bits);
        self.mem.set_cap(
            op.untyped,
            Cap::Untyped {
                ptr,
                size_bits,
                is_device,
                watermark,
            },
        );
        for i in 0..op.count {
            let ptr = op.base + (i << obj_bits);
            let cap = create(op.ty, ptr, op.user_size, op.is_device);
            if op.ty == NewObject::Portable(ObjectType::Tcb) {
                self.init_tcb(ptr);
            }
            cdt::insert_new(&mut self.mem, op.untyped, op.dest.offset(i), cap);
        }
        Ok(())
    }

    /// Zeroes the used part of the untyped in `slot` from the top down, in
    /// chunks of 2^RESET_CHUNK_BITS bytes with a preemption point after each,
    /// lowering the watermark as it goes so a restart continues where it stopped.
    pub(crate) fn reset_untyped(&mut self, slot: SlotRef) -> Result<(), Preempted> {
        let Cap::Untyped {
            ptr,
            size_bits,
            is_device,
            watermark,
        } = self.mem.cap(slot)
        else {
            return Ok(());
        };
        let set = |k: &mut Self, watermark| {
            k.mem.set_cap(
                slot,
                Cap::Untyped {
                    ptr,
                    size_bits,
                    is_device,
                    watermark,
                },
            )
        };
        if watermark == 0 {
            return Ok(());
        }
        if is_device || u32::from(size_bits) < RESET_CHUNK_BITS {
            if !is_device {
                self.mem.zero(ptr, 1 << size_bits);
            }
            set(self, 0);
            return Ok(());
        }
        let chunk = 1u64 << RESET_CHUNK_BITS;
        let mut offset = (watermark - 1) & !(chunk - 1);
        loop {
            self.mem.zero(ptr + offset, chunk);
            set(self, offset);
            self.preemption.point()?;
            if offset == 0 {
                return Ok(());
            }
            offset -= chunk;
        }
    }
}
