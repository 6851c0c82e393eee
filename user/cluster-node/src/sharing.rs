//! Shared frames between co-located nodes (docs/cluster.md, "Shared frames"): the
//! machine's shared region (`SHARED_BASE`, device frames over host memory that every
//! node process of the cluster on this host maps) is retyped from the device untyped
//! and mapped whole into the root task's VSpace at start; a frame is named across
//! nodes by its number in the region, in a message whose label has [`FRAME_CARRIED`]
//! (the transports refuse such a message between nodes that are not on one host:
//! `ERROR_NOT_CO_LOCATED`). The relay's labels run a producer/consumer ring in one
//! frame between two nodes, woken by remote notifications (`ringbell@N`):
//!
//! - [`SHARE_NEW`]: take a free frame; answers `FRAME_CARRIED`, MR0 its number;
//! - `FRAME_CARRIED |` [`SHARE_PRODUCE`], MR0 the frame, MR1 the consumer's node, MR2
//!   n: writes n records of 56 bytes into the frame's ring, Signalling the consumer's
//!   bell after each and Waiting on its own when the ring is full; answers MR0 n;
//! - `FRAME_CARRIED |` [`SHARE_CONSUME`], MR0 the frame, MR1 the producer's node, MR2
//!   n: takes n records, checking every byte, Signalling the producer after each;
//!   answers MR0 the records taken, MR1 the bytes that differed from [`pattern`].
//!
//! The ring in the frame: word 0 `tail` (records written), word 1 `head` (records
//! taken), then [`SLOTS`] slots of 64 bytes from byte 64 (a record's first word its
//! number). The producer writes a record's words, then `tail`; the consumer reads
//! `tail`, then the words, then writes `head`: the shared region's loads are Acquire
//! and its stores Release (x86's order), so a record is whole when `tail` says so.

use crate::names::{self, Name};
use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use libsel4::ipc::{get_mr, set_mr};
use libsel4::{CPtr, CapRights, Error, MessageInfo, cnode, untyped};
use sel4rt::{Env, PAGE_SIZE, ROOT_CNODE, ROOT_VSPACE, types};
use selvm_abi::vm::device::{FRAME_CARRIED, SHARED_ALLOC, SHARED_BITS, SHARED_FRAMES, SHARED_NONE};

/// Relay label: take a shared frame.
pub const SHARE_NEW: u64 = 40;
/// Relay label (with [`FRAME_CARRIED`]): produce into a frame's ring.
pub const SHARE_PRODUCE: u64 = 41;
/// Relay label (with [`FRAME_CARRIED`]): consume a frame's ring.
pub const SHARE_CONSUME: u64 = 42;
/// Answer when this node has no shared region, no free frame, or the frame number
/// is not one.
pub const NO_FRAME: u64 = 95;
/// Answer when the other node's bell could not be found by name in time.
pub const NO_BELL: u64 = 94;
/// Slots of the ring (64 bytes each after the two index words).
pub const SLOTS: u64 = 63;

const REGION_FRAMES: usize = 1 << (SHARED_BITS - 12);
/// Where the region is mapped (0: no region), and the ring's bell.
static REGION: AtomicU64 = AtomicU64::new(0);
static BELL: AtomicU64 = AtomicU64::new(0);
static BELL_EXPORT: AtomicU64 = AtomicU64::new(0);
static REGISTERED: AtomicU64 = AtomicU64::new(0);
static PEER_BELL: AtomicU64 = AtomicU64::new(0);
static NODE: AtomicU64 = AtomicU64::new(0);

/// Retypes the shared region from the device untyped (after `device::map`'s frames:
/// an untyped of the region's size lands at its aligned base, `SHARED_BASE`), maps it
/// and makes the ring's bell. A machine without a region reads 0 frames: sharing then
/// answers [`NO_FRAME`].
pub fn prepare(env: &mut Env, me: u64) -> Result<(), Error> {
    NODE.store(me, SeqCst);
    let ut = env.untypeds.device_untyped().ok_or(Error::FailedLookup)?;
    let child = env.slots.alloc()?;
    untyped::retype(
        ut,
        types::UNTYPED,
        SHARED_BITS as u64,
        ROOT_CNODE,
        0,
        0,
        child,
        1,
    )?;
    let first = env.slots.alloc_range(REGION_FRAMES)?;
    untyped::retype(
        child,
        types::FRAME,
        0,
        ROOT_CNODE,
        0,
        0,
        first,
        REGION_FRAMES as u64,
    )?;
    let base = env.alloc_vaddr(REGION_FRAMES);
    for i in 0..REGION_FRAMES {
        env.map_frame(
            ROOT_VSPACE,
            first + i as CPtr,
            base + i * PAGE_SIZE,
            CapRights::ALL,
        )?;
    }
    let bell = env.retype(types::NOTIFICATION, 0)?;
    let export = env.slots.alloc()?;
    cnode::mint(
        ROOT_CNODE,
        export,
        64,
        ROOT_CNODE,
        bell,
        64,
        CapRights::ALL,
        0x5a_0000 | me,
    )?;
    BELL.store(bell, SeqCst);
    BELL_EXPORT.store(export, SeqCst);
    PEER_BELL.store(env.slots.alloc()?, SeqCst);
    if register_word(base as u64 + SHARED_FRAMES) > 0 {
        REGION.store(base as u64, SeqCst);
    }
    Ok(())
}

