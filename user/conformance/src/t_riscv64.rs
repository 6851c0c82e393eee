//! riscv64 only [SEL4-RISCV64-BOOT.md "What the rootserver sees"; seL4 13.0's riscv
//! kernel and libsel4: VMFault words (`handleVMFault`: FSR 5 / 7 / 1, prefetch 1 for
//! fetches only), UserException (FaultIP, SP, number = scause, code 0), the 2 ms tick
//! and 5-tick time slice, SetTLSBase (-29) and TCB_SetTLSBase, IRQControl / IRQHandler
//! with the PLIC]. The faulting threads start right at a few instructions of assembly,
//! so the fault's IP is known exactly.

use crate::Test;
use crate::common::*;
use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use libsel4::arch::{
    A, PC, SCAUSE_ILLEGAL_INSTRUCTION, SP, TP, USER_CONTEXT_WORDS, USER_EXCEPTION_LENGTH,
    VM_FAULT_FSR_FETCH, VM_FAULT_FSR_LOAD, VM_FAULT_FSR_STORE,
};
use libsel4::{ipc, tcb};
use rt::riscv64::{image, init_thread_area};
use sel4rt::{Env, PAGE_SIZE};
use selvm_abi::config::riscv64::{TICK_MS, TIMER_FREQUENCY};
use selvm_abi::{USER_EXCEPTION, VM_FAULT};

mod uart;

/// The tests of this area.
pub const TESTS: &[Test] = &[
    (
        "riscv64.boot_info_after_the_image [rootserver: IPC buffer, BootInfo, extra BootInfo (FDT) in the pages after the image]",
        boot_info_layout,
    ),
    (
        "riscv64.load_fault_words [VMFault: IP, address, prefetch 0, FSR 5 RISCVLoadAccessFault]",
        load_fault,
    ),
    (
        "riscv64.store_fault_words [VMFault: IP, address, prefetch 0, FSR 7 RISCVStoreAccessFault]",
        store_fault,
    ),
    (
        "riscv64.fetch_fault_words [VMFault: IP = address, prefetch 1, FSR 1 RISCVInstructionAccessFault]",
        fetch_fault,
    ),
    (
        "riscv64.illegal_instruction_UserException [UserException: FaultIP, SP, number = scause 2, code 0]",
        illegal_instruction,
    ),
    (
        "riscv64.registers_and_tcb_set_tls_base [ReadRegisters shows WriteRegisters; TCB_SetTLSBase writes tp]",
        registers_and_tls_base,
    ),
    (
        "riscv64.set_tls_base_moves_tp [SetTLSBase -29 sets tp; the IPC buffer is found through it]",
        set_tls_base,
    ),
    (
        "riscv64.timer_preempts_equal_priority_spinner [2 ms tick, 5-tick time slice]",
        timer_preemption,
    ),
    (
        "riscv64.uart_loopback_receive_interrupt [IRQControl_Get, IRQHandler: ns16550 on PLIC line 10]",
        uart::receive_interrupt,
    ),
];

// Thread entries that fault at their first instruction (a0 is the thread's argument).
core::arch::global_asm!(
    ".section .text.conformance_riscv64, \"ax\", @progbits",
    ".balign 4",
    ".globl rv_load_from",
    ".type rv_load_from, @function",
    "rv_load_from:",
    "    ld a0, 0(a0)",
    "    ret",
    ".balign 4",
    ".globl rv_store_to",
    ".type rv_store_to, @function",
    "rv_store_to:",
    "    sd zero, 0(a0)",
    "    ret",
    ".balign 4",
    ".globl rv_jump_to",
    ".type rv_jump_to, @function",
    "rv_jump_to:",
    "    jr a0",
    ".balign 4",
    ".globl rv_illegal",
    ".type rv_illegal, @function",
    "rv_illegal:",
    "    .4byte 0", // all zeros: an illegal instruction by definition
    "    ret",
);

unsafe extern "C" {
    // `safe`: these are only ever thread entries, never called here; each faults at
    // its first instruction in a thread of its own, which the kernel then stops.
    safe fn rv_load_from(address: u64);
    safe fn rv_store_to(address: u64);
    safe fn rv_jump_to(address: u64);
    safe fn rv_illegal(unused: u64);
}

/// An address no frame backs in the root task's VSpace (as in `t_faults`).
const HOLE: u64 = 0x7000_0000;

/// A thread entry's address.
fn address(entry: sel4rt::Entry) -> u64 {
    entry as usize as u64
}

