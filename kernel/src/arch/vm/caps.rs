//! The vm architecture's caps: modules and register stacks, stored as the
//! portable kernel's neutral `Cap::Arch` record with their object-type number
//! as the kind. [`VmCap`] is the typed view the vm's code works with.

use crate::cap::{ArchCap, Cap};
use crate::memory::PAddr;
use selvm_abi::vm::object::VmObjectType;
use selvm_abi::{Word, vm::object as abi};

/// `ArchCap::kind` of a module cap (its object type, 9).
pub const MODULE: u8 = VmObjectType::Module as u8;
/// `ArchCap::kind` of a register stack cap (its object type, 10).
pub const REGISTER_STACK: u8 = VmObjectType::RegisterStack as u8;

/// A vm cap, decoded from its `Cap::Arch` record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VmCap {
    /// A module of register bytecode.
    Module {
        /// The object.
        ptr: PAddr,
        /// log2 of its size.
        size_bits: u8,
        /// Length of the verified image once sealed (0 while writable); while a
        /// seal is in progress, the length being verified.
        sealed: u32,
        /// 0, or a seal in progress preempted at verifier position `progress - 1`.
        progress: u32,
    },
    /// A thread's register stack; never mappable, no invocations.
    RegisterStack {
        /// The object.
        ptr: PAddr,
        /// log2 of its size.
        size_bits: u8,
    },
}

impl VmCap {
    /// The vm cap `cap` holds, if it holds one (`None` for every other cap).
    pub const fn of(cap: &Cap) -> Option<VmCap> {
        match *cap {
            Cap::Arch(c) => Self::of_arch(c),
            _ => None,
        }
    }

    /// The vm cap an architecture record stands for.
    pub const fn of_arch(c: ArchCap) -> Option<VmCap> {
        let ArchCap {
            ptr,
            size_bits,
            kind,
            data,
        } = c;
        match kind {
            MODULE => Some(VmCap::Module {
                ptr,
                size_bits,
                sealed: data as u32,
                progress: (data >> 32) as u32,
            }),
            REGISTER_STACK => Some(VmCap::RegisterStack { ptr, size_bits }),
            _ => None,
        }
    }

    /// The cap that stores it.
    pub const fn cap(self) -> Cap {
        let (ptr, size_bits, kind, data) = match self {
            VmCap::Module {
                ptr,
                size_bits,
                sealed,
                progress,
            } => (
                ptr,
                size_bits,
                MODULE,
                sealed as Word | (progress as Word) << 32,
            ),
            VmCap::RegisterStack { ptr, size_bits } => (ptr, size_bits, REGISTER_STACK, 0),
        };
        Cap::Arch(ArchCap {
            ptr,
            size_bits,
            kind,
            data,
        })
    }

    /// The verified image length of a sealed module.
    pub const fn sealed_image(self) -> Option<u32> {
        match self {
            VmCap::Module {
                sealed, progress, ..
            } if sealed != 0 && progress == 0 => Some(sealed),
            _ => None,
        }
    }

    /// Whether the fields are ones the kernel makes (the invariant checker's
    /// rule): a size in the type's range; a module's sealed length within it.
    pub fn is_valid(c: ArchCap) -> bool {
        let in_range = |bits: u8, lo: u32, hi: u32| (lo..=hi).contains(&u32::from(bits));
        match Self::of_arch(c) {
            Some(VmCap::Module {
                size_bits, sealed, ..
            }) => {
                in_range(size_bits, abi::MODULE_MIN_BITS, abi::MODULE_MAX_BITS)
                    && u64::from(sealed) <= 1 << size_bits
            }
            Some(VmCap::RegisterStack { size_bits, .. }) => {
                c.data == 0
                    && in_range(
                        size_bits,
                        abi::REGISTER_STACK_MIN_BITS,
                        abi::REGISTER_STACK_MAX_BITS,
                    )
            }
            None => false,
        }
    }
}

/// The verified image length of the sealed module `cap` holds, if it holds one.
pub const fn sealed_image(cap: &Cap) -> Option<u32> {
    match VmCap::of(cap) {
        Some(c) => c.sealed_image(),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vm_caps_round_trip_through_the_arch_record() {
        let caps = [
            VmCap::Module {
                ptr: 0x8000_0000,
                size_bits: 16,
                sealed: 4000,
                progress: 0,
            },
            VmCap::Module {
                ptr: 0x8001_0000,
                size_bits: 28,
                sealed: u32::MAX,
                progress: 7,
            },
            VmCap::RegisterStack {
                ptr: 0x8000_1000,
                size_bits: 12,
            },
        ];
        for c in caps {
            assert_eq!(VmCap::of(&c.cap()), Some(c));
            let stored = crate::cap::decode(crate::cap::encode(&c.cap()));
            assert_eq!(VmCap::of(&stored), Some(c));
        }
        assert_eq!(sealed_image(&caps[0].cap()), Some(4000));
        assert_eq!(sealed_image(&caps[1].cap()), None, "a seal in progress");
        assert!(VmCap::is_valid(ArchCap {
            ptr: 0,
            size_bits: 12,
            kind: MODULE,
            data: 4096,
        }));
        assert!(!VmCap::is_valid(ArchCap {
            ptr: 0,
            size_bits: 12,
            kind: MODULE,
            data: 4097,
        }));
        assert!(!VmCap::is_valid(ArchCap {
            ptr: 0,
            size_bits: 12,
            kind: 3,
            data: 0,
        }));
        assert_eq!(VmCap::of(&Cap::Null), None);
    }
}