fn register_word(at: u64) -> u64 {
    // SAFETY: the region's register frame is mapped read-write at the region's base;
    // `at` is one of its 8-aligned registers.
    unsafe { (at as *const u64).read_volatile() }
}

fn info(label: u64, length: u64) -> MessageInfo {
    MessageInfo::new(label, 0, 0, length).unwrap_or_default()
}

/// Byte `k` of record `i` in frame `frame`: what the producer writes and the consumer
/// expects.
pub fn pattern(frame: u64, i: u64, k: u64) -> u8 {
    (i.wrapping_mul(131) ^ k.wrapping_mul(7) ^ frame.wrapping_mul(29)) as u8
}

/// The relay's answer to `label` (with MR0–MR2 as it came), if it is one of these.
pub fn serve(label: u64, length: usize) -> Option<MessageInfo> {
    let region = REGION.load(SeqCst);
    let frame = get_mr(0);
    let usable = region != 0 && frame >= 1 && frame < REGION_FRAMES as u64;
    Some(match label {
        SHARE_NEW => match region {
            0 => info(NO_FRAME, 0),
            _ => match register_word(region + SHARED_ALLOC) {
                SHARED_NONE => info(NO_FRAME, 0),
                f => {
                    set_mr(0, f);
                    info(FRAME_CARRIED, 1)
                }
            },
        },
        l if (l == FRAME_CARRIED | SHARE_PRODUCE || l == FRAME_CARRIED | SHARE_CONSUME)
            && length >= 3 =>
        {
            match usable {
                false => info(NO_FRAME, 0),
                true => ring(
                    region + frame * PAGE_SIZE as u64,
                    frame,
                    get_mr(1),
                    get_mr(2),
                    l == FRAME_CARRIED | SHARE_PRODUCE,
                ),
            }
        }
        _ => return None,
    })
}

/// Registers this node's bell once, then finds `ringbell@peer` (it may take a moment
/// to reach this node's directory): the slot of a cap to Signal it.
fn peer_bell(peer: u64) -> Option<CPtr> {
    if REGISTERED.swap(1, SeqCst) == 0 {
        let name = Name::numbered("ringbell@", NODE.load(SeqCst));
        if names::register(&name, BELL_EXPORT.load(SeqCst)).is_err() {
            REGISTERED.store(0, SeqCst);
        }
    }
    let slot = PEER_BELL.load(SeqCst);
    for _ in 0..20_000 {
        if names::lookup_signal(&Name::numbered("ringbell@", peer), slot).is_ok() {
            return Some(slot);
        }
        libsel4::yield_now();
    }
    None
}

fn word(at: u64) -> *mut u64 {
    at as *mut u64
}

/// Produces (or consumes) `n` records in the ring of the frame mapped at `page`.
fn ring(page: u64, frame: u64, peer: u64, n: u64, produce: bool) -> MessageInfo {
    let Some(bell) = peer_bell(peer) else {
        return info(NO_BELL, 0);
    };
    let own = BELL.load(SeqCst);
    let (tail, head) = (word(page), word(page + 8));
    let mut wrong = 0u64;
    for i in 0..n {
        let slot = page + 64 + (i % SLOTS) * 64;
        // SAFETY (every access below): the frame is mapped read-write at `page` (the
        // whole region is), and every address is an 8-aligned word inside it.
        unsafe {
            if produce {
                while i - head.read_volatile() >= SLOTS {
                    libsel4::wait(own);
                }
                word(slot).write_volatile(i);
                for w in 1..8 {
                    let bytes: [u8; 8] =
                        core::array::from_fn(|b| pattern(frame, i, 8 * w + b as u64 - 8));
                    word(slot + 8 * w).write_volatile(u64::from_le_bytes(bytes));
                }
                tail.write_volatile(i + 1);
            } else {
                while tail.read_volatile() <= i {
                    libsel4::wait(own);
                }
                wrong += u64::from(word(slot).read_volatile() != i) * 8;
                for w in 1..8 {
                    let got = word(slot + 8 * w).read_volatile().to_le_bytes();
                    for (b, &g) in got.iter().enumerate() {
                        wrong += u64::from(g != pattern(frame, i, 8 * w + b as u64 - 8));
                    }
                }
                head.write_volatile(i + 1);
            }
        }
        libsel4::signal(bell);
    }
    set_mr(0, n);
    set_mr(1, wrong);
    info(0, 2)
}
