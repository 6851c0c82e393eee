//! `selvm serve` end to end: without a built page it stops at once with status 6 and
//! says how to build one; with one it serves it over HTTP with the isolation headers.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

fn selvm() -> Command {
    Command::new(env!("CARGO_BIN_EXE_selvm"))
}

#[test]
fn without_a_built_page_serve_says_to_build_it() {
    let out = selvm()
        .args(["serve", "--port", "0", "--dir", "/nonexistent/selvm-page"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cargo xtask web"), "{stderr}");
    assert!(stderr.contains("/nonexistent/selvm-page"), "{stderr}");
}

#[test]
fn a_built_page_is_served_with_the_isolation_headers() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("selvm-serve-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html><title>page</title>").unwrap();
    std::fs::write(dir.join("selvm_web.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let mut child = selvm()
        .args(["serve", "--port", "0", "--dir"])
        .arg(&dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let address = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    let get = |path: &str| {
        let mut s = TcpStream::connect(&address).unwrap();
        write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut reply = String::new();
        s.read_to_string(&mut reply).unwrap();
        reply
    };
    let index = get("/");
    let missing = get("/../Cargo.toml");
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(index.starts_with("HTTP/1.1 200 OK\r\n"), "{index}");
    assert!(index.contains("Content-Type: text/html"), "{index}");
    assert!(
        index.contains("Cross-Origin-Embedder-Policy: require-corp"),
        "{index}"
    );
    assert!(index.ends_with("<title>page</title>"), "{index}");
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
}
