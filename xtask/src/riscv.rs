//! The native riscv64 platform (`platforms/riscv64-virt`, its own workspace):
//! `cargo xtask kernel-elf` builds the kernel ELF (seL4's elfloader contract: physical
//! 0x84000000, virtual 0xffffffff84000000) and prints its path as the last line;
//! `cargo xtask qemu PROGRAM` builds the kernel, the root task and seLVM's loader (the
//! elfloader's part, as OpenSBI's payload) and boots them under qemu `virt` with a time
//! limit, the serial console on stdout and the guest's verdict as the exit status.

use crate::process::{self, Result, bail};
use crate::toolchain::{self, BuildStd};
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

/// The native target: riscv64 with integer multiply, atomics and compressed
/// instructions, no FPU (the reference configuration is soft-float).
pub const TARGET: &str = "riscv64imac-unknown-none-elf";

/// The platform's workspace, relative to the repository root.
const PLATFORM: &str = "platforms/riscv64-virt";

/// The qemu invocation of SEL4-RISCV64-BOOT.md, with OpenSBI from qemu's firmware.
const QEMU: &[&str] = &[
    "-machine",
    "virt",
    "-cpu",
    "rv64",
    "-nographic",
    "-m",
    "size=3072",
    "-bios",
    "default",
];

/// Options of `cargo xtask qemu`.
#[derive(Args)]
pub struct QemuOptions {
    /// The root task: a program of user/ built natively (`conformance`, `hello`,
    /// `ipc-bench`, or any user/NAME with a riscv64 build), or a path to a riscv64 ELF
    /// root task (linked for user space; see docs/riscv64.md).
    program: String,
    /// Give up (exit status 124) after this many seconds.
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=3600))]
    timeout: u64,
    /// Run qemu with `-icount shift=0` (one instruction one virtual nanosecond, the
    /// cycle counter counting instructions: what the IPC benchmark measures with).
    #[arg(long)]
    icount: bool,
}

/// The root task ELF `program` names: an existing file, or user/NAME built natively.
fn root_task(program: &str) -> Result<PathBuf> {
    let path = Path::new(program);
    if path.is_file() {
        return Ok(path.to_path_buf());
    }
    let crate_dir = crate::root().join("user").join(program);
    if !program.contains(['/', '.']) && crate_dir.join("Cargo.toml").is_file() {
        return crate::native::build(&crate_dir, &crate::native::default_out_dir(), true);
    }
    bail!(
        "{program}: neither a root task ELF nor a program in user/ (try conformance, hello or ipc-bench)"
    )
}

/// The toolchain for the platform: always `-Zbuild-std` (no host toolchain ships this
/// target), Debian's rustc-web if installed.
fn toolchain() -> Result<BuildStd> {
    toolchain::user(TARGET)
}

fn target_dir() -> PathBuf {
    crate::target_dir().join("riscv64-virt")
}

/// `cargo build --release -p PACKAGE` in the platform's workspace, with `env` set;
/// returns the binary `bin`.
fn build(package: &str, bin: &str, env: &[(&str, &Path)]) -> Result<PathBuf> {
    let t = toolchain()?;
    let mut cmd = t.cargo_build();
    cmd.current_dir(crate::root().join(PLATFORM))
        .args(["--release", "-p", package])
        .arg("--target-dir")
        .arg(target_dir());
    for (k, v) in env {
        cmd.env(k, v);
    }
    process::run(&mut cmd)?;
    Ok(target_dir().join(TARGET).join("release").join(bin))
}

/// Builds the kernel ELF; its path.
pub fn kernel_elf() -> Result<PathBuf> {
    build("selvm-riscv64", "kernel", &[])
}

/// `cargo xtask kernel-elf`.
pub fn kernel_elf_command() -> Result {
    let path = kernel_elf()?;
    println!("{}", path.display());
    Ok(())
}

/// How a boot under qemu ended.
pub struct Boot {
    /// qemu's exit status (the guest's verdict through the test finisher), `None` if
    /// it was stopped at the time limit.
    pub status: Option<i32>,
    /// The console output.
    pub console: String,
}

