//! The display's exports (wasm32 only, as the rest of `ffi`): its size, the guest's
//! presents as RGBA rectangles, the page's keyboard and pointer events, an input
//! script. Only export names need unsafe here, as in `ffi`.
#![allow(unsafe_code, reason = "export names; see the parent module's doc")]

use super::{INBOX, reply, with_session};
use crate::session::{Ended, Session};
use selvm_machine::devices::input::Event;

/// The display's size, width << 16 | height (0: none).
#[unsafe(no_mangle)]
pub extern "C" fn selvm_display() -> u32 {
    with_session(None, |s| s.display_size()).map_or(0, |(w, h)| w << 16 | h)
}

/// Feeds the input device from the input script in the inbox's first `len` bytes: 0,
/// or 6 with the message in the outbox.
#[unsafe(no_mangle)]
pub extern "C" fn selvm_input_script(len: u32) -> u32 {
    let text = INBOX
        .with_borrow(|i| String::from_utf8_lossy(&i[..(len as usize).min(i.len())]).into_owned());
    let result = with_session(
        Err(Ended {
            status: 6,
            message: Some("no machine".into()),
        }),
        |s| s.use_input_script(&text),
    );
    match result {
        Ok(()) => {
            reply(b"");
            0
        }
        Err(e) => {
            reply(e.message.unwrap_or_default().as_bytes());
            u32::from(e.status)
        }
    }
}

/// A keyboard or pointer event for the input device (`kind` as `INPUT_KEY_DOWN`...,
/// key code or button, pointer x and y, buttons held): 1 if it entered.
#[unsafe(no_mangle)]
pub extern "C" fn selvm_event(kind: u32, code: u32, x: u32, y: u32, buttons: u32) -> u32 {
    let event = Event {
        kind: kind.into(),
        code: code.into(),
        x: x.into(),
        y: y.into(),
        buttons: buttons.into(),
    };
    with_session(false, |s| s.push_event(event)).into()
}

/// Ends the input device's input (a run nobody types to).
#[unsafe(no_mangle)]
pub extern "C" fn selvm_close_display_input() {
    with_session((), Session::close_display_input);
}

/// What the guest presented since the last call (or with `whole` != 0 the whole
/// frame), as records of x, y, w, h (`u32`) and RGBA pixels, into the outbox: its
/// length.
#[unsafe(no_mangle)]
pub extern "C" fn selvm_frames(whole: u32) -> u32 {
    let bytes = with_session(Vec::new(), |s| s.frames(whole != 0));
    reply(&bytes)
}
