//! The display server's window management: each input event from the device either
//! acts on the windows (a press raises and focuses the window under the pointer; on
//! the title bar it starts a drag that pointer moves continue; on the close box it
//! asks the client to close) or goes to a client as an event relative to its content:
//! keys to the focused window, presses and releases in the content to that window,
//! pointer moves to the window holding the pointer's capture (a button pressed in its
//! content and not yet released). F10 shuts the system down.

use crate::layout::KEY_QUIT;
use crate::print::{Part::*, line};
use crate::server::Server;
use selvm_abi::vm::device::{
    INPUT_BUTTON_DOWN, INPUT_BUTTON_UP, INPUT_KEY_DOWN, INPUT_KEY_UP, INPUT_POINTER_MOVE,
};
use selvm_gui_protocol::geometry::{Part, frame, hit};
use selvm_gui_protocol::{Event, event};

impl Server {
    /// Handles one input device record: kind, code, x, y, buttons.
    pub fn input(&mut self, [kind, code, x, y, buttons]: [u64; 5]) {
        let (x, y) = (x.min(u16::MAX.into()) as i32, y.min(u16::MAX.into()) as i32);
        let to = |c: usize, s: &Server, kind| {
            let content = s.clients[c].window.unwrap_or_default();
            Event {
                kind,
                code,
                x: x - content.x,
                y: y - content.y,
                buttons,
            }
        };
        match kind {
            INPUT_KEY_DOWN if code == KEY_QUIT => {
                line(&[T("gui: F10 pressed, shutting down")]);
                libsel4::debug_halt_status(0);
            }
            INPUT_KEY_DOWN | INPUT_KEY_UP => {
                if let Some(c) = self.top() {
                    let e = to(c, self, kind);
                    self.push(c, e);
                }
            }
            INPUT_POINTER_MOVE => {
                if let Some((c, gx, gy)) = self.drag {
                    self.drag_to(c, x - gx, y - gy);
                } else if let Some(c) = self.capture {
                    let e = to(c, self, event::POINTER_MOVE);
                    self.push(c, e);
                }
            }
            INPUT_BUTTON_DOWN => self.press(x, y, |c, s| to(c, s, event::BUTTON_DOWN)),
            INPUT_BUTTON_UP => {
                self.drag = None;
                if let Some(c) = self.capture.filter(|_| buttons == 0) {
                    self.capture = None;
                    let e = to(c, self, event::BUTTON_UP);
                    self.push(c, e);
                }
            }
            _ => {}
        }
    }

    /// A button pressed at (x, y): acts on the topmost window there, if any.
    fn press(&mut self, x: i32, y: i32, down: impl Fn(usize, &Server) -> Event) {
        let under = self.z[..self.zlen].iter().rev().find_map(|&c| {
            let content = self.clients[c].window?;
            hit(&content, x, y).map(|part| (c, content, part))
        });
        let Some((c, content, part)) = under else {
            return;
        };
        if self.top() != Some(c) {
            self.raise_and_redraw(c);
        }
        match part {
            Part::Close => {
                let e = Event {
                    kind: event::CLOSE,
                    ..Event::default()
                };
                self.push(c, e);
            }
            Part::Frame => self.drag = Some((c, x - content.x, y - content.y)),
            Part::Content => {
                self.capture = Some(c);
                let e = down(c, self);
                self.push(c, e);
            }
        }
    }

    /// Moves client `c`'s window content to (x, y), redrawing where it was and is.
    fn drag_to(&mut self, c: usize, x: i32, y: i32) {
        let Some(old) = self.clients[c].window else {
            return;
        };
        let limit = selvm_gui_protocol::MAX_POSITION;
        let new = old.offset(
            x.clamp(-limit, limit) - old.x,
            y.clamp(-limit, limit) - old.y,
        );
        self.clients[c].window = Some(new);
        self.redraw(frame(&old).union(&frame(&new)));
    }
}
