//! The IPC buffer, read and written in place: message registers, extra caps / received
//! badges, the receive slot and the user word. Every access goes through a raw pointer
//! to the thread's registered buffer (never a Rust reference, since the kernel writes the
//! buffer during system calls); without a buffer reads give 0 and writes are dropped, as
//! are indices past the buffer's arrays.

use selvm_abi::ipc_buffer::offsets;
use selvm_abi::{CPtr, MSG_MAX_EXTRA_CAPS, MSG_MAX_LENGTH, Word};

use crate::backend;

/// The address of the calling thread's IPC buffer (0 if it has none).
pub fn buffer_address() -> usize {
    backend::ipc_buffer()
}

/// Records the calling thread's IPC buffer address where the architecture needs the
/// runtime to (natively in the thread's header below `tp`, [`crate::thread`]); on
/// wasm32 the kernel keeps it, so this does nothing.
pub fn set_buffer_address(addr: usize) {
    backend::set_ipc_buffer(addr)
}

fn word_at(offset: usize) -> Option<*mut Word> {
    match backend::ipc_buffer() {
        0 => None,
        base => Some(base.wrapping_add(offset) as *mut Word),
    }
}

fn read(offset: usize) -> Word {
    match word_at(offset) {
        // SAFETY: the kernel accepted this buffer for the thread (1 KiB aligned, inside
        // a mapped frame) and `offset` is a field offset below 1024, so the word is
        // aligned and inside the buffer; volatile since the kernel writes it.
        Some(p) => unsafe { p.read_volatile() },
        None => 0,
    }
}

fn write(offset: usize, value: Word) {
    if let Some(p) = word_at(offset) {
        // SAFETY: as in `read`.
        unsafe { p.write_volatile(value) }
    }
}

/// Message register `i` (0 if `i` ≥ 120).
pub fn get_mr(i: usize) -> Word {
    if i < MSG_MAX_LENGTH {
        read(offsets::msg(i))
    } else {
        0
    }
}

/// Sets message register `i` (ignored if `i` ≥ 120).
pub fn set_mr(i: usize, value: Word) {
    if i < MSG_MAX_LENGTH {
        write(offsets::msg(i), value)
    }
}

/// Extra cap `i` to send (`caps_or_badges[i]`; 0 if `i` ≥ 3).
pub fn get_cap(i: usize) -> CPtr {
    if i < MSG_MAX_EXTRA_CAPS {
        read(offsets::cap_or_badge(i))
    } else {
        0
    }
}

/// Sets extra cap `i` to send (ignored if `i` ≥ 3).
pub fn set_cap(i: usize, cap: CPtr) {
    if i < MSG_MAX_EXTRA_CAPS {
        write(offsets::cap_or_badge(i), cap)
    }
}

/// The badge of received extra cap `i` when bit `i` of capsUnwrapped is set.
pub fn get_badge(i: usize) -> Word {
    get_cap(i)
}

/// Where a received cap goes: CNode `cnode`, slot `index` resolved to `depth` bits.
pub fn set_receive_path(cnode: CPtr, index: CPtr, depth: Word) {
    write(offsets::RECEIVE_CNODE, cnode);
    write(offsets::RECEIVE_INDEX, index);
    write(offsets::RECEIVE_DEPTH, depth);
}

/// The receive path: (cnode, index, depth).
pub fn receive_path() -> (CPtr, CPtr, Word) {
    (
        read(offsets::RECEIVE_CNODE),
        read(offsets::RECEIVE_INDEX),
        read(offsets::RECEIVE_DEPTH),
    )
}

/// The buffer's user word (free for the program).
pub fn user_data() -> Word {
    read(offsets::USER_DATA)
}

/// Sets the buffer's user word.
pub fn set_user_data(value: Word) {
    write(offsets::USER_DATA, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip_and_out_of_range_is_harmless() {
        assert_ne!(buffer_address(), 0);
        set_mr(0, 7);
        set_mr(119, 9);
        set_mr(120, 1);
        assert_eq!((get_mr(0), get_mr(119), get_mr(120)), (7, 9, 0));
        set_cap(2, 44);
        set_cap(3, 1);
        assert_eq!((get_cap(2), get_badge(2), get_cap(3)), (44, 44, 0));
        set_receive_path(2, 17, 64);
        assert_eq!(receive_path(), (2, 17, 64));
        set_user_data(5);
        assert_eq!(user_data(), 5);
        // The fields do not overlap: MR 119 and cap 2 kept their values.
        assert_eq!((get_mr(119), get_cap(2)), (9, 44));
    }
}
