//! The hosted machine's physical map, devices and interrupt lines: RAM, the console
//! (input bytes in, output bytes out) and a timer user level can program, each a 4 KiB
//! device frame of 64-bit little-endian registers, raising IRQs the kernel delivers to
//! notifications as seL4 does; and the devices a machine has only when it needs them
//! (input events in a ring, a framebuffer, a network device), each in a place of its
//! own, so they cannot collide.

use crate::Word;

/// Physical address of the first byte of RAM (the host allocation's offset 0).
pub const PHYS_RAM_BASE: Word = 0x8000_0000;
/// Physical address of the device region (handed out as device untyped).
pub const PHYS_DEVICE_BASE: Word = 0x1000_0000;
/// log2 bytes of the device region: one device untyped covering every device frame
/// (16 MiB: room for the framebuffer's pixels).
pub const DEVICE_REGION_BITS: u32 = 24;
/// Physical address of the console's device frame.
pub const CONSOLE_BASE: Word = 0x1000_0000;
/// Physical address of the timer's device frame.
pub const TIMER_BASE: Word = 0x1000_1000;
/// Physical address of the input device's frame (keyboard and pointer events in a ring).
pub const INPUT_BASE: Word = 0x1000_2000;
/// Physical address of the framebuffer's register frame (size, format, present).
pub const FRAMEBUFFER_REGS_BASE: Word = 0x1000_3000;
/// Physical address of the statistics device's frame: counts the machine keeps,
/// read-only (live threads, IPC system calls, kernel entries, instructions).
pub const STATS_BASE: Word = 0x1000_4000;
/// Physical address of the network device's frames: a register frame, then the
/// transmit and receive rings.
pub const NETWORK_BASE: Word = 0x1001_0000;
/// log2 bytes of the network device's frames (64 KiB).
pub const NETWORK_BITS: u32 = 16;
/// Physical address of the shared region: frame 0 its registers, frames 1 to 255 host
/// memory that the node processes of one cluster on one host all map (a frame shared
/// between co-located nodes is the same memory on each; docs/cluster.md).
pub const SHARED_BASE: Word = 0x1010_0000;
/// log2 bytes of the shared region (1 MiB: the register frame and 255 data frames).
pub const SHARED_BITS: u32 = 20;
/// Shared region register (read): how many data frames the region has (255), or 0 on
/// a machine without one (then nothing answers there at all and every read is 0).
pub const SHARED_FRAMES: Word = 0x00;
/// Shared region register (read): takes a free data frame for this node and answers
/// its number (1 to 255; its memory zeroed), or [`SHARED_NONE`] when none is free.
pub const SHARED_ALLOC: Word = 0x08;
/// Shared region register (write): gives data frame n back (one this node took).
pub const SHARED_FREE: Word = 0x10;
/// What [`SHARED_ALLOC`] reads when no frame is free.
pub const SHARED_NONE: Word = Word::MAX;
/// A cluster message's label bit: its MR0 is a shared region's frame number (the frame
/// is named to the other node by its place in the region). Transports refuse such a
/// message for a node that is not on this host ([`ERROR_NOT_CO_LOCATED`]).
pub const FRAME_CARRIED: Word = 1 << 49;
/// Remote error code: the message names a shared frame, and its destination is not on
/// this host (not on a shared ring with this node), where the frame is other memory.
pub const ERROR_NOT_CO_LOCATED: Word = 20;
/// Physical address of the framebuffer's pixels (plain memory, as many frames as the
/// size chosen at boot needs).
pub const FRAMEBUFFER_BASE: Word = 0x1080_0000;
/// log2 bytes of the largest framebuffer (8 MiB: 1920 x 1080 x 4 bytes fits).
pub const FRAMEBUFFER_MAX_BITS: u32 = 23;

