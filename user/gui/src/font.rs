//! A 3 x 5 pixel font (upper case, digits, a little punctuation; lower case drawn as
//! upper case), drawn at twice its size: 6 x 10 pixels, 8 pixels apart.

/// Rows top to bottom, bit 2 the leftmost column.
fn glyph(c: u8) -> [u8; 5] {
    const LETTERS: [[u8; 5]; 26] = [
        [2, 5, 7, 5, 5],
        [6, 5, 6, 5, 6],
        [3, 4, 4, 4, 3],
        [6, 5, 5, 5, 6],
        [7, 4, 6, 4, 7],
        [7, 4, 6, 4, 4],
        [3, 4, 5, 5, 3],
        [5, 5, 7, 5, 5],
        [7, 2, 2, 2, 7],
        [1, 1, 1, 5, 2],
        [5, 5, 6, 5, 5],
        [4, 4, 4, 4, 7],
        [5, 7, 7, 5, 5],
        [6, 5, 5, 5, 5],
        [2, 5, 5, 5, 2],
        [6, 5, 6, 4, 4],
        [2, 5, 5, 6, 3],
        [6, 5, 6, 5, 5],
        [3, 4, 2, 1, 6],
        [7, 2, 2, 2, 2],
        [5, 5, 5, 5, 7],
        [5, 5, 5, 5, 2],
        [5, 5, 7, 7, 5],
        [5, 5, 2, 5, 5],
        [5, 5, 2, 2, 2],
        [7, 1, 2, 4, 7],
    ];
    const DIGITS: [[u8; 5]; 10] = [
        [7, 5, 5, 5, 7],
        [2, 6, 2, 2, 7],
        [6, 1, 2, 4, 7],
        [6, 1, 2, 1, 6],
        [5, 5, 7, 1, 1],
        [7, 4, 6, 1, 6],
        [3, 4, 7, 5, 7],
        [7, 1, 2, 2, 2],
        [7, 5, 7, 5, 7],
        [7, 5, 7, 1, 6],
    ];
    match c {
        b'A'..=b'Z' => LETTERS[(c - b'A') as usize],
        b'a'..=b'z' => LETTERS[(c - b'a') as usize],
        b'0'..=b'9' => DIGITS[(c - b'0') as usize],
        b'-' => [0, 0, 7, 0, 0],
        b':' => [0, 2, 0, 2, 0],
        b'.' => [0, 0, 0, 0, 2],
        b'/' => [1, 1, 2, 4, 4],
        b' ' => [0; 5],
        _ => [6, 1, 2, 0, 2],
    }
}

/// Horizontal distance from one character to the next.
pub const ADVANCE: i32 = 8;

/// Calls `plot(x, y)` for every lit pixel of `text` drawn with its top-left corner at
/// (x, y).
pub fn draw(text: &[u8], x: i32, y: i32, mut plot: impl FnMut(i32, i32)) {
    for (i, &c) in text.iter().enumerate() {
        let left = x + i as i32 * ADVANCE;
        for (row, bits) in glyph(c).iter().enumerate() {
            for col in 0..3 {
                if bits & (4 >> col) != 0 {
                    for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                        plot(left + 2 * col + dx, y + 2 * row as i32 + dy);
                    }
                }
            }
        }
    }
}
