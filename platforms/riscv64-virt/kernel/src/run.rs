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
use riscv64_virt_sbi::Console;
use selvm_kernel::arch::riscv64::{A0, FAULT_IP, NEXT_IP, SCAUSE};
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
struct Running {
    kernel: VirtKernel,
    tick: u64,
}

static mut RUNNING: Option<Running> = None;

fn running() -> &'static mut Running {
    // SAFETY: one hart, and the kernel runs with interrupts off: `start` sets
    // RUNNING before the first user instruction, and each trap borrows it for the
    // length of `handle_trap` only, so no two borrows overlap.
    match unsafe { (*core::ptr::addr_of_mut!(RUNNING)).as_mut() } {
        Some(r) => r,
        None => panic!("trap before the kernel booted"),
    }
}

/// Starts the first thread (the root task) with the tick at `tick` time units.
pub fn start(kernel: VirtKernel, tick: u64) -> ! {
    // SAFETY: once, before any trap can borrow RUNNING (see `running`).
    unsafe { *core::ptr::addr_of_mut!(RUNNING) = Some(Running { kernel, tick }) };
    riscv64_virt_sbi::set_timer(csr::time() + tick);
    csr::enable_interrupts(csr::TIMER | csr::EXTERNAL);
    csr::allow_user_counters();
    let context = next_context(running());
    // SAFETY: `next_context` returns the saved context of a user thread (35 words
    // in its TCB, sstatus with SPP user) and has switched `satp` to its VSpace.
    unsafe { crate::trap::enter_user(context) }
}

/// Called by the trap entry with the interrupted thread's context saved; returns
/// the context to resume.
#[unsafe(no_mangle)]
extern "C" fn handle_trap(_saved: *mut u64) -> *mut u64 {
    let r = running();
    let k = &mut r.kernel;
    let cur = k.current_thread();
    let scause = k.context(cur)[SCAUSE];
    let before = k.double_faults();
    match scause {
        c if c == INTERRUPT | SUPERVISOR_TIMER => tick(r),
        c if c == INTERRUPT | SUPERVISOR_EXTERNAL => external(&mut r.kernel),
        ECALL_FROM_USER => {
            let ctx = k.context_mut(cur);
            ctx[NEXT_IP] = ctx[FAULT_IP].wrapping_add(4);
            if k.handle_syscall() == SyscallExit::Halt {
                let status = k.context(cur)[A0];
                let _ = writeln!(Console, "seLVM: DebugHalt, status {status}");
                finisher::exit(status);
            }
        }
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
    next_context(r)
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
        let k = &mut r.kernel;
        let t = k.current_thread();
        if t != k.idle_thread() {
            match k.thread_vspace(t) {
                // SAFETY: every VSpace root holds the kernel's entries (copied when
                // it got its ASID), so the kernel stays mapped.
                Some((asid, root)) => unsafe { csr::set_satp(asid.into(), root) },
                // No valid VSpace: the kernel's own table, where every user access
                // faults (a VMFault for the thread, as on seL4).
                // SAFETY: the kernel's own root holds its entries.
                None => unsafe { csr::set_satp(0, crate::window::kernel_root()) },
            }
            return k.context_mut(t).as_mut_ptr();
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
