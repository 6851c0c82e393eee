//! `selvm dx` end to end: a WebAssembly module translated and run by `selvm exec`;
//! bad input gives one error line and a failing exit status.

use std::process::Command;

fn selvm(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_selvm"))
        .args(args)
        .output()
        .unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (out.status.success(), text(out.stdout), text(out.stderr))
}

const FIB: &str = r#"(module
  (func $fib (export "fib") (param i64) (result i64)
    (if (result i64) (i64.lt_u (local.get 0) (i64.const 2))
      (then (local.get 0))
      (else (i64.add (call $fib (i64.sub (local.get 0) (i64.const 1)))
                     (call $fib (i64.sub (local.get 0) (i64.const 2))))))))"#;

#[test]
fn dx_then_exec() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("selvm-dx-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let wasm = dir.join("fib.wasm");
    std::fs::write(&wasm, wat::parse_str(FIB).unwrap()).unwrap();
    let sbc = dir.join("fib.sbc");
    let (ok, _, err) = selvm(&["dx", wasm.to_str().unwrap(), "-o", sbc.to_str().unwrap()]);
    assert!(ok, "{err}");
    let (ok, out, _) = selvm(&["exec", sbc.to_str().unwrap(), "--func", "fib", "20"]);
    assert!(ok);
    assert_eq!(out, "6765\n");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn dx_errors_are_one_line() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("selvm-dx-err-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let garbage = dir.join("garbage.wasm");
    std::fs::write(&garbage, b"not wasm at all").unwrap();
    let import = dir.join("import.wasm");
    let wasm = wat::parse_str(r#"(module (import "env" "f" (func)))"#).unwrap();
    std::fs::write(&import, wasm).unwrap();
    let out = dir.join("out.sbc");
    for (input, needle) in [
        (garbage.to_str().unwrap(), "invalid WebAssembly"),
        (import.to_str().unwrap(), "env.f"),
        ("/nonexistent.wasm", "nonexistent"),
    ] {
        let (ok, _, err) = selvm(&["dx", input, "-o", out.to_str().unwrap()]);
        assert!(!ok);
        assert_eq!(err.lines().count(), 1, "{input}: {err}");
        assert!(err.starts_with("selvm: ") && err.contains(needle), "{err}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
