//! The input device (keyboard and pointer events in a ring of 64-byte records in one
//! register frame, a level-triggered line while the ring holds any) and input scripts:
//! a text of events at instruction counts, delivered by the embedder at defined points
//! of the run ([`Script::deliver`]) so a deterministic run with a script gives the same
//! pixels every time.
//!
//! Script format, one event a line (`#` starts a comment, blank lines are skipped),
//! instruction counts never decreasing:
//!
//! ```text
//! at 1000 key down 30       # key code 30 (A, Linux evdev numbering) pressed
//! at 1500 key up 30
//! at 2000 pointer 10 20     # the pointer moves to (10, 20)
//! at 2500 button down 0     # button 0 (left), 1 right, 2 middle
//! at 3000 button up 0
//! ```

use super::{Device, DeviceId, IdleNeed, Now, WouldBlock};
use crate::{Machine, Step, Wait};
use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use selvm_abi::vm::device::{
    INPUT_BASE, INPUT_BUTTON_DOWN, INPUT_BUTTON_UP, INPUT_HEAD, INPUT_KEY_DOWN, INPUT_KEY_UP,
    INPUT_POINTER_MOVE, INPUT_RECORD_BYTES, INPUT_RING, INPUT_RING_SLOTS, INPUT_SLOTS, INPUT_TAIL,
    IRQ_INPUT,
};

const LINE: u64 = 1 << IRQ_INPUT;
/// Words of an event as pushed to the device: kind, code, x, y, buttons.
const WORDS: usize = 5;

/// One input event: the words of its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// `INPUT_KEY_DOWN` ...
    pub kind: u64,
    /// Key code or button.
    pub code: u64,
    /// Pointer x.
    pub x: u64,
    /// Pointer y.
    pub y: u64,
    /// Buttons held after the event.
    pub buttons: u64,
}

impl Event {
    /// The bytes [`Device::push_input`] takes: five little-endian words.
    pub fn to_bytes(self) -> [u8; WORDS * 8] {
        let mut b = [0; WORDS * 8];
        let words = [self.kind, self.code, self.x, self.y, self.buttons];
        for (chunk, w) in b.chunks_exact_mut(8).zip(words) {
            chunk.copy_from_slice(&w.to_le_bytes());
        }
        b
    }
}

/// The input device.
#[derive(Debug, Default)]
pub struct Input {
    /// The ring's records by slot.
    ring: [[u64; WORDS]; INPUT_RING_SLOTS as usize],
    head: u64,
    tail: u64,
    /// Events pushed while the ring was full.
    queued: VecDeque<[u64; WORDS]>,
    /// No more events will be pushed.
    closed: bool,
}

impl Input {
    fn refill(&mut self) {
        while self.head - self.tail < INPUT_RING_SLOTS {
            let Some(e) = self.queued.pop_front() else {
                return;
            };
            self.ring[(self.head % INPUT_RING_SLOTS) as usize] = e;
            self.head += 1;
        }
    }
}

impl Device for Input {
    fn name(&self) -> &'static str {
        "input"
    }

    fn base(&self) -> u64 {
        INPUT_BASE
    }

    fn read(&mut self, offset: u64, _now: Now) -> Result<u64, WouldBlock> {
        Ok(match offset {
            INPUT_HEAD => self.head,
            INPUT_TAIL => self.tail,
            INPUT_SLOTS => INPUT_RING_SLOTS,
            o if o >= INPUT_RING => {
                let slot = (o - INPUT_RING) / INPUT_RECORD_BYTES;
                let word = ((o - INPUT_RING) % INPUT_RECORD_BYTES / 8) as usize;
                let record = self.ring.get(slot as usize);
                record.and_then(|r| r.get(word)).copied().unwrap_or(0)
            }
            _ => 0,
        })
    }

    fn write(&mut self, offset: u64, value: u64, _now: Now) {
        if offset == INPUT_TAIL && (self.tail..=self.head).contains(&value) {
            self.tail = value;
            self.refill();
        }
    }

    fn raised(&self) -> u64 {
        if self.head != self.tail { LINE } else { 0 }
    }

    fn idle(&mut self, unmasked: u64, _now: Now) -> IdleNeed {
        if self.closed || self.head != self.tail || unmasked & LINE == 0 {
            IdleNeed::Nothing
        } else {
            IdleNeed::Input
        }
    }

    /// Whole events of [`Event::to_bytes`]; a trailing partial one is dropped.
    fn push_input(&mut self, bytes: &[u8], _now: Now) {
        if self.closed {
            return;
        }
        for e in bytes.chunks_exact(WORDS * 8) {
            let mut words = [0; WORDS];
            for (w, b) in words.iter_mut().zip(e.chunks_exact(8)) {
                *w = u64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
            }
            self.queued.push_back(words);
        }
        self.refill();
    }

    fn close_input(&mut self, _now: Now) {
        self.closed = true;
    }
}

