//! A client that sends the display server 400 pseudo-random requests (a fixed seed:
//! the same every run): random labels, lengths and registers, half of the registers
//! small so that some requests are valid (windows created, damaged, closed), some with
//! a capability attached; mostly real labels with their lengths. The server must answer every one; then this client closes
//! any window it still has, checks the server still answers a good request, prints
//! the tally and exits.

use crate::client::raw_call;
use crate::layout::SERVER;
use crate::print::{Part::*, line};
use libsel4::{MessageInfo, ipc};
use selvm_gui_protocol::label;

const REQUESTS: u64 = 400;

/// xorshift64: the next pseudo-random word.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// Runs the requests; 0 if the server answered a good request afterwards.
pub fn run() -> u64 {
    let mut state = 0x2545_f491_4f6c_dd1d;
    let mut accepted = 0;
    for _ in 0..REQUESTS {
        let r = next(&mut state);
        // Mostly real labels with their lengths, sometimes anything.
        const REAL: [(u64, u64); 5] = [(1, 5), (2, 4), (3, 0), (4, 0), (16, 1)];
        let (real, real_length) = REAL[(r % 5) as usize];
        let label = if (r >> 4) % 4 == 0 {
            (r >> 24) % 20
        } else {
            real
        };
        let length = if (r >> 8) % 4 == 0 {
            (r >> 32) % 8
        } else {
            real_length
        };
        let mut mrs = [0u64; 8];
        for m in mrs.iter_mut().take(length as usize) {
            let w = next(&mut state);
            *m = if w & 1 == 0 { (w >> 1) % 700 } else { w };
        }
        let answer = if (r >> 16) % 16 == 0 {
            // With the client's own server cap attached.
            mrs.iter().enumerate().for_each(|(i, &m)| ipc::set_mr(i, m));
            ipc::set_cap(0, SERVER);
            let info =
                MessageInfo::new(label, 0, 1, length).unwrap_or(MessageInfo::from_word_clamped(0));
            libsel4::call(SERVER, info).label()
        } else {
            raw_call(label, &mrs[..length as usize]).0
        };
        accepted += u64::from(answer == 0);
    }
    let _ = raw_call(label::CLOSE_WINDOW, &[]);
    let alive = raw_call(label::NEXT_EVENT, &[]).0 == 0;
    line(&[
        T("chaos: "),
        N(REQUESTS),
        T(" random requests answered ("),
        N(accepted),
        T(" accepted); the server still serves: "),
        T(if alive { "yes" } else { "no" }),
    ]);
    u64::from(!alive)
}
