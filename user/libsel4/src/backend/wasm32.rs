//! The wasm32 backend: the `sel4` imports of `docs/wasm-abi.md`, which dx lowers to
//! `syscall` sequences (MRs loaded from and stored to the IPC buffer around the call).

use selvm_abi::Word;

#[link(wasm_import_module = "sel4")]
unsafe extern "C" {
    fn seL4_Call(dest: Word, info: Word) -> Word;
    fn seL4_ReplyRecv(src: Word, info: Word, sender: *mut Word) -> Word;
    fn seL4_Send(dest: Word, info: Word);
    fn seL4_NBSend(dest: Word, info: Word);
    fn seL4_Recv(src: Word, sender: *mut Word) -> Word;
    fn seL4_NBRecv(src: Word, sender: *mut Word) -> Word;
    fn seL4_Reply(info: Word);
    fn seL4_Yield();
    fn seL4_Signal(dest: Word);
    fn seL4_Wait(src: Word, sender: *mut Word);
    fn seL4_Poll(src: Word, sender: *mut Word) -> Word;
    fn seL4_DebugPutChar(c: i32);
    fn seLVM_DebugHalt(status: Word);
    fn seL4_GetBootInfo() -> i32;
    fn seL4_GetIPCBuffer() -> i32;
}

// SAFETY (every block below): the imports are system calls; the only memory they touch
// is the caller's IPC buffer (which the kernel registered) and the `sender` slot, a
// local `Word` that lives across the call.

pub(crate) fn call(dest: Word, info: Word) -> Word {
    // SAFETY: see above.
    unsafe { seL4_Call(dest, info) }
}

pub(crate) fn reply_recv(src: Word, info: Word) -> (Word, Word) {
    let mut badge = 0;
    // SAFETY: see above.
    let info = unsafe { seL4_ReplyRecv(src, info, &mut badge) };
    (info, badge)
}

pub(crate) fn send(dest: Word, info: Word) {
    // SAFETY: see above.
    unsafe { seL4_Send(dest, info) }
}

pub(crate) fn nb_send(dest: Word, info: Word) {
    // SAFETY: see above.
    unsafe { seL4_NBSend(dest, info) }
}

pub(crate) fn recv(src: Word) -> (Word, Word) {
    let mut badge = 0;
    // SAFETY: see above.
    let info = unsafe { seL4_Recv(src, &mut badge) };
    (info, badge)
}

pub(crate) fn nb_recv(src: Word) -> (Word, Word) {
    let mut badge = 0;
    // SAFETY: see above.
    let info = unsafe { seL4_NBRecv(src, &mut badge) };
    (info, badge)
}

pub(crate) fn reply(info: Word) {
    // SAFETY: see above.
    unsafe { seL4_Reply(info) }
}

pub(crate) fn yield_now() {
    // SAFETY: see above.
    unsafe { seL4_Yield() }
}

pub(crate) fn signal(dest: Word) {
    // SAFETY: see above.
    unsafe { seL4_Signal(dest) }
}

pub(crate) fn wait(src: Word) -> Word {
    let mut badge = 0;
    // SAFETY: see above.
    unsafe { seL4_Wait(src, &mut badge) };
    badge
}

pub(crate) fn poll(src: Word) -> (Word, Word) {
    let mut badge = 0;
    // SAFETY: see above.
    let info = unsafe { seL4_Poll(src, &mut badge) };
    (info, badge)
}

pub(crate) fn debug_put_char(c: u8) {
    // SAFETY: see above.
    unsafe { seL4_DebugPutChar(c.into()) }
}

pub(crate) fn debug_halt(status: Word) {
    // SAFETY: see above.
    unsafe { seLVM_DebugHalt(status) }
}

pub(crate) fn boot_info() -> usize {
    // SAFETY: see above (reads a global the kernel keeps).
    unsafe { seL4_GetBootInfo() as u32 as usize }
}

pub(crate) fn ipc_buffer() -> usize {
    // SAFETY: see above (reads a global the kernel keeps).
    unsafe { seL4_GetIPCBuffer() as u32 as usize }
}

/// The kernel keeps the IPC buffer address current on wasm32: nothing to record.
pub(crate) fn set_ipc_buffer(_addr: usize) {}

/// The kernel keeps the BootInfo address on wasm32: nothing to record.
pub(crate) fn set_boot_info(_addr: usize) {}