/// Builds the kernel and the loader with `root_task` embedded and boots them under
/// qemu, echoing the console, for at most `timeout`.
pub fn boot(root_task: &Path, timeout: Duration, icount: bool) -> Result<Boot> {
    let root_task = crate::user::absolute(root_task)?;
    let kernel = kernel_elf()?;
    let loader = build(
        "selvm-loader",
        "selvm-loader",
        &[
            ("SELVM_KERNEL_ELF", &kernel),
            ("SELVM_ROOTSERVER_ELF", &root_task),
        ],
    )?;
    let Some(qemu) = toolchain::find_program(&["qemu-system-riscv64"]) else {
        bail!(
            "no qemu-system-riscv64 on PATH: run scripts/setup.sh (installs qemu-system-misc and opensbi)"
        )
    };
    let mut cmd = Command::new(qemu);
    cmd.args(QEMU).arg("-kernel").arg(&loader);
    if icount {
        cmd.args(["-icount", "shift=0"]);
    }
    let run = process::run_bounded_echoed(&mut cmd, timeout)?;
    eprint!("{}", run.stderr);
    Ok(Boot {
        status: run.status.map(|s| s.code().unwrap_or(1)),
        console: run.stdout,
    })
}

/// `cargo xtask qemu PROGRAM`: the guest's exit status (qemu's), 124 on the time limit.
pub fn qemu(o: &QemuOptions) -> Result<ExitCode> {
    let program = root_task(&o.program)?;
    let boot = boot(&program, Duration::from_secs(o.timeout), o.icount)?;
    match boot.status {
        Some(code) => Ok(ExitCode::from(u8::try_from(code).unwrap_or(1))),
        None => {
            eprintln!("xtask qemu: no verdict after {} s: stopped", o.timeout);
            Ok(ExitCode::from(124))
        }
    }
}

/// The passed-test floor of the conformance suite on riscv64: the tests written so far
/// (139 hosted, less the 8 vm-only ones it skips there, plus the 9 riscv64 ones).
pub const NATIVE_FLOOR: u32 = 140;

/// A whole native conformance run takes about 25 s (4 s of it boot zeroing 3 GiB of
/// RAM); a hang ends here.
const NATIVE_TIMEOUT: Duration = Duration::from_secs(240);

/// The conformance suite as the root task on the native kernel under qemu: its
/// DebugHalt status (the failure count) is qemu's exit status; at least `min` passed.
pub fn conformance(min: u32) -> Result {
    let suite = crate::root().join("user/conformance");
    let elf = crate::native::build(&suite, &crate::native::default_out_dir(), true)?;
    let boot = boot(&elf, NATIVE_TIMEOUT, false)?;
    let summary = boot
        .console
        .lines()
        .rev()
        .find_map(crate::conformance::summary_line);
    let fails = || {
        let lines: Vec<&str> = boot
            .console
            .lines()
            .filter(|l| l.contains("FAIL"))
            .collect();
        lines.join("\n")
    };
    match (boot.status, summary) {
        (None, _) => bail!(
            "conformance on riscv64: no verdict within {} s (a hang?)",
            NATIVE_TIMEOUT.as_secs()
        ),
        (Some(0), Some((passed, 0))) if passed >= min => {
            println!("    conformance on riscv64: {passed} passed, 0 failed (floor {min})");
            Ok(())
        }
        (Some(0), Some((passed, 0))) => bail!(
            "conformance on riscv64: {passed} passed, below the floor of {min} (a test dropped?)"
        ),
        (Some(code), Some((passed, failed))) if failed > 0 && code == failed as i32 => {
            bail!(
                "conformance on riscv64: {passed} passed, {failed} failed:\n{}",
                fails()
            )
        }
        (Some(code), Some((p, f))) => bail!(
            "conformance on riscv64: the run broke: exit status {code} after `{p} passed, {f} failed`"
        ),
        (Some(code), None) => {
            bail!("conformance on riscv64: the run broke: exit status {code}, no summary line")
        }
    }
}
