//! The platform-level interrupt controller (SiFive PLIC, as on qemu `virt`) for
//! hart 0's supervisor context: per-line priority and enable bits, the threshold,
//! and claim/complete. Its registers are reached through the kernel window.

use crate::window;

/// Hart 0's supervisor-mode context (context 0 is its machine mode).
const CONTEXT: u64 = 1;
const ENABLE_BASE: u64 = 0x2000;
const ENABLE_STRIDE: u64 = 0x80;
const CONTEXT_BASE: u64 = 0x20_0000;
const CONTEXT_STRIDE: u64 = 0x1000;

/// The PLIC at a physical base.
#[derive(Debug, Clone, Copy)]
pub struct Plic {
    base: u64,
    lines: u64,
}

impl Plic {
    /// The PLIC whose registers start at physical `base`, with `lines` sources
    /// (1..lines; line 0 does not exist).
    pub fn new(base: u64, lines: u64) -> Plic {
        Plic { base, lines }
    }

    fn reg(&self, offset: u64) -> *mut u32 {
        window::phys_to_virt(self.base + offset) as *mut u32
    }

    fn read(&self, offset: u64) -> u32 {
        // SAFETY: `offset` is one of the PLIC's 32-bit registers, which the kernel
        // window maps; a volatile read of it has only the device's effect.
        unsafe { self.reg(offset).read_volatile() }
    }

    fn write(&self, offset: u64, value: u32) {
        // SAFETY: as for `read`; the PLIC belongs to the kernel alone.
        unsafe { self.reg(offset).write_volatile(value) }
    }

    /// Every line masked, priority 1, threshold 0: a line interrupts once enabled.
    pub fn init(&self) {
        for line in 1..self.lines {
            self.write(4 * line, 1);
            self.set_enabled(line, false);
        }
        self.write(CONTEXT_BASE + CONTEXT_STRIDE * CONTEXT, 0);
    }

    /// Enables or disables `line` for the supervisor context.
    pub fn set_enabled(&self, line: u64, enabled: bool) {
        if line == 0 || line >= self.lines {
            return;
        }
        let word = ENABLE_BASE + ENABLE_STRIDE * CONTEXT + 4 * (line / 32);
        let bit = 1u32 << (line % 32);
        let old = self.read(word);
        self.write(word, if enabled { old | bit } else { old & !bit });
    }

    /// Claims the highest pending line (0: none).
    pub fn claim(&self) -> u64 {
        u64::from(self.read(CONTEXT_BASE + CONTEXT_STRIDE * CONTEXT + 4))
    }

    /// Completes a claimed `line`.
    pub fn complete(&self, line: u64) {
        if line != 0 && line < self.lines {
            self.write(CONTEXT_BASE + CONTEXT_STRIDE * CONTEXT + 4, line as u32);
        }
    }
}
