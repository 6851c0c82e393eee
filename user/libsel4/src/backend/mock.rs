//! The host backend: a recording mock of the kernel, per host thread, so unit tests can
//! check exactly what each call sends (system call, cap, MessageInfo, MRs, extra caps)
//! and feed canned replies. The IPC buffer and BootInfo are host allocations that live
//! as long as the thread.

use std::boxed::Box;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::vec::Vec;

use selvm_abi::{BootInfo, CPtr, IpcBuffer, MessageInfo, Syscall, Word};

use crate::ipc;

/// One system call as the kernel would have received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// Which system call.
    pub syscall: Syscall,
    /// The cap register (destination, source, DebugPutChar's byte, DebugHalt's status).
    pub cap: Word,
    /// The MessageInfo sent (0 for calls that send none).
    pub info: MessageInfo,
    /// The message words `info` covers, read from the IPC buffer.
    pub mrs: Vec<Word>,
    /// The extra caps `info` covers, read from the IPC buffer.
    pub caps: Vec<CPtr>,
}

/// A canned answer for the next receiving call.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reply {
    /// The reply's label (an error code for kernel invocations).
    pub label: Word,
    /// The reply's message words, written to the IPC buffer.
    pub mrs: Vec<Word>,
    /// The badge returned.
    pub badge: Word,
}

struct State {
    buffer: *mut IpcBuffer,
    boot_info: *mut BootInfo,
    sent: Vec<Sent>,
    replies: VecDeque<Reply>,
    output: Vec<u8>,
    halted: Option<Word>,
}

std::thread_local! {
    static STATE: RefCell<State> = RefCell::new(State {
        // Leaked on purpose: the addresses are handed out as the thread's IPC buffer and
        // BootInfo and must stay valid while the thread runs.
        buffer: Box::into_raw(Box::new(IpcBuffer::ZERO)),
        boot_info: Box::into_raw(Box::new(BootInfo::ZERO)),
        sent: Vec::new(),
        replies: VecDeque::new(),
        output: Vec::new(),
        halted: None,
    });
}

fn with<R>(f: impl FnOnce(&mut State) -> R) -> R {
    STATE.with(|s| f(&mut s.borrow_mut()))
}

/// Takes the calls recorded so far on this thread.
pub fn take_sent() -> Vec<Sent> {
    with(|s| core::mem::take(&mut s.sent))
}

/// Queues the answer to the next receiving call (Call, ReplyRecv, Recv, NBRecv, Wait,
/// Poll); without one they receive label 0, no MRs, badge 0.
pub fn push_reply(reply: Reply) {
    with(|s| s.replies.push_back(reply))
}

/// The bytes DebugPutChar printed so far.
pub fn output() -> Vec<u8> {
    with(|s| s.output.clone())
}

/// DebugHalt's status, if it was called.
pub fn halted() -> Option<Word> {
    with(|s| s.halted)
}

/// Runs `f` on this thread's BootInfo (to prepare what `boot_info()` returns).
pub fn with_boot_info<R>(f: impl FnOnce(&mut BootInfo) -> R) -> R {
    let p = with(|s| s.boot_info);
    // SAFETY: `p` is this thread's leaked BootInfo; no other reference to it is live
    // (the crate hands out only `&'static BootInfo` reads, which tests do not hold
    // across this call).
    f(unsafe { &mut *p })
}

fn record(syscall: Syscall, cap: Word, info: Word) {
    let info = MessageInfo::from_word_clamped(info);
    let mrs = (0..info.length()).map(ipc::get_mr).collect();
    let caps = (0..info.extra_caps()).map(ipc::get_cap).collect();
    with(|s| {
        s.sent.push(Sent {
            syscall,
            cap,
            info,
            mrs,
            caps,
        })
    });
}

/// Delivers the next canned reply: MRs into the IPC buffer, (info, badge) out.
fn receive() -> (Word, Word) {
    let reply = with(|s| s.replies.pop_front()).unwrap_or_default();
    for (i, &w) in reply.mrs.iter().enumerate() {
        ipc::set_mr(i, w);
    }
    let info = MessageInfo::default()
        .with_label(reply.label)
        .with_length(reply.mrs.len() as Word);
    (info.word(), reply.badge)
}

/// The raw system calls of the mock, with the signatures every backend exports.
pub(crate) mod sys {
    use super::*;

    pub(crate) fn call(dest: Word, info: Word) -> Word {
        record(Syscall::Call, dest, info);
        receive().0
    }

    pub(crate) fn reply_recv(src: Word, info: Word) -> (Word, Word) {
        record(Syscall::ReplyRecv, src, info);
        receive()
    }

    pub(crate) fn send(dest: Word, info: Word) {
        record(Syscall::Send, dest, info)
    }

    pub(crate) fn nb_send(dest: Word, info: Word) {
        record(Syscall::NBSend, dest, info)
    }

    pub(crate) fn recv(src: Word) -> (Word, Word) {
        record(Syscall::Recv, src, 0);
        receive()
    }

    pub(crate) fn nb_recv(src: Word) -> (Word, Word) {
        record(Syscall::NBRecv, src, 0);
        receive()
    }

    pub(crate) fn reply(info: Word) {
        record(Syscall::Reply, 0, info)
    }

    pub(crate) fn yield_now() {
        record(Syscall::Yield, 0, 0)
    }

    pub(crate) fn signal(dest: Word) {
        record(Syscall::Send, dest, 0)
    }

    pub(crate) fn wait(src: Word) -> Word {
        record(Syscall::Recv, src, 0);
        receive().1
    }

    pub(crate) fn poll(src: Word) -> (Word, Word) {
        record(Syscall::NBRecv, src, 0);
        receive()
    }

    pub(crate) fn debug_put_char(c: u8) {
        record(Syscall::DebugPutChar, c.into(), 0);
        with(|s| s.output.push(c));
    }

    pub(crate) fn debug_halt(status: Word) {
        record(Syscall::DebugHalt, status, 0);
        with(|s| s.halted = Some(status));
    }

    pub(crate) fn boot_info() -> usize {
        with(|s| s.boot_info as usize)
    }

    pub(crate) fn ipc_buffer() -> usize {
        with(|s| s.buffer as usize)
    }

    pub(crate) fn set_ipc_buffer(_addr: usize) {}

    pub(crate) fn set_boot_info(_addr: usize) {}
}
