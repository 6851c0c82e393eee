//! The smallest seLVM user program in Rust: the root task prints a greeting and what
//! BootInfo says about its CSpace and memory, then halts the machine.
//! Build: `cargo xtask build-user user/hello` (wasm32, then dx) or
//! `cargo xtask build-user --target riscv64 user/hello` (a native ELF).

#![no_std]
#![no_main]

use libsel4::{BootInfo, debug_halt, debug_put_char, debug_put_str};

rt::main!(main);

/// Prints `n` in decimal.
fn put_decimal(mut n: u64) {
    let mut digits = [0u8; 20];
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    digits[..len].iter().rev().for_each(|&d| debug_put_char(d));
}

/// The program: the runtime calls it on the initial thread (`rt::main!`).
fn main(bi: &'static BootInfo) {
    debug_put_str("hello from Rust on seLVM\n");
    debug_put_str("root CNode radix ");
    put_decimal(bi.init_thread_cnode_size_bits);
    debug_put_str(", untyped caps ");
    put_decimal(bi.untyped.len());
    debug_put_str(", first free slot ");
    put_decimal(bi.empty.start);
    debug_put_char(b'\n');
    debug_halt();
}
