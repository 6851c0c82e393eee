//! Rectangles and the window decorations' layout, shared by the display server's
//! compositor and hit testing and by the host's tests: a window is its content
//! rectangle plus a one-pixel border and a title bar above it holding a close box.

/// Height of the title bar above the content, border excluded.
pub const TITLE_HEIGHT: i32 = 16;
/// Width of the border around the content and title bar.
pub const BORDER: i32 = 1;
/// Side of the close box at the title bar's right end.
pub const CLOSE_SIDE: i32 = 12;

/// A rectangle of pixels: `x .. x + w`, `y .. y + h` (empty when a side is 0).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rect {
    /// Left edge.
    pub x: i32,
    /// Top edge.
    pub y: i32,
    /// Width.
    pub w: u32,
    /// Height.
    pub h: u32,
}

impl Rect {
    /// The rectangle at (x, y) of w by h.
    pub const fn new(x: i32, y: i32, w: u32, h: u32) -> Rect {
        Rect { x, y, w, h }
    }

    /// One past the right edge.
    pub fn right(&self) -> i64 {
        self.x as i64 + self.w as i64
    }

    /// One past the bottom edge.
    pub fn bottom(&self) -> i64 {
        self.y as i64 + self.h as i64
    }

    /// No pixels.
    pub fn is_empty(&self) -> bool {
        self.w == 0 || self.h == 0
    }

    /// Whether (px, py) is inside.
    pub fn contains(&self, px: i32, py: i32) -> bool {
        px >= self.x && (px as i64) < self.right() && py >= self.y && (py as i64) < self.bottom()
    }

    /// The pixels in both (empty if none).
    pub fn intersect(&self, o: &Rect) -> Rect {
        let x = self.x.max(o.x);
        let y = self.y.max(o.y);
        let r = self.right().min(o.right());
        let b = self.bottom().min(o.bottom());
        if r <= x as i64 || b <= y as i64 {
            return Rect::default();
        }
        Rect::new(x, y, (r - x as i64) as u32, (b - y as i64) as u32)
    }

    /// The smallest rectangle holding both (an empty one adds nothing).
    pub fn union(&self, o: &Rect) -> Rect {
        if self.is_empty() {
            return *o;
        }
        if o.is_empty() {
            return *self;
        }
        let x = self.x.min(o.x);
        let y = self.y.min(o.y);
        let r = self.right().max(o.right());
        let b = self.bottom().max(o.bottom());
        Rect::new(x, y, (r - x as i64) as u32, (b - y as i64) as u32)
    }

    /// Moved by (dx, dy).
    pub fn offset(&self, dx: i32, dy: i32) -> Rect {
        Rect::new(
            self.x.saturating_add(dx),
            self.y.saturating_add(dy),
            self.w,
            self.h,
        )
    }

    /// Whether all of it lies inside a `w` by `h` area at the origin.
    pub fn within(&self, w: u32, h: u32) -> bool {
        self.x >= 0 && self.y >= 0 && self.right() <= w as i64 && self.bottom() <= h as i64
    }
}

/// What a point of a window is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The client's pixels.
    Content,
    /// The title bar (dragging it moves the window) or the border.
    Frame,
    /// The close box.
    Close,
}

/// The whole window around `content`: border, title bar and content.
pub fn frame(content: &Rect) -> Rect {
    Rect::new(
        content.x - BORDER,
        content.y - TITLE_HEIGHT - BORDER,
        content.w + 2 * BORDER as u32,
        content.h + (TITLE_HEIGHT + 2 * BORDER) as u32,
    )
}

/// The title bar above `content` (inside the border).
pub fn title_bar(content: &Rect) -> Rect {
    Rect::new(
        content.x,
        content.y - TITLE_HEIGHT,
        content.w,
        TITLE_HEIGHT as u32,
    )
}

/// The close box at the title bar's right end (may stick out of a very narrow bar's
/// left end; it is drawn clipped).
pub fn close_box(content: &Rect) -> Rect {
    let margin = (TITLE_HEIGHT - CLOSE_SIDE) / 2;
    Rect::new(
        (content.right() - (CLOSE_SIDE + margin) as i64) as i32,
        content.y - TITLE_HEIGHT + margin,
        CLOSE_SIDE as u32,
        CLOSE_SIDE as u32,
    )
}

/// Which part of the window around `content` the point (px, py) is on, if any.
pub fn hit(content: &Rect, px: i32, py: i32) -> Option<Part> {
    if content.contains(px, py) {
        Some(Part::Content)
    } else if close_box(content)
        .intersect(&title_bar(content))
        .contains(px, py)
    {
        Some(Part::Close)
    } else if frame(content).contains(px, py) {
        Some(Part::Frame)
    } else {
        None
    }
}
