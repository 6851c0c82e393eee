//! The system monitor: shows the machine's live threads, IPC system calls, kernel
//! entries and instructions, read from the statistics device's frame (read-only,
//! layout::STATS_VADDR; docs/vm-abi.md), refreshed every 10 ms of machine time by
//! the timer (its frame at layout::TIMER_VADDR, its interrupt's handler in slot
//! TIMER_IRQ signalling the event notification with TIMER_BADGE). Prints its first
//! timer-driven reading. The close box ends it.

use crate::client::{Window, create_window, next_event};
use crate::layout::{EVENTS, STATS_VADDR, TIMER_BADGE, TIMER_IRQ, TIMER_VADDR};
use crate::print::{Part::*, line};
use selvm_abi::vm::device::*;
use selvm_gui_protocol::event;

/// Refresh period, in machine nanoseconds.
const PERIOD_NS: u64 = 10_000_000;
const ROWS: [(&[u8], u64); 4] = [
    (b"THREADS", STATS_THREADS),
    (b"IPC", STATS_IPC),
    (b"ENTRIES", STATS_KERNEL_ENTRIES),
    (b"INSTR", STATS_INSTRUCTIONS),
];

fn stat(reg: u64) -> u64 {
    // SAFETY: the launcher mapped the statistics frame read-only at STATS_VADDR;
    // `reg` is one of its registers, 8-aligned, inside the frame.
    unsafe { ((STATS_VADDR + reg as usize) as *const u64).read_volatile() }
}

fn timer(reg: u64) -> *mut u64 {
    (TIMER_VADDR + reg as usize) as *mut u64
}

/// Arms the timer `PERIOD_NS` from now.
fn arm() {
    // SAFETY: the launcher mapped the timer's frame read-write at TIMER_VADDR; NOW and
    // COMPARE are its registers.
    unsafe {
        let now = timer(TIMER_NOW).read_volatile();
        timer(TIMER_COMPARE).write_volatile(now + PERIOD_NS);
    }
}

/// Runs until the window is closed.
pub fn run() -> u64 {
    let Ok(mut w) = create_window(420, 392, 200, 68, "monitor") else {
        return 1;
    };
    let _ = libsel4::irq::handler_ack(TIMER_IRQ);
    draw(&mut w, ROWS.map(|(_, reg)| stat(reg)));
    arm();
    let mut first = true;
    loop {
        while let Some(e) = next_event() {
            if e.kind == event::CLOSE {
                return 0;
            }
        }
        if libsel4::wait(EVENTS) & TIMER_BADGE != 0 {
            let _ = libsel4::irq::handler_ack(TIMER_IRQ);
            let values = ROWS.map(|(_, reg)| stat(reg));
            if first {
                first = false;
                line(&[
                    T("monitor: "),
                    N(values[0]),
                    T(" live threads, "),
                    N(values[1]),
                    T(" IPC system calls"),
                ]);
            }
            draw(&mut w, values);
            arm();
        }
    }
}

fn draw(w: &mut Window, values: [u64; 4]) {
    let all = w.canvas.bounds();
    w.canvas.fill(all, 0x0010_1820);
    for (i, ((name, _), value)) in ROWS.iter().zip(values).enumerate() {
        let y = 6 + 16 * i as i32;
        w.canvas.text(name, 8, y, 0x0080_c0ff, &all);
        let mut digits = [0u8; 20];
        let text = decimal(value, &mut digits);
        w.canvas
            .text(text, 192 - 8 * text.len() as i32, y, 0x00f0_f0f0, &all);
    }
    w.damage_all();
}

/// `n` in decimal, in the end of `buf`.
fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[at..];
        }
    }
}
