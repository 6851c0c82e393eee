//! `selvm gui` end to end with the built GUI program (`target/user/gui.sbc`: `cargo
//! xtask build-user user/gui`; `cargo xtask test` builds it and runs the ignored tests
//! here): a scripted session (tests/gui/scenario.txt) drags the paint window by its
//! title bar, picks a colour and paints a stroke, solves the game, closes a client with its close box and
//! shuts down with F10. Its screenshot holds the pixels that only those actions
//! produce (and the system monitor's window), the launcher's lines show the faulting
//! client and the malformed requests handled, and a second run gives a byte-identical
//! PNG.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

struct Ran {
    status: i32,
    stdout: String,
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
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The GUI program, where built.
fn program() -> String {
    let path = std::env::var_os("SELVM_GUI").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/user/gui.sbc"),
        PathBuf::from,
    );
    assert!(
        path.is_file(),
        "{}: build it with cargo xtask build-user user/gui",
        path.display()
    );
    path.to_str().unwrap().to_string()
}

fn scratch(name: &str) -> String {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("selvm-gui-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name).to_str().unwrap().to_string()
}

/// The PNG's size and its pixels as 0xRRGGBB.
fn decode(file: &Path) -> (u32, u32, Vec<u32>) {
    let bytes = std::fs::read(file).unwrap();
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let pixels = buf[..info.buffer_size()]
        .chunks_exact(3)
        .map(|p| u32::from(p[0]) << 16 | u32::from(p[1]) << 8 | u32::from(p[2]))
        .collect();
    (info.width, info.height, pixels)
}

const DESKTOP: u32 = 0x30_6078;

/// Runs the scenario with its screenshot at `png`.
fn scenario(png: &str) -> Ran {
    let script = format!("{}/tests/gui/scenario.txt", env!("CARGO_MANIFEST_DIR"));
    let args = [
        "gui",
        "--program",
        &program(),
        "--input-script",
        &script,
        "--screenshot",
        png,
    ];
    selvm(&args)
}

#[test]
#[ignore = "needs target/user/gui.sbc: cargo xtask test builds it and runs this"]
fn a_scripted_session_drags_paints_closes_and_draws_the_same_pixels_twice() {
    let (first, second) = (scratch("first.png"), scratch("second.png"));
    let r = scenario(&first);
    assert_eq!(r.status, 0, "{}{}", r.stdout, r.stderr);
    for expected in [
        "gui: started paint as client 1",
        "bad-requests: 12 of 12 malformed requests refused with the right error",
        "gui: faulty faulted: VMFault at address 2147745792",
        "chaos: 400 random requests answered (48 accepted); the server still serves: yes",
        "gui: hello exited with status 0",
        " live threads, ",
        "gui: F10 pressed, shutting down",
    ] {
        assert!(
            r.stdout.contains(expected),
            "no `{expected}` in:\n{}",
            r.stdout
        );
    }
    let (w, h, px) = decode(Path::new(&first));
    assert_eq!((w, h), (640, 480));
    let at = |x: u32, y: u32| px[(y * w + x) as usize];
    // Paint was dragged by (40, 200): its old title bar is desktop, its new one is the
    // unfocused grey (the game was raised later), its content's corner white paper.
    assert_eq!(at(150, 40), DESKTOP, "paint's old title bar");
    assert_eq!(at(200, 236), 0x70_7070, "paint's new title bar");
    assert_eq!(at(300, 400), 0xff_ffff, "paint's new content");
    // The stroke, in the red picked from the palette (outlined there now): red at its
    // ends and at a point on its second segment, paper beside it.
    for (x, y) in [(104, 310), (244, 350), (175, 335)] {
        assert_eq!(at(x, y), 0xd0_2020, "stroke at ({x}, {y})");
    }
    assert_eq!(at(89, 249), 0xff_d000, "the red swatch's outline");
    assert_eq!(at(65, 249), 0xc0_c0c0, "black's outline gone");
    assert_eq!(at(175, 345), 0xff_ffff, "paper below the stroke");
    // The game was solved by the four clicks: every cell out, the board green.
    assert_eq!(at(381, 65), 0x20_8040, "solved board's background");
    assert_eq!(at(428, 112), 0x40_4050, "a light that was on is out");
    assert_eq!(at(500, 56), 0x30_58b0, "the game has the focus");
    // The system monitor shows its numbers (its text drawn on its dark background).
    assert_eq!(at(560, 380), 0x70_7070, "the monitor's title bar");
    assert_eq!(at(421, 393), 0x10_1820, "the monitor's background");
    let text = (392..460).flat_map(|y| (420..620).map(move |x| (x, y)));
    assert!(
        text.clone().any(|(x, y)| at(x, y) == 0xf0_f0f0),
        "the monitor's digits"
    );
    assert!(
        text.clone().any(|(x, y)| at(x, y) == 0x80_c0ff),
        "the monitor's labels"
    );
    // Hello was closed and the faulting client's window taken away: desktop there.
    assert_eq!(at(500, 330), DESKTOP, "hello's content");
    assert_eq!(at(45, 340), DESKTOP, "faulty's content");
    let r2 = scenario(&second);
    assert_eq!(r2.status, 0, "{}", r2.stderr);
    assert_eq!(r2.stdout, r.stdout);
    assert!(
        std::fs::read(&first).unwrap() == std::fs::read(&second).unwrap(),
        "the two runs' screenshots differ"
    );
}

#[test]
fn a_missing_program_is_refused_with_the_build_command() {
    let r = selvm(&["gui", "--program", "/nonexistent/gui.sbc", "--headless"]);
    assert_eq!(r.status, 6, "{}", r.stderr);
    assert!(r.stderr.contains("/nonexistent/gui.sbc"), "{}", r.stderr);
}

#[test]
fn without_a_desktop_the_window_is_refused_with_the_headless_ways() {
    if !cfg!(all(unix, not(target_os = "macos"))) {
        return;
    }
    let out = Command::new(env!("CARGO_BIN_EXE_selvm"))
        .args(["gui", "--program", "/nonexistent/gui.sbc"])
        .env_remove("DISPLAY")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("$DISPLAY") && stderr.contains("--headless"),
        "{stderr}"
    );
}
