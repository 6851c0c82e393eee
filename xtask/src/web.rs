//! `cargo xtask web`: the browser page (hosts/web, docs/web.md). Builds the machine's
//! wasm (selvm-web, `-Zbuild-std=std,panic_abort`, profile `web`) and the menu's
//! programs (user/hello, user/conformance, user/gui), and lays the page out as a
//! static site in target/web/page, which `selvm serve` serves; nothing built is
//! committed. `--test` runs the browser tests in headless Chromium, `--bench` the
//! in-page benchmarks beside the same code natively.

use crate::process::{self, Error, Result, bail, cargo};
use crate::{toolchain, user};
use clap::Args;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// How long the browser tests may take.
const TEST_LIMIT: Duration = Duration::from_secs(300);

/// Options of `cargo xtask web`.
#[derive(Args)]
#[command(
    after_help = "The page is built into target/web/page (a static site: copy it to any file host that sends the headers docs/web.md names) and served by `selvm serve`. npm packages (xterm.js, playwright-core) are installed by `npm ci` in hosts/web, never committed."
)]
pub struct Options {
    /// Build the page, then run the browser tests (headless Debian chromium driven by
    /// playwright-core) on it.
    #[arg(long)]
    test: bool,
    /// Build the page, then run the in-page benchmarks in headless Chromium and the
    /// same code natively, and print both.
    #[arg(long)]
    bench: bool,
}

/// Runs `cargo xtask web`.
pub fn run(o: &Options) -> Result {
    let site = build()?;
    println!("    web: the page is in {} (selvm serve)", site.display());
    if o.test {
        test(&site)?;
    }
    if o.bench {
        bench(&site)?;
    }
    Ok(())
}

/// The build's own target directory (its std, built from source, differs from `cross`'s).
fn target() -> PathBuf {
    crate::target_dir().join("web-build")
}

/// Where the site is laid out (`selvm serve`'s default directory).
pub fn site_dir() -> PathBuf {
    crate::target_dir().join("web/page")
}

/// Builds the machine's wasm and the menu's programs and lays out the site; its path.
pub fn build() -> Result<PathBuf> {
    let root = crate::root();
    npm_ci()?;
    let t = toolchain::user(user::TARGET)?;
    println!(
        "    web: selvm-web for {} with {}",
        user::TARGET,
        t.describe("std,panic_abort")
    );
    let mut cmd = t.cargo_build_std("std,panic_abort");
    let flags = user::remap_flags(&t.rustc)?;
    cmd.current_dir(root)
        .args([
            "-p",
            "selvm-web",
            "--lib",
            "--profile",
            "web",
            "--target-dir",
        ])
        .arg(target())
        .env("CARGO_ENCODED_RUSTFLAGS", flags.join("\x1f"))
        .env_remove("RUSTFLAGS");
    process::run(&mut cmd)?;
    let wasm = target().join(user::TARGET).join("web/selvm_web.wasm");
    let programs = target().join("programs");
    let hello = user::build(&root.join("user/hello"), &programs, true)?;
    let conformance = user::build(&root.join("user/conformance"), &programs, true)?;
    let gui = user::build(&root.join("user/gui"), &programs, true)?;

    let site = site_dir();
    let _ = fs::remove_dir_all(&site);
    let page = root.join("hosts/web/page");
    let modules = root.join("hosts/web/node_modules/@xterm/xterm");
    let mut files: Vec<(PathBuf, String)> = vec![
        (wasm, "selvm_web.wasm".into()),
        (hello, "programs/hello.wasm".into()),
        (conformance, "programs/conformance.wasm".into()),
        (gui, "programs/gui.wasm".into()),
        (modules.join("lib/xterm.js"), "vendor/xterm.js".into()),
        (modules.join("css/xterm.css"), "vendor/xterm.css".into()),
    ];
    for (dir, under) in [(page, ""), (root.join("user/bench/wasm"), "bench/")] {
        let entries =
            fs::read_dir(&dir).map_err(|e| Error::new(format!("{}: {e}", dir.display())))?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.path().is_file() && (under.is_empty() || name.ends_with(".wasm")) {
                files.push((entry.path(), format!("{under}{name}")));
            }
        }
    }
    for (from, to) in &files {
        let to = site.join(to);
        let made = to.parent().map_or(Ok(()), fs::create_dir_all);
        if let Err(e) = made.and_then(|()| fs::copy(from, &to).map(drop)) {
            bail!("copying {} to {}: {e}", from.display(), to.display());
        }
    }
    let size = fs::metadata(site.join("selvm_web.wasm")).map_or(0, |m| m.len());
    println!("    web: selvm_web.wasm is {} KiB", size / 1024);
    Ok(site)
}

/// `npm ci` in hosts/web when its packages are missing (scripts/setup.sh does the same).
fn npm_ci() -> Result {
    let web = crate::root().join("hosts/web");
    let installed = ["@xterm/xterm/lib/xterm.js", "playwright-core/package.json"]
        .iter()
        .all(|f| web.join("node_modules").join(f).is_file());
    if installed {
        return Ok(());
    }
    if toolchain::find_program(&["npm"]).is_none() {
        bail!("no npm on PATH: run scripts/setup.sh (Debian: apt-get install npm)");
    }
    process::run(Command::new("npm").current_dir(&web).args([
        "ci",
        "--no-audit",
        "--no-fund",
        "--silent",
    ]))
}

