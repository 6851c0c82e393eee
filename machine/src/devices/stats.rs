//! The statistics device: one read-only register frame of counts the machine keeps
//! (live threads, IPC system calls, kernel entries, instructions), which the machine
//! writes into it at every kernel tick and whenever it goes idle
//! ([`Device::counters`]), so a program such as the GUI's system monitor shows them
//! without new system calls. Writes are ignored.

use super::{Device, Now, WouldBlock};
use selvm_abi::vm::device::{STATS_BASE, STATS_WORDS};

/// What the machine reports to the device.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Threads the machine has run that are not Inactive.
    pub threads: u64,
    /// IPC system calls.
    pub ipc: u64,
    /// Kernel entries.
    pub kernel_entries: u64,
    /// Instructions executed.
    pub instructions: u64,
    /// Machine time, in nanoseconds.
    pub ns: u64,
}

/// The statistics device: the counts as of the last refresh.
#[derive(Debug, Default)]
pub struct Stats {
    words: [u64; STATS_WORDS as usize],
}

impl Device for Stats {
    fn name(&self) -> &'static str {
        "statistics"
    }

    fn base(&self) -> u64 {
        STATS_BASE
    }

    fn read(&mut self, offset: u64, _now: Now) -> Result<u64, WouldBlock> {
        Ok(self.words.get(offset as usize / 8).copied().unwrap_or(0))
    }

    fn write(&mut self, _offset: u64, _value: u64, _now: Now) {}

    fn counters(&mut self, c: &Counters) {
        let refreshes = self.words[5] + 1;
        self.words = [
            c.threads,
            c.ipc,
            c.kernel_entries,
            c.instructions,
            c.ns,
            refreshes,
        ];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use selvm_abi::vm::device::*;

    #[test]
    fn reads_the_last_counts_and_ignores_writes() {
        let now = Now {
            ns: 0,
            deterministic: true,
        };
        let mut s = Stats::default();
        assert_eq!(s.read(STATS_THREADS, now), Ok(0));
        let c = Counters {
            threads: 3,
            ipc: 40,
            kernel_entries: 55,
            instructions: 1000,
            ns: 77,
        };
        s.counters(&c);
        s.counters(&c);
        s.write(STATS_IPC, 9, now);
        let regs = [
            (STATS_THREADS, 3),
            (STATS_IPC, 40),
            (STATS_KERNEL_ENTRIES, 55),
            (STATS_INSTRUCTIONS, 1000),
            (STATS_REFRESHED_NS, 77),
            (STATS_REFRESHES, 2),
            (STATS_WORDS * 8, 0),
            (4088, 0),
        ];
        for (reg, want) in regs {
            assert_eq!(s.read(reg, now), Ok(want), "register {reg:#x}");
        }
    }
}
