//! The game: Lights Out on a 5 x 5 board. Clicking a cell toggles it and its four
//! neighbours; the board starts from the solved one with a few cells pressed, so it
//! can be solved; when every light is out the board turns green. The close box ends it.

use crate::client::{Window, create_window, wait_event};
use selvm_gui_protocol::{Rect, event};

const N: usize = 5;
const CELL: i32 = 32;
const SIDE: u32 = (N as i32 * CELL) as u32;
/// The cells pressed to make the starting board.
const START: [(usize, usize); 4] = [(1, 1), (3, 1), (2, 2), (2, 4)];

/// Runs the game until its window is closed.
pub fn run() -> u64 {
    let Ok(mut w) = create_window(380, 64, SIDE, SIDE, "lights") else {
        return 1;
    };
    let mut board = [[false; N]; N];
    START.iter().for_each(|&(c, r)| press(&mut board, c, r));
    draw(&mut w, &board);
    loop {
        let e = wait_event();
        match e.kind {
            event::CLOSE => return 0,
            event::BUTTON_DOWN if e.x >= 0 && e.y >= 0 => {
                let (c, r) = ((e.x / CELL) as usize, (e.y / CELL) as usize);
                if c < N && r < N {
                    press(&mut board, c, r);
                    draw(&mut w, &board);
                }
            }
            _ => {}
        }
    }
}

/// Toggles (c, r) and its neighbours.
fn press(board: &mut [[bool; N]; N], c: usize, r: usize) {
    let around = [(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)];
    for (dc, dr) in around {
        let (cc, rr) = (c as i32 + dc, r as i32 + dr);
        if (0..N as i32).contains(&cc) && (0..N as i32).contains(&rr) {
            board[rr as usize][cc as usize] ^= true;
        }
    }
}

fn draw(w: &mut Window, board: &[[bool; N]; N]) {
    let solved = board.iter().flatten().all(|&on| !on);
    let back = if solved { 0x0020_8040 } else { 0x0018_1820 };
    w.canvas.fill(w.canvas.bounds(), back);
    for (r, row) in board.iter().enumerate() {
        for (c, &on) in row.iter().enumerate() {
            let colour = if on { 0x00f0_d020 } else { 0x0040_4050 };
            let cell = Rect::new(
                c as i32 * CELL + 2,
                r as i32 * CELL + 2,
                (CELL - 4) as u32,
                (CELL - 4) as u32,
            );
            w.canvas.fill(cell, colour);
        }
    }
    w.damage_all();
}
