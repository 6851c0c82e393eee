//! The kernel's event loop, one trap at a time: every trap from user mode lands in
//! [`handle_trap`] with the thread's registers saved in its TCB, is handed to the
//! portable kernel as seL4's riscv64 entry does (`ecall` a system call at pc + 4;
//! page and access faults a VMFault with the address, the prefetch flag and the
//! access-fault code seL4 reports (1 fetch, 5 load, 7 store);
//! other exceptions a UserException; the timer a tick; the PLIC an interrupt), and
//! returns the context of whichever thread runs next, in its address space. With
//! nothing to run the kernel waits for an interrupt itself (the idle thread).

use crate::boot::VirtKernel;
use crate::{csr, finisher};
use core::fmt::Write;
use core::mem::MaybeUninit;
use riscv64_virt_sbi::Console;
use selvm_kernel::arch::riscv64::{A0, FAULT_IP};
use selvm_kernel::syscall::SyscallExit;

/// scause's interrupt flag.
const INTERRUPT: u64 = 1 << 63;
const SUPERVISOR_TIMER: u64 = 5;
const SUPERVISOR_EXTERNAL: u64 = 9;
const ECALL_FROM_USER: u64 = 8;
const INSTRUCTION_ACCESS_FAULT: u64 = 1;
const LOAD_ACCESS_FAULT: u64 = 5;
const STORE_ACCESS_FAULT: u64 = 7;
const INSTRUCTION_PAGE_FAULT: u64 = 12;
const LOAD_PAGE_FAULT: u64 = 13;
const STORE_PAGE_FAULT: u64 = 15;

/// The kernel after boot, and the tick length in `time` units.
pub(crate) struct Running {
    kernel: VirtKernel,
    tick: u64,
}

/// The kernel after boot, set by `start` before the first user instruction. The trap
/// entry passes `handle_trap` its address, so that the handler has the kernel as an
/// argument of its own (which the compiler knows nothing else points into, and so
/// keeps what it read of it in registers).
pub(crate) static mut RUNNING: MaybeUninit<Running> = MaybeUninit::uninit();

/// Starts the first thread (the root task) with the tick at `tick` time units.
pub fn start(kernel: VirtKernel, tick: u64) -> ! {
    // SAFETY: once, before the first user instruction, so before any trap (traps
    // come from user mode only) borrows RUNNING; nothing else refers to it.
    let r = unsafe { (*core::ptr::addr_of_mut!(RUNNING)).write(Running { kernel, tick }) };
    riscv64_virt_sbi::set_timer(csr::time() + tick);
    csr::enable_interrupts(csr::TIMER | csr::EXTERNAL);
    csr::allow_user_counters();
    let context = next_context(r);
    // SAFETY: `next_context` returns the saved context of a user thread (35 words
    // in its TCB, sstatus with SPP user) and has switched `satp` to its VSpace.
    unsafe { crate::trap::enter_user(context) }
}

/// Called by the trap entry with the interrupted thread's context saved (NextIP
/// already past an `ecall`), its scause, its a7 and `RUNNING` (the trap entry's
/// only borrow of it: one hart, interrupts off, one trap at a time); resumes the
/// thread to run next. A Call or ReplyRecv the fastpath takes goes from here to the
/// partner's context without calling anything.
#[unsafe(no_mangle)]
extern "C" fn handle_trap(
    _saved: *mut u64,
    scause: u64,
    a7: u64,
    running: &mut MaybeUninit<Running>,
) -> ! {
    // SAFETY: `start` wrote RUNNING before the first user instruction, and traps
    // come from user mode only.
    let r = unsafe { running.assume_init_mut() };
    let context = if scause != ECALL_FROM_USER {
        other_trap(r, scause)
    } else if let Some((vspace, context)) = r.kernel.fastpath_switch(a7) {
        set_vspace(vspace);
        context
    } else {
        slow_syscall(r, a7)
    };
    // SAFETY: the saved context of a user thread (35 words in its TCB, sstatus with
    // SPP user), and `satp` holds its VSpace.
    unsafe { crate::trap::enter_user(context) }
}

