//! The display server's request protocol (docs/gui.md): what a client's Call carries
//! (label and message registers), the one decoder every request passes through before
//! the server acts ([`decode`]: anything malformed becomes an [`ErrorCode`] reply,
//! never a panic), the events a client fetches ([`event`]), the window geometry
//! ([`geometry`]) and the server's window management ([`desk`]). `no_std` and free of
//! system calls, so the host runs its tests; the GUI program (user/gui) uses it on
//! wasm32.

#![no_std]
#![forbid(unsafe_code)]

pub mod desk;
pub mod event;
pub mod geometry;

pub use event::Event;
pub use geometry::Rect;

/// A 64-bit message register.
pub type Word = u64;

/// Request labels (a client's Call to its badged copy of the server endpoint).
pub mod label {
    use super::Word;
    /// Create the client's window: MR0 x, MR1 y (screen position of its content,
    /// signed), MR2 width, MR3 height, MR4 title (up to 8 ASCII bytes, little-endian,
    /// zero padded).
    pub const CREATE_WINDOW: Word = 1;
    /// Redraw part of the window: MR0 x, MR1 y, MR2 width, MR3 height, inside the
    /// window's content.
    pub const DAMAGE: Word = 2;
    /// Close the client's window (no registers).
    pub const CLOSE_WINDOW: Word = 3;
    /// Take the oldest queued event (no registers). The reply carries kind, code, x,
    /// y, buttons; kind 0 when none is queued.
    pub const NEXT_EVENT: Word = 4;
    /// Launcher only: client MR0 is gone (faulted or exited); drop its window.
    pub const CLIENT_GONE: Word = 16;
}

/// Reply labels: 0 is success, anything else says what was wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum ErrorCode {
    /// No such request label.
    UnknownRequest = 1,
    /// The message has the wrong number of registers for its label.
    BadLength = 2,
    /// A size or position outside what the server accepts.
    BadGeometry = 3,
    /// The request needs a window and the client has none.
    NoWindow = 4,
    /// The client already has its window (one per client).
    HasWindow = 5,
    /// The window's pixels do not fit the frames the client was given.
    TooBigForFrame = 6,
    /// Only the launcher may send this request (or: the launcher sends no other).
    NotPermitted = 7,
    /// A launcher request naming no client slot.
    BadClient = 8,
    /// Requests carry no capabilities.
    CapsNotAccepted = 9,
    /// A title byte that is neither printable ASCII nor zero padding.
    BadTitle = 10,
}

impl ErrorCode {
    /// The reply label.
    pub const fn word(self) -> Word {
        self as Word
    }

    /// The code a reply label names, if any.
    pub fn from_word(w: Word) -> Option<ErrorCode> {
        use ErrorCode::*;
        [
            UnknownRequest,
            BadLength,
            BadGeometry,
            NoWindow,
            HasWindow,
            TooBigForFrame,
            NotPermitted,
            BadClient,
            CapsNotAccepted,
            BadTitle,
        ]
        .into_iter()
        .find(|c| c.word() == w)
    }
}

/// The longest side of a window's content, in pixels.
pub const MAX_SIDE: u32 = 1024;
/// How far off the screen's origin a window may be placed (either sign).
pub const MAX_POSITION: i32 = 4096;
pub use event::EVENT_WORDS;

/// A request as decoded: every field already range-checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    /// [`label::CREATE_WINDOW`].
    CreateWindow {
        /// Where the content goes on the screen.
        x: i32,
        /// Where the content goes on the screen.
        y: i32,
        /// Content width, 1 to [`MAX_SIDE`].
        width: u32,
        /// Content height, 1 to [`MAX_SIDE`].
        height: u32,
        /// Title bytes (printable ASCII, zero padded).
        title: [u8; 8],
    },
    /// [`label::DAMAGE`]: a rectangle of the content (checked against the window by
    /// the server, which knows its size).
    Damage(Rect),
    /// [`label::CLOSE_WINDOW`].
    CloseWindow,
    /// [`label::NEXT_EVENT`].
    NextEvent,
    /// [`label::CLIENT_GONE`]: the client number.
    ClientGone(Word),
}

/// Who sent a request, from the badge of the endpoint cap it came through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sender {
    /// The launcher.
    Launcher,
    /// Client number n.
    Client(Word),
}

