//! The thread header of native riscv64 threads: the words libsel4 keeps per thread,
//! found through the thread pointer (`tp`) as seL4's runtime finds `__sel4_ipc_buffer`
//! in each thread's TLS block.
//!
//! ```text
//!   tp - 16  IPC buffer address (0: none)
//!   tp -  8  BootInfo address (the root thread only; 0 in every other)
//!   tp       the thread's TLS block (a copy of the program's TLS image), 64-byte aligned
//! ```
//!
//! Whoever starts a thread writes its header before it runs: the runtime's start code
//! for the root thread (from BootInfo and a0), `sel4rt` for the threads it creates. On
//! wasm32 the kernel keeps both addresses itself and nothing here is used; the layout is
//! defined for every target so it can be tested on the host.

/// Bytes of the header below `tp`.
pub const HEADER_BYTES: usize = 16;
/// Where the IPC buffer address lives: `tp - IPC_BUFFER_OFFSET`.
pub const IPC_BUFFER_OFFSET: usize = 16;
/// Where the BootInfo address lives: `tp - BOOT_INFO_OFFSET`.
pub const BOOT_INFO_OFFSET: usize = 8;
/// The alignment of the thread pointer (and so of the TLS block above it).
pub const TP_ALIGN: usize = 64;

/// Writes the header of a thread whose thread pointer, as the writer sees that memory,
/// is `tp_view`: its IPC buffer address and BootInfo address (0 for any thread but
/// the root).
///
/// # Safety
/// `tp_view - HEADER_BYTES .. tp_view` must be writable memory of the caller, 8-byte
/// aligned, that nothing else uses.
pub unsafe fn write_header(tp_view: usize, ipc_buffer: usize, boot_info: usize) {
    let word = |offset: usize| tp_view.wrapping_sub(offset) as *mut usize;
    // SAFETY: both words lie in the header the caller vouches for.
    unsafe {
        word(IPC_BUFFER_OFFSET).write_volatile(ipc_buffer);
        word(BOOT_INFO_OFFSET).write_volatile(boot_info);
    }
}

const _: () = assert!(IPC_BUFFER_OFFSET <= HEADER_BYTES && BOOT_INFO_OFFSET <= HEADER_BYTES);
const _: () = assert!(IPC_BUFFER_OFFSET != BOOT_INFO_OFFSET && TP_ALIGN % 16 == 0);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_lies_just_below_the_thread_pointer() {
        let mut area = [0usize; 4];
        let tp = area.as_mut_ptr() as usize + HEADER_BYTES;
        // SAFETY: the two words below `tp` are `area[0..2]`.
        unsafe { write_header(tp, 0x5000, 0x6000) };
        assert_eq!(area, [0x5000, 0x6000, 0, 0]);
    }
}
