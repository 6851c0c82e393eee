//! `selvm run --display WxH --window`: the framebuffer in a desktop window (minifb: X11
//! on Linux, Win32 on Windows), the second [`Presenter`]. Presents are copied into the
//! window's buffer and shown at most every [`FRAME`]; the window's keyboard and mouse
//! become the input device's events ([`Tracker`], a pure translation from what the
//! window reports to [`Event`]s, with evdev key codes as in input scripts).

use crate::display::{Frame, Headless, Presenter};
use crate::failure::Failure;
use minifb::{Key, KeyRepeat, MouseButton, MouseMode, Scale, WindowOptions};
use selvm_abi::vm::device::{
    INPUT_BUTTON_DOWN, INPUT_BUTTON_UP, INPUT_KEY_DOWN, INPUT_KEY_UP, INPUT_POINTER_MOVE,
};
use selvm_machine::devices::framebuffer::Rect;
use selvm_machine::devices::input::Event;
use std::time::{Duration, Instant};

/// Shortest time between two updates of the window (about 60 per second).
const FRAME: Duration = Duration::from_millis(16);

/// What the window showed since the last look: the pointer in framebuffer pixels (none
/// while outside the window), the buttons held (left, right, middle: buttons 0, 1, 2 as
/// in input scripts), and keys pressed and released, as evdev codes.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Sample {
    /// The pointer, if inside the window.
    pub pointer: Option<(u64, u64)>,
    /// Buttons 0, 1, 2 held.
    pub buttons: [bool; 3],
    /// Keys pressed since the last sample.
    pub pressed: Vec<u64>,
    /// Keys released since the last sample.
    pub released: Vec<u64>,
}

/// The pointer and buttons as the guest last heard of them.
#[derive(Debug, Default)]
pub struct Tracker {
    x: u64,
    y: u64,
    buttons: u64,
}

impl Tracker {
    /// Appends to `out` the events that take the guest from what it last heard to
    /// `s`: a pointer move, then button changes, then key releases and presses.
    pub fn events(&mut self, s: &Sample, out: &mut Vec<Event>) {
        if let Some((x, y)) = s.pointer {
            if (x, y) != (self.x, self.y) {
                (self.x, self.y) = (x, y);
                out.push(self.event(INPUT_POINTER_MOVE, 0));
            }
        }
        for (b, &held) in (0u64..).zip(&s.buttons) {
            let was = self.buttons & (1 << b) != 0;
            if held != was {
                self.buttons ^= 1 << b;
                let kind = if held {
                    INPUT_BUTTON_DOWN
                } else {
                    INPUT_BUTTON_UP
                };
                out.push(self.event(kind, b));
            }
        }
        for &k in &s.released {
            out.push(self.event(INPUT_KEY_UP, k));
        }
        for &k in &s.pressed {
            out.push(self.event(INPUT_KEY_DOWN, k));
        }
    }

    fn event(&self, kind: u64, code: u64) -> Event {
        Event {
            kind,
            code,
            x: self.x,
            y: self.y,
            buttons: self.buttons,
        }
    }
}