/// Console register (read): the next input byte in bits 0..8, consuming it, or
/// [`CONSOLE_RX_EMPTY`] when none is buffered.
pub const CONSOLE_RX_DATA: Word = 0x00;
/// Console register (read): bytes buffered in bits 0..32, [`CONSOLE_RX_STATUS_EOF`] once
/// input has ended and nothing more will arrive.
pub const CONSOLE_RX_STATUS: Word = 0x08;
/// Console register (write): bits 0..8 are written to the console output.
pub const CONSOLE_TX_DATA: Word = 0x10;
/// Bytes the console's receive FIFO holds: [`CONSOLE_RX_STATUS`] never counts more
/// (input beyond it waits in the machine until the guest reads).
pub const CONSOLE_RX_FIFO: Word = 4096;
/// What [`CONSOLE_RX_DATA`] reads when no byte is buffered.
pub const CONSOLE_RX_EMPTY: Word = Word::MAX;
/// [`CONSOLE_RX_STATUS`] bit: input has ended.
pub const CONSOLE_RX_STATUS_EOF: Word = 1 << 32;

/// Timer register (read): nanoseconds since boot (virtual time under `--deterministic`).
pub const TIMER_NOW: Word = 0x00;
/// Timer register (read/write): a non-zero value arms the timer to fire once NOW
/// reaches it; 0 disarms. Firing disarms it (reads back 0) and raises [`IRQ_TIMER`].
pub const TIMER_COMPARE: Word = 0x08;
/// Timer register (read): NOW's ticks per second.
pub const TIMER_FREQUENCY: Word = 0x10;
/// What [`TIMER_FREQUENCY`] reads: NOW counts nanoseconds.
pub const TIMER_HZ: Word = 1_000_000_000;

/// Framebuffer register (read): width in pixels, chosen at boot.
pub const FB_WIDTH: Word = 0x00;
/// Framebuffer register (read): height in pixels.
pub const FB_HEIGHT: Word = 0x08;
/// Framebuffer register (read): bytes from one row's first pixel to the next's.
pub const FB_STRIDE: Word = 0x10;
/// Framebuffer register (read): the pixel format ([`FB_FORMAT_XRGB8888`]).
pub const FB_FORMAT: Word = 0x18;
/// Framebuffer register (write): presents a damaged rectangle, x in bits 0..16, y in
/// 16..32, width in 32..48, height in 48..64 (clipped to the framebuffer; an empty one
/// is ignored). The host sees a present event; [`IRQ_FRAMEBUFFER`] is raised once.
pub const FB_PRESENT: Word = 0x20;
/// Framebuffer register (read): presents made so far.
pub const FB_PRESENTS: Word = 0x28;
/// [`FB_FORMAT`]: 32-bit little-endian pixels `0x00RRGGBB` (bytes B, G, R, unused).
pub const FB_FORMAT_XRGB8888: Word = 1;
/// Largest width or height the host accepts (and at most 8 MiB of pixels in all).
pub const FB_MAX_SIDE: Word = 4096;

/// Input register (read): the device's event count (events written to the ring so far).
pub const INPUT_HEAD: Word = 0x00;
/// Input register (read/write): the guest's event count (events consumed); writing it
/// frees slots (values beyond [`INPUT_HEAD`] or behind the old tail are ignored).
pub const INPUT_TAIL: Word = 0x08;
/// Input register (read): slots in the ring ([`INPUT_RING_SLOTS`]).
pub const INPUT_SLOTS: Word = 0x10;
/// Byte offset of the input ring in the input device's frame; count c uses slot
/// c % [`INPUT_RING_SLOTS`].
pub const INPUT_RING: Word = 0x800;
/// Slots in the input ring.
pub const INPUT_RING_SLOTS: Word = 32;
/// Bytes of one input record (its words: kind, code, x, y, buttons, then zeros).
pub const INPUT_RECORD_BYTES: Word = 64;
/// Input record word (byte offset): the kind (`INPUT_KEY_DOWN` ...).
pub const INPUT_KIND: Word = 0x00;
/// Input record word: the key code (Linux evdev numbering: 30 is A, 57 space) or the
/// button (0 left, 1 right, 2 middle); 0 for a pointer move.
pub const INPUT_CODE: Word = 0x08;
/// Input record word: the pointer's x in pixels when the event happened.
pub const INPUT_X: Word = 0x10;
/// Input record word: the pointer's y in pixels.
pub const INPUT_Y: Word = 0x18;
/// Input record word: the buttons held after the event (bit b: button b).
pub const INPUT_BUTTONS: Word = 0x20;
/// Input kind: a key was pressed.
pub const INPUT_KEY_DOWN: Word = 1;
/// Input kind: a key was released.
pub const INPUT_KEY_UP: Word = 2;
/// Input kind: the pointer moved to (x, y).
pub const INPUT_POINTER_MOVE: Word = 3;
/// Input kind: a pointer button was pressed.
pub const INPUT_BUTTON_DOWN: Word = 4;
/// Input kind: a pointer button was released.
pub const INPUT_BUTTON_UP: Word = 5;

