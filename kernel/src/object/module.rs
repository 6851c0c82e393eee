//! Modules (vm architecture): register bytecode held in a kernel object with no
//! heap. A module is created empty and writable; ModuleWriteFromFrame copies
//! bytes in from a frame, ModuleSeal runs the `bytecode` verifier over the
//! image and makes it immutable (every cap to it records the sealed length,
//! caps to one object being contiguous in the derivation tree). Only sealed
//! modules can be bound to threads (docs/vm-abi.md).

use crate::arch::Arch;
use crate::cap::{Cap, VmRights};
use crate::error::SyscallError;
use crate::invocation::Invocation;
use crate::memory::PAddr;
use crate::slot::{SlotMemory, SlotRef};
use crate::state::Kernel;
use selvm_abi::Word;
use selvm_abi::vm::VmInvocationLabel as V;
use selvm_bytecode::rule::Location;
use selvm_bytecode::verify::Verifier;

/// A validated module invocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleOp {
    /// Copy `len` bytes from physical `src` to physical `dst`.
    Write {
        /// Destination (inside the module).
        dst: PAddr,
        /// Source (inside the frame).
        src: PAddr,
        /// Byte count.
        len: u64,
    },
    /// Record the verified length `len` in every cap of the module at `slot`.
    Seal {
        /// A slot holding a cap to the module.
        slot: SlotRef,
        /// The image length.
        len: u32,
    },
}

impl<A: Arch> Kernel<'_, A> {
    /// Validates an invocation of the module cap `cap` in `slot`.
    pub(crate) fn decode_module(
        &self,
        slot: SlotRef,
        cap: Cap,
        inv: &Invocation<'_>,
    ) -> Result<ModuleOp, SyscallError> {
        let Cap::Module {
            ptr,
            size_bits,
            sealed,
        } = cap
        else {
            return Err(SyscallError::IllegalOperation);
        };
        let size: u64 = 1 << size_bits;
        match V::from_word(inv.label) {
            Some(V::ModuleWriteFromFrame) => {
                let (Some(frame), true) = (inv.extra_cap(0), inv.mrs.len() >= 3) else {
                    return Err(SyscallError::TruncatedMessage);
                };
                if sealed != 0 {
                    return Err(SyscallError::IllegalOperation);
                }
                let (module_off, frame_off, len) = (inv.mr(0), inv.mr(1), inv.mr(2));
                let (frame_ptr, frame_bits) = match frame {
                    Cap::Frame {
                        ptr, size, rights, ..
                    } if rights != VmRights::KernelOnly => (ptr, size.bits()),
                    _ => return Err(SyscallError::InvalidCapability { cap: 0 }),
                };
                let frame_size: u64 = 1 << frame_bits;
                if frame_off.checked_add(len).is_none_or(|e| e > frame_size) {
                    return Err(SyscallError::RangeError {
                        min: 0,
                        max: frame_size,
                    });
                }
                if module_off.checked_add(len).is_none_or(|e| e > size) {
                    return Err(SyscallError::RangeError { min: 0, max: size });
                }
                Ok(ModuleOp::Write {
                    dst: ptr + module_off,
                    src: frame_ptr + frame_off,
                    len,
                })
            }
            Some(V::ModuleSeal) => {
                if inv.mrs.is_empty() {
                    return Err(SyscallError::TruncatedMessage);
                }
                if sealed != 0 {
                    return Err(SyscallError::IllegalOperation);
                }
                let len = inv.mr(0);
                if len > size {
                    return Err(SyscallError::RangeError { min: 0, max: size });
                }
                verify(self.mem.bytes(ptr, len as usize))?;
                Ok(ModuleOp::Seal {
                    slot,
                    len: len as u32,
                })
            }
            _ => Err(SyscallError::IllegalOperation),
        }
    }

    /// Performs a validated module invocation.
    pub(crate) fn perform_module(&mut self, op: ModuleOp) {
        match op {
            ModuleOp::Write { dst, src, len } => {
                let mut chunk = [0u8; 256];
                let mut done = 0;
                while done < len {
                    let n = (len - done).min(chunk.len() as u64) as usize;
                    chunk[..n].copy_from_slice(self.mem.bytes(src + done, n));
                    self.mem
                        .bytes_mut(dst + done, n)
                        .copy_from_slice(&chunk[..n]);
                    done += n as u64;
                }
            }
            ModuleOp::Seal { slot, len } => {
                let original = self.mem.cap(slot);
                let same = |k: &Self, s: Option<SlotRef>| {
                    s.filter(|&s| k.mem.cap(s).same_object_as(&original))
                };
                // Caps to one object are one contiguous run of the CDT: find
                // its first slot, then seal every cap of the run.
                let mut first = slot;
                while let Some(p) = same(self, self.mem.mdb(first).prev) {
                    first = p;
                }
                let mut cur = Some(first);
                while let Some(s) = cur {
                    if let Cap::Module { ptr, size_bits, .. } = self.mem.cap(s) {
                        let sealed = Cap::Module {
                            ptr,
                            size_bits,
                            sealed: len,
                        };
                        self.mem.set_cap(s, sealed);
                    }
                    cur = same(self, self.mem.mdb(s).next);
                }
            }
        }
    }
}

/// Runs the verifier over `image`; a failure becomes the SealFailed reply.
fn verify(image: &[u8]) -> Result<(), SyscallError> {
    let failed = |e: selvm_bytecode::rule::Error| {
        let (index, offset) = match e.location {
            Location::Module(i) => (Word::from(i), Word::MAX),
            Location::Code { func, offset } => (Word::from(func), Word::from(offset)),
        };
        SyscallError::SealFailed {
            rule: Word::from(e.rule.code()),
            index,
            offset,
            value: e.value,
        }
    };
    let module = selvm_bytecode::Module::parse(image).map_err(failed)?;
    Verifier::new(module).run().map_err(failed)
}
