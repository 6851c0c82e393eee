//! The display server's window management as a state machine without system calls,
//! so the host tests it: which windows exist, their stacking (the top one has the
//! focus), a drag in progress, the pointer's capture. Each change returns the
//! [`Actions`] the server carries out: rectangles of the screen to redraw, events for
//! a client, or shutting down.
//!
//! Input: a press raises and focuses the topmost window under the pointer; on its
//! title bar or border it starts a drag that pointer moves continue until the release;
//! on its close box it sends the client [`event::CLOSE`]; in its content it sends the
//! press and captures the pointer (moves and the release go to that window, relative
//! to its content, until every button is up). Keys go to the focused window; the quit
//! key shuts down.

use crate::geometry::{Part, frame, hit};
use crate::{Event, MAX_POSITION, Rect, Word, event};

/// What the server must do after a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Redraw this rectangle of the screen.
    Redraw(Rect),
    /// Queue this event for client number `.0`.
    Deliver(usize, Event),
    /// Shut the system down.
    Quit,
}

/// Up to four actions, in order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Actions {
    items: [Option<Action>; 4],
}

impl Actions {
    fn push(&mut self, a: Action) {
        if let Some(free) = self.items.iter_mut().find(|i| i.is_none()) {
            *free = Some(a);
        }
    }

    /// The actions, in order.
    pub fn iter(&self) -> impl Iterator<Item = Action> + '_ {
        self.items.iter().flatten().copied()
    }
}

/// The windows of `N` client slots.
#[derive(Clone, Debug)]
pub struct Desk<const N: usize> {
    windows: [Option<Rect>; N],
    /// Clients with a window, bottom to top.
    z: [usize; N],
    zlen: usize,
    /// The window being dragged: its client and where the pointer grabbed it.
    drag: Option<(usize, i32, i32)>,
    /// The window a button was pressed in.
    capture: Option<usize>,
}

impl<const N: usize> Default for Desk<N> {
    fn default() -> Self {
        Desk {
            windows: [None; N],
            z: [0; N],
            zlen: 0,
            drag: None,
            capture: None,
        }
    }
}

impl<const N: usize> Desk<N> {
    /// Client `c`'s window's content rectangle, if it has one.
    pub fn window(&self, c: usize) -> Option<Rect> {
        self.windows.get(c).copied().flatten()
    }

    /// Clients with a window, bottom to top.
    pub fn stack(&self) -> &[usize] {
        &self.z[..self.zlen]
    }

    /// The client whose window has the focus (the top one).
    pub fn top(&self) -> Option<usize> {
        self.stack().last().copied()
    }

    /// Gives client `c` (below `N`) the window `content`, on top.
    pub fn open(&mut self, c: usize, content: Rect) -> Actions {
        let mut out = Actions::default();
        if c < N {
            self.windows[c] = Some(content);
            self.raise(c, &mut out);
        }
        out
    }

    /// Takes client `c`'s window away, ending a drag or capture of it.
    pub fn close(&mut self, c: usize) -> Actions {
        let mut out = Actions::default();
        let Some(content) = self.windows.get_mut(c).and_then(Option::take) else {
            return out;
        };
        self.unstack(c);
        if self.drag.is_some_and(|(d, ..)| d == c) {
            self.drag = None;
        }
        if self.capture == Some(c) {
            self.capture = None;
        }
        out.push(Action::Redraw(frame(&content)));
        // The new top window's title bar shows the focus.
        if let Some(t) = self.top().and_then(|t| self.window(t)) {
            out.push(Action::Redraw(frame(&t)));
        }
        out
    }

    /// One input device record: kind, code, x, y, buttons.
    pub fn input(&mut self, [kind, code, x, y, buttons]: [Word; 5], quit_key: Word) -> Actions {
        let mut out = Actions::default();
        let (x, y) = (x.min(u16::MAX.into()) as i32, y.min(u16::MAX.into()) as i32);
        let to = |d: &Self, c: usize, kind| {
            let content = d.window(c).unwrap_or_default();
            let (x, y) = (x - content.x, y - content.y);
            Action::Deliver(
                c,
                Event {
                    kind,
                    code,
                    x,
                    y,
                    buttons,
                },
            )
        };
        match kind {
            // The input device's kinds are the event kinds 1 to 5 (docs/vm-abi.md).
            event::KEY_DOWN if code == quit_key => out.push(Action::Quit),
            event::KEY_DOWN | event::KEY_UP => {
                if let Some(c) = self.top() {
                    out.push(to(self, c, kind));
                }
            }
            event::POINTER_MOVE => {
                if let Some((c, gx, gy)) = self.drag {
                    self.drag_to(c, x - gx, y - gy, &mut out);
                } else if let Some(c) = self.capture {
                    out.push(to(self, c, kind));
                }
            }
            event::BUTTON_DOWN => {
                let under = self.stack().iter().rev().find_map(|&c| {
                    let content = self.window(c)?;
                    hit(&content, x, y).map(|part| (c, content, part))
                });
                if let Some((c, content, part)) = under {
                    if self.top() != Some(c) {
                        self.raise(c, &mut out);
                    }
                    match part {
                        Part::Close => out.push(Action::Deliver(
                            c,
                            Event {
                                kind: event::CLOSE,
                                ..Event::default()
                            },
                        )),
                        Part::Frame => self.drag = Some((c, x - content.x, y - content.y)),
                        Part::Content => {
                            self.capture = Some(c);
                            out.push(to(self, c, kind));
                        }
                    }
                }
            }
            event::BUTTON_UP => {
                self.drag = None;
                if let Some(c) = self.capture.filter(|_| buttons == 0) {
                    self.capture = None;
                    out.push(to(self, c, kind));
                }
            }
            _ => {}
        }
        out
    }

    /// Puts client `c`'s window on top; redraws it and the window that had the focus.
    fn raise(&mut self, c: usize, out: &mut Actions) {
        let old = self.top().filter(|&t| t != c).and_then(|t| self.window(t));
        self.unstack(c);
        self.z[self.zlen] = c;
        self.zlen += 1;
        if let Some(content) = self.window(c) {
            out.push(Action::Redraw(frame(&content)));
        }
        if let Some(old) = old {
            out.push(Action::Redraw(frame(&old)));
        }
    }

    /// Takes `c` out of the stacking order, if it is in it.
    fn unstack(&mut self, c: usize) {
        if let Some(i) = self.stack().iter().position(|&z| z == c) {
            self.z.copy_within(i + 1..self.zlen, i);
            self.zlen -= 1;
        }
    }

    /// Moves client `c`'s window content to (x, y), redrawing where it was and is.
    fn drag_to(&mut self, c: usize, x: i32, y: i32, out: &mut Actions) {
        let Some(old) = self.window(c) else {
            return;
        };
        let limit = MAX_POSITION;
        let new = old.offset(
            x.clamp(-limit, limit) - old.x,
            y.clamp(-limit, limit) - old.y,
        );
        self.windows[c] = Some(new);
        out.push(Action::Redraw(frame(&old).union(&frame(&new))));
    }
}

#[cfg(test)]
mod tests;
