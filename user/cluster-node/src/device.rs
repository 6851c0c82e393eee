//! The network and timer devices as the root task maps them: the device untyped's
//! first 32 frames retyped in order (the console's, the timer's, …, the network
//! device's 16 at `NETWORK_BASE`), the timer's frame and the network device's mapped
//! read-write at a fresh address. Registers are 8-byte volatile loads and stores; the
//! rings are plain memory.

use libsel4::{CapRights, Error, untyped};
use sel4rt::{Env, PAGE_SIZE, ROOT_CNODE, ROOT_VSPACE, types};
use selvm_abi::vm::device::{NETWORK_BASE, PHYS_DEVICE_BASE, TIMER_BASE, TIMER_COMPARE, TIMER_NOW};
use selvm_abi::vm::network::*;

/// Frames of the device region retyped (up to the network device's end).
const FRAMES: usize = 32;
const NETWORK_FRAME: usize = ((NETWORK_BASE - PHYS_DEVICE_BASE) / 4096) as usize;
const TIMER_FRAME: usize = ((TIMER_BASE - PHYS_DEVICE_BASE) / 4096) as usize;

/// The mapped devices.
#[derive(Clone, Copy)]
pub struct Devices {
    timer: usize,
    net: usize,
}

/// Maps the timer and the network device into the root task's VSpace.
pub fn map(env: &mut Env) -> Result<Devices, Error> {
    let ut = env.untypeds.device_untyped().ok_or(Error::FailedLookup)?;
    let first = env.slots.alloc_range(FRAMES)?;
    untyped::retype(ut, types::FRAME, 0, ROOT_CNODE, 0, 0, first, FRAMES as u64)?;
    let pages = 1 + (FRAMES - NETWORK_FRAME);
    let base = env.alloc_vaddr(pages);
    let rw = CapRights::ALL;
    env.map_frame(ROOT_VSPACE, first + TIMER_FRAME as u64, base, rw)?;
    for i in 0..FRAMES - NETWORK_FRAME {
        let frame = first + (NETWORK_FRAME + i) as u64;
        env.map_frame(ROOT_VSPACE, frame, base + (1 + i) * PAGE_SIZE, rw)?;
    }
    Ok(Devices {
        timer: base,
        net: base + PAGE_SIZE,
    })
}

impl Devices {
    /// The devices as mapped at `timer` and `net` (another thread of the root task).
    pub fn at(timer: usize, net: usize) -> Devices {
        Devices { timer, net }
    }

    /// Where the timer's and the network device's frames are mapped.
    pub fn addresses(&self) -> (usize, usize) {
        (self.timer, self.net)
    }

    fn reg(&self, at: usize) -> *mut u64 {
        at as *mut u64
    }

    /// A network register.
    pub fn net_read(&self, reg: u64) -> u64 {
        // SAFETY: the device's register frame is mapped read-write at `net`; the
        // offset is a register's, 8-aligned and inside the frame.
        unsafe { self.reg(self.net + reg as usize).read_volatile() }
    }

    /// Writes a network register.
    pub fn net_write(&self, reg: u64, value: u64) {
        // SAFETY: as for `net_read`.
        unsafe { self.reg(self.net + reg as usize).write_volatile(value) }
    }

    /// Machine time in nanoseconds (the timer's NOW).
    pub fn now_ns(&self) -> u64 {
        // SAFETY: the timer's register frame is mapped at `timer`; NOW is its word 0.
        unsafe { self.reg(self.timer + TIMER_NOW as usize).read_volatile() }
    }

    /// Arms the timer to raise its interrupt once NOW reaches `at_ns`.
    pub fn arm_timer(&self, at_ns: u64) {
        // SAFETY: the timer's register frame is mapped at `timer`; COMPARE is word 1.
        unsafe {
            self.reg(self.timer + TIMER_COMPARE as usize)
                .write_volatile(at_ns)
        }
    }

    /// Word `i` of ring slot `count % slots` (`ring` is NET_TX_RING or NET_RX_RING);
    /// word 0 is the message length in bytes, the message's words follow.
    fn slot_word(&self, ring: u64, count: u64, i: usize) -> *mut u64 {
        let slot = (count % NET_RING_SLOTS) * NET_SLOT_BYTES;
        self.reg(self.net + (ring + slot) as usize + 8 * i)
    }

    /// Puts a cluster message (header words, then `mrs`) in the next transmit slot
    /// and rings the doorbell.
    pub fn transmit(&self, header: [u64; MSG_MRS], mrs: &[u64]) {
        let count = self.net_read(NET_TX_HEAD);
        let words = header.iter().chain(mrs);
        for (i, w) in words.enumerate() {
            // SAFETY: the transmit ring is mapped; a slot holds 1 + 6 + 120 words.
            unsafe { self.slot_word(NET_TX_RING, count, 1 + i).write_volatile(*w) };
        }
        let len = ((MSG_MRS + mrs.len()) * 8) as u64;
        // SAFETY: as above, word 0 of the slot.
        unsafe { self.slot_word(NET_TX_RING, count, 0).write_volatile(len) };
        self.net_write(NET_TX_HEAD, count.wrapping_add(1));
    }

    /// The oldest received message, if any: its header and registers (into `mrs`,
    /// returning how many); the slot is freed.
    pub fn receive(&self, mrs: &mut [u64; MSG_MAX_MRS]) -> Option<([u64; MSG_MRS], usize)> {
        let tail = self.net_read(NET_RX_TAIL);
        if tail == self.net_read(NET_RX_HEAD) {
            return None;
        }
        // SAFETY: the receive ring is mapped; indices stay inside a slot.
        let word = |i: usize| unsafe { self.slot_word(NET_RX_RING, tail, i).read_volatile() };
        let mut header = [0u64; MSG_MRS];
        for (i, h) in header.iter_mut().enumerate() {
            *h = word(1 + i);
        }
        let n = (header[MSG_LENGTH] as usize).min(MSG_MAX_MRS);
        for (i, m) in mrs.iter_mut().take(n).enumerate() {
            *m = word(1 + MSG_MRS + i);
        }
        self.net_write(NET_RX_TAIL, tail.wrapping_add(1));
        Some((header, n))
    }
}