/// Statistics register (read): threads the machine has run that are not Inactive.
pub const STATS_THREADS: Word = 0x00;
/// Statistics register (read): IPC system calls made (Call, ReplyRecv, Send, NBSend,
/// Recv, Reply, NBRecv).
pub const STATS_IPC: Word = 0x08;
/// Statistics register (read): kernel entries (system calls, faults, interrupts, ticks).
pub const STATS_KERNEL_ENTRIES: Word = 0x10;
/// Statistics register (read): instructions executed.
pub const STATS_INSTRUCTIONS: Word = 0x18;
/// Statistics register (read): machine time of the last refresh, in nanoseconds.
pub const STATS_REFRESHED_NS: Word = 0x20;
/// Statistics register (read): refreshes so far (the machine refreshes the frame at
/// every kernel tick and whenever it goes idle).
pub const STATS_REFRESHES: Word = 0x28;
/// Registers of the statistics frame (the words above, in order).
pub const STATS_WORDS: Word = 6;

/// Interrupt line of the kernel's own tick; reserved (IssueIRQHandler answers RevokeFirst).
pub const IRQ_KERNEL_TIMER: Word = 0;
/// Interrupt line of the console: pending while input bytes are buffered.
pub const IRQ_CONSOLE_RX: Word = 1;
/// Interrupt line of the user timer: raised once each time an armed COMPARE is reached.
pub const IRQ_TIMER: Word = 2;
/// Interrupt line of the input device: pending while events wait in its ring (level).
pub const IRQ_INPUT: Word = 3;
/// Interrupt line of the framebuffer: raised once when a present finished (edge).
pub const IRQ_FRAMEBUFFER: Word = 4;
/// Interrupt line of the network device: a receive ring has frames or a transmit ring
/// has room.
pub const IRQ_NETWORK: Word = 5;
/// Interrupt lines of the vm architecture (IRQs 0..32; those without a device never fire).
pub const IRQ_COUNT: Word = 32;
/// The kernel tick period, in nanoseconds (2 ms, as seL4's default).
pub const KERNEL_TICK_NS: Word = 2_000_000;

/// Every device's place: name, first byte, and log2 bytes it may occupy.
pub const DEVICE_MAP: [(&str, Word, u32); 8] = [
    ("console", CONSOLE_BASE, crate::PAGE_BITS),
    ("timer", TIMER_BASE, crate::PAGE_BITS),
    ("input", INPUT_BASE, crate::PAGE_BITS),
    (
        "framebuffer registers",
        FRAMEBUFFER_REGS_BASE,
        crate::PAGE_BITS,
    ),
    ("statistics", STATS_BASE, crate::PAGE_BITS),
    ("network", NETWORK_BASE, NETWORK_BITS),
    ("shared region", SHARED_BASE, SHARED_BITS),
    ("framebuffer pixels", FRAMEBUFFER_BASE, FRAMEBUFFER_MAX_BITS),
];

/// Every device's interrupt line, by name.
pub const IRQ_MAP: [(&str, Word); 6] = [
    ("kernel timer", IRQ_KERNEL_TIMER),
    ("console", IRQ_CONSOLE_RX),
    ("timer", IRQ_TIMER),
    ("input", IRQ_INPUT),
    ("framebuffer", IRQ_FRAMEBUFFER),
    ("network", IRQ_NETWORK),
];

