//! The native riscv64 backend: `ecall` with seL4's register ABI (number a7, cap in /
//! badge out a0, msginfo a1, MR0–MR3 a2–a5). MR0–MR3 are loaded from the IPC buffer
//! before the call and stored back after it, as libsel4's C functions do.
//!
//! ## Per-thread state through the thread pointer
//!
//! Each thread's IPC buffer address (and the BootInfo address, for the root thread) lives
//! in its thread area, found through `tp` as seL4's runtime finds `__sel4_ipc_buffer` in
//! the thread's TLS block: the two words just below the thread pointer, the
//! [`thread`](crate::thread) header, with the thread's TLS block (a copy of the program's
//! TLS image) from `tp` up. Whoever starts a thread writes its header (the runtime's start
//! code for the root thread, from BootInfo and a0; `sel4rt` for the threads it creates),
//! so threads of one address space each use their own buffer and no thread but the root
//! sees a BootInfo. The header sits below `tp` so that the program's own `#[thread_local]`
//! variables keep riscv's TLS layout (their block starts at `tp`).

use selvm_abi::{MSG_REGISTERS, MessageInfo, Syscall, Word};

use crate::ipc;
use crate::thread::{BOOT_INFO_OFFSET, IPC_BUFFER_OFFSET};

/// The calling thread's thread pointer.
fn thread_pointer() -> usize {
    let tp: usize;
    // SAFETY: reads the tp register; no memory is touched.
    unsafe { core::arch::asm!("mv {}, tp", out(reg) tp, options(nomem, nostack, preserves_flags)) };
    tp
}

/// The header word at `offset` from the calling thread's `tp`.
fn header_word(offset: usize) -> *mut usize {
    thread_pointer().wrapping_sub(offset) as *mut usize
}

fn read_header(offset: usize) -> usize {
    // SAFETY: every thread of a program built with seLVM's runtime starts with `tp`
    // pointing just above its header (the runtime's start code for the root thread,
    // `sel4rt` for the others), in memory the thread owns; the word is aligned since `tp`
    // is 64-byte aligned and `offset` a multiple of 8.
    unsafe { header_word(offset).read_volatile() }
}

fn write_header(offset: usize, value: usize) {
    // SAFETY: as in `read_header`.
    unsafe { header_word(offset).write_volatile(value) }
}

/// One `ecall`: returns (a0, a1) and updates the MRs in place.
fn ecall(sys: Syscall, cap: Word, info: Word, mrs: &mut [Word; MSG_REGISTERS]) -> (Word, Word) {
    let (mut a0, mut a1) = (cap, info);
    let [mut a2, mut a3, mut a4, mut a5] = *mrs;
    // SAFETY: `ecall` traps to the kernel, which writes back only a0–a5 (declared here;
    // every other register is restored from the thread's saved context) and touches no
    // memory of the thread but its registered IPC buffer (hence no `nomem`).
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

/// A call that only receives: (info, badge). a1 goes in as 0: receiving from a
/// notification (or an NBRecv finding nothing) leaves it alone in seL4, so the caller
/// then sees MessageInfo 0, as on the vm.
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

/// `seL4_SetTLSBase`: the kernel sets the calling thread's `tp` to `base`.
pub(crate) fn set_tls_base(base: Word) {
    ecall(Syscall::SetTlsBase, base, 0, &mut [0; MSG_REGISTERS]);
}

pub(crate) fn boot_info() -> usize {
    read_header(BOOT_INFO_OFFSET)
}

pub(crate) fn ipc_buffer() -> usize {
    read_header(IPC_BUFFER_OFFSET)
}

pub(crate) fn set_ipc_buffer(addr: usize) {
    write_header(IPC_BUFFER_OFFSET, addr)
}

pub(crate) fn set_boot_info(addr: usize) {
    write_header(BOOT_INFO_OFFSET, addr)
}
