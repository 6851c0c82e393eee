//! The Supervisor Binary Interface calls the kernel and the loader make to OpenSBI:
//! the legacy console (as C seL4's kernel console), the timer, and system reset.
//! This crate's `ecall`s are its only `unsafe`.

#![no_std]

/// Legacy extension: print one byte on the console.
const LEGACY_CONSOLE_PUTCHAR: usize = 0x01;
/// Timer extension ("TIME").
const EXT_TIME: usize = 0x5449_4d45;
/// System reset extension ("SRST").
const EXT_SRST: usize = 0x5352_5354;

/// One SBI call with up to three arguments; returns (error, value).
#[inline]
fn call(extension: usize, function: usize, args: [usize; 3]) -> (isize, usize) {
    let (error, value): (usize, usize);
    // SAFETY: `ecall` from S-mode traps to the SBI implementation in M-mode, which
    // reads a0-a2, a6 and a7 and writes a0-a1 only (the SBI calling convention); it
    // touches no memory of ours for these calls.
    unsafe {
        core::arch::asm!(
            "ecall",
            inlateout("a0") args[0] => error,
            inlateout("a1") args[1] => value,
            in("a2") args[2],
            in("a6") function,
            in("a7") extension,
            options(nostack),
        );
    }
    (error as isize, value)
}

/// Prints `byte` on the SBI console (the legacy `console_putchar`).
pub fn console_putchar(byte: u8) {
    call(LEGACY_CONSOLE_PUTCHAR, 0, [byte as usize, 0, 0]);
}

/// Prints `text` on the SBI console.
pub fn console_write(text: &str) {
    text.bytes().for_each(console_putchar);
}

/// Arms the supervisor timer to fire when `time` reaches `deadline`.
pub fn set_timer(deadline: u64) {
    call(EXT_TIME, 0, [deadline as usize, 0, 0]);
}

/// Why the machine is being reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetReason {
    /// Everything went as expected.
    NoReason = 0,
    /// A failure.
    SystemFailure = 1,
}

/// Shuts the machine down (SBI system reset); returns only if the SBI refused.
pub fn shutdown(reason: ResetReason) {
    call(EXT_SRST, 0, [0, reason as usize, 0]);
}

/// A `core::fmt::Write` for the SBI console.
pub struct Console;

impl core::fmt::Write for Console {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        console_write(s);
        Ok(())
    }
}
