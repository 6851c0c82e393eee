//! The hosted machine's physical map, devices and interrupt lines: RAM, the console
//! (stdin bytes in, stdout bytes out) and a timer user level can program, each a 4 KiB
//! device frame of 64-bit little-endian registers, raising IRQs the kernel delivers to
//! notifications as seL4 does.

use crate::Word;

/// Physical address of the first byte of RAM (the host allocation's offset 0).
pub const PHYS_RAM_BASE: Word = 0x8000_0000;
/// Physical address of the device region (handed out as device untyped).
pub const PHYS_DEVICE_BASE: Word = 0x1000_0000;
/// log2 bytes of the device region: one device untyped covering every device frame.
pub const DEVICE_REGION_BITS: u32 = 13;
/// Physical address of the console's device frame.
pub const CONSOLE_BASE: Word = 0x1000_0000;
/// Physical address of the timer's device frame.
pub const TIMER_BASE: Word = 0x1000_1000;

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

/// Interrupt line of the kernel's own tick; reserved (IssueIRQHandler answers RevokeFirst).
pub const IRQ_KERNEL_TIMER: Word = 0;
/// Interrupt line of the console: pending while input bytes are buffered.
pub const IRQ_CONSOLE_RX: Word = 1;
/// Interrupt line of the user timer: raised once each time an armed COMPARE is reached.
pub const IRQ_TIMER: Word = 2;
/// Interrupt lines of the vm architecture (IRQs 0..32; those without a device never fire).
pub const IRQ_COUNT: Word = 32;
/// The kernel tick period, in nanoseconds (2 ms, as seL4's default).
pub const KERNEL_TICK_NS: Word = 2_000_000;

// Each device frame lies in the device region, page aligned; RAM lies above it.
const _: () = assert!(CONSOLE_BASE >= PHYS_DEVICE_BASE && TIMER_BASE >= PHYS_DEVICE_BASE);
const _: () =
    assert!(TIMER_BASE + (1 << crate::PAGE_BITS) <= PHYS_DEVICE_BASE + (1 << DEVICE_REGION_BITS));
const _: () = assert!(
    CONSOLE_BASE % (1 << crate::PAGE_BITS) == 0 && TIMER_BASE % (1 << crate::PAGE_BITS) == 0
);
const _: () = assert!(PHYS_DEVICE_BASE + (1 << DEVICE_REGION_BITS) <= PHYS_RAM_BASE);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_are_distinct_aligned_words() {
        for regs in [
            [CONSOLE_RX_DATA, CONSOLE_RX_STATUS, CONSOLE_TX_DATA],
            [TIMER_NOW, TIMER_COMPARE, TIMER_FREQUENCY],
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
        let lines = [IRQ_KERNEL_TIMER, IRQ_CONSOLE_RX, IRQ_TIMER];
        assert!(lines.iter().all(|&l| l < IRQ_COUNT));
        assert_eq!(lines, [0, 1, 2]);
        // An rx byte (0..=255) never reads as "empty", nor does EOF collide with a count.
        for byte in 0..=0xffu64 {
            assert_ne!(byte, CONSOLE_RX_EMPTY);
            assert_eq!(byte & CONSOLE_RX_STATUS_EOF, 0);
        }
        assert_eq!(CONSOLE_RX_STATUS_EOF & u32::MAX as Word, 0);
    }
}
