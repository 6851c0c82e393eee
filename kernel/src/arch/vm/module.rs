//! Modules (a vm architecture object): register bytecode held in a kernel
//! object with no heap. A module is created empty and writable; ModuleWriteFromFrame copies
//! up to one page (`MODULE_WRITE_MAX`) in from a frame per call, so no copy
//! needs a preemption point, ModuleSeal runs the `bytecode` verifier over the
//! image and makes it immutable (every cap to it records the sealed length,
//! caps to one object being contiguous in the derivation tree). Only sealed
//! modules can be bound to threads (docs/vm-abi.md).
//!
//! Sealing is preemptible like a revoke: after each verifier step (one
//! signature, one record section, one function) a preemption point may stop
//! it; the invoked cap then records the verifier's position, and the restarted
//! ModuleSeal continues there. Any write to the module forgets every cap's
//! recorded progress, so a resumed verification always covers the bytes that
//! will be sealed.

use super::caps::VmCap;
use super::{VmArch, VmHost};
use crate::cap::{Cap, VmRights};
use crate::error::SyscallError;
use crate::invocation::{Invocation, Outcome};
use crate::memory::PAddr;
use crate::memory::Ram;
use crate::preemption::Preempted;
use crate::slot::{SlotMemory, SlotRef};
use crate::state::Kernel;
use selvm_abi::Word;
use selvm_abi::vm::MODULE_WRITE_MAX;
use selvm_abi::vm::VmInvocationLabel as V;
use selvm_abi::vm::args::{ModuleSeal as S, ModuleWriteFromFrame as W};
use selvm_bytecode::rule::Location;
use selvm_bytecode::verify::{Progress, Verifier};

/// A validated module invocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleOp {
    /// Copy `len` bytes from physical `src` to physical `dst` of the module
    /// whose cap is at `slot`.
    Write {
        /// A slot holding a cap to the module.
        slot: SlotRef,
        /// Destination (inside the module).
        dst: PAddr,
        /// Source (inside the frame).
        src: PAddr,
        /// Byte count.
        len: u64,
    },
    /// Verify the first `len` bytes and seal the module whose cap is at `slot`.
    Seal {
        /// The invoked cap's slot.
        slot: SlotRef,
        /// The image length.
        len: u32,
    },
}

