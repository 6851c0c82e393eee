//! The native riscv64 backend: `ecall` with seL4's register ABI (number a7, cap in /
//! badge out a0, msginfo a1, MR0–MR3 a2–a5). MR0–MR3 are loaded from the IPC buffer
//! before the call and stored back after it, as libsel4's C functions do.
//!
//! The IPC buffer and BootInfo addresses are process-wide here (set by the runtime's
//! start code); per-thread IPC buffers need TLS, which comes with the bare-metal
//! platform.

use core::sync::atomic::{AtomicUsize, Ordering};

use selvm_abi::{MSG_REGISTERS, MessageInfo, Syscall, Word};

use crate::ipc;

static IPC_BUFFER: AtomicUsize = AtomicUsize::new(0);
static BOOT_INFO: AtomicUsize = AtomicUsize::new(0);

/// One `ecall`: returns (a0, a1) and updates the MRs in place.
fn ecall(sys: Syscall, cap: Word, info: Word, mrs: &mut [Word; MSG_REGISTERS]) -> (Word, Word) {
    let (mut a0, mut a1) = (cap, info);
    let [mut a2, mut a3, mut a4, mut a5] = *mrs;
    // SAFETY: `ecall` traps to the kernel, which reads and writes only a0–a5 (declared
    // here) and memory the kernel owns or the registered IPC buffer.
    unsafe {
        core::arch::asm!(
            "ecall",
            inout("a0") a0, inout("a1") a1,
            inout("a2") a2, inout("a3") a3, inout("a4") a4, inout("a5") a5,
            in("a7") sys.word(),
            options(nostack),
        );
    }
    *mrs = [a2, a3, a4, a5];
    (a0, a1)
}

fn load_mrs(info: Word) -> [Word; MSG_REGISTERS] {
    let n = MessageInfo::from_word_clamped(info)
        .length()
        .min(MSG_REGISTERS);
    core::array::from_fn(|i| if i < n { ipc::get_mr(i) } else { 0 })
}

fn store_mrs(info: Word, mrs: &[Word; MSG_REGISTERS]) {
    let n = MessageInfo::from_word_clamped(info)
        .length()
        .min(MSG_REGISTERS);
    for (i, &w) in mrs.iter().enumerate().take(n) {
        ipc::set_mr(i, w);
    }
}

/// A call that sends `info` with its MRs and receives a message: (info, badge).
fn send_receive(sys: Syscall, cap: Word, info: Word) -> (Word, Word) {
    let mut mrs = load_mrs(info);
    let (badge, info) = ecall(sys, cap, info, &mut mrs);
    store_mrs(info, &mrs);
    (info, badge)
}

/// A call that only sends.
fn send_only(sys: Syscall, cap: Word, info: Word) {
    let mut mrs = load_mrs(info);
    ecall(sys, cap, info, &mut mrs);
}

/// A call that only receives: (info, badge).
fn receive(sys: Syscall, cap: Word) -> (Word, Word) {
    let mut mrs = [0; MSG_REGISTERS];
    let (badge, info) = ecall(sys, cap, 0, &mut mrs);
    store_mrs(info, &mrs);
    (info, badge)
}

pub(crate) fn call(dest: Word, info: Word) -> Word {
    send_receive(Syscall::Call, dest, info).0
}

pub(crate) fn reply_recv(src: Word, info: Word) -> (Word, Word) {
    send_receive(Syscall::ReplyRecv, src, info)
}

pub(crate) fn send(dest: Word, info: Word) {
    send_only(Syscall::Send, dest, info)
}

pub(crate) fn nb_send(dest: Word, info: Word) {
    send_only(Syscall::NBSend, dest, info)
}

pub(crate) fn recv(src: Word) -> (Word, Word) {
    receive(Syscall::Recv, src)
}

pub(crate) fn nb_recv(src: Word) -> (Word, Word) {
    receive(Syscall::NBRecv, src)
}

pub(crate) fn reply(info: Word) {
    send_only(Syscall::Reply, 0, info)
}

pub(crate) fn yield_now() {
    ecall(Syscall::Yield, 0, 0, &mut [0; MSG_REGISTERS]);
}

pub(crate) fn signal(dest: Word) {
    ecall(Syscall::Send, dest, 0, &mut [0; MSG_REGISTERS]);
}

pub(crate) fn wait(src: Word) -> Word {
    receive(Syscall::Recv, src).1
}

pub(crate) fn poll(src: Word) -> (Word, Word) {
    receive(Syscall::NBRecv, src)
}

pub(crate) fn debug_put_char(c: u8) {
    ecall(Syscall::DebugPutChar, c.into(), 0, &mut [0; MSG_REGISTERS]);
}

pub(crate) fn debug_halt(status: Word) {
    ecall(Syscall::DebugHalt, status, 0, &mut [0; MSG_REGISTERS]);
}

pub(crate) fn boot_info() -> usize {
    BOOT_INFO.load(Ordering::Relaxed)
}

pub(crate) fn ipc_buffer() -> usize {
    IPC_BUFFER.load(Ordering::Relaxed)
}

pub(crate) fn set_ipc_buffer(addr: usize) {
    IPC_BUFFER.store(addr, Ordering::Relaxed)
}

pub(crate) fn set_boot_info(addr: usize) {
    BOOT_INFO.store(addr, Ordering::Relaxed)
}
