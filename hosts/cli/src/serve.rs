//! `selvm serve`: the browser page (hosts/web, docs/web.md) on 127.0.0.1 over plain
//! HTTP/1.1, one thread per connection, GET and HEAD only. It serves the static site
//! `cargo xtask web` builds (target/web/page in the checkout, or `--dir`); nothing
//! built is in the binary or in git. Every answer carries the cross-origin isolation
//! headers (COOP/COEP), so the page may use SharedArrayBuffer and gets the finer
//! `performance.now()` its benchmarks time with.

use crate::failure::Failure;
use clap::Args;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};

/// Options of `selvm serve`.
#[derive(Args)]
#[command(
    after_help = "Build the page first with `cargo xtask web` (it needs Debian's \
rustc-web, or a toolchain with rust-src, for -Zbuild-std, and npm for xterm.js; \
scripts/setup.sh installs them). \
The built directory is a static site: any file host serves it, with the two headers \
docs/web.md names."
)]
pub struct ServeArgs {
    /// The port on 127.0.0.1 (0: any free port; the address is printed).
    #[arg(long, value_name = "N", default_value_t = 8341,
          value_parser = crate::options::whole::<u16, 0, 65535>)]
    port: u16,
    /// The built page to serve [default: target/web/page of this checkout, or of
    /// $CARGO_TARGET_DIR].
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// Where `cargo xtask web` puts the page, for a binary built in this checkout.
fn default_dir() -> PathBuf {
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
    };
    target.join("web/page")
}

/// The directory to serve, or why there is none.
fn page_dir(dir: Option<&Path>) -> Result<PathBuf, Failure> {
    let dir = dir.map_or_else(default_dir, Path::to_path_buf);
    if dir.join("index.html").is_file() && dir.join("selvm_web.wasm").is_file() {
        // Shown without the `hosts/cli/../..` of the default.
        return Ok(dir.canonicalize().unwrap_or(dir));
    }
    Err(Failure::bad_input(format!(
        "{}: no built page here (index.html and selvm_web.wasm): build it with `cargo xtask web`, \
         or name a built page with --dir DIR",
        dir.display()
    )))
}

/// Runs `selvm serve` until Ctrl-C.
pub fn serve(a: &ServeArgs) -> Result<(), Failure> {
    let dir = page_dir(a.dir.as_deref())?;
    let listener = TcpListener::bind(("127.0.0.1", a.port))
        .map_err(|e| Failure::host(format!("cannot listen on 127.0.0.1:{}: {e}", a.port)))?;
    let port = listener.local_addr().map(|s| s.port()).unwrap_or(a.port);
    outln!(
        "selvm: serving the page in {} at http://127.0.0.1:{port}/ (Ctrl-C stops)",
        dir.display()
    )?;
    crate::output::flush_stdout()?;
    for stream in listener.incoming().flatten() {
        let dir = dir.clone();
        // A connection the host will not give a thread to is dropped.
        let _ = std::thread::Builder::new().spawn(move || answer(stream, &dir));
    }
    Ok(())
}

/// Reads one request and answers it (then closes the connection).
fn answer(mut stream: TcpStream, dir: &Path) {
    let mut reader = BufReader::new(&stream);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    // The headers: read to the blank line, ignored.
    let mut header = String::new();
    while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
        header.clear();
    }
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let path = path.trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    let (status, body) = match method {
        "GET" | "HEAD" => match lookup(path, dir) {
            Some(body) => ("200 OK", body),
            None => ("404 Not Found", format!("no {path} here\n").into_bytes()),
        },
        _ => ("405 Method Not Allowed", b"GET or HEAD only\n".to_vec()),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-cache\r\n\
         Cross-Origin-Opener-Policy: same-origin\r\nCross-Origin-Embedder-Policy: require-corp\r\n\
         X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
        content_type(path),
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    if method != "HEAD" {
        let _ = stream.write_all(&body);
    }
}

/// The file at URL path `path` under `dir`; none for a path that leaves it.
fn lookup(path: &str, dir: &Path) -> Option<Vec<u8>> {
    let relative = Path::new(path);
    if !relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
    {
        return None;
    }
    let file = dir.join(relative);
    if !file.is_file() {
        return None;
    }
    std::fs::read(file).ok()
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("json") => "application/json",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// A built page's shape in a fresh directory: index.html and a wasm.
    fn site(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("selvm-serve-{name}-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("programs")).unwrap();
        std::fs::write(dir.join("index.html"), "<!doctype html>").unwrap();
        std::fs::write(dir.join("selvm_web.wasm"), b"\0asm\x01\0\0\0").unwrap();
        std::fs::write(dir.join("programs/hello.wasm"), b"\0asm").unwrap();
        dir
    }

    #[test]
    fn paths_outside_the_page_are_not_served() {
        let dir = site("paths");
        assert_eq!(
            lookup("index.html", &dir).as_deref(),
            Some(&b"<!doctype html>"[..])
        );
        assert!(lookup("programs/hello.wasm", &dir).is_some());
        for bad in [
            "../Cargo.toml",
            "/etc/passwd",
            "a/../../b",
            "nope.js",
            "programs",
        ] {
            assert!(lookup(bad, &dir).is_none(), "{bad}");
        }
        assert_eq!(content_type("x.wasm"), "application/wasm");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_missing_page_says_how_to_build_it() {
        let e = page_dir(Some(Path::new("/nonexistent/selvm-page"))).unwrap_err();
        assert_eq!(e.status, selvm_machine::status::BAD_INPUT);
        let message = e.message.unwrap_or_default();
        assert!(message.contains("cargo xtask web"), "{message}");
    }

    #[test]
    fn answers_carry_the_isolation_headers() {
        let dir = site("headers");
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let addr = listener.local_addr().unwrap();
        let server_dir = dir.clone();
        let server = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            answer(stream, &server_dir);
        });
        let mut client = TcpStream::connect(addr).unwrap();
        client
            .write_all(b"GET /selvm_web.wasm HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut reply = Vec::new();
        client.read_to_end(&mut reply).unwrap();
        server.join().unwrap();
        let reply = String::from_utf8_lossy(&reply);
        assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
        assert!(
            reply.contains("Content-Type: application/wasm\r\n"),
            "{reply}"
        );
        assert!(
            reply.contains("Cross-Origin-Opener-Policy: same-origin\r\n"),
            "{reply}"
        );
        assert!(
            reply.contains("Cross-Origin-Embedder-Policy: require-corp\r\n"),
            "{reply}"
        );
        assert!(reply.ends_with("\0asm\u{1}\0\0\0"), "{reply}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
