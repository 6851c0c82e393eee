//! The system calls, typed: seL4_Call, ReplyRecv, Send, NBSend, Recv, NBRecv, Reply,
//! Yield, Signal, Wait, Poll, and the debug calls. Message registers travel through the
//! IPC buffer ([`crate::ipc`]); a received badge is returned alongside the MessageInfo.

use selvm_abi::{BootInfo, CPtr, MessageInfo, Word};

use crate::backend;

/// A badge delivered with a message or by a notification.
pub type Badge = Word;

/// Invokes `dest` and waits for the reply (`seL4_Call`).
pub fn call(dest: CPtr, info: MessageInfo) -> MessageInfo {
    MessageInfo::from_word_clamped(backend::call(dest, info.word()))
}

/// Replies to the caller, then receives on `src` (`seL4_ReplyRecv`).
pub fn reply_recv(src: CPtr, info: MessageInfo) -> (MessageInfo, Badge) {
    let (info, badge) = backend::reply_recv(src, info.word());
    (MessageInfo::from_word_clamped(info), badge)
}

/// Blocking send; errors are not reported (`seL4_Send`).
pub fn send(dest: CPtr, info: MessageInfo) {
    backend::send(dest, info.word())
}

/// Send that is dropped if no receiver waits (`seL4_NBSend`).
pub fn nb_send(dest: CPtr, info: MessageInfo) {
    backend::nb_send(dest, info.word())
}

/// Blocking receive on an endpoint or notification (`seL4_Recv`).
pub fn recv(src: CPtr) -> (MessageInfo, Badge) {
    let (info, badge) = backend::recv(src);
    (MessageInfo::from_word_clamped(info), badge)
}

/// Non-blocking receive (`seL4_NBRecv`): MessageInfo 0 and badge 0 if nothing waits.
pub fn nb_recv(src: CPtr) -> (MessageInfo, Badge) {
    let (info, badge) = backend::nb_recv(src);
    (MessageInfo::from_word_clamped(info), badge)
}

/// `seL4_Send` with a MessageInfo word as it is, unchecked and unclamped (to test the
/// kernel's own checks of what [`MessageInfo`] would clamp).
pub fn send_word(dest: CPtr, info: Word) {
    backend::send(dest, info)
}

/// `seL4_Recv` returning the received MessageInfo word as the kernel wrote it.
pub fn recv_word(src: CPtr) -> (Word, Badge) {
    backend::recv(src)
}

/// Replies through the caller slot (`seL4_Reply`).
pub fn reply(info: MessageInfo) {
    backend::reply(info.word())
}

/// Moves to the back of the own priority's queue (`seL4_Yield`).
pub fn yield_now() {
    backend::yield_now()
}

/// Signals a notification (`seL4_Signal`: a Send of an empty message).
pub fn signal(dest: CPtr) {
    backend::signal(dest)
}

/// Waits on a notification and returns its word (`seL4_Wait`).
pub fn wait(src: CPtr) -> Badge {
    backend::wait(src)
}

/// Polls a notification (`seL4_Poll`): the word, 0 if nothing was pending.
pub fn poll(src: CPtr) -> (MessageInfo, Badge) {
    let (info, badge) = backend::poll(src);
    (MessageInfo::from_word_clamped(info), badge)
}

/// Prints one byte on the debug console (`seL4_DebugPutChar`).
pub fn debug_put_char(c: u8) {
    backend::debug_put_char(c)
}

/// Prints a string on the debug console, byte by byte.
pub fn debug_put_str(s: &str) {
    s.bytes().for_each(debug_put_char)
}

/// Halts the machine with exit status 0 (`seL4_DebugHalt`).
pub fn debug_halt() {
    backend::debug_halt(0)
}

/// Halts the machine with an exit status (the vm architecture's cap-register status).
pub fn debug_halt_status(status: Word) {
    backend::debug_halt(status)
}

