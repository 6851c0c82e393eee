//! Drawing into a rectangle of pixels (the screen, or a client's window): rectangles
//! filled a row at a time, single pixels, text, all clipped to the canvas.

use selvm_gui_protocol::Rect;

/// Pixels `0x00RRGGBB`, `width` per row.
pub struct Canvas<'a> {
    /// The pixels, top row first.
    pub pixels: &'a mut [u32],
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl Canvas<'_> {
    /// All of the canvas.
    pub fn bounds(&self) -> Rect {
        Rect::new(0, 0, self.width, self.height)
    }

    /// Row `y`'s pixels `x .. x + w` (inside the canvas).
    pub fn row(&mut self, x: i32, y: i32, w: u32) -> &mut [u32] {
        let start = y as usize * self.width as usize + x as usize;
        &mut self.pixels[start..start + w as usize]
    }

    /// Fills `r` (clipped) with `colour`.
    pub fn fill(&mut self, r: Rect, colour: u32) {
        let r = r.intersect(&self.bounds());
        for y in r.y..r.bottom() as i32 {
            self.row(r.x, y, r.w).fill(colour);
        }
    }

    /// Sets (x, y) to `colour` if it is inside `clip` and the canvas.
    pub fn plot(&mut self, x: i32, y: i32, colour: u32, clip: &Rect) {
        if clip.contains(x, y) && self.bounds().contains(x, y) {
            self.pixels[y as usize * self.width as usize + x as usize] = colour;
        }
    }

    /// Draws `text` (crate::font) at (x, y), clipped to `clip`.
    pub fn text(&mut self, text: &[u8], x: i32, y: i32, colour: u32, clip: &Rect) {
        crate::font::draw(text, x, y, |px, py| self.plot(px, py, colour, clip));
    }
}
