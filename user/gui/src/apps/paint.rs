//! The paint program: a white canvas under a palette of four colours; pressing the
//! left button on the canvas and moving draws a stroke (3 x 3 dots along each segment,
//! so fast moves leave no gaps), a click on a swatch picks its colour, C clears the
//! canvas, the close box ends it.

use crate::client::{Window, create_window, wait_event};
use selvm_gui_protocol::{Rect, event};

const W: u32 = 240;
const H: u32 = 160;
/// Height of the palette strip.
const PALETTE: i32 = 16;
const SWATCH: i32 = 24;
const COLOURS: [u32; 4] = [0x0000_0000, 0x00d0_2020, 0x0020_a040, 0x0020_40d0];
const PAPER: u32 = 0x00ff_ffff;
/// Linux evdev code of C.
const KEY_C: u64 = 46;

/// Runs the program until its window is closed.
pub fn run() -> u64 {
    let Ok(mut w) = create_window(24, 48, W, H, "paint") else {
        return 1;
    };
    let mut colour = 0;
    clear(&mut w, colour);
    let mut last: Option<(i32, i32)> = None;
    loop {
        let e = wait_event();
        match e.kind {
            event::CLOSE => return 0,
            event::KEY_DOWN if e.code == KEY_C => clear(&mut w, colour),
            event::BUTTON_DOWN if e.y < PALETTE => {
                if let Some(i) = (0..COLOURS.len())
                    .find(|&i| e.x >= i as i32 * SWATCH && e.x < (i as i32 + 1) * SWATCH)
                {
                    colour = i;
                    palette(&mut w, colour);
                }
            }
            event::BUTTON_DOWN => {
                stroke(&mut w, (e.x, e.y), (e.x, e.y), COLOURS[colour]);
                last = Some((e.x, e.y));
            }
            event::POINTER_MOVE if e.buttons & 1 != 0 => {
                if let Some(from) = last {
                    stroke(&mut w, from, (e.x, e.y), COLOURS[colour]);
                    last = Some((e.x, e.y));
                }
            }
            event::BUTTON_UP => last = None,
            _ => {}
        }
    }
}

/// Paper everywhere and the palette.
fn clear(w: &mut Window, colour: usize) {
    w.canvas.fill(w.canvas.bounds(), PAPER);
    palette(w, colour);
    w.damage_all();
}

/// The swatches, the chosen one outlined.
fn palette(w: &mut Window, chosen: usize) {
    let strip = Rect::new(0, 0, W, PALETTE as u32);
    w.canvas.fill(strip, 0x00c0_c0c0);
    for (i, &c) in COLOURS.iter().enumerate() {
        let x = i as i32 * SWATCH;
        if i == chosen {
            w.canvas
                .fill(Rect::new(x, 0, SWATCH as u32, PALETTE as u32), 0x00ff_d000);
        }
        w.canvas.fill(
            Rect::new(x + 3, 3, (SWATCH - 6) as u32, (PALETTE - 6) as u32),
            c,
        );
    }
    w.damage(strip);
}

/// Dots from `a` to `b` (Bresenham), kept off the palette; damages their box.
fn stroke(w: &mut Window, a: (i32, i32), b: (i32, i32), colour: u32) {
    let (mut x, mut y) = a;
    let (dx, dy) = ((b.0 - x).abs(), -(b.1 - y).abs());
    let (sx, sy) = (if x < b.0 { 1 } else { -1 }, if y < b.1 { 1 } else { -1 });
    let mut err = dx + dy;
    let paper = Rect::new(0, PALETTE, W, H - PALETTE as u32);
    loop {
        let dot = Rect::new(x - 1, y - 1, 3, 3).intersect(&paper);
        w.canvas.fill(dot, colour);
        if (x, y) == b {
            break;
        }
        let e2 = 2 * err;
        if e2 >= dy {
            err += dy;
            x += sx;
        }
        if e2 <= dx {
            err += dx;
            y += sy;
        }
    }
    let left = a.0.min(b.0) - 1;
    let top = a.1.min(b.1) - 1;
    let area = Rect::new(
        left,
        top,
        (a.0 - b.0).unsigned_abs() + 3,
        (a.1 - b.1).unsigned_abs() + 3,
    );
    w.damage(area.intersect(&paper));
}