impl<H: VmHost, R: Ram> Kernel<VmArch<H>, R> {
    /// Validates an invocation of the module cap `cap` in `slot`.
    pub(crate) fn decode_module(
        &self,
        slot: SlotRef,
        cap: Cap,
        inv: &Invocation<'_>,
    ) -> Result<ModuleOp, SyscallError> {
        let Some(module @ VmCap::Module { ptr, size_bits, .. }) = VmCap::of(&cap) else {
            return Err(SyscallError::IllegalOperation);
        };
        let sealed = module.sealed_image().is_some();
        let size: u64 = 1 << size_bits;
        match V::from_word(inv.label) {
            Some(V::ModuleWriteFromFrame) => {
                let (Some(frame), true) = (inv.extra_cap(W::FRAME), inv.mrs.len() >= W::MRS) else {
                    return Err(SyscallError::TruncatedMessage);
                };
                if sealed {
                    return Err(SyscallError::IllegalOperation);
                }
                let (module_off, frame_off, len) = (
                    inv.mr(W::MODULE_OFFSET),
                    inv.mr(W::FRAME_OFFSET),
                    inv.mr(W::LENGTH),
                );
                let (frame_ptr, frame_bits) = match frame {
                    Cap::Frame {
                        ptr, size, rights, ..
                    } if rights != VmRights::KernelOnly => (ptr, size.bits()),
                    _ => return Err(SyscallError::InvalidCapability { cap: 0 }),
                };
                if len > MODULE_WRITE_MAX {
                    return Err(SyscallError::RangeError {
                        min: 0,
                        max: MODULE_WRITE_MAX,
                    });
                }
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
                    slot,
                    dst: ptr + module_off,
                    src: frame_ptr + frame_off,
                    len,
                })
            }
            Some(V::ModuleSeal) => {
                if inv.mrs.len() < S::MRS {
                    return Err(SyscallError::TruncatedMessage);
                }
                if sealed {
                    return Err(SyscallError::IllegalOperation);
                }
                let len = inv.mr(S::LENGTH);
                if len > size {
                    return Err(SyscallError::RangeError { min: 0, max: size });
                }
                Ok(ModuleOp::Seal {
                    slot,
                    len: len as u32,
                })
            }
            _ => Err(SyscallError::IllegalOperation),
        }
    }

    /// Performs a validated module invocation; a seal that fails verification
    /// answers with the SealFailed error.
    pub(crate) fn perform_module(&mut self, op: ModuleOp) -> Result<Outcome, Preempted> {
        match op {
            ModuleOp::Write {
                slot,
                dst,
                src,
                len,
            } => {
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
                // The image changed: no seal may resume over it.
                self.set_module_caps(slot, 0, 0);
                Ok(Outcome::Done)
            }
            ModuleOp::Seal { slot, len } => self.seal(slot, len),
        }
    }

    fn seal(&mut self, slot: SlotRef, len: u32) -> Result<Outcome, Preempted> {
        let Some(VmCap::Module {
            ptr,
            size_bits,
            sealed: pending,
            progress,
        }) = VmCap::of(&self.mem.cap(slot))
        else {
            return Ok(Outcome::Done);
        };
        // The verifier reads the image in place; only its position (a word)
        // is carried from one step to the next.
        let parsed = match selvm_bytecode::Module::parse(self.mem.bytes(ptr, len as usize)) {
            Ok(m) => m,
            Err(e) => return Ok(self.seal_failed(slot, e)),
        };
        let resumed = (progress != 0 && pending == len)
            .then(|| Verifier::resume(parsed, progress - 1))
            .flatten();
        let mut position = resumed.unwrap_or_else(|| Verifier::new(parsed)).position();
        loop {
            let step = {
                let m = selvm_bytecode::Module::parse(self.mem.bytes(ptr, len as usize));
                let mut v = match m.ok().and_then(|m| Verifier::resume(m, position)) {
                    Some(v) => v,
                    None => return Ok(Outcome::Done),
                };
                let r = v.step();
                position = v.position();
                r
            };
            match step {
                Ok(Progress::Done) => {
                    self.set_module_caps(slot, len, 0);
                    return Ok(Outcome::Done);
                }
                Ok(Progress::More) => {
                    if self.preemption.point().is_err() {
                        let keep = VmCap::Module {
                            ptr,
                            size_bits,
                            sealed: len,
                            progress: position + 1,
                        };
                        self.mem.set_cap(slot, keep.cap());
                        return Err(Preempted);
                    }
                }
                Err(e) => return Ok(self.seal_failed(slot, e)),
            }
        }
    }

    /// A failed seal: the module stays writable, with no progress kept.
    fn seal_failed(&mut self, slot: SlotRef, e: selvm_bytecode::rule::Error) -> Outcome {
        self.set_module_caps(slot, 0, 0);
        let (index, offset) = match e.location {
            Location::Module(i) => (Word::from(i), Word::MAX),
            Location::Code { func, offset } => (Word::from(func), Word::from(offset)),
        };
        Outcome::Error(SyscallError::SealFailed {
            rule: Word::from(e.rule.code()),
            index,
            offset,
            value: e.value,
        })
    }

    /// Sets `sealed` and `progress` in every cap to the module whose cap is in
    /// `slot` (caps to one object are one contiguous run of the CDT).
    fn set_module_caps(&mut self, slot: SlotRef, sealed: u32, progress: u32) {
        let original = self.mem.cap(slot);
        let same =
            |k: &Self, s: Option<SlotRef>| s.filter(|&s| k.mem.cap(s).same_object_as(&original));
        let mut first = slot;
        while let Some(p) = same(self, self.mem.mdb(first).prev) {
            first = p;
        }
        let mut cur = Some(first);
        while let Some(s) = cur {
            if let Some(VmCap::Module { ptr, size_bits, .. }) = VmCap::of(&self.mem.cap(s)) {
                let updated = VmCap::Module {
                    ptr,
                    size_bits,
                    sealed,
                    progress,
                };
                self.mem.set_cap(s, updated.cap());
            }
            cur = same(self, self.mem.mdb(s).next);
        }
    }
}
