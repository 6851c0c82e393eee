//! `selvm asm`, `dis` and `exec` end to end: results printed, errors as one line.

use std::process::Command;

fn selvm(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_selvm"))
        .args(args)
        .output()
        .unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (out.status.success(), text(out.stdout), text(out.stderr))
}

fn program(name: &str) -> String {
    format!("{}/../../vm/programs/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn asm_dis_exec() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("selvm-vmtools-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sbc = dir.join("fib.sbc");
    let sbc = sbc.to_str().unwrap();
    assert!(selvm(&["asm", &program("fib.s"), "-o", sbc]).0);
    let (ok, text, _) = selvm(&["dis", sbc]);
    assert!(
        ok && text.contains(".func fib (i64) -> (i64) frame 3"),
        "{text}"
    );
    let (ok, out, _) = selvm(&["exec", sbc, "--func", "fib", "20"]);
    assert!(ok);
    assert_eq!(out, "6765\n");
    let (ok, out, _) = selvm(&["exec", &program("sieve.s")]);
    assert!(ok);
    assert_eq!(out, "9592\n");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn errors_are_one_line() {
    for args in [
        vec!["dis", "/nonexistent.sbc"],
        vec!["exec", "/nonexistent.s"],
        vec!["dis", "Cargo.toml"],
        vec!["exec", "Cargo.toml"],
    ] {
        let (ok, _, err) = selvm(&args);
        assert!(!ok);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("selvm: "), "{err}");
    }
}