/// Sets the calling thread's TLS base, its `tp` (`seL4_SetTLSBase`; riscv64 only, where
/// the configuration has the call). Native threads find their IPC buffer through `tp`
/// ([`crate::thread`]): the new base needs a header too.
#[cfg(target_arch = "riscv64")]
pub fn set_tls_base(base: Word) {
    backend::set_tls_base(base)
}

/// The BootInfo, for the initial thread; `None` for every other thread.
pub fn boot_info() -> Option<&'static BootInfo> {
    match backend::boot_info() {
        0 => None,
        // SAFETY: the kernel (or the native start code through `set_boot_info_address`)
        // placed a BootInfo at this address, inside mapped memory, 8-byte aligned (a
        // page start), and never changes it after boot.
        addr => Some(unsafe { &*(addr as *const BootInfo) }),
    }
}

/// Records the BootInfo address for the calling thread where the architecture needs
/// the runtime to (natively the start code receives it in a0 and keeps it in the root
/// thread's header, [`crate::thread`]); on wasm32 the kernel keeps it.
pub fn set_boot_info_address(addr: usize) {
    backend::set_boot_info(addr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipc;
    use crate::mock::{self, Reply};
    use selvm_abi::Syscall;

    #[test]
    fn call_sends_its_mrs_and_stores_the_reply() {
        ipc::set_mr(0, 11);
        ipc::set_mr(1, 12);
        mock::push_reply(Reply {
            label: 0,
            mrs: std::vec![21, 22, 23],
            badge: 9,
        });
        let info = MessageInfo::new(5, 0, 0, 2).unwrap();
        let reply = call(3, info);
        assert_eq!((reply.label(), reply.length()), (0, 3));
        assert_eq!((ipc::get_mr(0), ipc::get_mr(2)), (21, 23));
        let sent = mock::take_sent();
        assert_eq!(sent.len(), 1);
        assert_eq!((sent[0].syscall, sent[0].cap), (Syscall::Call, 3));
        assert_eq!(sent[0].mrs, [11, 12]);
    }

    #[test]
    fn receives_return_the_badge() {
        mock::push_reply(Reply {
            badge: 0b101,
            ..Reply::default()
        });
        assert_eq!(wait(4), 0b101);
        mock::push_reply(Reply {
            badge: 7,
            label: 3,
            mrs: std::vec![1],
        });
        let (info, badge) = recv(5);
        assert_eq!((info.label(), info.length(), badge), (3, 1, 7));
        let (info, badge) = poll(6);
        assert_eq!((info.word(), badge), (0, 0));
        let calls: std::vec::Vec<_> = mock::take_sent().iter().map(|s| s.syscall).collect();
        assert_eq!(calls, [Syscall::Recv, Syscall::Recv, Syscall::NBRecv]);
    }

    #[test]
    fn signal_sends_an_empty_message_and_debug_calls_work() {
        signal(8);
        debug_put_str("ok");
        debug_halt_status(3);
        let sent = mock::take_sent();
        assert_eq!((sent[0].syscall, sent[0].info.word()), (Syscall::Send, 0));
        assert_eq!(mock::output(), b"ok");
        assert_eq!(mock::halted(), Some(3));
        assert_eq!(sent.last().unwrap().syscall, Syscall::DebugHalt);
    }

    #[test]
    fn raw_words_pass_unchecked() {
        send_word(3, 0x31 << 12 | 127);
        mock::push_reply(Reply {
            label: 0x42,
            badge: 2,
            ..Reply::default()
        });
        assert_eq!(recv_word(4), (0x42 << 12, 2));
        let sent = mock::take_sent();
        assert_eq!((sent[0].syscall, sent[0].cap), (Syscall::Send, 3));
        assert_eq!(
            sent[0].info.length(),
            120,
            "the mock records what the kernel clamps"
        );
        assert_eq!((sent[1].syscall, sent[1].cap), (Syscall::Recv, 4));
    }

    #[test]
    fn boot_info_is_readable() {
        mock::with_boot_info(|bi| bi.init_thread_cnode_size_bits = 12);
        assert_eq!(boot_info().unwrap().init_thread_cnode_size_bits, 12);
    }
}