/// The time CSR (`rdtime`): 10 MHz on qemu `virt`.
fn now() -> u64 {
    let t: u64;
    // SAFETY: reads the time CSR; no memory is touched.
    unsafe { core::arch::asm!("rdtime {}", out(reg) t, options(nomem, nostack)) };
    t
}

/// Reads the word at `address` (of a page mapped in this address space).
fn word_at(address: usize) -> u64 {
    // SAFETY: only called on aligned words of pages the kernel mapped for the root task.
    unsafe { core::ptr::read_volatile(address as *const u64) }
}

fn boot_info_layout(_: &mut Env) -> R {
    let bi = libsel4::boot_info().ok_or(Fail {
        what: "BootInfo",
        got: 0,
        want: 1,
    })?;
    let at = bi as *const libsel4::BootInfo as usize;
    let end = image().end;
    eq(
        bi.ipc_buffer,
        end as u64,
        "IPC buffer: the page after the image",
    )?;
    eq(
        at as u64,
        (end + PAGE_SIZE) as u64,
        "BootInfo: the page after it",
    )?;
    let pages = (end - image().start) / PAGE_SIZE;
    eq(bi.user_image_frames.len(), pages as u64, "userImageFrames")?;
    eq(bi.init_thread_cnode_size_bits, 13, "root CNode radix")?;
    eq(bi.empty.end, 1 << 13, "empty region ends the CNode")?;
    check(
        bi.untypeds()
            .iter()
            .any(|u| u.is_device != 0 && u.paddr == 0),
        "a device untyped at physical 0",
    )?;
    check(
        bi.untypeds().iter().any(|u| u.is_device == 0),
        "a RAM untyped",
    )?;
    // The extra BootInfo: a header {id 6 (FDT), len = 16 + the DTB's size}, the DTB.
    let extra = at + PAGE_SIZE;
    eq(word_at(extra), 6, "extra BootInfo: FDT header id")?;
    let magic = u32::from_be(word_at(extra + 16) as u32);
    eq(magic.into(), 0xd00d_feed, "the DTB's magic")?;
    let dtb_size = u32::from_be((word_at(extra + 16) >> 32) as u32);
    eq(
        word_at(extra + 8),
        16 + u64::from(dtb_size),
        "FDT header len",
    )?;
    check(
        bi.extra_len >= 16 + u64::from(dtb_size),
        "extraLen covers it",
    )?;
    eq(
        bi.extra_bi_pages.len(),
        bi.extra_len.div_ceil(PAGE_SIZE as u64),
        "extraBIPages",
    )
}

/// Checks the VMFault the next fault message carries.
fn vm_fault(ip: u64, address: u64, prefetch: u64, fsr: u64) -> R {
    let m = fault(VM_FAULT)?;
    eq(m.len as u64, 4, "VMFault length")?;
    eq(mr(0), ip, "MR0: IP")?;
    eq(mr(1), address, "MR1: address")?;
    eq(mr(2), prefetch, "MR2: prefetch flag")?;
    eq(mr(3), fsr, "MR3: FSR")
}

fn load_fault(env: &mut Env) -> R {
    spawn(env, rv_load_from, HOLE, 100)?;
    vm_fault(address(rv_load_from), HOLE, 0, VM_FAULT_FSR_LOAD)
}

fn store_fault(env: &mut Env) -> R {
    spawn(env, rv_store_to, HOLE + 8, 100)?;
    vm_fault(address(rv_store_to), HOLE + 8, 0, VM_FAULT_FSR_STORE)
}

fn fetch_fault(env: &mut Env) -> R {
    spawn(env, rv_jump_to, HOLE, 100)?;
    vm_fault(HOLE, HOLE, 1, VM_FAULT_FSR_FETCH)
}

fn illegal_instruction(env: &mut Env) -> R {
    let t = spawn(env, rv_illegal, 0, 100)?;
    let m = fault(USER_EXCEPTION)?;
    eq(
        m.len as u64,
        USER_EXCEPTION_LENGTH as u64,
        "UserException length",
    )?;
    eq(mr(0), address(rv_illegal), "MR0: FaultIP")?;
    eq(mr(1), t.stack_top as u64, "MR1: SP")?;
    eq(mr(2), SCAUSE_ILLEGAL_INSTRUCTION, "MR2: number (scause)")?;
    eq(mr(3), 0, "MR3: code")
}

