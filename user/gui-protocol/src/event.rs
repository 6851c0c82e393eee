//! Events a client fetches with `NEXT_EVENT` (docs/gui.md): kinds 1 to 5 are the input
//! device's, with x and y relative to the window's content; 6 asks the client to close.

use crate::Word;

/// Registers of an event reply: kind, code, x, y, buttons.
pub const EVENT_WORDS: usize = 5;
/// No event queued.
pub const NONE: Word = 0;
/// A key was pressed (code: Linux evdev number).
pub const KEY_DOWN: Word = 1;
/// A key was released.
pub const KEY_UP: Word = 2;
/// The pointer moved while a button pressed in the content is held (the window has
/// the pointer's capture; moves without a button held are not sent).
pub const POINTER_MOVE: Word = 3;
/// A button was pressed in the content (code: button).
pub const BUTTON_DOWN: Word = 4;
/// A button was released.
pub const BUTTON_UP: Word = 5;
/// The user clicked the window's close box: the client should close and exit.
pub const CLOSE: Word = 6;

/// An event as a client receives it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Event {
    /// Its kind: one of this module's constants.
    pub kind: Word,
    /// Key code or button.
    pub code: Word,
    /// Pointer x, relative to the content's left edge.
    pub x: i32,
    /// Pointer y, relative to the content's top edge.
    pub y: i32,
    /// Buttons held (bit b: button b).
    pub buttons: Word,
}

impl Event {
    /// The reply registers.
    pub fn words(&self) -> [Word; EVENT_WORDS] {
        [
            self.kind,
            self.code,
            self.x as i64 as Word,
            self.y as i64 as Word,
            self.buttons,
        ]
    }

    /// From the reply registers (x and y truncated to 32 bits).
    pub fn from_words(w: [Word; EVENT_WORDS]) -> Event {
        Event {
            kind: w[0],
            code: w[1],
            x: w[2] as i64 as i32,
            y: w[3] as i64 as i32,
            buttons: w[4],
        }
    }
}
