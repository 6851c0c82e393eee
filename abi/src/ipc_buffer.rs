//! The IPC buffer (`seL4_IPCBuffer`): the 1 KiB page area holding message words past MR3.

use crate::Word;
use crate::message_info::{MSG_MAX_EXTRA_CAPS, MSG_MAX_LENGTH};

/// The size of the IPC buffer in bytes.
pub const IPC_BUFFER_SIZE: usize = 1024;

/// log2 of [`IPC_BUFFER_SIZE`]; the buffer's address must be aligned to it.
pub const IPC_BUFFER_SIZE_BITS: u32 = 10;

/// A thread's IPC buffer, laid out exactly as libsel4's 64-bit `seL4_IPCBuffer`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpcBuffer {
    /// The message tag, written by user code (not read by the kernel).
    pub tag: Word,
    /// Message registers; MR0..MR3 travel in registers, the rest live here.
    pub msg: [Word; MSG_MAX_LENGTH],
    /// Free for user code (commonly the thread's own pointer).
    pub user_data: Word,
    /// Extra cap CPtrs on send; received badges of unwrapped caps on receive.
    pub caps_or_badges: [Word; MSG_MAX_EXTRA_CAPS],
    /// CPtr of the CNode that holds the slot receiving a transferred cap.
    pub receive_cnode: Word,
    /// Index of the receive slot within `receive_cnode`.
    pub receive_index: Word,
    /// Depth used to resolve `receive_index` (0 means `receive_cnode` itself).
    pub receive_depth: Word,
}

impl IpcBuffer {
    /// An all-zero IPC buffer.
    pub const ZERO: IpcBuffer = IpcBuffer {
        tag: 0,
        msg: [0; MSG_MAX_LENGTH],
        user_data: 0,
        caps_or_badges: [0; MSG_MAX_EXTRA_CAPS],
        receive_cnode: 0,
        receive_index: 0,
        receive_depth: 0,
    };
}

impl Default for IpcBuffer {
    fn default() -> Self {
        IpcBuffer::ZERO
    }
}

/// Byte offsets of the [`IpcBuffer`] fields, for code that reads the buffer as raw memory.
pub mod offsets {
    /// Offset of `tag`.
    pub const TAG: usize = 0;
    /// Offset of `msg[0]`.
    pub const MSG: usize = 8;
    /// Offset of `user_data`.
    pub const USER_DATA: usize = 968;
    /// Offset of `caps_or_badges[0]`.
    pub const CAPS_OR_BADGES: usize = 976;
    /// Offset of `receive_cnode`.
    pub const RECEIVE_CNODE: usize = 1000;
    /// Offset of `receive_index`.
    pub const RECEIVE_INDEX: usize = 1008;
    /// Offset of `receive_depth`.
    pub const RECEIVE_DEPTH: usize = 1016;

    /// Offset of message register `i` (valid for `i < 120`).
    pub const fn msg(i: usize) -> usize {
        MSG + 8 * i
    }

    /// Offset of `caps_or_badges[i]` (valid for `i < 3`).
    pub const fn cap_or_badge(i: usize) -> usize {
        CAPS_OR_BADGES + 8 * i
    }
}

const _: () = assert!(core::mem::size_of::<IpcBuffer>() == IPC_BUFFER_SIZE);
const _: () = assert!(1 << IPC_BUFFER_SIZE_BITS == IPC_BUFFER_SIZE);
const _: () = assert!(core::mem::offset_of!(IpcBuffer, tag) == offsets::TAG);
const _: () = assert!(core::mem::offset_of!(IpcBuffer, msg) == offsets::MSG);
const _: () = assert!(core::mem::offset_of!(IpcBuffer, user_data) == offsets::USER_DATA);
const _: () = assert!(core::mem::offset_of!(IpcBuffer, caps_or_badges) == offsets::CAPS_OR_BADGES);
const _: () = assert!(core::mem::offset_of!(IpcBuffer, receive_cnode) == offsets::RECEIVE_CNODE);
const _: () = assert!(core::mem::offset_of!(IpcBuffer, receive_index) == offsets::RECEIVE_INDEX);
const _: () = assert!(core::mem::offset_of!(IpcBuffer, receive_depth) == offsets::RECEIVE_DEPTH);

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{align_of, offset_of, size_of};

    #[test]
    fn layout() {
        assert_eq!(size_of::<IpcBuffer>(), 1024);
        assert_eq!(align_of::<IpcBuffer>(), 8);
        assert_eq!(offset_of!(IpcBuffer, tag), 0);
        assert_eq!(offset_of!(IpcBuffer, msg), 8);
        assert_eq!(offset_of!(IpcBuffer, user_data), 968);
        assert_eq!(offset_of!(IpcBuffer, caps_or_badges), 976);
        assert_eq!(offset_of!(IpcBuffer, receive_cnode), 1000);
        assert_eq!(offset_of!(IpcBuffer, receive_index), 1008);
        assert_eq!(offset_of!(IpcBuffer, receive_depth), 1016);
        assert_eq!(offsets::RECEIVE_DEPTH + 8, IPC_BUFFER_SIZE);
    }

    #[test]
    fn offset_helpers() {
        assert_eq!(offsets::msg(0), offsets::MSG);
        assert_eq!(offsets::msg(MSG_MAX_LENGTH), offsets::USER_DATA);
        assert_eq!(offsets::cap_or_badge(2), 992);
        assert_eq!(
            offsets::cap_or_badge(MSG_MAX_EXTRA_CAPS),
            offsets::RECEIVE_CNODE
        );
        let mut b = IpcBuffer::default();
        assert_eq!(b, IpcBuffer::ZERO);
        b.msg[119] = 1;
        assert_ne!(b, IpcBuffer::ZERO);
    }
}
