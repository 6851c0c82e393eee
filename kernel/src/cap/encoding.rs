//! The two-word slot encoding of a capability, defined once: a 5-bit type tag at
//! the top of word 0 (bits 59..64), a 48-bit physical address at the bottom of
//! word 0 where the cap has one, per-type fields in bits 48..59 and in word 1.
//!
//! `decode` is total: every pair of words yields a cap (an unknown tag reads as
//! Null), and `decode(encode(c)) == c` for every cap (tested exhaustively over
//! field extremes and by property tests); the invariant checker also verifies that
//! every stored pair of words is the canonical encoding of its decoding.

use super::{ARCH_KIND_BITS, ArchCap, Cap, FrameSize, VmRights, ZombieKind};
use selvm_abi::CapRights;

/// The stored form of a cap.
pub type CapWords = [u64; 2];

const TAG_SHIFT: u32 = 59;
const PTR_MASK: u64 = (1 << 48) - 1;

mod tag {
    pub const UNTYPED: u64 = 1;
    pub const ENDPOINT: u64 = 2;
    pub const NOTIFICATION: u64 = 3;
    pub const REPLY: u64 = 4;
    pub const CNODE: u64 = 5;
    pub const THREAD: u64 = 6;
    pub const IRQ_CONTROL: u64 = 7;
    pub const IRQ_HANDLER: u64 = 8;
    pub const ZOMBIE: u64 = 9;
    pub const DOMAIN: u64 = 10;
    pub const FRAME: u64 = 11;
    pub const PAGE_TABLE: u64 = 12;
    pub const ASID_CONTROL: u64 = 13;
    pub const ASID_POOL: u64 = 14;
    /// An architecture's own object: size in bits 48..54, kind in 54..59, data word 1.
    pub const ARCH: u64 = 15;
    /// The last tag in use; higher tags read as Null.
    pub const LAST: u64 = ARCH;
}

/// Field `value` of `width` bits at bit `shift` (value is masked to the width).
const fn field(value: u64, shift: u32, width: u32) -> u64 {
    (value & ((1 << width) - 1)) << shift
}

/// Reads the field of `width` bits at bit `shift`.
const fn get(word: u64, shift: u32, width: u32) -> u64 {
    (word >> shift) & ((1 << width) - 1)
}

const fn word0(tag: u64, ptr: u64, fields: u64) -> u64 {
    (tag << TAG_SHIFT) | (ptr & PTR_MASK) | fields
}

/// Zombie type field: the CNode radix, or 64 for a TCB.
const ZOMBIE_TCB: u64 = 64;

/// A mapping is stored as `asid | vpn << 16` in word 1 with asid 0 meaning unmapped.
fn mapping_word(mapping: Option<(u16, u64)>) -> u64 {
    match mapping {
        Some((asid, vaddr)) => u64::from(asid) | ((vaddr >> 12) << 16),
        None => 0,
    }
}

fn mapping_of(word: u64) -> Option<(u16, u64)> {
    let asid = get(word, 0, 16) as u16;
    (asid != 0).then_some((asid, (word >> 16) << 12))
}

