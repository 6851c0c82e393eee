//! `cargo xtask windows [--test]`: `selvm.exe` for 64-bit Windows (GNU ABI), cross-built
//! from the same sources with Debian's rustc-web and `-Zbuild-std=std,panic_abort`,
//! linked by mingw-w64's gcc, into `target/windows`; `--test` runs it under wine and
//! requires the same output as the Linux build: `selvm demo`, a run of a compute
//! program, and deterministic screenshots of `user/asm/display.s` and of the GUI system
//! (`selvm gui`, user/gui) after scripted input sequences (byte-identical PNGs); and
//! `selvm.exe run --window` on Xvfb must show the framebuffer's pixels (the native
//! window test, hosts/cli/tests/window.rs, run on the exe). See docs/windows.md.
//!
//! The target is `x86_64-win7-windows-gnu`, not `x86_64-pc-windows-gnu`: current std for
//! the latter imports `ProcessPrng` from `bcryptprimitives.dll`, which Debian 12's wine
//! 8.0 lacks (the exe exits silently with status 53); the win7 target's std does not.

use crate::process::{self, Error, Result, bail, cargo};
use crate::toolchain::{self, BuildStd};
use crate::user;
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The Windows target triple.
pub const TARGET: &str = "x86_64-win7-windows-gnu";
/// mingw-w64's gcc, the linker (Debian's gcc-mingw-w64-x86-64).
const LINKER: &str = "x86_64-w64-mingw32-gcc";
/// The hint every "missing" error ends with.
const SETUP_HINT: &str = "run scripts/setup.sh (Debian: installs rustc-web cargo-web rust-web-src gcc-mingw-w64-x86-64 wine)";

/// Options of `cargo xtask windows`.
#[derive(Args)]
pub struct Options {
    /// Also run selvm.exe under wine and compare its output with the Linux build's.
    #[arg(long)]
    test: bool,
}

/// Runs `cargo xtask windows`.
pub fn run(o: &Options) -> Result {
    let exe = build()?;
    if o.test {
        test(&exe)?;
    }
    println!("{}", exe.display());
    Ok(())
}

/// Builds `selvm.exe` (release) and returns its path.
pub fn build() -> Result<PathBuf> {
    let Some((rustc, cargo)) = toolchain::debian() else {
        bail!("building selvm.exe needs Debian's rustc-web with rust-web-src: {SETUP_HINT}")
    };
    let Some(linker) = toolchain::find_program(&[LINKER]) else {
        bail!("no {LINKER} on PATH: {SETUP_HINT}")
    };
    let t = BuildStd {
        rustc,
        cargo,
        debian: true,
        linker,
        target: TARGET.into(),
    };
    println!(
        "    windows: {TARGET} with {}",
        t.describe("std,panic_abort")
    );
    let dir = crate::target_dir().join("windows");
    let mut cmd = t.cargo_build_std("std,panic_abort");
    // The release profile without its thin LTO and line tables: the same code, built in
    // less of the test's time (target/windows is this build's alone).
    cmd.env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "0");
    cmd.current_dir(crate::root())
        .args(["-p", "selvm", "--bin", "selvm", "--release", "--target-dir"])
        .arg(&dir);
    process::run(&mut cmd)?;
    let exe = dir.join(TARGET).join("release/selvm.exe");
    if !exe.is_file() {
        bail!("the build succeeded but {} is missing", exe.display());
    }
    Ok(exe)
}

/// Runs `exe` under wine next to the Linux `selvm` (a debug build) and requires the
/// same bytes.
pub fn test(exe: &Path) -> Result {
    let Some(wine) = toolchain::find_program(&["wine64", "wine"]) else {
        bail!("no wine on PATH: {SETUP_HINT}")
    };
    process::run(cargo().args(["build", "-p", "selvm", "--bin", "selvm"]))?;
    let linux = crate::target_dir().join("debug/selvm");
    let work = crate::target_dir().join("windows/test");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(|e| Error::new(format!("{}: {e}", work.display())))?;
    let prefix = crate::target_dir().join("windows/wineprefix");
    let windows = |args: &[&str]| {
        let mut cmd = Command::new(&wine);
        cmd.arg(exe)
            .args(args)
            .current_dir(&work)
            .env("WINEPREFIX", &prefix)
            .env("WINEDEBUG", "-all")
            // No offline Mono/Gecko install prompts.
            .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
            .env_remove("DISPLAY");
        cmd
    };
    let native = |args: &[&str]| {
        let mut cmd = Command::new(&linux);
        cmd.args(args).current_dir(&work);
        cmd
    };
    // The first start of a fresh prefix creates it (wineboot): bounded, like every run.
    let limit = Duration::from_secs(180);

    let demo_linux = stdout(native(&["demo"]), limit)?;
    let demo_windows = stdout(windows(&["demo"]), limit)?;
    // The demo runs on host time: its timer ticks, so its kernel-entry count, vary
    // from run to run on Linux too (505 or 506 here); every other byte must match.
    same(
        "selvm demo",
        &mask_entries(&demo_linux),
        &mask_entries(&demo_windows),
    )?;
    println!("    windows: selvm.exe demo prints what selvm demo prints");

    let asm = |name: &str| crate::root().join("user/asm").join(name);
    let sbc = |name: &str| format!("{name}.sbc");
    for name in ["hello", "display"] {
        let src = asm(&format!("{name}.s"));
        let src = src
            .to_str()
            .ok_or_else(|| Error::new("a non-UTF-8 checkout path"))?;
        process::run(&mut native(&["asm", src, "-o", &sbc(name)]))?;
    }
    let hello = ["run", "--deterministic", "hello.sbc"];
    same(
        "selvm run hello.sbc",
        &stdout(native(&hello), limit)?,
        &stdout(windows(&hello), limit)?,
    )?;
    println!("    windows: selvm.exe run hello.sbc prints what selvm run prints");

    std::fs::write(work.join("script.txt"), SCRIPT).map_err(|e| Error::new(e.to_string()))?;
    let shot = |png: &'static str| {
        [
            "run",
            "--deterministic",
            "--display",
            "64x48",
            "--input-script",
            "script.txt",
            "--screenshot",
            png,
            "display.sbc",
        ]
    };
    stdout(native(&shot("linux.png")), limit)?;
    stdout(windows(&shot("windows.png")), limit)?;
    let bytes = same_png(&work, "linux.png", "windows.png")?;
    println!("    windows: the scripted display.s screenshot is byte-identical ({bytes} bytes)");

    // The GUI system (docs/gui.md) after the GUI test's scripted session.
    let gui = user::build(
        &crate::root().join("user/gui"),
        &crate::target_dir().join("user"),
        false,
    )?;
    user::dx(&gui)?;
    let scenario = crate::root().join("hosts/cli/tests/gui/scenario.txt");
    for (from, to) in [
        (gui.with_extension("sbc"), "gui.sbc"),
        (scenario, "scenario.txt"),
    ] {
        std::fs::copy(&from, work.join(to))
            .map_err(|e| Error::new(format!("{}: {e}", from.display())))?;
    }
    let session = |png: &'static str| {
        [
            "gui",
            "--program",
            "gui.sbc",
            "--input-script",
            "scenario.txt",
            "--screenshot",
            png,
        ]
    };
    same(
        "selvm gui",
        &stdout(native(&session("linux-gui.png")), limit)?,
        &stdout(windows(&session("windows-gui.png")), limit)?,
    )?;
    let bytes = same_png(&work, "linux-gui.png", "windows-gui.png")?;
    println!(
        "    windows: selvm.exe gui prints what selvm gui prints; its screenshot is byte-identical ({bytes} bytes)"
    );
    window(exe, &wine, &prefix)
}

