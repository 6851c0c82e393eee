//! Scheduler configuration: priorities, time slice, domains and preemption limits.

use crate::Word;

/// The number of priority levels (0..=255).
pub const NUM_PRIORITIES: usize = 256;
/// The lowest priority.
pub const MIN_PRIORITY: Word = 0;
/// The highest priority (also the root task's priority and MCP).
pub const MAX_PRIORITY: Word = 255;
/// Length of a time slice in timer ticks.
pub const TIME_SLICE_TICKS: Word = 5;
/// Length of a timer tick in milliseconds.
pub const TIMER_TICK_MS: Word = 2;
/// The number of scheduling domains.
pub const NUM_DOMAINS: usize = 1;
/// log2 bytes zeroed per preemptible step when resetting an untyped.
pub const RESET_CHUNK_BITS: u32 = 8;
/// Work units a long-running operation may do before checking for preemption.
pub const MAX_WORK_UNITS_PER_PREEMPTION: u32 = 100;

// At least one domain exists, and a reset chunk is never smaller than an untyped.
const _: () = assert!(NUM_DOMAINS >= 1);
const _: () = assert!(RESET_CHUNK_BITS >= crate::object::MIN_UNTYPED_BITS);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities_fit() {
        assert_eq!(MAX_PRIORITY as usize + 1, NUM_PRIORITIES);
        assert_eq!(MIN_PRIORITY, 0);
        assert_eq!(TIME_SLICE_TICKS * TIMER_TICK_MS, 10);
    }
}
