//! Console lines through DebugPutChar: text and decimal numbers, without `core::fmt`
//! (for the system programs that print progress lines: the cluster's network service,
//! the GUI's launcher and clients).

use libsel4::{debug_put_char, debug_put_str};

/// Prints `n` in decimal.
pub fn num(mut n: u64) {
    let mut digits = [0u8; 20];
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    digits[..len].iter().rev().for_each(|&d| debug_put_char(d));
}

/// Prints `s`.
pub fn text(s: &str) {
    debug_put_str(s);
}

/// Prints a line made of text and numbers, in turn: `line(&[T("a "), N(1)])`.
pub fn line(parts: &[Part<'_>]) {
    for p in parts {
        match *p {
            Part::T(s) => text(s),
            Part::N(n) => num(n),
        }
    }
    debug_put_char(b'\n');
}

/// A piece of a printed line.
pub enum Part<'a> {
    /// Text.
    T(&'a str),
    /// A number, in decimal.
    N(u64),
}
