//! `selvm run --window`: with no `$DISPLAY` a clear refusal naming `--screenshot`; and
//! (ignored by default: needs `Xvfb` and `xwd`, run by `cargo xtask windows --test` and
//! the `window-xvfb` step of `cargo xtask test`) the window on a virtual X server shows
//! the framebuffer's pixels and feeds it the window's input: the X screen, captured
//! with `xwd`, holds `display.s`'s pattern at the window's 4x scale, with the green
//! square display.s draws for a pointer move at the pointer, which Xvfb starts at the
//! screen's centre (so the window's pointer reached the guest as an event).
//! `cargo xtask windows --test` runs that same test on `selvm.exe` under wine, naming
//! it and wine in `SELVM_WINDOWS_EXE` and `SELVM_WINE`: minifb's Win32 window must show
//! the same pixels.

mod xvfb;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use xvfb::{Reaped, capture};

fn selvm() -> Command {
    Command::new(env!("CARGO_BIN_EXE_selvm"))
}

fn dir() -> PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("selvm-window-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Assembles `user/asm/display.s`; returns the `.sbc` path.
fn program() -> PathBuf {
    let src = format!("{}/../../user/asm/display.s", env!("CARGO_MANIFEST_DIR"));
    let sbc = dir().join("display.sbc");
    let out = selvm()
        .args(["asm", &src, "-o"])
        .arg(&sbc)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    sbc
}

#[test]
fn no_display_is_refused_with_a_hint() {
    let out = selvm()
        .args(["run", "--display", "64x48", "--window"])
        .arg(program())
        .env_remove("DISPLAY")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("$DISPLAY") && stderr.contains("--screenshot"),
        "{stderr}"
    );
}

#[test]
fn window_needs_a_display_and_no_script() {
    let out = selvm().args(["run", "--window", "x.sbc"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = selvm()
        .args([
            "run",
            "--display",
            "8x8",
            "--window",
            "--input-script",
            "s",
            "x.sbc",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be used with"));
}

/// `display.s`'s pattern at framebuffer pixel (x, y).
fn pattern(x: usize, y: usize) -> u32 {
    ((x * 4 % 256) << 16 | (y * 4 % 256) << 8 | 0x80) as u32
}

/// Where the screen shows the 64x48 framebuffer at 4x scale (its top-left corner):
/// the pattern, with a 4 x 4 green square at the framebuffer pixel under the screen's
/// centre.
fn find_framebuffer(w: usize, h: usize, px: &[u32]) -> Option<(usize, usize)> {
    let (fw, fh, s) = (64, 48, 4);
    for y0 in 0..h.saturating_sub(fh * s) {
        for x0 in 0..w.saturating_sub(fw * s) {
            if px[y0 * w + x0] != pattern(0, 0) || x0 > w / 2 || y0 > h / 2 {
                continue;
            }
            let (cx, cy) = ((w / 2 - x0) / s, (h / 2 - y0) / s);
            let expected = |x: usize, y: usize| {
                let square = (cx..cx + 4).contains(&x) && (cy..cy + 4).contains(&y);
                if square { 0x00ff00 } else { pattern(x, y) }
            };
            let all = (0..fh * s)
                .all(|y| (0..fw * s).all(|x| px[(y0 + y) * w + x0 + x] == expected(x / s, y / s)));
            if all {
                return Some((x0, y0));
            }
        }
    }
    None
}

#[test]
#[ignore = "needs Xvfb and xwd: cargo xtask windows --test runs it"]
fn the_window_shows_the_framebuffer_under_xvfb() {
    let display = format!(":{}", 200 + std::process::id() % 500);
    let _x = xvfb::start(&display, "640x480");
    let sbc = program();
    // The window's selvm: this build, or selvm.exe under wine (cargo xtask windows).
    let (mut cmd, limit) = match std::env::var_os("SELVM_WINDOWS_EXE") {
        Some(exe) => {
            let wine = std::env::var_os("SELVM_WINE").unwrap_or("wine".into());
            let mut cmd = Command::new(wine);
            cmd.arg(exe);
            (cmd, Duration::from_secs(60))
        }
        None => (selvm(), Duration::from_secs(20)),
    };
    let mut run = Reaped(
        cmd.args(["run", "--display", "64x48", "--window", "display.sbc"])
            .current_dir(sbc.parent().unwrap())
            .env("DISPLAY", &display)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let started = Instant::now();
    let found = loop {
        if let Some(status) = run.0.try_wait().unwrap() {
            panic!("selvm run --window ended early: {status}");
        }
        if let Some((w, h, px)) = capture(&display) {
            if let Some(at) = find_framebuffer(w, h, &px) {
                break at;
            }
        }
        assert!(
            started.elapsed() < limit,
            "the X screen never showed the framebuffer's pixels"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    // display.s idles waiting for input: the window stays until the run is stopped.
    assert!(
        run.0.try_wait().unwrap().is_none(),
        "window at {found:?}, run still going"
    );
}
