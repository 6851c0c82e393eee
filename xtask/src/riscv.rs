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
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

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
    /// The root task: a path to a riscv64 ELF (linked for user space; see docs/riscv64.md).
    program: PathBuf,
    /// Give up (exit status 124) after this many seconds.
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=3600))]
    timeout: u64,
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

/// `cargo xtask qemu PROGRAM`: the guest's exit status (qemu's), 124 on the time limit.
pub fn qemu(o: &QemuOptions) -> Result<ExitCode> {
    let program = crate::root().join(&o.program);
    if !program.is_file() {
        bail!("{}: no such root task ELF", o.program.display());
    }
    let kernel = kernel_elf()?;
    let loader = build(
        "selvm-loader",
        "selvm-loader",
        &[
            ("SELVM_KERNEL_ELF", &kernel),
            ("SELVM_ROOTSERVER_ELF", &program),
        ],
    )?;
    let Some(qemu) = toolchain::find_program(&["qemu-system-riscv64"]) else {
        bail!(
            "no qemu-system-riscv64 on PATH: run scripts/setup.sh (installs qemu-system-misc and opensbi)"
        )
    };
    let mut cmd = Command::new(qemu);
    cmd.args(QEMU).arg("-kernel").arg(&loader);
    println!("    $ {}  (at most {} s)", process::show(&cmd), o.timeout);
    let mut child = cmd
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| process::Error::new(format!("cannot start qemu: {e}")))?;
    let deadline = Instant::now() + Duration::from_secs(o.timeout);
    loop {
        if let Some(status) = child
            .try_wait()
            .map_err(|e| process::Error::new(format!("waiting for qemu: {e}")))?
        {
            let code = status.code().unwrap_or(1);
            return Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)));
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            eprintln!("xtask qemu: no verdict after {} s: stopped", o.timeout);
            return Ok(ExitCode::from(124));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
