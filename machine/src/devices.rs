//! The hosted machine's devices (docs/vm-abi.md, "The hosted machine"): a
//! console (input bytes in, output bytes out) and a timer user level can arm,
//! each one 4 KiB frame of 64-bit registers in the device region, reaching
//! the kernel as interrupts. Time is virtual: it advances with the
//! instructions executed and jumps forward when nothing can run, so runs are
//! deterministic; input is all available from the start.

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use selvm_abi::vm::device::{
    CONSOLE_BASE, CONSOLE_RX_DATA, CONSOLE_RX_EMPTY, CONSOLE_RX_STATUS, CONSOLE_RX_STATUS_EOF,
    CONSOLE_TX_DATA, DEVICE_REGION_BITS, PHYS_DEVICE_BASE, TIMER_BASE, TIMER_COMPARE,
    TIMER_FREQUENCY, TIMER_HZ, TIMER_NOW,
};

/// The devices' state.
#[derive(Debug, Clone, Default)]
pub struct Devices {
    input: VecDeque<u8>,
    /// Console output written through TX_DATA (drained with DebugPutChar's).
    pub output: Vec<u8>,
    /// Virtual time, in nanoseconds since boot.
    pub now_ns: u64,
    compare_ns: u64,
    timer_fired: bool,
}

/// Whether physical address `pa` is in the device region.
pub fn is_device(pa: u64) -> bool {
    pa >= PHYS_DEVICE_BASE && pa - PHYS_DEVICE_BASE < 1 << DEVICE_REGION_BITS
}

impl Devices {
    /// Devices whose console input is `input` (all of it, then end of input).
    pub fn new(input: Vec<u8>) -> Self {
        Devices {
            input: input.into(),
            ..Devices::default()
        }
    }

    /// Reads the register at physical `pa` (8-aligned; others read 0).
    pub fn read(&mut self, pa: u64) -> u64 {
        match (pa & !0xfff, pa & 0xfff) {
            (CONSOLE_BASE, CONSOLE_RX_DATA) => {
                self.input.pop_front().map_or(CONSOLE_RX_EMPTY, u64::from)
            }
            (CONSOLE_BASE, CONSOLE_RX_STATUS) => self.input.len() as u64 | CONSOLE_RX_STATUS_EOF,
            (TIMER_BASE, TIMER_NOW) => self.now_ns,
            (TIMER_BASE, TIMER_COMPARE) => self.compare_ns,
            (TIMER_BASE, TIMER_FREQUENCY) => TIMER_HZ,
            _ => 0,
        }
    }

    /// Writes `value` to the register at physical `pa` (others ignore it).
    pub fn write(&mut self, pa: u64, value: u64) {
        match (pa & !0xfff, pa & 0xfff) {
            (CONSOLE_BASE, CONSOLE_TX_DATA) => self.output.push(value as u8),
            (TIMER_BASE, TIMER_COMPARE) => self.compare_ns = value,
            _ => {}
        }
    }

    /// Console input is waiting (the level of the console's interrupt line).
    pub fn input_pending(&self) -> bool {
        !self.input.is_empty()
    }

    /// Advances virtual time; true if the armed timer was reached (it then
    /// disarms and its interrupt is raised once).
    pub fn advance(&mut self, ns: u64) -> bool {
        self.now_ns = self.now_ns.saturating_add(ns);
        if self.compare_ns != 0 && self.now_ns >= self.compare_ns {
            self.compare_ns = 0;
            self.timer_fired = true;
        }
        core::mem::take(&mut self.timer_fired)
    }

    /// Nanoseconds until the armed timer fires, if it is armed.
    pub fn until_timer(&self) -> Option<u64> {
        (self.compare_ns != 0).then(|| self.compare_ns.saturating_sub(self.now_ns))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_registers_read_input_then_report_end_and_take_output() {
        let mut d = Devices::new(b"ab".to_vec());
        let status = CONSOLE_BASE + CONSOLE_RX_STATUS;
        assert_eq!(d.read(status), 2 | CONSOLE_RX_STATUS_EOF);
        assert_eq!(d.read(CONSOLE_BASE + CONSOLE_RX_DATA), u64::from(b'a'));
        assert_eq!(d.read(CONSOLE_BASE + CONSOLE_RX_DATA), u64::from(b'b'));
        assert_eq!(d.read(CONSOLE_BASE + CONSOLE_RX_DATA), CONSOLE_RX_EMPTY);
        assert!(!d.input_pending());
        d.write(CONSOLE_BASE + CONSOLE_TX_DATA, 0x141);
        assert_eq!(d.output, b"A");
        assert_eq!(d.read(CONSOLE_BASE + 0x18), 0, "no register there");
    }

    #[test]
    fn the_timer_fires_once_when_time_reaches_compare() {
        let mut d = Devices::default();
        assert_eq!(d.until_timer(), None);
        assert_eq!(d.read(TIMER_BASE + TIMER_FREQUENCY), TIMER_HZ);
        d.write(TIMER_BASE + TIMER_COMPARE, 1_000);
        assert_eq!(d.until_timer(), Some(1_000));
        assert!(!d.advance(999));
        assert!(d.advance(1), "reached");
        assert_eq!(d.read(TIMER_BASE + TIMER_COMPARE), 0, "disarmed");
        assert!(!d.advance(10_000), "fires once");
        assert_eq!(d.read(TIMER_BASE + TIMER_NOW), 11_000);
        assert!(is_device(TIMER_BASE) && !is_device(0x8000_0000));
    }
}