/// Decodes a request: `label` and `length` from the MessageInfo, `extra_caps` how many
/// caps came with it, `mrs` the message registers (at least `length` of them are
/// read; fewer given counts as a bad length). Validates everything that does not
/// depend on the server's state; never panics.
pub fn decode(
    sender: Sender,
    label: Word,
    length: usize,
    extra_caps: Word,
    mrs: &[Word],
) -> Result<Request, ErrorCode> {
    let expected = match label {
        label::CREATE_WINDOW => 5,
        label::DAMAGE => 4,
        label::CLOSE_WINDOW | label::NEXT_EVENT => 0,
        label::CLIENT_GONE => 1,
        _ => return Err(ErrorCode::UnknownRequest),
    };
    // CLIENT_GONE is the launcher's, and the launcher sends nothing else.
    if (label == label::CLIENT_GONE) != (sender == Sender::Launcher) {
        return Err(ErrorCode::NotPermitted);
    }
    if extra_caps != 0 {
        return Err(ErrorCode::CapsNotAccepted);
    }
    if length != expected || mrs.len() < expected {
        return Err(ErrorCode::BadLength);
    }
    Ok(match label {
        label::CREATE_WINDOW => Request::CreateWindow {
            x: position(mrs[0])?,
            y: position(mrs[1])?,
            width: side(mrs[2])?,
            height: side(mrs[3])?,
            title: title(mrs[4])?,
        },
        label::DAMAGE => {
            let coordinate = |w: Word| u32::try_from(w).ok().filter(|&v| v < MAX_SIDE);
            let (Some(x), Some(y)) = (coordinate(mrs[0]), coordinate(mrs[1])) else {
                return Err(ErrorCode::BadGeometry);
            };
            Request::Damage(Rect::new(x as i32, y as i32, side(mrs[2])?, side(mrs[3])?))
        }
        label::CLOSE_WINDOW => Request::CloseWindow,
        label::NEXT_EVENT => Request::NextEvent,
        _ => Request::ClientGone(mrs[0]),
    })
}

/// The label and registers of `request` (what a client sends; [`decode`]'s inverse).
pub fn encode(request: &Request, mrs: &mut [Word; 5]) -> (Word, usize) {
    match *request {
        Request::CreateWindow {
            x,
            y,
            width,
            height,
            title,
        } => {
            *mrs = [
                x as i64 as Word,
                y as i64 as Word,
                width.into(),
                height.into(),
                Word::from_le_bytes(title),
            ];
            (label::CREATE_WINDOW, 5)
        }
        Request::Damage(r) => {
            mrs[..4].copy_from_slice(&[r.x as Word, r.y as Word, r.w.into(), r.h.into()]);
            (label::DAMAGE, 4)
        }
        Request::CloseWindow => (label::CLOSE_WINDOW, 0),
        Request::NextEvent => (label::NEXT_EVENT, 0),
        Request::ClientGone(c) => {
            mrs[0] = c;
            (label::CLIENT_GONE, 1)
        }
    }
}

/// A signed position in -[`MAX_POSITION`]..=[`MAX_POSITION`] (the register holds an
/// `i64`).
fn position(w: Word) -> Result<i32, ErrorCode> {
    let v = w as i64;
    match (-(MAX_POSITION as i64)..=MAX_POSITION as i64).contains(&v) {
        true => Ok(v as i32),
        false => Err(ErrorCode::BadGeometry),
    }
}

/// A side in 1..=[`MAX_SIDE`].
fn side(w: Word) -> Result<u32, ErrorCode> {
    match w {
        1.. if w <= MAX_SIDE as Word => Ok(w as u32),
        _ => Err(ErrorCode::BadGeometry),
    }
}

/// Title bytes: printable ASCII, then only zeros.
fn title(w: Word) -> Result<[u8; 8], ErrorCode> {
    let bytes = w.to_le_bytes();
    let text = bytes.iter().take_while(|&&b| b != 0).count();
    let printable = bytes[..text].iter().all(|b| (0x20..0x7f).contains(b));
    match printable && bytes[text..].iter().all(|&b| b == 0) {
        true => Ok(bytes),
        false => Err(ErrorCode::BadTitle),
    }
}

/// A title from text: its first 8 bytes, non-printable ones as `?`.
pub fn title_bytes(text: &str) -> [u8; 8] {
    let mut out = [0u8; 8];
    for (o, b) in out.iter_mut().zip(text.bytes()) {
        *o = if (0x20..0x7f).contains(&b) { b } else { b'?' };
    }
    out
}

#[cfg(test)]
mod tests;
