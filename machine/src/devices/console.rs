//! The console: input bytes in (pushed by the embedder: stdin, a terminal, a page's
//! keyboard), output bytes out, one frame of registers, and a level-triggered line
//! raised while a byte can be read, and once input has ended until the guest has read
//! the end (RX_STATUS with the end-of-input bit), so a driver waiting on the
//! interrupt learns of the end too.
//!
//! Under deterministic (virtual) time what the guest observes must not depend on when
//! input arrives, so pushed bytes, and the end of input, wait in a queue and enter the
//! device one byte at a time, only when the guest waits for one: when no thread can
//! run and the line is unmasked, or when it reads an empty console (the read waits if
//! input may still come). With host time, pushed bytes are readable at once.

use super::{Device, IdleNeed, Now, WouldBlock};
use alloc::collections::VecDeque;
use alloc::vec::Vec;
use selvm_abi::vm::device::{
    CONSOLE_BASE, CONSOLE_RX_DATA, CONSOLE_RX_EMPTY, CONSOLE_RX_FIFO, CONSOLE_RX_STATUS,
    CONSOLE_RX_STATUS_EOF, CONSOLE_TX_DATA, IRQ_CONSOLE_RX,
};

/// The console device.
#[derive(Debug, Default)]
pub struct Console {
    /// Bytes the guest can read now: the receive FIFO (at most `CONSOLE_RX_FIFO`).
    rx: VecDeque<u8>,
    /// Bytes pushed but not yet readable: beyond the FIFO, or, in virtual time, until
    /// the guest waits for them.
    queued: VecDeque<u8>,
    /// No more input will be pushed.
    closed: bool,
    /// The guest can see that input has ended (nothing readable, nothing queued).
    ended: bool,
    /// The guest read RX_STATUS with the end-of-input bit.
    end_seen: bool,
    /// A read found nothing to read: the guest polls for input.
    hungry: bool,
    /// Bytes written to TX_DATA, not yet taken.
    output: Vec<u8>,
}

const LINE: u64 = 1 << IRQ_CONSOLE_RX;

impl Console {
    /// With host time, moves queued bytes into the FIFO while it has room.
    fn refill(&mut self, now: Now) {
        if !now.deterministic {
            let room = (CONSOLE_RX_FIFO as usize).saturating_sub(self.rx.len());
            let n = room.min(self.queued.len());
            self.rx.extend(self.queued.drain(..n));
        }
    }

    /// Makes the next queued byte readable if none is; under deterministic time an
    /// empty console whose input may still come cannot answer yet.
    fn fill(&mut self, now: Now) -> Result<(), WouldBlock> {
        if self.rx.is_empty() {
            match self.queued.pop_front() {
                Some(b) => self.rx.push_back(b),
                None if self.closed => self.ended = true,
                None if now.deterministic => {
                    self.hungry = true;
                    return Err(WouldBlock);
                }
                None => self.hungry = true,
            }
        }
        Ok(())
    }
}

