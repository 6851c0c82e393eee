//! What the window tests share: a virtual X server (Xvfb) started and reaped, and
//! the X screen captured with `xwd`.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Kills and reaps a child when dropped.
pub struct Reaped(pub Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An X screen image from `xwd -root`: width, height and pixels 0xRRGGBB.
pub fn capture(display: &str) -> Option<(usize, usize, Vec<u32>)> {
    let out = Command::new("xwd")
        .args(["-root", "-silent", "-display", display])
        .output()
        .ok()?;
    let b = out.stdout;
    let word = |i: usize| -> Option<usize> {
        let w = b.get(i * 4..i * 4 + 4)?;
        Some(u32::from_be_bytes(w.try_into().ok()?) as usize)
    };
    let (header, width, height) = (word(0)?, word(4)?, word(5)?);
    let (byte_order, bpp, line, ncolors) = (word(7)?, word(11)?, word(12)?, word(19)?);
    // A 24-bit Xvfb screen has 32-bit pixels; but with windows of several visuals on
    // the screen (wine makes its own), xwd assembles the image itself, 24-bit packed.
    assert!(bpp == 32 || bpp == 24, "xwd: {bpp} bits per pixel");
    let size = bpp / 8;
    let start = header + 12 * ncolors;
    let mut pixels = Vec::with_capacity(width * height);
    for y in 0..height {
        for x in 0..width {
            let o = start + y * line + size * x;
            let mut p = [0; 4];
            let bytes = b.get(o..o + size)?;
            let v = if byte_order == 0 {
                p[..size].copy_from_slice(bytes);
                u32::from_le_bytes(p)
            } else {
                p[4 - size..].copy_from_slice(bytes);
                u32::from_be_bytes(p)
            };
            pixels.push(v & 0xff_ffff);
        }
    }
    Some((width, height, pixels))
}

/// Starts Xvfb on `display` (`:N`) with a 24-bit screen of `size` (`WxH`) and waits
/// (at most 10 s) for its socket; the server is killed when the result is dropped.
pub fn start(display: &str, size: &str) -> Reaped {
    let socket = format!("/tmp/.X11-unix/X{}", &display[1..]);
    let server = Reaped(
        Command::new("Xvfb")
            .args([
                display,
                "-screen",
                "0",
                &format!("{size}x24"),
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb (Debian: xvfb) is installed"),
    );
    let started = Instant::now();
    while !std::path::Path::new(&socket).exists() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "Xvfb did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}