/// Stores `cap` as two words.
pub fn encode(cap: &Cap) -> CapWords {
    match *cap {
        Cap::Null => [0, 0], // tag 0
        Cap::Untyped {
            ptr,
            size_bits,
            is_device,
            watermark,
        } => [
            word0(
                tag::UNTYPED,
                ptr,
                field(size_bits.into(), 48, 6) | field(is_device.into(), 54, 1),
            ),
            watermark,
        ],
        Cap::Endpoint { ptr, badge, rights } => [
            word0(tag::ENDPOINT, ptr, field(rights.word(), 48, 4)),
            badge,
        ],
        Cap::Notification { ptr, badge, rights } => [
            word0(tag::NOTIFICATION, ptr, field(rights.word(), 48, 4)),
            badge,
        ],
        Cap::Reply {
            tcb,
            master,
            can_grant,
        } => reply_words(tcb, master, can_grant),
        // CNodes are at least 64-byte aligned, so the address is stored
        // shifted, leaving room for the radix and the 7-bit guard size.
        Cap::CNode {
            ptr,
            radix,
            guard_size,
            guard,
        } => [
            (tag::CNODE << TAG_SHIFT)
                | field(ptr >> 5, 0, 43)
                | field(radix.into(), 43, 6)
                | field(guard_size.into(), 49, 7),
            guard,
        ],
        Cap::Thread { tcb } => [word0(tag::THREAD, tcb, 0), 0],
        Cap::IrqControl => [word0(tag::IRQ_CONTROL, 0, 0), 0],
        Cap::IrqHandler { irq } => [word0(tag::IRQ_HANDLER, 0, 0), irq],
        Cap::Zombie {
            ptr,
            kind,
            remaining,
        } => {
            let kind_field = match kind {
                ZombieKind::CNode { radix } => u64::from(radix),
                ZombieKind::Tcb => ZOMBIE_TCB,
            };
            [word0(tag::ZOMBIE, ptr, field(kind_field, 48, 7)), remaining]
        }
        Cap::Domain => [word0(tag::DOMAIN, 0, 0), 0],
        Cap::Frame {
            ptr,
            size,
            rights,
            is_device,
            mapping,
        } => {
            let size_field = match size {
                FrameSize::Small => 0,
                FrameSize::Large => 1,
                FrameSize::Huge => 2,
            };
            let rights_field = match rights {
                VmRights::KernelOnly => 1,
                VmRights::ReadOnly => 2,
                VmRights::ReadWrite => 3,
            };
            let fields = field(size_field, 48, 2)
                | field(rights_field, 50, 2)
                | field(is_device.into(), 52, 1);
            [word0(tag::FRAME, ptr, fields), mapping_word(mapping)]
        }
        Cap::PageTable { ptr, mapping } => [word0(tag::PAGE_TABLE, ptr, 0), mapping_word(mapping)],
        Cap::AsidControl => [word0(tag::ASID_CONTROL, 0, 0), 0],
        Cap::AsidPool { ptr, asid_base } => [word0(tag::ASID_POOL, ptr, 0), asid_base.into()],
        Cap::Arch(ArchCap {
            ptr,
            size_bits,
            kind,
            data,
        }) => [
            word0(
                tag::ARCH,
                ptr,
                field(size_bits.into(), 48, 6) | field(kind.into(), 54, ARCH_KIND_BITS),
            ),
            data,
        ],
    }
}

/// The stored form of a reply cap (also [`encode`]'s): the IPC fastpath builds
/// one without going through [`Cap`].
#[inline(always)]
pub fn reply_words(tcb: u64, master: bool, can_grant: bool) -> CapWords {
    [
        word0(
            tag::REPLY,
            tcb,
            field(master.into(), 48, 1) | field(can_grant.into(), 49, 1),
        ),
        0,
    ]
}

/// Whether `words` store a master reply cap. Agrees with [`decode`].
#[inline(always)]
pub fn is_master_reply(words: CapWords) -> bool {
    words[0] >> TAG_SHIFT == tag::REPLY && get(words[0], 48, 1) != 0
}

/// The thread of the non-master reply cap stored as `words`. Agrees with [`decode`].
#[inline(always)]
pub fn reply_target(words: CapWords) -> Option<u64> {
    let w0 = words[0];
    (w0 >> TAG_SHIFT == tag::REPLY && get(w0, 48, 1) == 0).then_some(w0 & PTR_MASK)
}

/// Whether `words` decode as the null cap (tag 0, or a tag no cap has). Agrees with
/// [`decode`].
#[inline(always)]
pub fn is_null_words(words: CapWords) -> bool {
    let t = words[0] >> TAG_SHIFT;
    t == 0 || t > tag::LAST
}

/// The CNode cap stored as `words` as (ptr, radix, guard size, guard), without
/// decoding any other kind: the fastpath's lookup. Agrees with [`decode`].
#[inline(always)]
pub fn cnode_fields(words: CapWords) -> Option<(u64, u32, u32, u64)> {
    let [w0, w1] = words;
    (w0 >> TAG_SHIFT == tag::CNODE).then_some((
        get(w0, 0, 43) << 5,
        get(w0, 43, 6) as u32,
        get(w0, 49, 7) as u32,
        w1,
    ))
}

/// The endpoint cap stored as `words` as (ptr, badge, rights), without decoding
/// any other kind: the fastpath's test. Agrees with [`decode`].
#[inline(always)]
pub fn endpoint_fields(words: CapWords) -> Option<(u64, u64, CapRights)> {
    let [w0, w1] = words;
    (w0 >> TAG_SHIFT == tag::ENDPOINT).then_some((
        w0 & PTR_MASK,
        w1,
        CapRights::from_word(get(w0, 48, 4)),
    ))
}

/// The page-table cap stored as `words` as (ptr, asid) if it is mapped (has an ASID),
/// without decoding any other kind: a thread's VSpace root on every switch. Agrees
/// with [`decode`].
#[inline(always)]
pub fn mapped_page_table_fields(words: CapWords) -> Option<(u64, u16)> {
    let [w0, w1] = words;
    let (ptr, mapping) = (w0 & PTR_MASK, mapping_of(w1));
    match (w0 >> TAG_SHIFT == tag::PAGE_TABLE, mapping) {
        (true, Some((asid, _))) => Some((ptr, asid)),
        _ => None,
    }
}

