//! `selvm run --display` end to end: `user/asm/display.s` maps the framebuffer and the
//! input device, draws a pattern and a square per scripted input event; its
//! screenshots are byte-identical run to run and hold the expected pixels; bad sizes,
//! scripts and flag combinations are refused clearly.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

struct Ran {
    status: i32,
    stdout: Vec<u8>,
    stderr: String,
}

fn selvm(args: &[&str]) -> Ran {
    let out = Command::new(env!("CARGO_BIN_EXE_selvm"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    Ran {
        status: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn dir() -> PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("selvm-display-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn path(name: &str) -> String {
    dir().join(name).to_str().unwrap().to_string()
}

/// Assembles `user/asm/display.s`; returns the `.sbc` path.
fn program() -> String {
    let src = format!("{}/../../user/asm/display.s", env!("CARGO_MANIFEST_DIR"));
    let sbc = path("display.sbc");
    let r = selvm(&["asm", &src, "-o", &sbc]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    sbc
}

/// Pointer moves to (10, 20) and (30, 8), a press there, a move to (50, 40), then a
/// key far beyond the program's own instructions: it enters when the program waits.
const SCRIPT: &str = "# the display test\n\
    at 1000 pointer 10 20\n\
    at 2000 pointer 30 8\n\
    at 3000 button down 0   # left\n\
    at 5000 pointer 50 40\n\
    \n\
    at 100000000 key down 30\n";

/// The PNG's size and its pixels as 0xRRGGBB.
fn decode(file: &Path) -> (u32, u32, Vec<u32>) {
    let bytes = std::fs::read(file).unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    let pixels = buf[..info.buffer_size()]
        .chunks_exact(3)
        .map(|p| u32::from(p[0]) << 16 | u32::from(p[1]) << 8 | u32::from(p[2]))
        .collect();
    (info.width, info.height, pixels)
}

/// The program's pattern at (x, y).
fn pattern(x: u32, y: u32) -> u32 {
    (x * 4 % 256) << 16 | (y * 4 % 256) << 8 | 0x80
}

#[test]
fn scripted_input_draws_the_same_pixels_every_run() {
    let sbc = program();
    let script = path("script.txt");
    std::fs::write(&script, SCRIPT).unwrap();
    let mut shots = Vec::new();
    for (i, extra) in [&["--deterministic"][..], &["--deterministic"], &[]]
        .iter()
        .enumerate()
    {
        let shot = path(&format!("shot{i}.png"));
        let mut args = vec!["run", &sbc, "--display", "64x48", "--input-script"];
        args.extend([script.as_str(), "--screenshot", &shot]);
        args.extend(extra.iter());
        args.extend(["--max-instructions", "10000000"]);
        let r = selvm(&args);
        assert_eq!(
            (r.status, r.stdout.as_slice()),
            (0, &b""[..]),
            "{}",
            r.stderr
        );
        shots.push(std::fs::read(&shot).unwrap());
    }
    assert_eq!(shots[0], shots[1], "deterministic runs give identical PNGs");
    // This program's pixels do not depend on where exactly an event enters, so host
    // time (whose ticks move the step boundaries) draws the same too.
    assert_eq!(shots[0], shots[2]);
    let (w, h, px) = decode(Path::new(&path("shot0.png")));
    assert_eq!((w, h), (64, 48));
    let at = |x: u32, y: u32| px[(y * w + x) as usize];
    for (x, y) in [(0, 0), (5, 30), (63, 47), (14, 20), (40, 10)] {
        assert_eq!(at(x, y), pattern(x, y), "pattern at ({x}, {y})");
    }
    assert_eq!(pattern(5, 30), 0x14_7880);
    // A move draws green, a press blue (over the move's green), a key red, 4 x 4.
    for (x, y, colour) in [(10, 20, 0x00ff00), (30, 8, 0x0000ff), (50, 40, 0xff0000)] {
        for (dx, dy) in [(0, 0), (3, 3), (3, 0)] {
            assert_eq!(at(x + dx, y + dy), colour, "({}, {})", x + dx, y + dy);
        }
        assert_eq!(at(x + 4, y), pattern(x + 4, y), "the square is 4 wide");
    }
}

#[test]
fn without_its_key_the_program_waits_and_the_run_ends_in_deadlock() {
    let script = path("no-key.txt");
    std::fs::write(&script, "at 10 pointer 1 1\n").unwrap();
    let shot = path("no-key.png");
    let r = selvm(&[
        "run",
        &program(),
        "--deterministic",
        "--display",
        "8x8",
        "--input-script",
        &script,
        "--screenshot",
        &shot,
    ]);
    assert_eq!(r.status, 4, "{}", r.stderr);
    let (_, _, px) = decode(Path::new(&shot));
    assert_eq!(px[9], 0x00ff00, "the move's square, written at the end too");
}

#[test]
fn bad_sizes_scripts_and_flags_are_refused_clearly() {
    let sbc = program();
    for (size, part) in [
        ("0x10", "width and height must be 1 to 4096"),
        ("4096x4096", "8 MiB"),
        ("800", "expected WIDTHxHEIGHT"),
    ] {
        let r = selvm(&["run", &sbc, "--display", size]);
        assert_eq!(r.status, 2, "{size}");
        assert!(r.stderr.contains(part), "{size}: {}", r.stderr);
    }
    let r = selvm(&["run", &sbc, "--screenshot", &path("x.png")]);
    assert_eq!(r.status, 2);
    assert!(r.stderr.contains("--display"), "{}", r.stderr);
    let script = path("bad.txt");
    std::fs::write(&script, "at 5 key down 30\nat 6 key sideways 30\n").unwrap();
    let r = selvm(&["run", &sbc, "--display", "8x8", "--input-script", &script]);
    assert_eq!(r.status, 6);
    assert!(
        r.stderr.contains("bad.txt: line 2: expected an event"),
        "{}",
        r.stderr
    );
    // Too large for this program (it maps at most 448 frames): it says so by status.
    let r = selvm(&["run", &sbc, "--deterministic", "--display", "1920x1080"]);
    assert_eq!(r.status, 1);
    assert!(r.stderr.contains("halted with status 2"), "{}", r.stderr);
}
