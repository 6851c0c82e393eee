//! What a client of the display server uses: its three caps (layout::SERVER,
//! LAUNCHER, EVENTS in its own CSpace), its window frames at layout::WINDOW_VADDR, and
//! the requests of the protocol as calls.

use crate::canvas::Canvas;
use crate::layout::{EVENTS, EXIT_LABEL, LAUNCHER, SERVER, WINDOW_PAGES, WINDOW_VADDR};
use libsel4::{MessageInfo, Word, ipc};
use sel4rt::PAGE_SIZE;
use selvm_gui_protocol::{EVENT_WORDS, ErrorCode, Event, Rect, Request, encode, event};

/// Calls the server with `label` and `mrs` as the message (any length: the malformed
/// requests' test sends wrong ones); the reply's label and length.
pub fn raw_call(label: Word, mrs: &[Word]) -> (Word, usize) {
    mrs.iter().enumerate().for_each(|(i, &m)| ipc::set_mr(i, m));
    let info = MessageInfo::new(label, 0, 0, mrs.len() as Word)
        .unwrap_or(MessageInfo::from_word_clamped(0));
    let r = libsel4::call(SERVER, info);
    (r.label(), r.length())
}

/// Sends `request`; Ok if the server answered success.
pub fn call(request: &Request) -> Result<(), ErrorCode> {
    let mut mrs = [0; 5];
    let (label, length) = encode(request, &mut mrs);
    match raw_call(label, &mrs[..length]) {
        (0, _) => Ok(()),
        (e, _) => Err(ErrorCode::from_word(e).unwrap_or(ErrorCode::UnknownRequest)),
    }
}

/// The client's window: its size and its pixels (the shared frames).
pub struct Window {
    /// The pixels, `w` a row.
    pub canvas: Canvas<'static>,
}

/// Creates the client's window with its content at (x, y) of the screen.
pub fn create_window(x: i32, y: i32, w: u32, h: u32, title: &str) -> Result<Window, ErrorCode> {
    if w as usize * h as usize * 4 > WINDOW_PAGES * PAGE_SIZE {
        return Err(ErrorCode::TooBigForFrame);
    }
    // SAFETY: the launcher mapped WINDOW_PAGES frames read-write at WINDOW_VADDR in
    // this client's VSpace before it started; w × h pixels fit them (checked above);
    // nothing else in this address space uses them.
    let pixels = unsafe {
        core::slice::from_raw_parts_mut(WINDOW_VADDR as *mut u32, w as usize * h as usize)
    };
    let title = selvm_gui_protocol::title_bytes(title);
    call(&Request::CreateWindow {
        x,
        y,
        width: w,
        height: h,
        title,
    })?;
    Ok(Window {
        canvas: Canvas {
            pixels,
            width: w,
            height: h,
        },
    })
}

impl Window {
    /// Asks the server to show `r` of the content again (clipped to the window).
    pub fn damage(&self, r: Rect) {
        let r = r.intersect(&self.canvas.bounds());
        if !r.is_empty() {
            let _ = call(&Request::Damage(r));
        }
    }

    /// Shows the whole content again.
    pub fn damage_all(&self) {
        self.damage(self.canvas.bounds());
    }
}

/// The oldest queued event, if any.
pub fn next_event() -> Option<Event> {
    let (label, length) = raw_call(selvm_gui_protocol::label::NEXT_EVENT, &[]);
    if label != 0 || length < EVENT_WORDS {
        return None;
    }
    let mut w = [0; EVENT_WORDS];
    w.iter_mut()
        .enumerate()
        .for_each(|(i, v)| *v = ipc::get_mr(i));
    Some(Event::from_words(w)).filter(|e| e.kind != event::NONE)
}

/// Waits for the next event.
pub fn wait_event() -> Event {
    loop {
        if let Some(e) = next_event() {
            return e;
        }
        libsel4::wait(EVENTS);
    }
}

/// Tells the launcher this client is done (it then takes the window and the address
/// space away); never returns.
pub fn exit(status: Word) -> ! {
    ipc::set_mr(0, status);
    let info = MessageInfo::new(EXIT_LABEL, 0, 0, 1).unwrap_or(MessageInfo::from_word_clamped(0));
    loop {
        libsel4::call(LAUNCHER, info);
    }
}
