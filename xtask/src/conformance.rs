//! `cargo xtask conformance` and `cargo xtask mutation-check`: the conformance suite
//! (user/conformance) on the hosted machine, judged by its exit status, and the seeded
//! kernel bugs it must catch.
//!
//! The suite prints `NAME ... PASS|FAIL`, then `N passed, M failed`, and ends with
//! DebugHalt(M): `selvm run` exits with `status::CLEAN` when nothing failed and with
//! `status::HALT_STATUS` otherwise; any other status means the run itself broke.

use crate::process::{self, Result, bail, cargo};
use crate::status;
use crate::user;
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The passed-test floor CI holds the suite to: the tests written so far.
pub const FLOOR: u32 = 139;

/// The seeded kernel bugs (`selvm` features forwarding the kernel's `mutation-*`); each
/// must make the suite fail.
pub const MUTATIONS: &[&str] = &[
    "mutation-badge",
    "mutation-rights",
    "mutation-cdt-parent",
    "mutation-mcp",
    "mutation-unmap",
];

/// Instruction limit of a run: the suite needs about 15 M, so a seeded bug that loops in
/// user space ends here.
const MAX_INSTRUCTIONS: u64 = 200_000_000;

/// Wall-clock limit of a run. A seeded bug can loop inside one kernel entry, which no
/// limit of the run loop can interrupt (mutation-cdt-parent breaks the derivation tree
/// and a delete never ends); the child is killed then. A whole run, even one ended by
/// MAX_INSTRUCTIONS, takes under 2 s in a debug build, so 30 s leaves a wide margin on a
/// loaded machine (it was 120 s: two minutes of every CI run, waiting on that bug).
const TIMEOUT: Duration = Duration::from_secs(30);

/// Options of `cargo xtask conformance`.
#[derive(Args)]
pub struct Options {
    /// Build selvm with these cargo features (e.g. a mutation-* feature).
    #[arg(long)]
    features: Option<String>,
    /// Use the suite already built in target/user/conformance.wasm.
    #[arg(long)]
    no_build: bool,
    /// Require at least this many passed tests (default: the floor of the machine run,
    /// 139 hosted, 140 on riscv64).
    #[arg(long)]
    min: Option<u32>,
    /// Run the suite natively instead: built for riscv64, the root task of the native
    /// kernel under qemu `virt` (docs/riscv64.md).
    #[arg(long, conflicts_with_all = ["features", "no_build"])]
    riscv64: bool,
    /// Run the hosted machine on this memory back end (soft or mmap: `selvm run
    /// --memory-backend`; default: selvm's, from $SELVM_MEMORY_BACKEND or soft).
    #[arg(long, conflicts_with = "riscv64")]
    memory_backend: Option<String>,
}

impl Options {
    /// What CI runs: build the suite, no features, the floor.
    pub fn ci() -> Self {
        Options {
            features: None,
            no_build: false,
            min: None,
            riscv64: false,
            memory_backend: None,
        }
    }

    /// What CI runs for the mmap memory back end: the suite the `conformance` step
    /// built, on it.
    pub fn ci_mmap() -> Self {
        Options {
            memory_backend: Some("mmap".into()),
            no_build: true,
            ..Self::ci()
        }
    }
}

/// How a run of the suite ended.
enum Verdict {
    /// Exit status CLEAN and a summary line.
    Passed { passed: u32 },
    /// DebugHalt with M > 0: M tests failed.
    Failed { summary: String, fails: Vec<String> },
    /// Killed at the time limit, another exit status, or no summary line.
    Broke(String),
}

/// Runs `cargo xtask conformance`.
pub fn run(o: &Options) -> Result {
    if o.riscv64 {
        return crate::riscv::conformance(o.min.unwrap_or(crate::riscv::NATIVE_FLOOR));
    }
    let min = o.min.unwrap_or(FLOOR);
    let wasm = if o.no_build {
        suite_path()
    } else {
        build_suite()?
    };
    match run_suite(&wasm, o.features.as_deref(), o.memory_backend.as_deref())? {
        Verdict::Passed { passed } if passed >= min => {
            println!("    conformance: {passed} passed, 0 failed (floor {})", min);
            Ok(())
        }
        Verdict::Passed { passed } => {
            bail!(
                "conformance: {passed} passed, below the floor of {} (a test dropped?)",
                min
            )
        }
        Verdict::Failed { summary, fails } => {
            bail!("conformance: {summary}:\n{}", fails.join("\n"))
        }
        Verdict::Broke(why) => bail!("conformance: the run broke: {why}"),
    }
}

/// Runs `cargo xtask mutation-check`.
pub fn mutation_check() -> Result {
    let wasm = build_suite()?;
    let mut missed = Vec::new();
    for m in MUTATIONS {
        println!("  --> {m}");
        let how = match run_suite(&wasm, Some(m), None)? {
            Verdict::Passed { passed } => {
                missed.push(*m);
                format!("NOT caught ({passed} passed, 0 failed)")
            }
            Verdict::Failed { summary, .. } => format!("caught ({summary})"),
            Verdict::Broke(why) => format!("caught (the run broke: {why})"),
        };
        println!("    mutation-check: {m} {how}");
    }
    let caught = MUTATIONS.len() - missed.len();
    if !missed.is_empty() {
        bail!(
            "mutation-check: {caught}/{} caught; missed: {}",
            MUTATIONS.len(),
            missed.join(", ")
        );
    }
    println!("    mutation-check: {caught}/{} caught", MUTATIONS.len());
    Ok(())
}

