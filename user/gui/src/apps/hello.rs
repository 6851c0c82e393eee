//! The smallest client: a window with two lines of text that waits for its close box.

use crate::client::{create_window, wait_event};
use selvm_gui_protocol::event;

/// Runs until the window is closed.
pub fn run() -> u64 {
    let Ok(mut w) = create_window(420, 300, 180, 60, "hello") else {
        return 1;
    };
    let all = w.canvas.bounds();
    w.canvas.fill(all, 0x00f0_f0e0);
    w.canvas.text(b"HELLO FROM A", 8, 10, 0x0020_2020, &all);
    w.canvas.text(b"CLIENT OF SEL4", 8, 32, 0x0020_2020, &all);
    w.damage_all();
    loop {
        if wait_event().kind == event::CLOSE {
            return 0;
        }
    }
}
