//! The framebuffer and input devices driven as an embedder drives them:
//! `user/asm/display.s` on a machine with a 16 x 12 display and a scripted input
//! device gives the same presents and pixels whatever pieces the machine is run
//! in, and a script's events enter no earlier than their instruction counts unless
//! the machine idles waiting for input.

use selvm_machine::devices::framebuffer::Rect;
use selvm_machine::devices::input::Script;
use selvm_machine::devices::{Display, Input};
use selvm_machine::{Config, Exit, Machine, Step};

/// What a run gave: how it ended, its presents, its pixels, the instruction count at
/// each delivery of an event.
type Outcome = (Exit, Vec<Rect>, Vec<u32>, Vec<u64>);

/// Runs `user/asm/display.s` with `script`, the machine stepped `piece` instructions
/// at a time at most (as an embedder with output to move would).
fn run(script: &str, piece: u64) -> Outcome {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../user/asm/display.s");
    let source = std::fs::read_to_string(path).unwrap();
    let image =
        selvm_vm::asm::assemble_with(&source, &selvm_abi::vm::symbols::lookup).expect("assembles");
    let config = Config {
        max_instructions: Some(10_000_000),
        ..Config::default()
    };
    let mut m = Machine::boot(vec![0u64; (16 << 20) / 8], &image, config).expect("boots");
    let display = Display::attach(m.devices(), 16, 12).unwrap();
    let input = m.devices().attach(Box::new(Input::default())).unwrap();
    let mut script = Script::parse(script).unwrap();
    let (mut presents, mut delivered) = (Vec::new(), Vec::new());
    let exit = loop {
        let budget = match script.next_at() {
            Some(at) => piece.min(at.saturating_sub(m.instructions)).max(1),
            None => piece,
        };
        let step = m.run(budget);
        let before = script.len();
        script.deliver(&mut m, input, &step);
        delivered.extend(std::iter::repeat_n(m.instructions, before - script.len()));
        presents.extend(display.take_presents(m.devices()));
        m.take_console();
        if let Step::Exited(exit) = step {
            break exit;
        }
    };
    let mut pixels = Vec::new();
    display.read_pixels(m.devices(), &mut pixels);
    (exit, presents, pixels, delivered)
}

#[test]
fn presents_and_pixels_do_not_depend_on_the_pieces_the_machine_runs_in() {
    let script = "at 500 pointer 2 3\nat 500 button down 1\nat 900000000 key down 57\n";
    let (exit, presents, pixels, delivered) = run(script, 1 << 20);
    assert_eq!(exit, Exit::Halted(0));
    let square = |x, y| Rect { x, y, w: 4, h: 4 };
    let whole = Rect {
        x: 0,
        y: 0,
        w: 16,
        h: 12,
    };
    // The pattern, a move (green) and a press (blue) at (2, 3), a key (red).
    assert_eq!(presents, [whole, square(2, 3), square(2, 3), square(2, 3)]);
    assert_eq!(pixels[0], 0x80, "the pattern at (0, 0)");
    assert_eq!(pixels[3 * 16 + 2], 0xff0000, "the key's square is last");
    assert_eq!(pixels[15], 60 << 16 | 0x80, "the pattern at (15, 0)");
    // Both early events enter together, at the first step past count 500 (the
    // program is still retyping: they wait in the ring); the key, far beyond what the
    // program runs, when it waits for input.
    assert_eq!(delivered.len(), 3);
    assert!(
        delivered[0] >= 500 && delivered[0] == delivered[1],
        "{delivered:?}"
    );
    assert!(
        delivered[1] < delivered[2] && delivered[2] < 900_000_000,
        "{delivered:?}"
    );
    for piece in [1, 7, 5000] {
        let other = run(script, piece);
        assert_eq!(
            other,
            (
                exit.clone(),
                presents.clone(),
                pixels.clone(),
                delivered.clone()
            ),
            "piece {piece}"
        );
    }
}
