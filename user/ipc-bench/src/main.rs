//! One-way IPC costs on the native kernel, measured as seL4's sel4bench measures them:
//! a client (the root task) and a server (a process in its own VSpace, same priority)
//! exchange messages through one endpoint; the client reads the cycle counter just
//! before its `Call` and the server just after its `Recv`/`ReplyRecv` returns (Call's
//! one-way cost), the server just before `ReplyRecv` and the client just after `Call`
//! returns (ReplyRecv's). The cost of reading the counter (two reads back to back, the
//! smallest of many) is subtracted. Cases: 0-word messages (the fastpath) and 10-word
//! ones (past the 4 message registers: the slowpath). Under `qemu -icount shift=0` the
//! counter counts instructions, the unit of the C seL4 figures printed beside ours
//! (docs/benchmarks.md). Build and run: `cargo xtask qemu ipc-bench --icount`.
//!
//! Only the counter reads and the `ecall` are inline assembly, so no libsel4 code runs
//! between them: the figures are the kernel's (trap entry to exit) plus one `ecall`.

#![no_std]
#![no_main]

#[cfg(not(target_arch = "riscv64"))]
compile_error!(
    "ipc-bench measures the native kernel: build it for riscv64 (cargo xtask qemu ipc-bench)"
);

mod stats;

use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use libsel4::{BootInfo, CapRights, MessageInfo, Syscall, Word, cnode, debug_halt_status, tcb};
use sel4rt::{Env, PAGE_SIZE, ROOT_CNODE, types};
use stats::Summary;

rt::main!(main);

/// Console output through DebugPutChar.
struct Console;

impl core::fmt::Write for Console {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        libsel4::debug_put_str(s);
        Ok(())
    }
}

/// `println!` on the console.
macro_rules! say {
    ($($arg:tt)*) => {{
        use core::fmt::Write as _;
        let _ = writeln!(Console, $($arg)*);
    }};
}

/// Measured rounds per case, after the warm-up rounds (discarded).
const ROUNDS: usize = 1000;
const WARMUP: usize = 32;
/// (message words, C seL4 13.0 on this qemu: Call, ReplyRecv one-way instructions).
const CASES: [(Word, u64, u64); 2] = [(0, 245, 284), (10, 981, 944)];
const TOTAL: usize = CASES.len() * (ROUNDS + WARMUP);
/// Pages shared with the server, which writes its two counter values per round there.
const SHARED_PAGES: usize = (TOTAL * 16).div_ceil(PAGE_SIZE);

/// Set by the root before forking (the server gets a copy).
static EP: AtomicU64 = AtomicU64::new(0);
static SHARED: AtomicU64 = AtomicU64::new(0);

/// The client's counter values: before each Call, after it returns.
static mut BEFORE_CALL: [u64; TOTAL] = [0; TOTAL];
static mut AFTER_CALL: [u64; TOTAL] = [0; TOTAL];

/// The cost of a counter read: the smallest difference of two back-to-back reads.
fn overhead() -> u64 {
    (0..1000)
        .map(|_| {
            let (a, b): (u64, u64);
            // SAFETY: two counter reads; no memory.
            unsafe {
                core::arch::asm!("rdcycle {0}", "rdcycle {1}", out(reg) a, out(reg) b,
                    options(nomem, nostack));
            }
            b - a
        })
        .min()
        .unwrap_or(0)
}

/// seL4_Call on `ep` with `info`, the counter read right before the `ecall` and right
/// after it returns.
#[inline(always)]
fn timed_call(ep: Word, info: Word) -> (u64, u64) {
    let (before, after): (u64, u64);
    // SAFETY: `ecall` with seL4's register ABI; the kernel changes a0-a5 only (declared
    // clobbered) and the IPC buffer (so no `nomem`).
    unsafe {
        core::arch::asm!(
            "rdcycle {before}",
            "ecall",
            "rdcycle {after}",
            before = out(reg) before,
            after = out(reg) after,
            inout("a0") ep => _,
            inout("a1") info => _,
            out("a2") _, out("a3") _, out("a4") _, out("a5") _,
            in("a7") Syscall::Call.word(),
            options(nostack),
        );
    }
    (before, after)
}

/// The server: receives, then answers every message with one of the same length,
/// writing (after receive, before reply) per round to the shared
/// pages.
extern "C" fn server(_: u64) {
    let ep = EP.load(SeqCst);
    let shared = SHARED.load(SeqCst) as *mut u64;
    let (mut info, mut received): (Word, u64);
    // SAFETY: seL4_Recv; the kernel changes a0-a5 only.
    unsafe {
        core::arch::asm!(
            "ecall",
            "rdcycle {received}",
            received = out(reg) received,
            inout("a0") ep => _,
            out("a1") info,
            out("a2") _, out("a3") _, out("a4") _, out("a5") _,
            in("a7") Syscall::Recv.word(),
            options(nostack),
        );
    }
    for round in 0..TOTAL {
        let replying: u64;
        // SAFETY: seL4_ReplyRecv with the received MessageInfo as the reply's; the
        // shared pages hold 2 * TOTAL words (written only here, read by the root after
        // the last round).
        unsafe {
            shared.add(2 * round).write_volatile(received);
            core::arch::asm!(
                "rdcycle {replying}",
                "ecall",
                "rdcycle {received}",
                replying = out(reg) replying,
                received = out(reg) received,
                inout("a0") ep => _,
                inout("a1") info,
                out("a2") _, out("a3") _, out("a4") _, out("a5") _,
                in("a7") Syscall::ReplyRecv.word(),
                options(nostack),
            );
            shared.add(2 * round + 1).write_volatile(replying);
        }
        info &= !0xfff_ffff_ffff_f000; // keep the length only: label 0, no caps
    }
    // Answer the root's last, unmeasured call, then wait for nothing.
    let empty = MessageInfo::new(0, 0, 0, 0).unwrap_or(MessageInfo::from_word_clamped(0));
    loop {
        libsel4::reply_recv(ep, empty);
    }
}

