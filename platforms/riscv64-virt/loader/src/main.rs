//! seLVM's loader on qemu `virt`: OpenSBI's payload (S-mode, MMU off, at 0x80200000)
//! that plays the part seL4's elfloader plays, so the kernel has one entry whichever
//! loader runs before it (docs/riscv64.md, "Boot contract"):
//!
//! 1. the kernel ELF (embedded) is loaded at its physical addresses, its region zeroed
//!    first;
//! 2. the device tree OpenSBI handed over (a1) is copied to the first page after the
//!    kernel's physical end;
//! 3. the root task ELF (embedded) is loaded right after it, page aligned, at
//!    `physical = virtual + pv_offset`;
//! 4. an Sv39 table maps the loader's own 1 GiB one-to-one and the kernel's virtual
//!    1 GiB slot to its physical one; the MMU is turned on;
//! 5. the kernel's entry is called with a0 = root task image start (physical), a1 =
//!    its end (exclusive, page rounded), a2 = pv_offset, a3 = the root task's virtual
//!    entry, a4 = the device tree's physical address, a5 = its size.

#![no_std]
#![no_main]

mod elf_image;
mod paging;

use core::fmt::Write;
use riscv64_virt_sbi::{Console, ResetReason, shutdown};

core::arch::global_asm!(
    r#"
    .section .text.entry
    .globl _start
_start:
    la sp, __stack_top
    /* Zero .bss (the page table lives there) before any Rust runs. */
    la t0, __bss_start
    la t1, __loader_end
1:
    bgeu t0, t1, 2f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 1b
2:
    call loader_main
3:
    wfi
    j 3b
"#
);

/// The kernel ELF, linked high (paddr 0x84000000, vaddr 0xffffffff84000000).
static KERNEL: &[u8] = include_bytes!(env!("SELVM_KERNEL_ELF"));
/// The root task ELF.
static ROOTSERVER: &[u8] = include_bytes!(env!("SELVM_ROOTSERVER_ELF"));

const PAGE: u64 = 4096;

/// Rounds `x` up to a page.
const fn page_up(x: u64) -> u64 {
    x.div_ceil(PAGE) * PAGE
}

/// Prints a line and stops the machine with a failure.
fn fail(what: core::fmt::Arguments<'_>) -> ! {
    let _ = writeln!(Console, "selvm-loader: {what}");
    shutdown(ResetReason::SystemFailure);
    loop {
        core::hint::spin_loop();
    }
}

/// Called by `_start` with OpenSBI's a0 (hart id) and a1 (device tree).
#[unsafe(no_mangle)]
extern "C" fn loader_main(_hart: u64, dtb: u64) -> ! {
    let _ = writeln!(
        Console,
        "selvm-loader: loading the kernel and the root task"
    );
    let kernel =
        elf_image::Image::parse(KERNEL).unwrap_or_else(|e| fail(format_args!("kernel: {e}")));
    let kernel_end = page_up(
        kernel
            .load_at_physical()
            .unwrap_or_else(|e| fail(format_args!("kernel: {e}"))),
    );

    // SAFETY: OpenSBI passes the physical address of a valid flattened device tree
    // in a1; its header's second big-endian word is the tree's total size.
    let dtb_size = u64::from(u32::from_be(unsafe { *((dtb + 4) as *const u32) }));
    let dtb_at = kernel_end;
    // SAFETY: the source is OpenSBI's tree (read-only to us), the destination the free
    // RAM right after the kernel image, which nothing else uses; they do not overlap
    // (OpenSBI keeps its copy below the payload or far above the kernel).
    unsafe {
        core::ptr::copy(dtb as *const u8, dtb_at as *mut u8, dtb_size as usize);
    }
    let user_at = page_up(dtb_at + dtb_size);

    let user = elf_image::Image::parse(ROOTSERVER)
        .unwrap_or_else(|e| fail(format_args!("root task: {e}")));
    let (vstart, vend) = user.virtual_span();
    let pv_offset = user_at.wrapping_sub(vstart);
    user.load_at(pv_offset)
        .unwrap_or_else(|e| fail(format_args!("root task: {e}")));
    let user_end = user_at + page_up(vend - vstart);

    let entry = kernel.entry();
    let _ = writeln!(
        Console,
        "selvm-loader: kernel entry {entry:#x}, root task at {user_at:#x}..{user_end:#x} (pv_offset {pv_offset:#x}), device tree at {dtb_at:#x} ({dtb_size} bytes)"
    );
    paging::enter(
        entry,
        kernel.virtual_offset(),
        [user_at, user_end, pv_offset, user.entry(), dtb_at, dtb_size],
    )
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    fail(format_args!("{info}"))
}