/// A system call the fastpath did not take.
#[inline(never)]
fn slow_syscall(r: &mut Running, a7: u64) -> *mut u64 {
    let k = &mut r.kernel;
    let cur = k.current_thread();
    let before = k.double_faults();
    if k.handle_slow_syscall(a7) == SyscallExit::Halt {
        let status = k.context(cur)[A0];
        let _ = writeln!(Console, "seLVM: DebugHalt, status {status}");
        finisher::exit(status);
    }
    report_double_fault(r, cur, before, ECALL_FROM_USER);
    next_context(r)
}

/// Says so on the console when the trap of thread `cur` made a fault nobody
/// handles (the kernel's count moved past `before`).
fn report_double_fault(r: &mut Running, cur: u64, before: u64, scause: u64) {
    let k = &mut r.kernel;
    if k.double_faults() != before {
        let ctx = k.context(cur);
        let _ = writeln!(
            Console,
            "seLVM: thread {cur:#x} faulted with no handler (scause {scause:#x}, pc {:#x}, stval {:#x}); it stays blocked",
            ctx[FAULT_IP],
            csr::stval()
        );
    }
}

/// Every trap but a system call: interrupts, faults, exceptions.
#[inline(never)]
fn other_trap(r: &mut Running, scause: u64) -> *mut u64 {
    let k = &mut r.kernel;
    let cur = k.current_thread();
    let before = k.double_faults();
    match scause {
        c if c == INTERRUPT | SUPERVISOR_TIMER => tick(r),
        c if c == INTERRUPT | SUPERVISOR_EXTERNAL => external(k),
        INSTRUCTION_ACCESS_FAULT | LOAD_ACCESS_FAULT | STORE_ACCESS_FAULT
        | INSTRUCTION_PAGE_FAULT | LOAD_PAGE_FAULT | STORE_PAGE_FAULT => {
            // seL4 reports every kind by its access fault's code: 1 fetch, 5 load, 7 store.
            let (prefetch, fsr) = match scause {
                INSTRUCTION_ACCESS_FAULT | INSTRUCTION_PAGE_FAULT => (true, INSTRUCTION_ACCESS_FAULT),
                LOAD_ACCESS_FAULT | LOAD_PAGE_FAULT => (false, LOAD_ACCESS_FAULT),
                _ => (false, STORE_ACCESS_FAULT),
            };
            k.handle_vm_fault(csr::stval(), prefetch, fsr);
        }
        _ => k.handle_user_exception(scause, 0),
    }
    report_double_fault(r, cur, before, scause);
    next_context(r)
}

/// Switches `satp` to a thread's VSpace `(asid, root)`, or to the kernel's own table
/// (where every user access faults: a VMFault for the thread, as on seL4) for a
/// thread without a valid VSpace.
#[inline(always)]
fn set_vspace(vspace: Option<(u16, u64)>) {
    match vspace {
        // SAFETY: every VSpace root holds the kernel's entries (copied when it got
        // its ASID), so the kernel stays mapped.
        Some((asid, root)) => unsafe { csr::set_satp(asid.into(), root) },
        // SAFETY: the kernel's own root holds its entries.
        None => unsafe { csr::set_satp(0, crate::window::kernel_root()) },
    }
}

/// A timer interrupt: the next tick is armed and the kernel's tick runs.
fn tick(r: &mut Running) {
    riscv64_virt_sbi::set_timer(csr::time() + r.tick);
    r.kernel.timer_tick();
}

/// An external interrupt: the PLIC names the line, the kernel signals its handler
/// (and masks and completes the line).
fn external(k: &mut VirtKernel) {
    let line = k.arch().platform.plic.claim();
    if line == 0 {
        k.schedule();
    } else {
        k.handle_interrupt(line);
    }
}

/// The context of the thread to run, after waiting in the kernel while only the
/// idle thread can run; `satp` is switched to its VSpace.
fn next_context(r: &mut Running) -> *mut u64 {
    loop {
        if let Some((vspace, context)) = r.kernel.resume_current() {
            set_vspace(vspace);
            return context;
        }
        // Idle: wait with interrupts off, then take whatever is pending.
        csr::wait_for_interrupt();
        let pending = csr::pending();
        if pending & csr::TIMER != 0 {
            tick(r);
        }
        if pending & csr::EXTERNAL != 0 {
            external(&mut r.kernel);
        }
    }
}