/// A minifb key's Linux evdev code (the numbering input scripts use); none for a key
/// minifb does not know.
pub fn evdev(key: Key) -> Option<u64> {
    use Key::*;
    Some(match key {
        Key0 => 11,
        Key1 => 2,
        Key2 => 3,
        Key3 => 4,
        Key4 => 5,
        Key5 => 6,
        Key6 => 7,
        Key7 => 8,
        Key8 => 9,
        Key9 => 10,
        A => 30,
        B => 48,
        C => 46,
        D => 32,
        E => 18,
        F => 33,
        G => 34,
        H => 35,
        I => 23,
        J => 36,
        K => 37,
        L => 38,
        M => 50,
        N => 49,
        O => 24,
        P => 25,
        Q => 16,
        R => 19,
        S => 31,
        T => 20,
        U => 22,
        V => 47,
        W => 17,
        X => 45,
        Y => 21,
        Z => 44,
        F1 => 59,
        F2 => 60,
        F3 => 61,
        F4 => 62,
        F5 => 63,
        F6 => 64,
        F7 => 65,
        F8 => 66,
        F9 => 67,
        F10 => 68,
        F11 => 87,
        F12 => 88,
        F13 => 183,
        F14 => 184,
        F15 => 185,
        Down => 108,
        Left => 105,
        Right => 106,
        Up => 103,
        Apostrophe => 40,
        Backquote => 41,
        Backslash => 43,
        Comma => 51,
        Equal => 13,
        LeftBracket => 26,
        Minus => 12,
        Period => 52,
        RightBracket => 27,
        Semicolon => 39,
        Slash => 53,
        Backspace => 14,
        Delete => 111,
        End => 107,
        Enter => 28,
        Escape => 1,
        Home => 102,
        Insert => 110,
        Menu => 127,
        PageDown => 109,
        PageUp => 104,
        Pause => 119,
        Space => 57,
        Tab => 15,
        NumLock => 69,
        CapsLock => 58,
        ScrollLock => 70,
        LeftShift => 42,
        RightShift => 54,
        LeftCtrl => 29,
        RightCtrl => 97,
        NumPad0 => 82,
        NumPad1 => 79,
        NumPad2 => 80,
        NumPad3 => 81,
        NumPad4 => 75,
        NumPad5 => 76,
        NumPad6 => 77,
        NumPad7 => 71,
        NumPad8 => 72,
        NumPad9 => 73,
        NumPadDot => 83,
        NumPadSlash => 98,
        NumPadAsterisk => 55,
        NumPadMinus => 74,
        NumPadPlus => 78,
        NumPadEnter => 96,
        LeftAlt => 56,
        RightAlt => 100,
        LeftSuper => 125,
        RightSuper => 126,
        Unknown | Count => return None,
    })
}

/// Why no window can be opened here, if that is known before trying: on Linux and the
/// BSDs a window needs an X server, named by `$DISPLAY`.
pub fn missing_desktop() -> Option<String> {
    no_desktop(std::env::var_os("DISPLAY"))
}

/// [`missing_desktop`] given `$DISPLAY`'s value.
fn no_desktop(display: Option<std::ffi::OsString>) -> Option<String> {
    let needs_x = cfg!(all(unix, not(target_os = "macos")));
    (needs_x && display.unwrap_or_default().is_empty()).then(|| {
        "--window needs a desktop, but $DISPLAY is not set (no X server to open a \
         window on); --screenshot FILE writes the framebuffer as a PNG instead"
            .into()
    })
}

/// The scale that makes a small framebuffer's window at least about 256 pixels wide.
fn scale_for(width: u32) -> Scale {
    match width {
        0..=63 => Scale::X8,
        64..=127 => Scale::X4,
        128..=255 => Scale::X2,
        _ => Scale::X1,
    }
}

/// The desktop window: shows what the guest presents, reports its input, and writes
/// `--screenshot` at the end like [`Headless`].
pub struct Window {
    window: minifb::Window,
    width: usize,
    height: usize,
    buffer: Vec<u32>,
    /// Presented pixels not yet shown.
    dirty: bool,
    last_update: Instant,
    tracker: Tracker,
    /// The screenshot at the end and the present count.
    pub headless: Headless,
}

impl Window {
    /// Opens a `width` x `height` window (scaled up if small). A clear error (status 2)
    /// if there is no desktop, or status 4 if the window cannot be opened.
    pub fn open(width: u32, height: u32, headless: Headless) -> Result<Window, Failure> {
        if let Some(why) = missing_desktop() {
            return Err(Failure::usage(why));
        }
        let options = WindowOptions {
            scale: scale_for(width),
            ..WindowOptions::default()
        };
        let (w, h) = (width as usize, height as usize);
        let title = format!("seLVM {width}x{height}");
        let mut window = minifb::Window::new(&title, w, h, options).map_err(|e| {
            Failure::host(format!(
                "--window: cannot open a window: {e} (--screenshot FILE writes the framebuffer as a PNG instead)"
            ))
        })?;
        // The run loop paces the window itself (FRAME), never minifb's sleep.
        window.set_target_fps(0);
        Ok(Window {
            window,
            width: w,
            height: h,
            buffer: vec![0; w * h],
            dirty: true,
            last_update: Instant::now(),
            tracker: Tracker::default(),
            headless,
        })
    }

