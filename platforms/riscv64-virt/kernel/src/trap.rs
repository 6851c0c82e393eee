//! Trap entry and exit. A user thread's registers are saved into, and restored from,
//! its context words in kernel memory (seL4's riscv64 layout: x1..x31 at words 0..30,
//! then scause, sstatus, FaultIP, NextIP), whose kernel address `sscratch` holds while
//! the thread runs. The kernel runs with interrupts off (it is not preemptible, like
//! seL4's) on its own stack; it returns to user mode with `sret` at NextIP. The entry
//! sets NextIP past an `ecall` itself and hands `handle_trap` the context, scause and
//! a7 (the syscall number) in registers, so a system call reaches the kernel without
//! reading them back.

use core::arch::global_asm;

use selvm_kernel::arch::riscv64::{CONTEXT_REGISTERS, FAULT_IP, NEXT_IP, SCAUSE, SSTATUS};

// The assembly below stores x1..x31 at words 0..30 and these at fixed offsets.
const _: () = assert!(SCAUSE == 31 && SSTATUS == 32 && FAULT_IP == 33 && NEXT_IP == 34);
const _: () = assert!(CONTEXT_REGISTERS == 35);

global_asm!(
    r#"
    .section .text
    .globl trap_entry
    .balign 4
trap_entry:
    /* t0 <- the running thread's context (kernel address); sscratch <- user t0. */
    csrrw t0, sscratch, t0
    sd x1, 0(t0)
    sd x2, 8(t0)
    sd x3, 16(t0)
    sd x4, 24(t0)
    sd x6, 40(t0)
    sd x7, 48(t0)
    sd x8, 56(t0)
    sd x9, 64(t0)
    sd x10, 72(t0)
    sd x11, 80(t0)
    sd x12, 88(t0)
    sd x13, 96(t0)
    sd x14, 104(t0)
    sd x15, 112(t0)
    sd x16, 120(t0)
    sd x17, 128(t0)
    sd x18, 136(t0)
    sd x19, 144(t0)
    sd x20, 152(t0)
    sd x21, 160(t0)
    sd x22, 168(t0)
    sd x23, 176(t0)
    sd x24, 184(t0)
    sd x25, 192(t0)
    sd x26, 200(t0)
    sd x27, 208(t0)
    sd x28, 216(t0)
    sd x29, 224(t0)
    sd x30, 232(t0)
    sd x31, 240(t0)
    csrr t1, sscratch
    sd t1, 32(t0)
    csrr a1, scause
    sd a1, 248(t0)
    csrr t1, sstatus
    sd t1, 256(t0)
    csrr t1, sepc
    sd t1, 264(t0)
    /* NextIP: past the `ecall` (scause 8), else the trapping pc. */
    addi t2, a1, -8
    seqz t2, t2
    slli t2, t2, 2
    add t1, t1, t2
    sd t1, 272(t0)
    la sp, __trap_stack_top
    mv a0, t0
    mv a2, a7
    la a3, {running}
    /* handle_trap never returns: it resumes a thread through return_to_user. */
    call handle_trap
    .globl return_to_user
return_to_user:
    mv t0, a0
    csrw sscratch, t0
    ld t1, 256(t0)
    csrw sstatus, t1
    ld t1, 272(t0)
    csrw sepc, t1
    ld x1, 0(t0)
    ld x2, 8(t0)
    ld x3, 16(t0)
    ld x4, 24(t0)
    ld x6, 40(t0)
    ld x7, 48(t0)
    ld x8, 56(t0)
    ld x9, 64(t0)
    ld x10, 72(t0)
    ld x11, 80(t0)
    ld x12, 88(t0)
    ld x13, 96(t0)
    ld x14, 104(t0)
    ld x15, 112(t0)
    ld x16, 120(t0)
    ld x17, 128(t0)
    ld x18, 136(t0)
    ld x19, 144(t0)
    ld x20, 152(t0)
    ld x21, 160(t0)
    ld x22, 168(t0)
    ld x23, 176(t0)
    ld x24, 184(t0)
    ld x25, 192(t0)
    ld x26, 200(t0)
    ld x27, 208(t0)
    ld x28, 216(t0)
    ld x29, 224(t0)
    ld x30, 232(t0)
    ld x31, 240(t0)
    ld x5, 32(x5)
    sret
"#,
    running = sym crate::run::RUNNING,
);

unsafe extern "C" {
    fn trap_entry();
    fn return_to_user(context: *mut u64) -> !;
}

/// Points `stvec` at the trap entry (direct mode).
pub fn install() {
    // SAFETY: `trap_entry` is 4-byte aligned code in the kernel image (mapped in every
    // address space); writing stvec changes where the next trap goes, nothing else.
    unsafe {
        core::arch::asm!("csrw stvec, {0}", in(reg) trap_entry as *const () as usize);
    }
}

/// Runs the thread whose saved context is at kernel address `context` (35 words):
/// restores its registers and `sret`s to its NextIP.
///
/// # Safety
/// `context` must point to 35 readable words of kernel memory holding a user context
/// whose sstatus has SPP = user, and the thread's address space must be in `satp`.
#[inline(always)]
pub unsafe fn enter_user(context: *mut u64) -> ! {
    // SAFETY: as the caller promises.
    unsafe { return_to_user(context) }
}