/// `selvm serve --dir SITE --port 0`, started; its port.
fn serve(site: &Path) -> Result<(std::process::Child, u16)> {
    process::run(
        cargo()
            .current_dir(crate::root())
            .args(["build", "-q", "-p", "selvm"]),
    )?;
    let bin = crate::target_dir().join("debug/selvm");
    let mut child = Command::new(&bin)
        .args(["serve", "--port", "0", "--dir"])
        .arg(site)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| Error::new(format!("starting {}: {e}", bin.display())))?;
    let mut line = String::new();
    let out = child.stdout.take().expect("piped");
    let _ = BufReader::new(out).read_line(&mut line);
    let port = line
        .rsplit_once("127.0.0.1:")
        .and_then(|(_, rest)| rest.split('/').next())
        .and_then(|p| p.parse().ok());
    match port {
        Some(port) => Ok((child, port)),
        None => {
            let _ = child.kill();
            bail!("selvm serve printed no address: {line:?}")
        }
    }
}

/// The browser tests: `node --test hosts/web/tests/` against the page in `site`,
/// served by `selvm serve`.
pub fn test(site: &Path) -> Result {
    let chromium = chromium()?;
    let (mut server, port) = serve(site)?;
    let out = crate::target_dir().join("web/test-output");
    let _ = fs::create_dir_all(&out);
    let mut cmd = Command::new("node");
    cmd.current_dir(crate::root().join("hosts/web"))
        .args([
            "--test",
            "--test-concurrency=1",
            "--test-reporter=spec",
            "tests/",
        ])
        .env("SELVM_URL", format!("http://127.0.0.1:{port}/"))
        .env("SELVM_BIN", crate::target_dir().join("debug/selvm"))
        .env("SELVM_OUT", &out)
        .env("SELVM_CHROMIUM", &chromium);
    let result = process::run_bounded_echoed(&mut cmd, TEST_LIMIT);
    let _ = server.kill();
    let _ = server.wait();
    let ran = result?;
    eprint!("{}", ran.stderr);
    match ran.status {
        Some(s) if s.success() => {
            let figures = fs::read_to_string(out.join("figures.json")).unwrap_or_default();
            println!(
                "    web: figures {}",
                figures.split_whitespace().collect::<String>()
            );
            println!(
                "    web: browser tests passed (screenshot in {})",
                out.display()
            );
            Ok(())
        }
        Some(s) => bail!("the browser tests failed ({})", process::describe(s)),
        None => bail!(
            "the browser tests took more than {} s",
            TEST_LIMIT.as_secs()
        ),
    }
}

/// The in-page benchmarks beside the same code natively.
fn bench(site: &Path) -> Result {
    let chromium = chromium()?;
    let (mut server, port) = serve(site)?;
    let mut cmd = Command::new("node");
    cmd.current_dir(crate::root().join("hosts/web"))
        .arg("tests/bench.mjs")
        .env("SELVM_URL", format!("http://127.0.0.1:{port}/"))
        .env("SELVM_CHROMIUM", &chromium);
    let page = process::output(&mut cmd);
    let _ = server.kill();
    let _ = server.wait();
    let page = page?;
    let native = process::output(cargo().current_dir(crate::root()).args([
        "run",
        "-q",
        "--release",
        "-p",
        "selvm-web",
        "--example",
        "bench",
    ]))?;
    println!(
        "{:<14} {:>14} {:>14} {:>7}",
        "case", "page", "native", "ratio"
    );
    for line in native.lines() {
        let name = field(line, "name");
        let (Some(n), Some(p)) = (
            number(line),
            page.lines()
                .find(|l| field(l, "name") == name)
                .and_then(number),
        ) else {
            continue;
        };
        let unit = |ns: f64| {
            if ns > 1e5 {
                format!("{:.2} ms", ns / 1e6)
            } else {
                format!("{ns:.1} ns")
            }
        };
        println!("{name:<14} {:>14} {:>14} {:>6.2}x", unit(p), unit(n), p / n);
    }
    Ok(())
}

/// `"KEY":"VALUE"` of a one-line JSON object.
fn field<'a>(line: &'a str, key: &str) -> &'a str {
    line.split(&format!("\"{key}\":\""))
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or("")
}

/// `"ns":N` of a one-line JSON object.
fn number(line: &str) -> Option<f64> {
    line.split("\"ns\":")
        .nth(1)?
        .split([',', '}'])
        .next()?
        .parse()
        .ok()
}

/// Debian's chromium (`SELVM_CHROMIUM` names another).
fn chromium() -> Result<PathBuf> {
    let path = std::env::var_os("SELVM_CHROMIUM")
        .map(PathBuf::from)
        .or_else(|| toolchain::find_program(&["chromium", "chromium-browser"]));
    match path {
        Some(p) if p.exists() => Ok(p),
        _ => bail!("no chromium on PATH: run scripts/setup.sh (Debian: apt-get install chromium)"),
    }
}
