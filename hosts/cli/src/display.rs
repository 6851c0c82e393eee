//! Presenting the machine's framebuffer: one small trait, [`Presenter`], implemented by
//! the headless presenter `selvm run --display WxH` uses by default, which keeps nothing
//! but writes the frame as a PNG at the end (`--screenshot FILE`), and by the desktop
//! window of `--window` (crate::window). The browser page's canvas is the third
//! presentation, outside this crate: its worker pulls presents as RGBA rectangles
//! (hosts/web/src/screen.rs) and posts them to the page. Also the `--display` value
//! parser.

use crate::failure::Failure;
use selvm_machine::devices::framebuffer::{Rect, check_size};
use selvm_machine::devices::input::Event;
use std::path::PathBuf;
use std::time::Duration;

/// The framebuffer as the host sees it: `width * height` pixels `0x00RRGGBB`, row by row.
pub struct Frame<'a> {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The pixels, top row first.
    pub pixels: &'a [u32],
}

/// Shows what the guest presents.
pub trait Presenter {
    /// The guest presented `rect` (inside the frame) of `frame`.
    fn present(&mut self, rect: Rect, frame: &Frame<'_>) -> Result<(), Failure>;
    /// The run ended with `frame` on the screen.
    fn finish(&mut self, frame: &Frame<'_>) -> Result<(), Failure>;
    /// Appends the host's input since the last call (a window's keyboard and mouse) to
    /// `events`; false once the user closed the presentation (the run then stops).
    fn poll(&mut self, _events: &mut Vec<Event>) -> Result<bool, Failure> {
        Ok(true)
    }
    /// The longest an idle machine's loop may wait before calling [`Presenter::poll`]
    /// again (none: no host input to look at).
    fn wait_at_most(&self) -> Option<Duration> {
        None
    }
}

/// No window: counts presents and writes the last frame to a PNG file at the end.
pub struct Headless {
    /// Where `--screenshot` writes the frame, if it was given.
    pub screenshot: Option<PathBuf>,
    /// Presents seen.
    pub presents: u64,
}

impl Presenter for Headless {
    fn present(&mut self, _rect: Rect, _frame: &Frame<'_>) -> Result<(), Failure> {
        self.presents += 1;
        Ok(())
    }

    fn finish(&mut self, frame: &Frame<'_>) -> Result<(), Failure> {
        match &self.screenshot {
            Some(path) => crate::output::write_file(path, &png(frame)?),
            None => Ok(()),
        }
    }
}

/// The frame as an 8-bit RGB PNG.
pub fn png(frame: &Frame<'_>) -> Result<Vec<u8>, Failure> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, frame.width, frame.height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let rgb: Vec<u8> = frame
        .pixels
        .iter()
        .flat_map(|p| [(p >> 16) as u8, (p >> 8) as u8, *p as u8])
        .collect();
    let failed = |e: png::EncodingError| Failure::check(format!("PNG encoding failed: {e}"));
    let mut writer = encoder.write_header().map_err(failed)?;
    writer.write_image_data(&rgb).map_err(failed)?;
    writer.finish().map_err(failed)?;
    Ok(out)
}

/// `--display WIDTHxHEIGHT`: each side 1 to 4096, the pixels (4 bytes each) within the
/// framebuffer's 8 MiB.
pub fn size(text: &str) -> Result<(u32, u32), String> {
    let expected = |why: &str| format!("expected WIDTHxHEIGHT such as 800x600{why}");
    let (w, h) = text.split_once(['x', 'X']).ok_or_else(|| expected(""))?;
    let side = |s: &str| {
        s.parse::<u32>()
            .ok()
            .filter(|_| s.bytes().all(|b| b.is_ascii_digit()))
    };
    let (Some(w), Some(h)) = (side(w), side(h)) else {
        return Err(expected(""));
    };
    check_size(w, h).map_err(|e| expected(&format!(": {e}")))?;
    Ok((w, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_sizes_are_checked_against_the_framebuffer() {
        assert_eq!(size("800x600"), Ok((800, 600)));
        assert_eq!(size("1920X1080"), Ok((1920, 1080)));
        for bad in ["", "800", "x600", "800x", "-1x5", "+8x8", "0x10", "10x5000"] {
            let e = size(bad).unwrap_err();
            assert!(e.starts_with("expected WIDTHxHEIGHT"), "{bad}: {e}");
        }
        assert!(size("4096x4096").unwrap_err().contains("8 MiB"));
        assert!(size("0x10").unwrap_err().contains("1 to 4096"));
    }

    #[test]
    fn the_png_holds_the_pixels_as_rgb() {
        let pixels = [0x0011_2233, 0x00ff_0000, 0x0000_00ff, 0];
        let frame = Frame {
            width: 2,
            height: 2,
            pixels: &pixels,
        };
        let bytes = png(&frame).unwrap();
        let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
            .read_info()
            .unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (2, 2));
        assert_eq!(
            &buf[..12],
            [0x11, 0x22, 0x33, 0xff, 0, 0, 0, 0, 0xff, 0, 0, 0]
        );
    }
}