/// The desktop window under wine: the native window test (Xvfb, `xwd`), run on `exe`,
/// requires the X screen to show display.s's framebuffer pixels in selvm.exe's window.
fn window(exe: &Path, wine: &Path, prefix: &Path) -> Result {
    let test = "the_window_shows_the_framebuffer_under_xvfb";
    let mut cmd = cargo();
    cmd.current_dir(crate::root())
        .args([
            "test",
            "-p",
            "selvm",
            "--test",
            "window",
            "--",
            "--ignored",
            "--exact",
        ])
        .arg(test)
        .env("SELVM_WINDOWS_EXE", exe)
        .env("SELVM_WINE", wine)
        .env("WINEPREFIX", prefix)
        .env("WINEDEBUG", "-all")
        .env("WINEDLLOVERRIDES", "mscoree,mshtml=");
    process::run(&mut cmd)?;
    println!("    windows: selvm.exe's window under wine on Xvfb shows the framebuffer's pixels");
    Ok(())
}

/// Whether the PNGs `linux` and `windows` in `work` are byte-identical; their length.
fn same_png(work: &Path, linux: &str, windows: &str) -> Result<usize> {
    let read =
        |name: &str| std::fs::read(work.join(name)).map_err(|e| Error::new(format!("{name}: {e}")));
    let (a, b) = (read(linux)?, read(windows)?);
    if a != b {
        bail!(
            "the screenshots differ: {} (Linux) and {} (wine)",
            work.join(linux).display(),
            work.join(windows).display()
        );
    }
    Ok(a.len())
}

/// The display test's input: pointer moves, a press, a move, a key much later.
const SCRIPT: &str = "at 1000 pointer 10 20\nat 2000 pointer 30 8\nat 3000 button down 0\n\
at 5000 pointer 50 40\nat 100000000 key down 30\n";

/// Stdout of `cmd`, which must exit with 0 within `limit`.
fn stdout(mut cmd: Command, limit: Duration) -> Result<String> {
    let ran = process::run_bounded(&mut cmd, limit)?;
    match ran.status {
        Some(status) if status.success() => Ok(ran.stdout),
        Some(status) => bail!(
            "`{}` failed ({}): {}",
            process::show(&cmd),
            process::describe(status),
            ran.stderr.trim()
        ),
        None => bail!(
            "`{}` still running after {} s: killed",
            process::show(&cmd),
            limit.as_secs()
        ),
    }
}

/// `text` with the number before " kernel entries" replaced by N.
fn mask_entries(text: &str) -> String {
    let Some(end) = text.find(" kernel entries") else {
        return text.to_string();
    };
    let start = text[..end]
        .trim_end_matches(|c: char| c.is_ascii_digit())
        .len();
    format!("{}N{}", &text[..start], &text[end..])
}

/// Fails naming `what` if the two outputs differ (wine's console may end lines with
/// CRLF: not a difference).
fn same(what: &str, linux: &str, windows: &str) -> Result {
    if linux.is_empty() {
        bail!("{what}: the Linux build printed nothing");
    }
    let windows = windows.replace("\r\n", "\n");
    if linux != windows {
        bail!("{what}: selvm.exe under wine printed\n{windows}\nbut selvm printed\n{linux}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_kernel_entry_count_is_masked() {
        let line = "ran 2855 VM instructions and 506 kernel entries; more\n";
        assert_eq!(
            mask_entries(line),
            "ran 2855 VM instructions and N kernel entries; more\n"
        );
        assert_eq!(mask_entries("nothing"), "nothing");
        assert!(same("x", "a\nb\n", "a\r\nb\r\n").is_ok());
        assert!(same("x", "a\n", "b\n").is_err());
    }
}
