//! `cargo xtask valgrind`: every test of the register machine (`selvm-vm`,
//! `selvm-bytecode`) under valgrind memcheck. The tests are built with the `valgrind`
//! profile (optimized, with debug assertions and overflow checks) so the whole suite
//! runs in about a minute; any memcheck error or definite leak fails.

use crate::json;
use crate::process::{self, Error, Result, bail, cargo, succeeds};
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The packages whose tests run under valgrind.
const PACKAGES: &[&str] = &["selvm-vm", "selvm-bytecode"];

/// Runs `cargo xtask valgrind`.
pub fn run() -> Result {
    require()?;
    let binaries = test_binaries()?;
    if binaries.is_empty() {
        bail!(
            "valgrind: cargo built no test binaries for {}",
            PACKAGES.join(", ")
        );
    }
    for bin in &binaries {
        let name = bin.file_name().unwrap_or_default().to_string_lossy();
        println!("    valgrind {name}");
        let mut cmd = Command::new("valgrind");
        cmd.args([
            "-q",
            "--error-exitcode=1",
            "--leak-check=full",
            "--show-leak-kinds=definite",
        ])
        .arg("--errors-for-leak-kinds=definite")
        .arg(bin)
        .arg("-q")
        .stdout(Stdio::null());
        let status = cmd
            .status()
            .map_err(|e| Error::new(format!("running valgrind: {e}")))?;
        process::check(&cmd, status)?;
    }
    println!(
        "    {} test binaries clean under valgrind memcheck",
        binaries.len()
    );
    Ok(())
}

/// Ok if valgrind runs, else an error saying how to install it.
pub fn require() -> Result {
    if !succeeds(Command::new("valgrind").arg("--version")) {
        bail!("valgrind is not installed: run scripts/setup.sh (Debian), or install valgrind");
    }
    Ok(())
}

/// Builds the tests and returns their executables, read from cargo's JSON messages
/// (compiler diagnostics are printed as they come).
fn test_binaries() -> Result<Vec<PathBuf>> {
    let mut cmd = cargo();
    cmd.current_dir(crate::root()).args([
        "test",
        "--profile",
        "valgrind",
        "--no-run",
        "--message-format=json",
    ]);
    for p in PACKAGES {
        cmd.args(["-p", p]);
    }
    println!("    $ {}", process::show(&cmd));
    let out = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| Error::new(format!("running cargo: {e}")))?;
    let mut binaries = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(msg) = json::parse(line) else { continue };
        match msg.get("reason").and_then(json::Value::as_str) {
            Some("compiler-artifact") => {
                if let Some(exe) = msg.get("executable").and_then(json::Value::as_str) {
                    binaries.push(PathBuf::from(exe));
                }
            }
            Some("compiler-message") => {
                if let Some(text) = msg
                    .get("message")
                    .and_then(|m| m.get("rendered"))
                    .and_then(json::Value::as_str)
                {
                    eprint!("{text}");
                }
            }
            _ => {}
        }
    }
    process::check(&cmd, out.status)?;
    Ok(binaries)
}
