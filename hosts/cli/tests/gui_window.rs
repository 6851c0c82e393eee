//! `selvm gui` in a desktop window on a virtual X server (ignored by default: needs
//! `Xvfb`, `xwd` and the built GUI program; the `gui` step of `cargo xtask test` runs
//! it): the X screen, captured with `xwd`, shows the GUI's screen as a scripted
//! headless run draws it once every client has started, the system monitor's window
//! excepted (its numbers follow host time here).

mod xvfb;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use xvfb::{Reaped, capture};

fn selvm() -> Command {
    Command::new(env!("CARGO_BIN_EXE_selvm"))
}

fn program() -> PathBuf {
    std::env::var_os("SELVM_GUI").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/user/gui.sbc"),
        PathBuf::from,
    )
}

/// The GUI's screen after boot, from a deterministic headless run that shuts down at
/// once (F10 when the machine first idles).
fn reference() -> Vec<u32> {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("selvm-gui-window-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (script, png) = (dir.join("quit.txt"), dir.join("reference.png"));
    std::fs::write(&script, "at 1000000000000 key down 68\n").unwrap();
    let out = selvm()
        .arg("gui")
        .arg("--program")
        .arg(program())
        .arg("--input-script")
        .arg(&script)
        .arg("--screenshot")
        .arg(&png)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let decoder = png::Decoder::new(std::io::Cursor::new(std::fs::read(&png).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (640, 480));
    buf.chunks_exact(3)
        .map(|p| u32::from(p[0]) << 16 | u32::from(p[1]) << 8 | u32::from(p[2]))
        .collect()
}

/// Whether the monitor's window (frame around content (420, 392) 200 x 68) has (x, y).
fn monitor(x: usize, y: usize) -> bool {
    (419..621).contains(&x) && (375..461).contains(&y)
}

/// Where the screen shows `want` (640 x 480), the monitor's window excepted.
fn find(w: usize, h: usize, px: &[u32], want: &[u32]) -> Option<(usize, usize)> {
    for y0 in 0..=h.saturating_sub(480) {
        for x0 in 0..=w.saturating_sub(640) {
            let same = |x: usize, y: usize| px[(y0 + y) * w + x0 + x] == want[y * 640 + x];
            if same(0, 0) && (0..480).all(|y| (0..640).all(|x| monitor(x, y) || same(x, y))) {
                return Some((x0, y0));
            }
        }
    }
    None
}

#[test]
#[ignore = "needs Xvfb, xwd and target/user/gui.sbc: cargo xtask test runs it"]
fn the_gui_shows_in_a_window_under_xvfb() {
    let want = reference();
    let display = format!(":{}", 700 + std::process::id() % 200);
    let _x = xvfb::start(&display, "800x600");
    let mut run = Reaped(
        selvm()
            .arg("gui")
            .arg("--program")
            .arg(program())
            .env("DISPLAY", &display)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let started = Instant::now();
    loop {
        if let Some(status) = run.0.try_wait().unwrap() {
            panic!("selvm gui ended early: {status}");
        }
        if let Some((w, h, px)) = capture(&display) {
            if find(w, h, &px, &want).is_some() {
                break;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the X screen never showed the GUI's screen"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}