impl Device for Console {
    fn name(&self) -> &'static str {
        "console"
    }

    fn base(&self) -> u64 {
        CONSOLE_BASE
    }

    fn read(&mut self, offset: u64, now: Now) -> Result<u64, WouldBlock> {
        match offset {
            CONSOLE_RX_DATA => {
                self.fill(now)?;
                let byte = self.rx.pop_front().map_or(CONSOLE_RX_EMPTY, u64::from);
                self.refill(now);
                Ok(byte)
            }
            CONSOLE_RX_STATUS => {
                self.fill(now)?;
                let eof = if self.ended {
                    self.end_seen = true;
                    CONSOLE_RX_STATUS_EOF
                } else {
                    0
                };
                Ok(self.rx.len() as u64 | eof)
            }
            _ => Ok(0),
        }
    }

    fn write(&mut self, offset: u64, value: u64, _now: Now) {
        if offset == CONSOLE_TX_DATA {
            self.output.push(value as u8);
        }
    }

    fn raised(&self) -> u64 {
        if !self.rx.is_empty() || (self.ended && !self.end_seen) {
            LINE
        } else {
            0
        }
    }

    fn idle(&mut self, unmasked: u64, _now: Now) -> IdleNeed {
        if !self.rx.is_empty() || self.ended || unmasked & LINE == 0 {
            return IdleNeed::Nothing;
        }
        if let Some(b) = self.queued.pop_front() {
            self.rx.push_back(b);
            return IdleNeed::Raised;
        }
        if self.closed {
            self.ended = true;
            IdleNeed::Raised
        } else {
            IdleNeed::Input
        }
    }

    fn push_input(&mut self, bytes: &[u8], now: Now) {
        if self.closed || bytes.is_empty() {
            return;
        }
        self.queued.extend(bytes);
        self.refill(now);
        self.hungry = false;
    }

    fn close_input(&mut self, now: Now) {
        self.closed = true;
        // With host time the end is visible at once (once what was pushed is read);
        // in virtual time when the guest next waits.
        if !now.deterministic && self.rx.is_empty() && self.queued.is_empty() {
            self.ended = true;
        }
    }

    fn wants_input(&self, unmasked: u64) -> bool {
        !self.closed
            && self.rx.is_empty()
            && self.queued.is_empty()
            && (self.hungry || unmasked & LINE != 0)
    }

    fn take_output(&mut self, out: &mut Vec<u8>) {
        out.append(&mut self.output);
    }

    fn has_output(&self) -> bool {
        !self.output.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REAL: Now = Now {
        ns: 0,
        deterministic: false,
    };
    const VIRTUAL: Now = Now {
        ns: 0,
        deterministic: true,
    };

    #[test]
    fn with_host_time_input_is_readable_at_once() {
        let mut c = Console::default();
        assert_eq!(c.read(CONSOLE_RX_STATUS, REAL), Ok(0), "nothing yet");
        assert!(c.wants_input(0), "a read found it empty");
        c.push_input(b"ab", REAL);
        assert_eq!(c.raised(), LINE);
        assert_eq!(c.read(CONSOLE_RX_STATUS, REAL), Ok(2));
        assert_eq!(c.read(CONSOLE_RX_DATA, REAL), Ok(u64::from(b'a')));
        assert_eq!(c.read(CONSOLE_RX_DATA, REAL), Ok(u64::from(b'b')));
        assert_eq!(c.read(CONSOLE_RX_DATA, REAL), Ok(CONSOLE_RX_EMPTY));
        assert_eq!(c.raised(), 0);
        c.close_input(REAL);
        assert_eq!(c.raised(), LINE, "the end raises the line ...");
        assert_eq!(c.read(CONSOLE_RX_STATUS, REAL), Ok(CONSOLE_RX_STATUS_EOF));
        assert_eq!(c.raised(), 0, "... until the guest has read it");
        assert!(!c.wants_input(LINE), "input ended");
        c.write(CONSOLE_TX_DATA, 0x141, REAL);
        let mut out = Vec::new();
        c.take_output(&mut out);
        assert_eq!(out, b"A");
        assert_eq!(c.read(0x18, REAL), Ok(0), "no register there");
    }

    #[test]
    fn under_virtual_time_bytes_enter_one_at_a_time_when_the_guest_waits() {
        let mut c = Console::default();
        c.push_input(b"xy", VIRTUAL);
        assert_eq!(c.raised(), 0, "nothing readable before the guest waits");
        assert_eq!(c.idle(0, VIRTUAL), IdleNeed::Nothing, "line masked");
        assert_eq!(c.idle(LINE, VIRTUAL), IdleNeed::Raised);
        assert_eq!(c.read(CONSOLE_RX_STATUS, VIRTUAL), Ok(1), "one byte");
        assert_eq!(c.read(CONSOLE_RX_DATA, VIRTUAL), Ok(u64::from(b'x')));
        // A read of the empty console takes the next queued byte ...
        assert_eq!(c.read(CONSOLE_RX_STATUS, VIRTUAL), Ok(1));
        assert_eq!(c.read(CONSOLE_RX_DATA, VIRTUAL), Ok(u64::from(b'y')));
        // ... and waits when input may still come.
        assert_eq!(c.read(CONSOLE_RX_STATUS, VIRTUAL), Err(WouldBlock));
        assert_eq!(c.idle(LINE, VIRTUAL), IdleNeed::Input);
        assert!(c.wants_input(0));
        c.close_input(VIRTUAL);
        assert_eq!(c.raised(), 0, "the end, too, waits for the guest to wait");
        assert_eq!(c.idle(LINE, VIRTUAL), IdleNeed::Raised, "now it is seen");
        assert_eq!(c.raised(), LINE);
        assert_eq!(
            c.read(CONSOLE_RX_STATUS, VIRTUAL),
            Ok(CONSOLE_RX_STATUS_EOF)
        );
        assert_eq!(c.raised(), 0);
        assert_eq!(c.read(CONSOLE_RX_DATA, VIRTUAL), Ok(CONSOLE_RX_EMPTY));
        assert_eq!(c.idle(LINE, VIRTUAL), IdleNeed::Nothing);
    }

    #[test]
    fn the_receive_fifo_holds_at_most_its_size_and_refills_as_it_is_read() {
        let mut c = Console::default();
        let fifo = CONSOLE_RX_FIFO as usize;
        c.push_input(&alloc::vec![b'a'; fifo + 10], REAL);
        assert_eq!(c.read(CONSOLE_RX_STATUS, REAL), Ok(CONSOLE_RX_FIFO));
        assert_eq!(c.read(CONSOLE_RX_DATA, REAL), Ok(u64::from(b'a')));
        assert_eq!(
            c.read(CONSOLE_RX_STATUS, REAL),
            Ok(CONSOLE_RX_FIFO),
            "refilled"
        );
        assert!(!c.wants_input(LINE), "bytes still queued");
        for _ in 0..fifo + 9 {
            assert_eq!(c.read(CONSOLE_RX_DATA, REAL), Ok(u64::from(b'a')));
        }
        assert_eq!(c.read(CONSOLE_RX_STATUS, REAL), Ok(0));
        assert!(c.wants_input(LINE));
    }

    #[test]
    fn the_answers_do_not_depend_on_how_input_was_split() {
        // The same bytes pushed whole or byte by byte give the same reads.
        let reads = |pushes: &[&[u8]]| {
            let mut c = Console::default();
            for p in pushes {
                c.push_input(p, VIRTUAL);
            }
            c.close_input(VIRTUAL);
            let mut seen = Vec::new();
            loop {
                let status = c.read(CONSOLE_RX_STATUS, VIRTUAL).unwrap();
                seen.push(status);
                if status & CONSOLE_RX_STATUS_EOF != 0 {
                    return seen;
                }
                seen.push(c.read(CONSOLE_RX_DATA, VIRTUAL).unwrap());
            }
        };
        assert_eq!(reads(&[b"hello"]), reads(&[b"he", b"l", b"lo"]));
    }
}