/// A parsed input script: events at instruction counts, in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Script {
    events: VecDeque<(u64, Event)>,
}

impl Script {
    /// Parses a script; an error names the line (from 1) and what is wrong.
    pub fn parse(text: &str) -> Result<Script, String> {
        let (mut x, mut y, mut buttons) = (0u64, 0u64, 0u64);
        let mut events = VecDeque::new();
        let mut last = 0;
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            let line = line.split('#').next().unwrap_or("");
            let words: Vec<&str> = line.split_whitespace().collect();
            if words.is_empty() {
                continue;
            }
            let number = |w: &str, what: &str, max: u64| -> Result<u64, String> {
                match w.parse::<u64>() {
                    Ok(v) if v <= max => Ok(v),
                    _ => Err(format!(
                        "line {n}: {what} must be a number from 0 to {max}, not {w:?}"
                    )),
                }
            };
            let (at, rest) = match words.as_slice() {
                ["at", at, rest @ ..] => (number(at, "the instruction count", u64::MAX)?, rest),
                _ => {
                    return Err(format!(
                        "line {n}: expected `at INSTRUCTIONS EVENT`, got {:?}",
                        line.trim()
                    ));
                }
            };
            if at < last {
                return Err(format!(
                    "line {n}: instruction count {at} is before the previous line's {last}"
                ));
            }
            last = at;
            let (kind, code) = match rest {
                ["key", dir @ ("down" | "up"), code] => {
                    let kind = if *dir == "down" {
                        INPUT_KEY_DOWN
                    } else {
                        INPUT_KEY_UP
                    };
                    (kind, number(code, "a key code", 0xffff)?)
                }
                ["pointer", px, py] => {
                    x = number(px, "x", 0xffff)?;
                    y = number(py, "y", 0xffff)?;
                    (INPUT_POINTER_MOVE, 0)
                }
                ["button", dir @ ("down" | "up"), b] => {
                    let b = number(b, "a button", 63)?;
                    if *dir == "down" {
                        buttons |= 1 << b;
                        (INPUT_BUTTON_DOWN, b)
                    } else {
                        buttons &= !(1 << b);
                        (INPUT_BUTTON_UP, b)
                    }
                }
                _ => {
                    return Err(format!(
                        "line {n}: expected an event `key down|up CODE`, `pointer X Y` or `button down|up B`, got {:?}",
                        rest.join(" ")
                    ));
                }
            };
            let event = Event {
                kind,
                code,
                x,
                y,
                buttons,
            };
            events.push_back((at, event));
        }
        Ok(Script { events })
    }

    /// Events not yet delivered.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether every event was delivered.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The instruction count of the next event: an embedder runs the machine no further
    /// than that ([`Machine::run`]'s budget) before calling [`Script::deliver`].
    pub fn next_at(&self) -> Option<u64> {
        self.events.front().map(|(at, _)| *at)
    }

    /// Pushes to device `input` the events due: those whose count the machine has
    /// reached, and the next one if `step` says the machine is idle waiting for input
    /// (no instruction would run otherwise). Ends the device's input once the script
    /// is done. Call it after every [`Machine::run`] or [`Machine::step`]; true if it
    /// pushed an event (an idle machine can then run again at once).
    pub fn deliver(&mut self, m: &mut Machine, input: DeviceId, step: &Step) -> bool {
        let idle = matches!(step, Step::Idle(Wait { input: true, .. }));
        let mut pushed = false;
        while let Some(&(at, event)) = self.events.front() {
            // Not due yet, unless the machine idles for input and has had none.
            let early = idle && !pushed;
            if at > m.instructions && !early {
                break;
            }
            m.push_input(input, &event.to_bytes());
            self.events.pop_front();
            pushed = true;
        }
        if self.events.is_empty() {
            m.close_input(input);
        }
        pushed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Now = Now {
        ns: 0,
        deterministic: true,
    };

    fn event(kind: u64, code: u64) -> Event {
        Event {
            kind,
            code,
            x: 7,
            y: 9,
            buttons: 1,
        }
    }

    fn slot_word(slot: u64, word: u64) -> u64 {
        INPUT_RING + slot * INPUT_RECORD_BYTES + word
    }

    #[test]
    fn events_enter_the_ring_and_raise_the_line_while_it_holds_any() {
        let mut d = Input::default();
        assert_eq!(d.raised(), 0);
        assert_eq!(
            d.idle(LINE, NOW),
            IdleNeed::Input,
            "a guest waits, input may come"
        );
        assert_eq!(d.idle(0, NOW), IdleNeed::Nothing, "line masked");
        d.push_input(&event(INPUT_KEY_DOWN, 30).to_bytes(), NOW);
        assert_eq!(d.raised(), LINE);
        assert_eq!(d.read(INPUT_HEAD, NOW), Ok(1));
        assert_eq!(d.read(INPUT_SLOTS, NOW), Ok(INPUT_RING_SLOTS));
        let words: Vec<u64> = (0..6)
            .map(|w| d.read(slot_word(0, w * 8), NOW).unwrap())
            .collect();
        assert_eq!(words, [INPUT_KEY_DOWN, 30, 7, 9, 1, 0]);
        d.write(INPUT_TAIL, 2, NOW);
        assert_eq!(d.read(INPUT_TAIL, NOW), Ok(0), "beyond HEAD: ignored");
        d.write(INPUT_TAIL, 1, NOW);
        assert_eq!(d.raised(), 0, "consumed");
        d.write(INPUT_TAIL, 0, NOW);
        assert_eq!(d.read(INPUT_TAIL, NOW), Ok(1), "backwards: ignored");
        d.push_input(&[1, 2, 3], NOW);
        assert_eq!(d.read(INPUT_HEAD, NOW), Ok(1), "a partial event is dropped");
        d.close_input(NOW);
        assert_eq!(d.idle(LINE, NOW), IdleNeed::Nothing, "no more will come");
    }

    #[test]
    fn a_full_ring_keeps_the_rest_until_the_guest_frees_slots() {
        let mut d = Input::default();
        for code in 0..INPUT_RING_SLOTS + 3 {
            d.push_input(&event(INPUT_KEY_UP, code).to_bytes(), NOW);
        }
        assert_eq!(d.read(INPUT_HEAD, NOW), Ok(INPUT_RING_SLOTS));
        d.write(INPUT_TAIL, 2, NOW);
        assert_eq!(d.read(INPUT_HEAD, NOW), Ok(INPUT_RING_SLOTS + 2));
        // Count 32 reuses slot 0: the 33rd event (code 32).
        assert_eq!(d.read(slot_word(0, 8), NOW), Ok(32));
        assert_eq!(d.read(INPUT_RING + 4096, NOW), Ok(0), "outside the frame");
    }

    #[test]
    fn scripts_parse_with_pointer_state_and_refuse_bad_lines_by_number() {
        let s = Script::parse(
            "# a comment\n\nat 5 pointer 3 4\nat 5 button down 0 # press\nat 9 key down 30\nat 10 button up 0\n",
        )
        .unwrap();
        let got: Vec<(u64, Event)> = s.events.iter().copied().collect();
        let e = |kind, code, buttons| Event {
            kind,
            code,
            x: 3,
            y: 4,
            buttons,
        };
        assert_eq!(
            got,
            [
                (5, e(INPUT_POINTER_MOVE, 0, 0)),
                (5, e(INPUT_BUTTON_DOWN, 0, 1)),
                (9, e(INPUT_KEY_DOWN, 30, 1)),
                (10, e(INPUT_BUTTON_UP, 0, 0)),
            ]
        );
        assert_eq!(s.next_at(), Some(5));
        for (text, part) in [
            (
                "at 5 key down 30\nat 4 key up 30",
                "line 2: instruction count 4 is before",
            ),
            (
                "at x key down 1",
                "line 1: the instruction count must be a number",
            ),
            ("\n\nkey down 1", "line 3: expected `at INSTRUCTIONS EVENT`"),
            ("at 1 key sideways 1", "line 1: expected an event"),
            (
                "at 1 pointer 1 70000",
                "line 1: y must be a number from 0 to 65535",
            ),
            ("at 1 button down 64", "line 1: a button must be"),
            ("at 1 key down -1", "line 1: a key code must be"),
        ] {
            let e = Script::parse(text).unwrap_err();
            assert!(e.contains(part), "{text:?}: {e}");
        }
        assert!(Script::parse("").unwrap().is_empty());
    }
}