extern "C" fn never_runs(_: u64) {}

fn registers_and_tls_base(env: &mut Env) -> R {
    let t = thread(env, never_runs, 0x5151, 100)?;
    let mut regs = [0; USER_CONTEXT_WORDS];
    ok(
        tcb::read_registers(t.tcb, false, 0, &mut regs),
        "ReadRegisters",
    )?;
    eq(regs[PC], address(never_runs), "pc: the entry")?;
    eq(regs[SP], t.stack_top as u64, "sp")?;
    eq(regs[A[0]], 0x5151, "a0: the argument")?;
    check(regs[TP] != 0, "tp: the thread's TLS area")?;
    ok(tcb::set_tls_base(t.tcb, 0x1234_5000), "TCB_SetTLSBase")?;
    ok(
        tcb::read_registers(t.tcb, false, 0, &mut regs),
        "ReadRegisters",
    )?;
    eq(regs[TP], 0x1234_5000, "tp after TCB_SetTLSBase")?;
    eq(regs[PC], address(never_runs), "pc unchanged")
}

/// Lays out a new thread area at the top of the page `page`, moves its thread pointer
/// there with SetTLSBase, and reports through the IPC buffer found there: the thread
/// pointer before, after, and the one it asked for.
extern "C" fn moves_tls(page: u64) {
    let tp = || {
        let tp: u64;
        // SAFETY: reads the tp register.
        unsafe { core::arch::asm!("mv {}, tp", out(reg) tp, options(nomem, nostack)) };
        tp
    };
    let before = tp();
    let top = page as usize + PAGE_SIZE;
    // SAFETY: the root mapped `page` read-write for this thread alone; the area fits.
    let (new, _) = unsafe { init_thread_area(top, top, ipc::buffer_address()) };
    libsel4::set_tls_base(new as u64);
    let after = tp();
    done(0x77, &[before, after, new as u64]);
}

fn set_tls_base(env: &mut Env) -> R {
    let (page, _) = ok(env.alloc_memory(1), "a page for the new area")?;
    spawn(env, moves_tls, page as u64, 100)?;
    let r = report()?;
    eq(
        r.label,
        0x77,
        "the report (sent through the new tp's IPC buffer)",
    )?;
    check(mr(0) != mr(2), "a new thread pointer")?;
    eq(mr(1), mr(2), "tp after SetTLSBase")
}

/// What the timed spinners share: their counts and when each first ran.
static COUNTS: [AtomicU64; 2] = [const { AtomicU64::new(0) }; 2];
static STARTED: [AtomicU64; 2] = [const { AtomicU64::new(0) }; 2];

/// Spins, counting, until the other spinner's count moves or a second has passed;
/// reports `me` and whether it saw the other run.
extern "C" fn timed_spinner(me: u64) {
    let (me, other) = (me as usize, 1 - me as usize);
    let start = now();
    STARTED[me].store(start, SeqCst);
    let mut saw = 0;
    while now() - start < TIMER_FREQUENCY {
        COUNTS[me].fetch_add(1, SeqCst);
        if COUNTS[other].load(SeqCst) != 0 {
            saw = 1;
            break;
        }
    }
    done(me as u64, &[saw]);
}

fn timer_preemption(env: &mut Env) -> R {
    COUNTS
        .iter()
        .chain(&STARTED)
        .for_each(|c| c.store(0, SeqCst));
    spawn(env, timed_spinner, 0, 100)?;
    spawn(env, timed_spinner, 1, 100)?;
    // Resumed last, spinner 1 runs first (head of its queue); only the tick ending its
    // time slice lets spinner 0 run, which sees 1's count at once and reports first.
    let first = report()?;
    eq(
        first.label,
        0,
        "first report (1 = spinner 1 never preempted)",
    )?;
    eq(mr(0), 1, "spinner 0 saw spinner 1's count")?;
    let second = report()?;
    eq(second.label, 1, "second report")?;
    eq(mr(0), 1, "spinner 1 saw spinner 0 run")?;
    // Spinner 1 had most of a 5-tick slice (10 ms) before spinner 0 first ran.
    let ran = STARTED[0].load(SeqCst) - STARTED[1].load(SeqCst);
    let tick = TIMER_FREQUENCY / 1000 * TICK_MS;
    check(
        ran >= 2 * tick,
        "spinner 1 ran at least 2 ticks before the switch",
    )?;
    check(ran < TIMER_FREQUENCY, "and less than a second")
}