    /// Shows the buffer (if it changed) and takes the window's events.
    fn update(&mut self) -> Result<(), Failure> {
        if self.dirty {
            self.window
                .update_with_buffer(&self.buffer, self.width, self.height)
                .map_err(|e| Failure::host(format!("--window: {e}")))?;
            self.dirty = false;
        } else {
            self.window.update();
        }
        self.last_update = Instant::now();
        Ok(())
    }

    fn copy(&mut self, frame: &Frame<'_>) {
        let n = self.buffer.len().min(frame.pixels.len());
        self.buffer[..n].copy_from_slice(&frame.pixels[..n]);
        self.dirty = true;
    }

    /// What the window reports now.
    fn sample(&self) -> Sample {
        let pointer = self
            .window
            .get_mouse_pos(MouseMode::Discard)
            .filter(|&(x, y)| x >= 0.0 && y >= 0.0)
            .map(|(x, y)| (x as u64, y as u64))
            .filter(|&(x, y)| x < self.width as u64 && y < self.height as u64);
        let down = |b| self.window.get_mouse_down(b);
        let codes = |keys: Vec<Key>| keys.into_iter().filter_map(evdev).collect();
        Sample {
            pointer,
            buttons: [
                down(MouseButton::Left),
                down(MouseButton::Right),
                down(MouseButton::Middle),
            ],
            pressed: codes(self.window.get_keys_pressed(KeyRepeat::No)),
            released: codes(self.window.get_keys_released()),
        }
    }
}

impl Presenter for Window {
    fn present(&mut self, rect: Rect, frame: &Frame<'_>) -> Result<(), Failure> {
        self.headless.present(rect, frame)?;
        self.copy(frame);
        Ok(())
    }

    fn finish(&mut self, frame: &Frame<'_>) -> Result<(), Failure> {
        self.copy(frame);
        if self.window.is_open() {
            self.update()?;
        }
        self.headless.finish(frame)
    }

    fn poll(&mut self, events: &mut Vec<Event>) -> Result<bool, Failure> {
        if self.last_update.elapsed() < FRAME {
            return Ok(true);
        }
        self.update()?;
        if !self.window.is_open() {
            return Ok(false);
        }
        let sample = self.sample();
        self.tracker.events(&sample, events);
        Ok(true)
    }

