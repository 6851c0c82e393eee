//! The display as the page's worker drives it, natively: `user/asm/display.s` booted
//! from the menu with a display, fed by a script or by pushed events, its presents
//! handed out as RGBA rectangles that hold the program's pixels.

use crate::{Ended, Options, Session, State};
use selvm_abi::vm::device::{INPUT_BUTTON_DOWN, INPUT_KEY_DOWN, INPUT_POINTER_MOVE};
use selvm_machine::devices::input::Event;

/// The command line's display test's script (hosts/cli/tests/display.rs).
const SCRIPT: &str = "at 1000 pointer 10 20\nat 2000 pointer 30 8\nat 3000 button down 0\n\
    at 5000 pointer 50 40\nat 100000000 key down 30\n";

fn display(w: u32, h: u32) -> Session {
    let o = Options {
        display: Some((w, h)),
        max_instructions: Some(50_000_000),
        ..Options::default()
    };
    Session::boot_builtin("display", 0, &o).unwrap()
}

/// Runs until the machine exits or waits for input; the frames it presented.
fn run(s: &mut Session) -> (State, Vec<u8>) {
    let mut frames = Vec::new();
    loop {
        let state = s.run(1 << 16);
        frames.extend(s.frames(false));
        if state != State::Running {
            return (state, frames);
        }
    }
}

/// Records of `Screen::frames`: (x, y, w, h, RGBA bytes).
fn records(mut bytes: &[u8]) -> Vec<(u32, u32, u32, u32, Vec<u8>)> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let word = |i: usize| u32::from_le_bytes(bytes[i * 4..i * 4 + 4].try_into().unwrap());
        let (x, y, w, h) = (word(0), word(1), word(2), word(3));
        let n = (w * h * 4) as usize;
        out.push((x, y, w, h, bytes[16..16 + n].to_vec()));
        bytes = &bytes[16 + n..];
    }
    out
}

/// The pixel (x, y) of a whole-frame record as 0xRRGGBB (alpha checked).
fn pixel(frame: &(u32, u32, u32, u32, Vec<u8>), x: u32, y: u32) -> u32 {
    let i = ((y * frame.2 + x) * 4) as usize;
    let p = &frame.4[i..i + 4];
    assert_eq!(p[3], 0xff);
    u32::from(p[0]) << 16 | u32::from(p[1]) << 8 | u32::from(p[2])
}

fn pattern(x: u32, y: u32) -> u32 {
    (x * 4 % 256) << 16 | (y * 4 % 256) << 8 | 0x80
}

#[test]
fn a_script_draws_what_the_command_lines_test_expects() {
    let mut s = display(64, 48);
    assert_eq!(s.display_size(), Some((64, 48)));
    s.use_input_script(SCRIPT).unwrap();
    let (state, presented) = run(&mut s);
    assert_eq!(state, State::Exited);
    assert_eq!(
        s.ended(),
        Some(&Ended {
            status: 0,
            message: None
        })
    );
    let presented = records(&presented);
    let first = &presented[0];
    let first = (first.0, first.1, first.2, first.3);
    assert_eq!(first, (0, 0, 64, 48), "the pattern first");
    assert!(
        presented.len() >= 4,
        "a square per event: {}",
        presented.len()
    );
    let whole = records(&s.frames(true));
    assert_eq!(whole.len(), 1);
    let f = &whole[0];
    assert_eq!((f.0, f.1, f.2, f.3), (0, 0, 64, 48));
    for (x, y) in [(0, 0), (5, 30), (63, 47), (14, 20)] {
        assert_eq!(pixel(f, x, y), pattern(x, y), "({x}, {y})");
    }
    for (x, y, colour) in [(10, 20, 0x00ff00), (30, 8, 0x0000ff), (50, 40, 0xff0000)] {
        assert_eq!(pixel(f, x + 3, y + 3), colour, "({x}, {y})");
    }
}

#[test]
fn the_pages_events_reach_the_program() {
    let mut s = display(32, 32);
    let (state, presented) = run(&mut s);
    assert_eq!(state, State::WaitInput, "it waits for input");
    assert_eq!(records(&presented).len(), 1, "the pattern");
    let at = |kind, code, x, y| Event {
        kind,
        code,
        x,
        y,
        buttons: 0,
    };
    assert!(s.push_event(at(INPUT_POINTER_MOVE, 0, 4, 4)));
    assert!(s.push_event(at(INPUT_BUTTON_DOWN, 0, 20, 8)));
    let (state, presented) = run(&mut s);
    assert_eq!(state, State::WaitInput);
    let squares = records(&presented);
    assert!(!squares.is_empty());
    assert!(
        squares.iter().all(|r| (r.2, r.3) == (4, 4)),
        "4 x 4 squares"
    );
    assert!(s.push_event(at(INPUT_KEY_DOWN, 30, 8, 20)));
    assert_eq!(run(&mut s).0, State::Exited);
    let f = &records(&s.frames(true))[0];
    assert_eq!(pixel(f, 5, 5), 0x00ff00);
    assert_eq!(pixel(f, 21, 9), 0x0000ff);
    assert_eq!(pixel(f, 9, 21), 0xff0000);
    assert_eq!(pixel(f, 0, 0), pattern(0, 0));
}

#[test]
fn bad_scripts_and_displays_are_refused_clearly() {
    let mut s = display(8, 8);
    let e = s.use_input_script("at 5 pointer 1\n").unwrap_err();
    assert_eq!(e.status, 6);
    assert!(e.message.unwrap().starts_with("input script: line 1: "));
    let o = Options {
        display: Some((0, 8)),
        ..Options::default()
    };
    let e = Session::boot_builtin("display", 0, &o).err().unwrap();
    assert_eq!(e.status, 2);
    assert!(e.message.unwrap().contains("1 to 4096"));
    let mut plain = Session::boot_builtin("demo", 0, &Options::default()).unwrap();
    assert_eq!(plain.display_size(), None);
    assert!(plain.frames(true).is_empty());
    assert!(plain.use_input_script("").is_err());
    let ev = Event {
        kind: INPUT_KEY_DOWN,
        code: 1,
        x: 0,
        y: 0,
        buttons: 0,
    };
    assert!(!plain.push_event(ev));
    s.close_display_input();
    assert_eq!(run(&mut s).0, State::Exited, "nobody types: deadlock");
    assert_eq!(s.ended().unwrap().status, 4);
}
