//! Window management on the host: stacking and focus, dragging by the title bar,
//! capture, the close box, keys, closing mid-drag; and arbitrary input never breaks
//! the stacking order.

extern crate std;

use super::*;
use proptest::prelude::*;
use std::vec::Vec;

const QUIT: Word = 68;

fn rec(kind: Word, code: Word, x: i32, y: i32, buttons: Word) -> [Word; 5] {
    [kind, code, x as Word, y as Word, buttons]
}

fn two() -> Desk<4> {
    let mut d = Desk::<4>::default();
    d.open(0, Rect::new(10, 30, 100, 80));
    d.open(1, Rect::new(60, 60, 100, 80));
    d
}

fn delivered(a: &Actions) -> Vec<(usize, Event)> {
    a.iter()
        .filter_map(|a| match a {
            Action::Deliver(c, e) => Some((c, e)),
            _ => None,
        })
        .collect()
}

#[test]
fn opening_raises_and_redraws_the_old_focus_too() {
    let mut d = Desk::<4>::default();
    let a = Rect::new(10, 30, 100, 80);
    d.open(0, a);
    let b = Rect::new(60, 60, 100, 80);
    let acts = d.open(1, b);
    assert_eq!(d.stack(), [0, 1]);
    assert_eq!(d.top(), Some(1));
    let want = [Action::Redraw(frame(&b)), Action::Redraw(frame(&a))];
    assert_eq!(acts.iter().collect::<Vec<_>>(), want);
    assert!(d.open(9, a).iter().next().is_none(), "no such slot");
}

#[test]
fn dragging_the_title_bar_moves_the_window_until_the_release() {
    let mut d = two();
    // Window 0's title bar, left of window 1: raises it and grabs it.
    let acts = d.input(rec(event::BUTTON_DOWN, 0, 20, 20, 1), QUIT);
    assert_eq!(d.top(), Some(0));
    assert!(delivered(&acts).is_empty(), "the title bar is the server's");
    let acts = d.input(rec(event::POINTER_MOVE, 0, 25, 120, 1), QUIT);
    let moved = Rect::new(15, 130, 100, 80);
    assert_eq!(d.window(0), Some(moved));
    let old = frame(&Rect::new(10, 30, 100, 80));
    let want = [Action::Redraw(old.union(&frame(&moved)))];
    assert_eq!(acts.iter().collect::<Vec<_>>(), want);
    d.input(rec(event::BUTTON_UP, 0, 25, 120, 0), QUIT);
    d.input(rec(event::POINTER_MOVE, 0, 300, 300, 0), QUIT);
    assert_eq!(d.window(0), Some(moved), "released: no longer dragged");
}

#[test]
fn a_press_in_the_content_captures_the_pointer_until_every_button_is_up() {
    let mut d = two();
    let acts = d.input(rec(event::BUTTON_DOWN, 0, 70, 70, 1), QUIT);
    let e = delivered(&acts);
    assert_eq!(e.len(), 1);
    assert_eq!(
        (e[0].0, e[0].1.kind, e[0].1.x, e[0].1.y),
        (1, event::BUTTON_DOWN, 10, 10)
    );
    // Outside every window, still to window 1, relative to its content.
    let acts = d.input(rec(event::POINTER_MOVE, 0, 300, 5, 1), QUIT);
    let e = delivered(&acts);
    assert_eq!((e[0].0, e[0].1.x, e[0].1.y), (1, 240, -55));
    // Another button released while one is held: still captured.
    assert!(delivered(&d.input(rec(event::BUTTON_UP, 1, 300, 5, 1), QUIT)).is_empty());
    let e = delivered(&d.input(rec(event::BUTTON_UP, 0, 300, 5, 0), QUIT));
    assert_eq!((e[0].0, e[0].1.kind), (1, event::BUTTON_UP));
    assert!(delivered(&d.input(rec(event::POINTER_MOVE, 0, 70, 70, 0), QUIT)).is_empty());
}

#[test]
fn the_close_box_keys_and_the_quit_key() {
    let mut d = two();
    let close = crate::geometry::close_box(&d.window(0).unwrap());
    // Window 0's close box lies above window 1's frame (which starts at y 43).
    let acts = d.input(
        rec(event::BUTTON_DOWN, 0, close.x + 1, close.y + 1, 1),
        QUIT,
    );
    let e = delivered(&acts);
    assert_eq!((e[0].0, e[0].1.kind), (0, event::CLOSE));
    assert_eq!(d.top(), Some(0), "raised too");
    let e = delivered(&d.input(rec(event::KEY_DOWN, 30, 0, 0, 0), QUIT));
    assert_eq!((e[0].0, e[0].1.kind, e[0].1.code), (0, event::KEY_DOWN, 30));
    let quit = d.input(rec(event::KEY_DOWN, QUIT, 0, 0, 0), QUIT);
    assert_eq!(quit.iter().collect::<Vec<_>>(), [Action::Quit]);
    // The desktop: nothing happens.
    let before = d.stack().to_vec();
    assert!(
        d.input(rec(event::BUTTON_DOWN, 0, 500, 400, 1), QUIT)
            .iter()
            .next()
            .is_none()
    );
    assert_eq!(d.stack(), before);
}

#[test]
fn closing_mid_drag_ends_the_drag_and_moves_the_focus() {
    let mut d = two();
    d.input(rec(event::BUTTON_DOWN, 0, 100, 50, 1), QUIT); // window 1's title bar
    let acts = d.close(1);
    assert_eq!(d.top(), Some(0));
    let want = [
        Action::Redraw(frame(&Rect::new(60, 60, 100, 80))),
        Action::Redraw(frame(&Rect::new(10, 30, 100, 80))),
    ];
    assert_eq!(acts.iter().collect::<Vec<_>>(), want);
    d.input(rec(event::POINTER_MOVE, 0, 200, 200, 1), QUIT);
    assert_eq!(
        d.window(0),
        Some(Rect::new(10, 30, 100, 80)),
        "nothing dragged"
    );
    assert!(
        d.close(1).iter().next().is_none(),
        "closing twice does nothing"
    );
}

proptest! {
    #[test]
    fn any_input_keeps_one_stack_entry_per_window(
        ops in proptest::collection::vec((0u8..8, 0u64..7, 0u64..8, -50i32..700, -50i32..500), 0..60),
    ) {
        let mut d = Desk::<4>::default();
        for (op, kind, code, x, y) in ops {
            let c = (code % 4) as usize;
            match op {
                0 => { d.open(c, Rect::new(x, y, 1 + code as u32 * 40, 1 + kind as u32 * 30)); }
                1 => { d.close(c); }
                _ => { d.input(rec(kind, code, x, y, code & 3), QUIT); }
            }
            let stack = d.stack();
            for c in 0..4 {
                let entries = stack.iter().filter(|&&s| s == c).count();
                prop_assert_eq!(entries, usize::from(d.window(c).is_some()));
            }
            for c in stack {
                let w = d.window(*c).unwrap();
                prop_assert!(w.x.abs() <= MAX_POSITION + 700 && w.y.abs() <= MAX_POSITION + 500);
            }
        }
    }
}
