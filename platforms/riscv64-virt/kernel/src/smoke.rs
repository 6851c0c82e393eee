//! Boot scaffolding until the portable kernel runs here: the root task's image in user
//! mode in an address space of its own (the kernel's global entries copied in), taken
//! back by three timer interrupts through the trap path, then a clean shutdown. It
//! proves the loader contract, the kernel window, user entry with `sret` and trap
//! entry and exit; the kernel proper replaces it.

use crate::{trap, window};
use core::fmt::Write;
use riscv64_virt_sbi::{Console, ResetReason, shutdown};

#[repr(C, align(4096))]
struct Table([u64; 512]);
static mut ROOT: Table = Table([0; 512]);
static mut MID: Table = Table([0; 512]);
static mut LEAF: Table = Table([0; 512]);
static mut CONTEXT: [u64; 35] = [0; 35];
static mut TICKS: u64 = 0;

/// Runs the root task's image at `entry` in user mode until three timer ticks.
pub fn run(start: u64, end: u64, entry: u64) -> ! {
    let pa = |t: *const Table| t as u64 - window::KERNEL_OFFSET;
    // SAFETY: single-threaded boot scaffolding; the statics are this module's own 4 KiB
    // aligned tables and one context; the mapped frames are the root task's image the
    // loader placed; the new root keeps the kernel's global entries, so the kernel and
    // the trap path stay mapped after `satp` changes.
    unsafe {
        let root = &mut *core::ptr::addr_of_mut!(ROOT);
        let globals = window::global_entries();
        root.0[window::FIRST_KERNEL_ENTRY..].copy_from_slice(&globals);
        root.0[0] = (pa(core::ptr::addr_of!(MID)) >> 12) << 10 | 1;
        (*core::ptr::addr_of_mut!(MID)).0[0] = (pa(core::ptr::addr_of!(LEAF)) >> 12) << 10 | 1;
        let mut p = start;
        let mut v = 0x10000u64;
        while p < end {
            (*core::ptr::addr_of_mut!(LEAF)).0[(v >> 12) as usize] = (p >> 12) << 10 | 0b1101_1011;
            p += 4096;
            v += 4096;
        }
        let ctx = &mut *core::ptr::addr_of_mut!(CONTEXT);
        ctx[trap::SSTATUS] = 1 << 5;
        ctx[trap::NEXT_IP] = entry;
        core::arch::asm!("csrw satp, {0}", "sfence.vma", in(reg) (8u64 << 60) | (pa(core::ptr::addr_of!(ROOT)) >> 12));
        core::arch::asm!("csrs sie, {0}", in(reg) 1u64 << 5);
        riscv64_virt_sbi::set_timer(now() + 100_000);
        trap::enter_user(ctx.as_mut_ptr());
    }
}

fn now() -> u64 {
    let t: u64;
    // SAFETY: reading the `time` CSR has no side effect.
    unsafe { core::arch::asm!("rdtime {0}", out(reg) t) };
    t
}

#[unsafe(no_mangle)]
extern "C" fn handle_trap(context: *mut u64) -> *mut u64 {
    // SAFETY: `context` is CONTEXT (35 words), which the trap entry just wrote; TICKS
    // is only touched here, with interrupts off.
    let (ctx, ticks) = unsafe {
        (
            core::slice::from_raw_parts_mut(context, 35),
            &mut *core::ptr::addr_of_mut!(TICKS),
        )
    };
    *ticks += 1;
    let _ = writeln!(
        Console,
        "trap: scause {:#x} at pc {:#x} (tick {})",
        ctx[trap::SCAUSE],
        ctx[trap::FAULT_IP],
        ticks
    );
    if *ticks == 3 {
        shutdown(ResetReason::NoReason);
    }
    riscv64_virt_sbi::set_timer(now() + 100_000);
    context
}
