//! Deriving new caps from old ones: rights masking, badges and guards
//! (`updateCapData`), and the derivation rules of Copy and Mint.

use super::{Cap, VmRights};
use selvm_abi::{CapRights, Error, WORD_BITS};

/// seL4's `maskCapRights`: keep only the rights `mask` allows.
pub fn mask_rights(mask: CapRights, cap: Cap) -> Cap {
    match cap {
        Cap::Endpoint { ptr, badge, rights } => Cap::Endpoint {
            ptr,
            badge,
            rights: rights.intersect(mask),
        },
        Cap::Notification { ptr, badge, rights } => Cap::Notification {
            ptr,
            badge,
            // Notifications carry only Write (signal) and Read (wait).
            rights: rights
                .intersect(mask)
                .intersect(CapRights::new(false, false, true, true)),
        },
        Cap::Reply {
            tcb,
            master,
            can_grant,
        } => Cap::Reply {
            tcb,
            master,
            can_grant: can_grant && mask.can_grant(),
        },
        Cap::Frame {
            ptr,
            size,
            rights,
            is_device,
            mapping,
        } => {
            let rights = match rights {
                VmRights::ReadWrite if mask.can_read() && mask.can_write() => VmRights::ReadWrite,
                VmRights::ReadWrite | VmRights::ReadOnly if mask.can_read() => VmRights::ReadOnly,
                _ => VmRights::KernelOnly,
            };
            Cap::Frame {
                ptr,
                size,
                rights,
                is_device,
                mapping,
            }
        }
        other => other,
    }
}

/// The guard-size field of CNode cap data (bits 0..6) and the guard (bits 6..64),
/// as in libsel4's `seL4_CNode_CapData`.
const GUARD_SIZE_BITS: u32 = 6;

/// seL4's `updateCapData`: Mint (`preserve = false`) may badge an unbadged
/// endpoint or notification; Mint and Mutate set a CNode's guard. Returns
/// `Cap::Null` where the data is not allowed.
pub fn update_data(preserve: bool, data: u64, cap: Cap) -> Cap {
    match cap {
        Cap::Endpoint {
            ptr,
            badge: 0,
            rights,
        } if !preserve => Cap::Endpoint {
            ptr,
            badge: data,
            rights,
        },
        Cap::Notification {
            ptr,
            badge: 0,
            rights,
        } if !preserve => Cap::Notification {
            ptr,
            badge: data,
            rights,
        },
        Cap::Endpoint { .. } | Cap::Notification { .. } => Cap::Null,
        Cap::CNode { ptr, radix, .. } => {
            let guard_size = data & ((1 << GUARD_SIZE_BITS) - 1);
            if guard_size + u64::from(radix) > u64::from(WORD_BITS) {
                return Cap::Null;
            }
            let guard = (data >> GUARD_SIZE_BITS) & ((1u64 << guard_size) - 1);
            Cap::CNode {
                ptr,
                radix,
                guard_size: guard_size as u8,
                guard,
            }
        }
        other => other,
    }
}

/// seL4's `deriveCap`: the cap a Copy or Mint would place, given that `cap` comes
/// from a slot for which `has_children` tells whether it has CDT children.
/// `Ok(Cap::Null)` means "not derivable" (the caller reports IllegalOperation).
pub fn derive(cap: Cap, has_children: impl FnOnce() -> bool) -> Result<Cap, Error> {
    match cap {
        Cap::Zombie { .. } | Cap::IrqControl | Cap::Reply { .. } => Ok(Cap::Null),
        Cap::Untyped { .. } if has_children() => Err(Error::RevokeFirst),
        Cap::PageTable { mapping: None, .. } => Err(Error::IllegalOperation),
        Cap::Frame {
            ptr,
            size,
            rights,
            is_device,
            ..
        } => Ok(Cap::Frame {
            ptr,
            size,
            rights,
            is_device,
            mapping: None,
        }),
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EP: Cap = Cap::Endpoint {
        ptr: 0x1000,
        badge: 0,
        rights: CapRights::ALL,
    };

    #[test]
    fn mint_badges_only_unbadged_and_mutate_never_badges() {
        let badged = update_data(false, 7, EP);
        assert_eq!(badged.badge(), 7);
        assert_eq!(update_data(false, 9, badged), Cap::Null);
        assert_eq!(update_data(true, 9, EP), Cap::Null);
    }

    #[test]
    fn guard_data_layout_and_limit() {
        let cn = Cap::CNode {
            ptr: 0x4000,
            radix: 4,
            guard_size: 0,
            guard: 0,
        };
        // guard size 3, guard 0b101 (extra high bits dropped)
        let data = 3 | (0b1101 << 6);
        assert_eq!(
            update_data(true, data, cn),
            Cap::CNode {
                ptr: 0x4000,
                radix: 4,
                guard_size: 3,
                guard: 0b101
            }
        );
        assert_eq!(update_data(true, 61, cn), Cap::Null);
        assert!(matches!(
            update_data(true, 60, cn),
            Cap::CNode { guard_size: 60, .. }
        ));
    }

    #[test]
    fn rights_only_shrink() {
        let ro = mask_rights(CapRights::from_word(2), EP);
        assert_eq!(
            ro,
            Cap::Endpoint {
                ptr: 0x1000,
                badge: 0,
                rights: CapRights::from_word(2)
            }
        );
        assert_eq!(mask_rights(CapRights::ALL, ro), ro);
        let frame = Cap::Frame {
            ptr: 0x2000,
            size: super::super::FrameSize::Small,
            rights: VmRights::ReadWrite,
            is_device: false,
            mapping: Some((3, 0x1000)),
        };
        assert!(matches!(
            mask_rights(CapRights::from_word(2), frame),
            Cap::Frame {
                rights: VmRights::ReadOnly,
                ..
            }
        ));
        assert!(matches!(
            mask_rights(CapRights::from_word(1), frame),
            Cap::Frame {
                rights: VmRights::KernelOnly,
                ..
            }
        ));
        assert!(matches!(
            derive(frame, || false),
            Ok(Cap::Frame { mapping: None, .. })
        ));
    }
}
