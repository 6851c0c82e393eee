//! The display server's compositor: redraws a damaged area of the screen from the
//! desktop up through every window in z-order (border, title bar with title and close
//! box, then the client's pixels, copied a row at a time from its shared frames) in a
//! back buffer in RAM, copies that area to the framebuffer a row at a time, and
//! presents it.

use crate::canvas::Canvas;
use crate::layout::{WINDOW_PAGES, colour};
use crate::server::Server;
use sel4rt::PAGE_SIZE;
use selvm_gui_protocol::geometry::{close_box, frame, title_bar};
use selvm_gui_protocol::{Rect, geometry};

impl Server {
    /// Redraws `area` of the screen (clipped to it) and presents it.
    pub fn redraw(&mut self, area: Rect) {
        let mut screen = Canvas {
            pixels: self.dev.back(),
            width: self.dev.width,
            height: self.dev.height,
        };
        let area = area.intersect(&screen.bounds());
        if area.is_empty() {
            return;
        }
        screen.fill(area, colour::DESKTOP);
        let top = self.desk.top();
        for &c in self.desk.stack() {
            let client = &self.clients[c];
            let Some(content) = self.desk.window(c) else {
                continue;
            };
            let clip = frame(&content).intersect(&area);
            if clip.is_empty() {
                continue;
            }
            // The border as four strips (the title bar and the content fill the rest).
            let f = frame(&content);
            let (right, bottom) = (f.right() as i32 - 1, f.bottom() as i32 - 1);
            for strip in [
                Rect::new(f.x, f.y, f.w, 1),
                Rect::new(f.x, bottom, f.w, 1),
                Rect::new(f.x, f.y, 1, f.h),
                Rect::new(right, f.y, 1, f.h),
            ] {
                screen.fill(strip.intersect(&clip), colour::BORDER);
            }
            let bar = title_bar(&content);
            let bar_colour = match top == Some(c) {
                true => colour::TITLE_FOCUSED,
                false => colour::TITLE,
            };
            screen.fill(bar.intersect(&clip), bar_colour);
            let clip_bar = bar.intersect(&clip);
            let (tx, ty) = (bar.x + 4, bar.y + geometry::TITLE_HEIGHT / 2 - 5);
            let title = &client.title[..client.title.iter().take_while(|&&b| b != 0).count()];
            screen.text(title, tx, ty, colour::TITLE_TEXT, &clip_bar);
            let close = close_box(&content);
            screen.fill(close.intersect(&clip_bar), colour::CLOSE);
            for i in 2..close.w as i32 - 2 {
                let (x, y) = (close.x + i, close.y + i);
                screen.plot(x, y, colour::TITLE_TEXT, &clip_bar);
                screen.plot(
                    close.x + close.w as i32 - 1 - i,
                    y,
                    colour::TITLE_TEXT,
                    &clip_bar,
                );
            }
            copy_content(&mut screen, &content, client.pixels, &area);
        }
        let front = self.dev.screen();
        let width = self.dev.width as usize;
        for y in area.y..area.bottom() as i32 {
            let start = y as usize * width + area.x as usize;
            let row = start..start + area.w as usize;
            front[row.clone()].copy_from_slice(&screen.pixels[row]);
        }
        self.dev
            .present(area.x as u32, area.y as u32, area.w, area.h);
    }
}

/// Copies the part of `content` inside `area` from the client's frames at `pixels`
/// (`content.w` pixels a row) to the screen.
fn copy_content(screen: &mut Canvas, content: &Rect, pixels: usize, area: &Rect) {
    let part = content.intersect(area);
    if part.is_empty() {
        return;
    }
    // SAFETY: the client's WINDOW_PAGES frames are mapped read-write at `pixels` in
    // this VSpace for the server's whole life; the server accepted the window only if
    // w × h pixels fit them. The client may write them meanwhile (a torn frame at
    // worst: plain memory, no references held across calls).
    let source =
        unsafe { core::slice::from_raw_parts(pixels as *const u32, WINDOW_PAGES * PAGE_SIZE / 4) };
    let w = content.w as usize;
    for y in part.y..part.bottom() as i32 {
        let from = (y - content.y) as usize * w + (part.x - content.x) as usize;
        let row = &source[from..from + part.w as usize];
        screen.row(part.x, y, part.w).copy_from_slice(row);
    }
}