/// The frame cap stored as `words` as (ptr, size, rights) if it is a RAM frame (not
/// a device frame), without decoding any other kind: a thread's IPC buffer on every
/// message that uses it. Agrees with [`decode`].
#[inline(always)]
pub fn ram_frame_fields(words: CapWords) -> Option<(u64, FrameSize, VmRights)> {
    let [w0, _] = words;
    if w0 >> TAG_SHIFT != tag::FRAME || get(w0, 52, 1) != 0 {
        return None;
    }
    let size = match get(w0, 48, 2) {
        0 => FrameSize::Small,
        1 => FrameSize::Large,
        _ => FrameSize::Huge,
    };
    let rights = match get(w0, 50, 2) {
        3 => VmRights::ReadWrite,
        2 => VmRights::ReadOnly,
        _ => VmRights::KernelOnly,
    };
    Some((w0 & PTR_MASK, size, rights))
}

/// Reads the cap stored as `words`; never fails.
pub fn decode(words: CapWords) -> Cap {
    let [w0, w1] = words;
    let ptr = w0 & PTR_MASK;
    match w0 >> TAG_SHIFT {
        tag::UNTYPED => Cap::Untyped {
            ptr,
            size_bits: get(w0, 48, 6) as u8,
            is_device: get(w0, 54, 1) != 0,
            watermark: w1,
        },
        tag::ENDPOINT => Cap::Endpoint {
            ptr,
            badge: w1,
            rights: CapRights::from_word(get(w0, 48, 4)),
        },
        tag::NOTIFICATION => Cap::Notification {
            ptr,
            badge: w1,
            rights: CapRights::from_word(get(w0, 48, 4)),
        },
        tag::REPLY => Cap::Reply {
            tcb: ptr,
            master: get(w0, 48, 1) != 0,
            can_grant: get(w0, 49, 1) != 0,
        },
        tag::CNODE => Cap::CNode {
            ptr: get(w0, 0, 43) << 5,
            radix: get(w0, 43, 6) as u8,
            guard_size: get(w0, 49, 7) as u8,
            guard: w1,
        },
        tag::THREAD => Cap::Thread { tcb: ptr },
        tag::IRQ_CONTROL => Cap::IrqControl,
        tag::IRQ_HANDLER => Cap::IrqHandler { irq: w1 },
        tag::ZOMBIE => {
            let kind = match get(w0, 48, 7) {
                ZOMBIE_TCB => ZombieKind::Tcb,
                radix => ZombieKind::CNode {
                    radix: (radix & 63) as u8,
                },
            };
            Cap::Zombie {
                ptr,
                kind,
                remaining: w1,
            }
        }
        tag::DOMAIN => Cap::Domain,
        tag::FRAME => Cap::Frame {
            ptr,
            size: match get(w0, 48, 2) {
                0 => FrameSize::Small,
                1 => FrameSize::Large,
                _ => FrameSize::Huge,
            },
            rights: match get(w0, 50, 2) {
                3 => VmRights::ReadWrite,
                2 => VmRights::ReadOnly,
                _ => VmRights::KernelOnly,
            },
            is_device: get(w0, 52, 1) != 0,
            mapping: mapping_of(w1),
        },
        tag::PAGE_TABLE => Cap::PageTable {
            ptr,
            mapping: mapping_of(w1),
        },
        tag::ASID_CONTROL => Cap::AsidControl,
        tag::ASID_POOL => Cap::AsidPool {
            ptr,
            asid_base: w1 as u16,
        },
        tag::ARCH => Cap::Arch(ArchCap {
            ptr,
            size_bits: get(w0, 48, 6) as u8,
            kind: get(w0, 54, ARCH_KIND_BITS) as u8,
            data: w1,
        }),
        _ => Cap::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples() -> impl Iterator<Item = Cap> {
        let ptrs = [0u64, 0x8000_0000, (1 << 48) - 64];
        let words = [0u64, 1, u64::MAX];
        let rights = [CapRights::NONE, CapRights::ALL, CapRights::from_word(5)];
        let mut v = std::vec![Cap::Null, Cap::IrqControl, Cap::Domain, Cap::AsidControl];
        for &ptr in &ptrs {
            for &w in &words {
                for &r in &rights {
                    v.push(Cap::Endpoint {
                        ptr,
                        badge: w,
                        rights: r,
                    });
                    v.push(Cap::Notification {
                        ptr,
                        badge: w,
                        rights: r,
                    });
                }
                for size_bits in [4u8, 38, 63] {
                    for is_device in [false, true] {
                        v.push(Cap::Untyped {
                            ptr,
                            size_bits,
                            is_device,
                            watermark: w,
                        });
                    }
                }
                for (radix, guard_size) in [(1u8, 0u8), (12, 52), (63, 1), (1, 63)] {
                    v.push(Cap::CNode {
                        ptr,
                        radix,
                        guard_size,
                        guard: w,
                    });
                }
                v.push(Cap::Zombie {
                    ptr,
                    kind: ZombieKind::Tcb,
                    remaining: w,
                });
                v.push(Cap::Zombie {
                    ptr,
                    kind: ZombieKind::CNode { radix: 63 },
                    remaining: w,
                });
                v.push(Cap::IrqHandler { irq: w });
                for master in [false, true] {
                    v.push(Cap::Reply {
                        tcb: ptr,
                        master,
                        can_grant: !master,
                    });
                }
            }
            v.push(Cap::Thread { tcb: ptr });
            for (size_bits, kind, data) in
                [(12u8, 0u8, 0u64), (28, 9, 7 << 32 | 1), (63, 31, u64::MAX)]
            {
                v.push(Cap::Arch(ArchCap {
                    ptr,
                    size_bits,
                    kind,
                    data,
                }));
            }
            v.push(Cap::AsidPool {
                ptr,
                asid_base: 0xfe00,
            });
            for size in [FrameSize::Small, FrameSize::Large, FrameSize::Huge] {
                for rights in [
                    VmRights::KernelOnly,
                    VmRights::ReadOnly,
                    VmRights::ReadWrite,
                ] {
                    for mapping in [
                        None,
                        Some((1u16, 0x7fff_f000u64)),
                        Some((u16::MAX, 1 << 46)),
                    ] {
                        v.push(Cap::Frame {
                            ptr,
                            size,
                            rights,
                            is_device: true,
                            mapping,
                        });
                        v.push(Cap::PageTable { ptr, mapping });
                    }
                }
            }
        }
        v.into_iter()
    }

    extern crate std;

    #[test]
    fn every_cap_round_trips() {
        let mut n = 0;
        for cap in samples() {
            assert_eq!(decode(encode(&cap)), cap, "{cap:?}");
            n += 1;
        }
        assert!(n > 200);
    }

    /// The fastpath's partial decoders give what `decode` gives, for every sample
    /// cap and for words with every tag, known or not.
    #[test]
    fn partial_decoders_agree_with_decode() {
        let mut words: std::vec::Vec<CapWords> = samples().map(|c| encode(&c)).collect();
        for t in 0u64..32 {
            words.push([t << TAG_SHIFT | 0x1234_5000, 9]);
            words.push([t << TAG_SHIFT | 1 << 48 | 0x40, 0]);
        }
        for w in words {
            let cap = decode(w);
            let cnode = match cap {
                Cap::CNode {
                    ptr,
                    radix,
                    guard_size,
                    guard,
                } => Some((ptr, radix.into(), guard_size.into(), guard)),
                _ => None,
            };
            assert_eq!(cnode_fields(w), cnode, "{w:x?}");
            let ep = match cap {
                Cap::Endpoint { ptr, badge, rights } => Some((ptr, badge, rights)),
                _ => None,
            };
            assert_eq!(endpoint_fields(w), ep, "{w:x?}");
            let master = matches!(cap, Cap::Reply { master: true, .. });
            assert_eq!(is_master_reply(w), master, "{w:x?}");
            let target = match cap {
                Cap::Reply {
                    tcb, master: false, ..
                } => Some(tcb),
                _ => None,
            };
            assert_eq!(reply_target(w), target, "{w:x?}");
            assert_eq!(is_null_words(w), cap.is_null(), "{w:x?}");
            let vspace = match cap {
                Cap::PageTable {
                    ptr,
                    mapping: Some((asid, _)),
                } => Some((ptr, asid)),
                _ => None,
            };
            assert_eq!(mapped_page_table_fields(w), vspace, "{w:x?}");
            let frame = match cap {
                Cap::Frame {
                    ptr,
                    size,
                    rights,
                    is_device: false,
                    ..
                } => Some((ptr, size, rights)),
                _ => None,
            };
            assert_eq!(ram_frame_fields(w), frame, "{w:x?}");
            if let Cap::Reply {
                tcb,
                master,
                can_grant,
            } = cap
            {
                assert_eq!(reply_words(tcb, master, can_grant), encode(&cap));
            }
        }
    }

    #[test]
    fn null_is_all_zero_and_unknown_tags_read_as_null() {
        assert_eq!(encode(&Cap::Null), [0, 0]);
        for t in tag::LAST + 1..32 {
            assert_eq!(decode([t << TAG_SHIFT, 5]), Cap::Null);
        }
    }
}