fn suite_path() -> PathBuf {
    crate::target_dir().join("user/conformance.wasm")
}

/// Builds the suite into target/user/conformance.wasm (no dx: `selvm run` translates).
fn build_suite() -> Result<PathBuf> {
    user::build(
        &crate::root().join("user/conformance"),
        &crate::target_dir().join("user"),
        false,
    )
}

/// Builds selvm (debug, with `features`) and runs the suite on it.
fn run_suite(wasm: &Path, features: Option<&str>, memory: Option<&str>) -> Result<Verdict> {
    if !wasm.is_file() {
        bail!(
            "{} does not exist: build it (drop --no-build)",
            wasm.display()
        );
    }
    let mut build = cargo();
    build
        .current_dir(crate::root())
        .args(["build", "-q", "-p", "selvm"]);
    if let Some(f) = features {
        build.args(["--features", f]);
    }
    process::run(&mut build)?;
    let selvm = crate::target_dir().join("debug/selvm");
    let mut cmd = Command::new(&selvm);
    cmd.args([
        "run",
        "--deterministic",
        "--max-instructions",
        &MAX_INSTRUCTIONS.to_string(),
    ])
    .arg(wasm);
    if let Some(m) = memory {
        cmd.args(["--memory-backend", m]);
    }
    let out = process::run_bounded(&mut cmd, TIMEOUT)?;
    // These say the tool was used wrongly or could not write, not how the kernel did:
    // counted as a caught mutation they would hide a broken check.
    let code = out
        .status
        .and_then(|s| s.code())
        .and_then(|c| u8::try_from(c).ok());
    if let Some(c @ (status::USAGE | status::OUTPUT_FAILED | status::INTERRUPTED)) = code {
        bail!(
            "`{}` failed: {}
{}",
            process::show(&cmd),
            name(c.into()),
            out.stderr.trim_end()
        );
    }
    Ok(judge(
        out.status.map(|s| s.code()),
        &out.stdout,
        &out.stderr,
    ))
}

/// The verdict from the exit status (`None`: killed at the limit; `Some(None)`: killed
/// by a signal) and the output.
fn judge(status: Option<Option<i32>>, stdout: &str, stderr: &str) -> Verdict {
    let summary = stdout.lines().rev().find_map(summary_line);
    let fails = stdout
        .lines()
        .filter(|l| l.contains("FAIL"))
        .map(str::to_string)
        .collect();
    let tail = || {
        stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .to_string()
    };
    let code = match status {
        None => return Verdict::Broke(format!("no end within {} s: killed", TIMEOUT.as_secs())),
        Some(None) => return Verdict::Broke(format!("selvm killed by a signal; {}", tail())),
        Some(Some(c)) => c,
    };
    match (u8::try_from(code), summary) {
        (Ok(status::CLEAN), Some((passed, 0))) => Verdict::Passed { passed },
        (Ok(status::HALT_STATUS), Some((passed, failed))) if failed > 0 => Verdict::Failed {
            summary: format!("{passed} passed, {failed} failed"),
            fails,
        },
        (_, None) => Verdict::Broke(format!("{}, no summary line; {}", name(code), tail())),
        (_, Some((p, f))) => Verdict::Broke(format!(
            "{} after `{p} passed, {f} failed`; {}",
            name(code),
            tail()
        )),
    }
}

/// "status N (name: meaning)" from the machine's table.
fn name(code: i32) -> String {
    match u8::try_from(code).ok().and_then(status::lookup) {
        Some(s) => format!("status {code} ({}: {})", s.name, s.meaning),
        None => format!("status {code}"),
    }
}

/// (N, M) from `N passed, M failed`.
pub fn summary_line(line: &str) -> Option<(u32, u32)> {
    let (passed, rest) = line.split_once(" passed, ")?;
    let failed = rest.strip_suffix(" failed")?;
    Some((passed.parse().ok()?, failed.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verdict_follows_the_exit_status_and_the_summary() {
        let clean = "a ... PASS\n138 passed, 0 failed\n";
        assert!(matches!(
            judge(Some(Some(0)), clean, ""),
            Verdict::Passed { passed: 138 }
        ));
        let failed = "a ... FAIL (x)\nb ... PASS\n1 passed, 1 failed\n";
        let v = judge(Some(Some(1)), failed, "selvm: halted with status 1\n");
        assert!(matches!(v, Verdict::Failed { ref fails, .. } if fails.len() == 1));
        assert!(matches!(
            judge(Some(Some(5)), "a ... PASS\n", "limit\n"),
            Verdict::Broke(_)
        ));
        assert!(matches!(
            judge(Some(Some(0)), "a ... PASS\n", ""),
            Verdict::Broke(_)
        ));
        assert!(matches!(judge(None, "", ""), Verdict::Broke(_)));
        assert!(matches!(judge(Some(Some(1)), clean, ""), Verdict::Broke(_)));
    }

    #[test]
    fn summary_lines_are_read_exactly() {
        assert_eq!(summary_line("138 passed, 0 failed"), Some((138, 0)));
        assert_eq!(summary_line("x 138 passed, 0 failed"), None);
        assert_eq!(summary_line("138 passed, 0 failed."), None);
    }
}
