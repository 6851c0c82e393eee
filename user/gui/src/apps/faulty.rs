//! A client that shows a window, then writes one word past its window frames: a
//! VMFault the launcher handles by taking its window and address space away, nothing
//! else disturbed.

use crate::client::create_window;
use crate::layout::{WINDOW_PAGES, WINDOW_VADDR};
use sel4rt::PAGE_SIZE;

/// Runs the client (never returns: it faults).
pub fn run() -> u64 {
    let Ok(mut w) = create_window(40, 330, 120, 50, "faulty") else {
        return 1;
    };
    w.canvas.fill(w.canvas.bounds(), 0x00c0_00c0);
    w.damage_all();
    let outside = (WINDOW_VADDR + WINDOW_PAGES * PAGE_SIZE) as *mut u32;
    // SAFETY: not safe at all, on purpose: nothing is mapped there, so the store is a
    // VMFault sent to the launcher, which destroys this address space.
    unsafe { outside.write_volatile(0xdead) };
    2
}
