//! Machine time. Virtual by default: it advances with the instructions executed (a
//! kernel tick every `tick_instructions`, which stand for 2 ms) and jumps to the next
//! device deadline when nothing can run, so a run is a function of its program and
//! input. With a host [`Clock`] it follows host time instead and the kernel ticks every
//! 2 ms of it. Nothing here sleeps: an idle machine tells its embedder how long to wait.

use crate::devices::Now;
use alloc::boxed::Box;
use selvm_abi::vm::device::KERNEL_TICK_NS;

/// Host time for a machine that runs in real time (the embedder provides it).
pub trait Clock: Send {
    /// Nanoseconds since some fixed point.
    fn now_ns(&self) -> u64;
}

/// The machine's time and the kernel tick.
pub(crate) struct Time {
    /// Nanoseconds since boot.
    now_ns: u64,
    /// The host clock and its reading at machine time 0, in real time.
    clock: Option<(Box<dyn Clock>, u64)>,
    /// Instructions per kernel tick (virtual time).
    tick_instructions: u64,
    /// Whole nanoseconds per instruction when the tick divides 2 ms (the default
    /// 100,000 does: 20 ns), so the common case needs no division.
    ns_per_instruction: Option<u64>,
    /// Instructions since the last tick (virtual time).
    since_tick: u64,
    /// Machine time of the last tick (real time).
    last_tick_ns: u64,
}

impl Time {
    /// Virtual time with a kernel tick every `tick_instructions` (at least 1).
    pub(crate) fn new(tick_instructions: u64) -> Self {
        let tick = tick_instructions.max(1);
        Time {
            now_ns: 0,
            clock: None,
            tick_instructions: tick,
            ns_per_instruction: (KERNEL_TICK_NS % tick == 0).then(|| KERNEL_TICK_NS / tick),
            since_tick: 0,
            last_tick_ns: 0,
        }
    }

    /// From now on, time follows `clock`.
    pub(crate) fn use_clock(&mut self, clock: Box<dyn Clock>) {
        let start = clock.now_ns().saturating_sub(self.now_ns);
        self.last_tick_ns = self.now_ns;
        self.clock = Some((clock, start));
    }

    /// The time devices see.
    #[inline]
    pub(crate) fn now(&self) -> Now {
        Now {
            ns: self.now_ns,
            deterministic: self.clock.is_none(),
        }
    }

    /// Whether time is virtual.
    #[inline]
    pub(crate) fn is_virtual(&self) -> bool {
        self.clock.is_none()
    }

    /// Real time: reads the host clock (time never goes back).
    #[inline]
    pub(crate) fn sync(&mut self) {
        if let Some((clock, start)) = &self.clock {
            self.now_ns = self.now_ns.max(clock.now_ns().saturating_sub(*start));
        }
    }

    /// Virtual time: jumps to `ns` (an idle machine waiting for a device deadline).
    pub(crate) fn jump_to(&mut self, ns: u64) {
        self.now_ns = self.now_ns.max(ns);
    }

    /// Most instructions the next slice may run: up to the next tick.
    #[inline]
    pub(crate) fn slice_budget(&self) -> u64 {
        self.tick_instructions
            .saturating_sub(self.since_tick)
            .max(1)
    }

    /// A slice ran `executed` instructions: advances time; returns the nanoseconds it
    /// took.
    #[inline(always)]
    pub(crate) fn after_slice(&mut self, executed: u64) -> u64 {
        self.since_tick += executed;
        let start = self.now_ns;
        if self.clock.is_some() {
            self.sync();
        } else {
            // `executed * KERNEL_TICK_NS / tick_instructions`, saturated.
            let ns = match self.ns_per_instruction {
                Some(rate) => executed.saturating_mul(rate),
                None => match executed.checked_mul(KERNEL_TICK_NS) {
                    Some(product) => product / self.tick_instructions,
                    None => u64::try_from(
                        u128::from(executed) * u128::from(KERNEL_TICK_NS)
                            / u128::from(self.tick_instructions),
                    )
                    .unwrap_or(u64::MAX),
                },
            };
            self.now_ns = self.now_ns.saturating_add(ns);
        }
        self.now_ns - start
    }

    /// Whether the kernel's tick is due (every `tick_instructions` instructions in
    /// virtual time, every 2 ms in real time); if so it is counted as taken.
    #[inline(always)]
    pub(crate) fn take_tick(&mut self) -> bool {
        let due = match self.clock {
            Some(_) => self.now_ns - self.last_tick_ns >= KERNEL_TICK_NS,
            None => self.since_tick >= self.tick_instructions,
        };
        if due {
            self.last_tick_ns = self.now_ns;
            self.since_tick = 0;
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_time_counts_instructions_and_ticks_on_the_count() {
        let mut t = Time::new(100_000);
        assert_eq!(t.slice_budget(), 100_000);
        assert_eq!(t.after_slice(50_000), 1_000_000, "20 ns an instruction");
        assert!(!t.take_tick());
        assert_eq!(t.slice_budget(), 50_000);
        t.after_slice(50_000);
        assert!(t.take_tick());
        assert_eq!(t.now().ns, KERNEL_TICK_NS);
        assert!(t.now().deterministic);
        t.after_slice(u64::MAX / 2);
        assert_eq!(
            t.now().ns,
            u64::MAX,
            "saturates at 20 ns an instruction too"
        );
        // A tick that does not divide 2 ms, and a count whose product overflows.
        let mut t = Time::new(3);
        assert_eq!(t.after_slice(3), KERNEL_TICK_NS);
        t.after_slice(u64::MAX / 2);
        assert_eq!(t.now().ns, u64::MAX, "saturates");
        t.jump_to(5);
        assert_eq!(t.now().ns, u64::MAX, "time never goes back");
    }

    struct Fixed(u64);
    impl Clock for Fixed {
        fn now_ns(&self) -> u64 {
            self.0
        }
    }

    #[test]
    fn real_time_follows_the_clock() {
        let mut t = Time::new(100_000);
        t.after_slice(100);
        t.use_clock(Box::new(Fixed(1_000_000_000)));
        assert!(!t.is_virtual());
        t.sync();
        assert_eq!(t.now().ns, 2_000, "continues from where virtual time was");
    }
}