const fn places_are_sound() -> bool {
    let end = PHYS_DEVICE_BASE + (1 << DEVICE_REGION_BITS);
    let mut i = 0;
    while i < DEVICE_MAP.len() {
        let (_, base, bits) = DEVICE_MAP[i];
        // Aligned to its own size, inside the region.
        if base % (1 << bits) != 0 || base < PHYS_DEVICE_BASE || base + (1 << bits) > end {
            return false;
        }
        // No two overlap.
        let mut j = i + 1;
        while j < DEVICE_MAP.len() {
            let (_, other, other_bits) = DEVICE_MAP[j];
            if base < other + (1 << other_bits) && other < base + (1 << bits) {
                return false;
            }
            j += 1;
        }
        i += 1;
    }
    end <= PHYS_RAM_BASE
}

const fn lines_are_sound() -> bool {
    let mut i = 0;
    while i < IRQ_MAP.len() {
        if IRQ_MAP[i].1 >= IRQ_COUNT {
            return false;
        }
        let mut j = i + 1;
        while j < IRQ_MAP.len() {
            if IRQ_MAP[i].1 == IRQ_MAP[j].1 {
                return false;
            }
            j += 1;
        }
        i += 1;
    }
    true
}

// Each device lies in the device region, aligned, overlapping no other; RAM lies above
// the region; every line is distinct and below IRQ_COUNT.
const _: () = assert!(places_are_sound());
const _: () = assert!(lines_are_sound());
// The input ring fills its frame after the registers, a record holds its five words,
// and the largest side fits PRESENT's 16-bit fields.
const _: () = assert!(INPUT_RING + INPUT_RING_SLOTS * INPUT_RECORD_BYTES == 1 << crate::PAGE_BITS);
const _: () = assert!(INPUT_SLOTS < INPUT_RING && INPUT_BUTTONS < INPUT_RECORD_BYTES);
const _: () = assert!(FB_MAX_SIDE < 1 << 16);
// The statistics registers are the frame's first STATS_WORDS words, in order.
const _: () = assert!(STATS_REFRESHES == (STATS_WORDS - 1) * 8);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_are_distinct_aligned_words() {
        for regs in [
            [CONSOLE_RX_DATA, CONSOLE_RX_STATUS, CONSOLE_TX_DATA],
            [TIMER_NOW, TIMER_COMPARE, TIMER_FREQUENCY],
            [FB_WIDTH, FB_HEIGHT, FB_STRIDE],
            [FB_FORMAT, FB_PRESENT, FB_PRESENTS],
            [INPUT_HEAD, INPUT_TAIL, INPUT_SLOTS],
            [STATS_THREADS, STATS_IPC, STATS_KERNEL_ENTRIES],
            [STATS_INSTRUCTIONS, STATS_REFRESHED_NS, STATS_REFRESHES],
        ] {
            for (i, r) in regs.iter().enumerate() {
                assert_eq!(r % 8, 0);
                assert!(*r < 1 << crate::PAGE_BITS);
                assert!(regs[i + 1..].iter().all(|o| o != r));
            }
        }
        assert_ne!(CONSOLE_BASE, TIMER_BASE);
    }

    #[test]
    fn irqs() {
        let lines = IRQ_MAP.map(|(_, l)| l);
        assert_eq!(lines, [0, 1, 2, 3, 4, 5]);
        assert!(places_are_sound() && lines_are_sound());
        // An rx byte (0..=255) never reads as "empty", nor does EOF collide with a count.
        for byte in 0..=0xffu64 {
            assert_ne!(byte, CONSOLE_RX_EMPTY);
            assert_eq!(byte & CONSOLE_RX_STATUS_EOF, 0);
        }
        assert_eq!(CONSOLE_RX_STATUS_EOF & u32::MAX as Word, 0);
    }
}
