//! A client that sends the display server malformed requests and checks each is
//! refused with the right error code (and that the server still answers a good one
//! afterwards); prints the tally and exits with 0 only if every answer was right.

use crate::client::raw_call;
use crate::print::{Part::*, line};
use selvm_gui_protocol::{ErrorCode as E, label as l};

/// Runs the checks.
pub fn run() -> u64 {
    let title = u64::from_le_bytes(*b"bad\0\0\0\0\0");
    let cases: [(u64, &[u64], E); 10] = [
        (99, &[], E::UnknownRequest),
        (l::CREATE_WINDOW, &[0, 0], E::BadLength),
        (l::CREATE_WINDOW, &[0, 0, 0, 10, title], E::BadGeometry),
        (
            l::CREATE_WINDOW,
            &[0, 0, 1024, 1024, title],
            E::TooBigForFrame,
        ),
        (l::CREATE_WINDOW, &[0, 0, 8, 8, 0x0a41], E::BadTitle),
        (l::DAMAGE, &[0, 0, 4, 4], E::NoWindow),
        (l::CLOSE_WINDOW, &[], E::NoWindow),
        (l::CLIENT_GONE, &[1], E::NotPermitted),
        (l::NEXT_EVENT, &[7, 7, 7], E::BadLength),
        (l::CREATE_WINDOW, &[1 << 40, 0, 8, 8, title], E::BadGeometry),
    ];
    let mut right = 0;
    for (label, mrs, want) in cases {
        let (got, _) = raw_call(label, mrs);
        if got == want.word() {
            right += 1;
        } else {
            line(&[
                T("bad-requests: label "),
                N(label),
                T(" answered "),
                N(got),
                T(", expected "),
                N(want.word()),
            ]);
        }
    }
    // With a window: damage outside it, a second window; then a good request works.
    let ok = raw_call(l::CREATE_WINDOW, &[600, 460, 8, 8, title]).0 == 0
        && raw_call(l::DAMAGE, &[4, 4, 8, 8]).0 == E::BadGeometry.word()
        && raw_call(l::CREATE_WINDOW, &[0, 0, 8, 8, title]).0 == E::HasWindow.word()
        && raw_call(l::CLOSE_WINDOW, &[]).0 == 0;
    let total = cases.len() as u64 + 2;
    let right = right + if ok { 2 } else { 0 };
    line(&[
        T("bad-requests: "),
        N(right),
        T(" of "),
        N(total),
        T(" malformed requests refused with the right error"),
    ]);
    (right != total) as u64
}