    fn wait_at_most(&self) -> Option<Duration> {
        Some(FRAME)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(events: &[Event]) -> Vec<(u64, u64, u64, u64, u64)> {
        events
            .iter()
            .map(|e| (e.kind, e.code, e.x, e.y, e.buttons))
            .collect()
    }

    #[test]
    fn a_drag_becomes_move_press_move_release_with_the_buttons_held() {
        let mut t = Tracker::default();
        let mut out = Vec::new();
        let mut s = Sample {
            pointer: Some((3, 4)),
            ..Sample::default()
        };
        t.events(&s, &mut out);
        s.buttons[0] = true;
        t.events(&s, &mut out);
        s.pointer = Some((10, 4));
        t.events(&s, &mut out);
        s.buttons[0] = false;
        t.events(&s, &mut out);
        assert_eq!(
            kinds(&out),
            [
                (INPUT_POINTER_MOVE, 0, 3, 4, 0),
                (INPUT_BUTTON_DOWN, 0, 3, 4, 1),
                (INPUT_POINTER_MOVE, 0, 10, 4, 1),
                (INPUT_BUTTON_UP, 0, 10, 4, 0),
            ]
        );
    }

    #[test]
    fn nothing_new_gives_no_event_and_the_pointer_outside_keeps_its_place() {
        let mut t = Tracker::default();
        let mut out = Vec::new();
        let inside = Sample {
            pointer: Some((5, 6)),
            ..Sample::default()
        };
        t.events(&inside, &mut out);
        t.events(&inside, &mut out);
        t.events(&Sample::default(), &mut out);
        assert_eq!(kinds(&out), [(INPUT_POINTER_MOVE, 0, 5, 6, 0)]);
    }

    #[test]
    fn keys_and_the_right_and_middle_buttons_carry_their_codes() {
        let mut t = Tracker::default();
        let mut out = Vec::new();
        let s = Sample {
            pointer: None,
            buttons: [false, true, true],
            pressed: vec![30],
            released: vec![48],
        };
        t.events(&s, &mut out);
        assert_eq!(
            kinds(&out),
            [
                (INPUT_BUTTON_DOWN, 1, 0, 0, 0b10),
                (INPUT_BUTTON_DOWN, 2, 0, 0, 0b110),
                (INPUT_KEY_UP, 48, 0, 0, 0b110),
                (INPUT_KEY_DOWN, 30, 0, 0, 0b110),
            ]
        );
    }

    #[test]
    fn keys_map_to_evdev_codes_once_each() {
        assert_eq!(evdev(Key::A), Some(30));
        assert_eq!(evdev(Key::Escape), Some(1));
        assert_eq!(evdev(Key::Key1), Some(2));
        assert_eq!(evdev(Key::Unknown), None);
        // Every key minifb knows has its own code.
        let mut seen = std::collections::HashSet::new();
        assert_eq!(ALL_KEYS.len(), Key::Count as usize - 1, "all but Unknown");
        for key in ALL_KEYS {
            let code = evdev(*key).expect("a known key has a code");
            assert!(seen.insert(code), "{key:?} shares code {code}");
        }
    }

    #[test]
    fn small_framebuffers_get_a_bigger_window() {
        assert!(matches!(scale_for(64), Scale::X4));
        assert!(matches!(scale_for(640), Scale::X1));
    }

    #[test]
    fn no_display_is_a_clear_message_suggesting_screenshot() {
        if cfg!(all(unix, not(target_os = "macos"))) {
            for display in [None, Some("".into())] {
                let why = no_desktop(display).expect("no $DISPLAY is known to fail");
                assert!(
                    why.contains("$DISPLAY") && why.contains("--screenshot"),
                    "{why}"
                );
            }
            assert_eq!(no_desktop(Some(":99".into())), None);
        }
    }

    use Key::*;
    const ALL_KEYS: &[Key] = &[
        Key0,
        Key1,
        Key2,
        Key3,
        Key4,
        Key5,
        Key6,
        Key7,
        Key8,
        Key9,
        A,
        B,
        C,
        D,
        E,
        F,
        G,
        H,
        I,
        J,
        K,
        L,
        M,
        N,
        O,
        P,
        Q,
        R,
        S,
        T,
        U,
        V,
        W,
        X,
        Y,
        Z,
        F1,
        F2,
        F3,
        F4,
        F5,
        F6,
        F7,
        F8,
        F9,
        F10,
        F11,
        F12,
        F13,
        F14,
        F15,
        Down,
        Left,
        Right,
        Up,
        Apostrophe,
        Backquote,
        Backslash,
        Comma,
        Equal,
        LeftBracket,
        Minus,
        Period,
        RightBracket,
        Semicolon,
        Slash,
        Backspace,
        Delete,
        End,
        Enter,
        Escape,
        Home,
        Insert,
        Menu,
        PageDown,
        PageUp,
        Pause,
        Space,
        Tab,
        NumLock,
        CapsLock,
        ScrollLock,
        LeftShift,
        RightShift,
        LeftCtrl,
        RightCtrl,
        NumPad0,
        NumPad1,
        NumPad2,
        NumPad3,
        NumPad4,
        NumPad5,
        NumPad6,
        NumPad7,
        NumPad8,
        NumPad9,
        NumPadDot,
        NumPadSlash,
        NumPadAsterisk,
        NumPadMinus,
        NumPadPlus,
        NumPadEnter,
        LeftAlt,
        RightAlt,
        LeftSuper,
        RightSuper,
    ];
}
