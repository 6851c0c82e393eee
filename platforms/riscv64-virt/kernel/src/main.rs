//! seLVM's kernel on riscv64 qemu `virt`: entered with the MMU on, as seL4's elfloader
//! enters seL4 (a0 root task image start, a1 its end, a2 pv_offset, a3 its entry, a4
//! the device tree, a5 its size; docs/riscv64.md). It switches to its own address
//! space, reads the device tree, boots the portable kernel and runs the root task.
//! The platform's `unsafe` is confined to `csr`, `plic`, `finisher`, `window`, `trap`
//! and the kernel's one global in `run`.

#![no_std]
#![no_main]

mod boot;
mod csr;
mod devicetree;
mod finisher;
mod platform;
mod plic;
mod run;
mod trap;
mod window;

use core::fmt::Write;
use riscv64_virt_sbi::Console;

/// seL4's tick: 2 ms.
const TICK_MS: u64 = 2;
/// Status the machine exits with when the kernel cannot go on.
const KERNEL_FAILURE: u64 = 3;

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
    window::activate();
    trap::install();
    let machine = match devicetree::read(window::phys_to_virt(dtb)) {
        Ok(m) => m,
        Err(e) => fail(format_args!("the device tree at {dtb:#x}: {e}")),
    };
    let args = boot::LoaderArgs {
        image: (user_start, user_end),
        pv_offset,
        entry: user_entry,
        device_tree: (dtb, dtb_size),
    };
    let _ = writeln!(
        Console,
        "seLVM kernel (riscv64): RAM {:#x}..{:#x}, root task {user_start:#x}..{user_end:#x} entry {user_entry:#x}",
        machine.ram.0, machine.ram.1
    );
    let kernel = match boot::boot(&args, &machine) {
        Ok(k) => k,
        Err(e) => fail(format_args!("boot failed: {e}")),
    };
    let tick = machine.timebase * TICK_MS / 1000;
    run::start(kernel, tick)
}

/// Reports why the kernel stops and ends the machine with a failure.
fn fail(why: core::fmt::Arguments<'_>) -> ! {
    let _ = writeln!(Console, "seLVM kernel: {why}");
    finisher::exit(KERNEL_FAILURE)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    fail(format_args!("panic: {info}"))
}
