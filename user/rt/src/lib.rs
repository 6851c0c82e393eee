//! The runtime of seLVM user programs, one API on both targets: a program names its
//! entry with [`main!`], a `fn(&'static BootInfo)` the runtime calls once the initial
//! thread is ready, and a panic prints its message and location through DebugPutChar
//! and halts the machine with [`PANIC_STATUS`].
//!
//! ```ignore
//! #![no_std]
//! #![no_main]
//! rt::main!(main);
//! fn main(boot_info: &'static libsel4::BootInfo) { /* ... */ }
//! ```
//!
//! - **wasm32** (the hosted machine): `main!` exports `_start`, the entry of
//!   `docs/wasm-abi.md`; the kernel keeps the BootInfo and IPC buffer addresses.
//! - **riscv64** (native, `riscv64imac-unknown-none-elf`): the start code in assembly
//!   ([`riscv64`]) sets the root thread's stack (in the image, after `.bss`) and thread
//!   pointer, fills its TLS block and libsel4's thread header (IPC buffer from BootInfo,
//!   BootInfo from a0) and calls the entry. The linker script `riscv64.ld` beside this
//!   crate links the image at 0x10000 like seL4's rootserver.
//!
//! When the entry returns, the initial thread stops: on wasm32 it becomes Inactive (the
//! kernel's rule for a returning `_start`), natively it suspends itself (and halts the
//! machine with status 0 if it cannot). Programs normally end with `debug_halt`.

#![no_std]

pub mod print;
#[cfg(target_arch = "riscv64")]
pub mod riscv64;

use core::fmt::{self, Write};

pub use libsel4::BootInfo;
use libsel4::{Word, debug_halt_status, debug_put_char, debug_put_str};

/// The exit status of a panic.
pub const PANIC_STATUS: Word = 101;
/// The exit status when the initial thread finds no BootInfo.
pub const NO_BOOT_INFO_STATUS: Word = 100;

/// Names the program's entry, a `fn(&'static BootInfo)`: defines the symbol the target's
/// start code calls (`_start` on wasm32; `__rt_main`, called by the native `_start`).
#[macro_export]
macro_rules! main {
    ($main:path) => {
        /// The entry of the initial thread (`docs/wasm-abi.md`): the program's main.
        #[cfg(target_arch = "wasm32")]
        #[unsafe(no_mangle)]
        pub extern "C" fn _start() {
            $crate::start($main)
        }

        /// Called by the runtime's native start code once the thread is set up.
        #[cfg(target_arch = "riscv64")]
        #[unsafe(no_mangle)]
        pub extern "C" fn __rt_main() {
            $crate::start($main)
        }
    };
}

/// Runs the program's entry with the BootInfo (`main!`'s expansion calls this).
#[doc(hidden)]
pub fn start(main: fn(&'static BootInfo)) {
    match libsel4::boot_info() {
        Some(bi) => main(bi),
        None => {
            debug_put_str("rt: no BootInfo\n");
            debug_halt_status(NO_BOOT_INFO_STATUS);
        }
    }
}

/// Prints through DebugPutChar (for the panic message).
struct Console;

impl Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        debug_put_str(s);
        Ok(())
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    let _ = write!(Console, "panic: {}", info.message());
    if let Some(at) = info.location() {
        let _ = write!(Console, " at {}:{}", at.file(), at.line());
    }
    debug_put_char(b'\n');
    loop {
        debug_halt_status(PANIC_STATUS);
    }
}
