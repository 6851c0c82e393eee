//! The user timer: NOW reads machine time (virtual under deterministic time), writing
//! COMPARE arms it, and reaching COMPARE raises its line once (an edge) and disarms it.

use super::{Device, Now, WouldBlock};
use selvm_abi::vm::device::{
    IRQ_TIMER, TIMER_BASE, TIMER_COMPARE, TIMER_FREQUENCY, TIMER_HZ, TIMER_NOW,
};

/// The timer device.
#[derive(Debug, Default)]
pub struct Timer {
    /// The armed deadline, 0 when disarmed.
    compare_ns: u64,
    /// The deadline was reached and the line not yet delivered.
    fired: bool,
}

impl Device for Timer {
    fn name(&self) -> &'static str {
        "timer"
    }

    fn base(&self) -> u64 {
        TIMER_BASE
    }

    fn read(&mut self, offset: u64, now: Now) -> Result<u64, WouldBlock> {
        Ok(match offset {
            TIMER_NOW => now.ns,
            TIMER_COMPARE => self.compare_ns,
            TIMER_FREQUENCY => TIMER_HZ,
            _ => 0,
        })
    }

    fn write(&mut self, offset: u64, value: u64, _now: Now) {
        if offset == TIMER_COMPARE {
            self.compare_ns = value;
        }
    }

    fn raised(&self) -> u64 {
        u64::from(self.fired) << IRQ_TIMER
    }

    fn delivered(&mut self, _irq: u64) {
        self.fired = false;
    }

    fn advance(&mut self, now: Now) {
        if self.compare_ns != 0 && now.ns >= self.compare_ns {
            self.compare_ns = 0;
            self.fired = true;
        }
    }

    fn deadline(&self) -> Option<u64> {
        (self.compare_ns != 0).then_some(self.compare_ns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ns: u64) -> Now {
        Now {
            ns,
            deterministic: true,
        }
    }

    #[test]
    fn fires_once_when_time_reaches_compare() {
        let mut t = Timer::default();
        assert_eq!(t.deadline(), None);
        assert_eq!(t.read(TIMER_FREQUENCY, at(0)), Ok(TIMER_HZ));
        t.write(TIMER_COMPARE, 1_000, at(0));
        assert_eq!(t.deadline(), Some(1_000));
        t.advance(at(999));
        assert_eq!(t.raised(), 0);
        t.advance(at(1_000));
        assert_eq!(t.raised(), 1 << IRQ_TIMER, "reached");
        assert_eq!(t.read(TIMER_COMPARE, at(1_000)), Ok(0), "disarmed");
        t.delivered(IRQ_TIMER);
        t.advance(at(11_000));
        assert_eq!(t.raised(), 0, "fires once");
        assert_eq!(t.read(TIMER_NOW, at(11_000)), Ok(11_000));
    }
}
