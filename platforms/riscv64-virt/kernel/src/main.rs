//! seLVM's kernel on riscv64 qemu `virt`: entered with the MMU on, as seL4's elfloader
//! enters seL4 (a0 root task image start, a1 its end, a2 pv_offset, a3 its entry, a4
//! the device tree, a5 its size; docs/riscv64.md).

#![no_std]
#![no_main]

mod devicetree;
mod smoke;
mod trap;
mod window;

use core::fmt::Write;
use riscv64_virt_sbi::{Console, ResetReason, shutdown};

core::arch::global_asm!(
    r#"
    .section .text.entry
    .globl _start
_start:
    la sp, __boot_stack_top
    call kernel_boot
1:
    wfi
    j 1b
"#
);

/// The Rust side of the entry, with the loader's six registers.
#[unsafe(no_mangle)]
extern "C" fn kernel_boot(
    user_start: u64,
    user_end: u64,
    pv_offset: u64,
    user_entry: u64,
    dtb: u64,
    dtb_size: u64,
) -> ! {
    let _ = writeln!(
        Console,
        "seLVM kernel (riscv64): root task {user_start:#x}..{user_end:#x} pv_offset {pv_offset:#x} entry {user_entry:#x}, device tree {dtb:#x} ({dtb_size} bytes)"
    );
    window::activate();
    let machine = devicetree::read(window::phys_to_virt(dtb)).unwrap_or_else(|e| panic!("{e}"));
    let _ = writeln!(Console, "seLVM kernel (riscv64): {machine:x?}");
    trap::install();
    smoke::run(user_start, user_end, user_entry);
    loop {
        core::hint::spin_loop();
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    let _ = writeln!(Console, "seLVM kernel panic: {info}");
    shutdown(ResetReason::SystemFailure);
    loop {
        core::hint::spin_loop();
    }
}
