//! The native start code (riscv64, lp64, soft-float) and the program image's layout.
//!
//! The kernel starts the root thread at the ELF entry with a0 = BootInfo's address and
//! every other register 0 (seL4's rootserver contract). `_start` points `sp` at the top
//! of the root stack (a region of the image after `.bss`, see `riscv64.ld`) and `tp` at
//! the root thread's TLS block (reserved in `.bss`), then calls Rust: [`__rt_init`]
//! copies the TLS image there and writes libsel4's thread header below it, the program's
//! entry runs (`__rt_main`, from `rt::main!`), and when it returns the thread suspends
//! itself. `gp` stays 0: the image is linked without gp relaxation.
//!
//! A thread's area, the root's and those `sel4rt` makes, is laid out as
//! [`libsel4::thread`] says: the TLS block at a 64-byte aligned `tp`, the two header words
//! just below it, the stack below those.

use core::ops::Range;

use libsel4::thread::{HEADER_BYTES, TP_ALIGN, write_header};
use libsel4::{BootInfo, debug_halt, tcb};
use selvm_abi::CAP_INIT_THREAD_TCB;

core::arch::global_asm!(
    ".section .text._start, \"ax\", @progbits",
    ".globl _start",
    ".type _start, @function",
    "_start:",
    "    la sp, __rt_stack_top",
    "    la tp, __rt_root_tp",
    "    call __rt_init",
    "    call __rt_main",
    "    call __rt_finish",
    "1:  j 1b",
);

// Symbols of `riscv64.ld`: only their addresses mean something.
unsafe extern "C" {
    static __rt_image_start: u8;
    static __rt_image_end: u8;
    static __rt_stack_bottom: u8;
    static __rt_stack_top: u8;
    static __rt_root_tp: u8;
    static __rt_tdata_start: u8;
    static __rt_tdata_end: u8;
    static __rt_tbss_end: u8;
}

/// The program image's virtual range, page aligned: every loadable segment, the root
/// stack included (what BootInfo's `userImageFrames` map, in order).
pub fn image() -> Range<usize> {
    (&raw const __rt_image_start as usize)..(&raw const __rt_image_end as usize)
}

/// The root thread's stack, the last pages of the image.
pub fn root_stack() -> Range<usize> {
    (&raw const __rt_stack_bottom as usize)..(&raw const __rt_stack_top as usize)
}

/// The program's TLS image: its initialised bytes (`.tdata`) and the size of a TLS
/// block (`.tdata` then the zeroed `.tbss`).
fn tls_image() -> (&'static [u8], usize) {
    let start = &raw const __rt_tdata_start;
    let data = (&raw const __rt_tdata_end as usize) - start as usize;
    let size = (&raw const __rt_tbss_end as usize) - start as usize;
    // SAFETY: `.tdata` is `data` initialised bytes of the image from `start`, loaded and
    // never written (each thread gets a copy).
    (unsafe { core::slice::from_raw_parts(start, data) }, size)
}

/// Bytes a thread area may need below the top of a stack: the TLS block at an aligned
/// thread pointer and the header under it.
pub fn thread_area_bytes() -> usize {
    tls_image().1 + TP_ALIGN - 1 + HEADER_BYTES
}

/// Fills the TLS block at `tp_view` (a copy of the TLS image, then zeros) and the header
/// below it.
///
/// # Safety
/// `tp_view - HEADER_BYTES .. tp_view + TLS block size` is writable memory of the caller
/// that nothing else uses, and `tp_view` is [`TP_ALIGN`]-aligned.
unsafe fn fill_area(tp_view: usize, ipc_buffer: usize, boot_info: usize) {
    let (data, size) = tls_image();
    let block = tp_view as *mut u8;
    // SAFETY: the block lies in the memory the caller vouches for; the TLS image is in
    // the image's data pages, which the block (a stack or `.bss`) does not overlap.
    unsafe {
        core::ptr::copy_nonoverlapping(data.as_ptr(), block, data.len());
        core::ptr::write_bytes(block.add(data.len()), 0, size - data.len());
        write_header(tp_view, ipc_buffer, boot_info);
    }
}

/// Lays out a new thread's area just below `top`, the top of its stack in its own
/// address space: the TLS block at a 64-byte aligned thread pointer and libsel4's header
/// under it, holding `ipc_buffer` (and no BootInfo). The bytes are written through
/// `view`, the address at which the caller sees the thread's `top` (`top` itself when
/// the thread shares the caller's address space). Returns the thread's `tp` and its
/// initial `sp` (16-byte aligned, just below the header).
///
/// # Safety
/// The [`thread_area_bytes`] bytes below `view` are writable memory of the caller that
/// nothing else uses.
pub unsafe fn init_thread_area(top: usize, view: usize, ipc_buffer: usize) -> (usize, usize) {
    let tp = (top - tls_image().1) & !(TP_ALIGN - 1);
    let tp_view = tp.wrapping_add(view.wrapping_sub(top));
    // SAFETY: `tp_view - HEADER_BYTES .. tp_view + size` lies in the bytes below `view`
    // the caller vouches for, and `tp_view` is aligned like `tp` (`view - top` is a
    // multiple of a page when the caller maps the thread's stack elsewhere).
    unsafe { fill_area(tp_view, ipc_buffer, 0) };
    (tp, tp - HEADER_BYTES)
}

/// The root thread's set-up, before any Rust code touches `tp`: `_start` has set `sp`
/// and `tp` (= `__rt_root_tp`); `boot_info` is a0 as the kernel passed it.
#[unsafe(no_mangle)]
extern "C" fn __rt_init(boot_info: usize) {
    let ipc_buffer = match boot_info {
        0 => 0,
        // SAFETY: the kernel passes the address of the BootInfo frame it mapped for the
        // root thread (a page start, so aligned), which nothing writes.
        bi => unsafe { (*(bi as *const BootInfo)).ipc_buffer as usize },
    };
    // SAFETY: `riscv64.ld` reserves the root thread's area in `.bss` around
    // `__rt_root_tp` (64-byte aligned, the header's 64 bytes below it and the TLS block
    // size above it), used by nothing else.
    unsafe { fill_area(&raw const __rt_root_tp as usize, ipc_buffer, boot_info) };
}

/// After the program's entry returns: the root thread stops (suspends itself; if its
/// TCB cap is gone, the machine halts with status 0, nothing being left to run).
#[unsafe(no_mangle)]
extern "C" fn __rt_finish() -> ! {
    let _ = tcb::suspend(CAP_INIT_THREAD_TCB);
    loop {
        debug_halt();
    }
}