fn fail(what: &str, e: libsel4::Error) -> ! {
    say!("ipc-bench: {what}: {e:?}");
    debug_halt_status(1);
    loop {}
}

fn main(_bi: &'static BootInfo) {
    let mut env = Env::from_boot_info().unwrap_or_else(|| {
        say!("ipc-bench: no BootInfo");
        debug_halt_status(1);
        loop {}
    });
    let ep = env
        .retype(types::ENDPOINT, 0)
        .unwrap_or_else(|e| fail("endpoint", e));
    let (shared, frames) = env
        .alloc_memory(SHARED_PAGES)
        .unwrap_or_else(|e| fail("shared pages", e));
    EP.store(ep, SeqCst);
    SHARED.store(shared as u64, SeqCst);
    let process = env
        .fork(server, 0, 255, 0)
        .unwrap_or_else(|e| fail("fork the server", e));
    // The same pages at the same addresses in the server (a second cap to each).
    let copies = env
        .slots
        .alloc_range(SHARED_PAGES)
        .unwrap_or_else(|e| fail("slots", e));
    for i in 0..SHARED_PAGES as u64 {
        cnode::copy(
            ROOT_CNODE,
            copies + i,
            64,
            ROOT_CNODE,
            frames + i,
            64,
            CapRights::ALL,
        )
        .unwrap_or_else(|e| fail("copy a shared frame cap", e));
        env.map_frame(
            process.vspace,
            copies + i,
            shared + i as usize * PAGE_SIZE,
            CapRights::ALL,
        )
        .unwrap_or_else(|e| fail("map a shared page in the server", e));
    }
    tcb::resume(process.thread.tcb).unwrap_or_else(|e| fail("resume the server", e));
    // Equal priorities: let the server reach its Recv first.
    libsel4::yield_now();

    let overhead = overhead();
    let mut round = 0;
    for &(words, _, _) in &CASES {
        let info = MessageInfo::new(0, 0, 0, words)
            .map(|i| i.word())
            .unwrap_or(0);
        for _ in 0..ROUNDS + WARMUP {
            let (before, after) = timed_call(ep, info);
            // SAFETY: only this thread touches the client's arrays.
            unsafe {
                (*core::ptr::addr_of_mut!(BEFORE_CALL))[round] = before;
                (*core::ptr::addr_of_mut!(AFTER_CALL))[round] = after;
            }
            round += 1;
        }
    }
    // One more round, unmeasured: the server stores the last round's reply time once
    // its ReplyRecv returns with this message.
    timed_call(ep, 0);

    // SAFETY: the server wrote 2 * TOTAL words (the extra round let it store the last)
    // and is blocked in ReplyRecv; the client's arrays are this thread's.
    let (server_words, before, after) = unsafe {
        (
            core::slice::from_raw_parts(shared as *const u64, 2 * TOTAL),
            &*core::ptr::addr_of!(BEFORE_CALL),
            &*core::ptr::addr_of!(AFTER_CALL),
        )
    };
    say!("ipc-bench: one-way IPC between two address spaces, {ROUNDS} rounds per case");
    say!(
        "  unit: cycle-counter ticks (instructions under qemu -icount shift=0); counter read cost {overhead} subtracted"
    );
    say!(
        "  {:<22} {:>8} {:>8} {:>8} {:>8}   {:>10}",
        "case",
        "min",
        "median",
        "mean",
        "max",
        "C seL4 13.0"
    );
    for (c, &(words, c_call, c_reply)) in CASES.iter().enumerate() {
        let rounds = c * (ROUNDS + WARMUP) + WARMUP..(c + 1) * (ROUNDS + WARMUP);
        let call = Summary::of(
            rounds
                .clone()
                .map(|r| server_words[2 * r] - before[r] - overhead),
        );
        let reply = Summary::of(rounds.map(|r| after[r] - server_words[2 * r + 1] - overhead));
        for (name, s, peer) in [("Call", call, c_call), ("ReplyRecv", reply, c_reply)] {
            let mut label = stats::Label::default();
            let _ = core::fmt::Write::write_fmt(&mut label, format_args!("{name} ({words} words)"));
            say!(
                "  {:<22} {:>8} {:>8} {:>8} {:>8}   {:>10}",
                label.as_str(),
                s.min,
                s.median,
                s.mean,
                s.max,
                peer
            );
        }
    }
    debug_halt_status(0);
}
