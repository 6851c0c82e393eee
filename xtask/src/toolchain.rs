//! Which Rust toolchain builds what: the one place that decides (see docs/build.md).
//!
//! - Host builds: the `cargo` and `rustc` on PATH (the machine's stable Rust).
//! - Library crates for another target (`cargo xtask cross`): the host toolchain when it
//!   has the target's precompiled standard library (`rustup target add`), else Debian's
//!   `rustc-web`/`cargo-web` with `rust-web-src`, building `core` and `alloc` from source
//!   (`RUSTC_BOOTSTRAP=1 -Zbuild-std=core,alloc`) into `target/web`, linked by lld.
//! - User programs (`cargo xtask build-user`): always `-Zbuild-std`, so `core` gets the
//!   program's pinned flags: Debian's toolchain if installed, else the host toolchain
//!   with its `rust-src` component; linked by `wasm-ld`.
//!
//! Linkers are found as `ld.lld` / `wasm-ld`, or else the highest versioned
//! `ld.lld-N` / `wasm-ld-N` on PATH (Debian's lld installs e.g. `wasm-ld-14`).

use crate::process::{Result, bail, succeeds};
use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The targets CI cross-builds (scripts/setup.sh keeps the same list).
pub const CROSS_TARGETS: &[&str] = &["riscv64gc-unknown-none-elf", "wasm32-unknown-unknown"];

/// The hint every "toolchain missing" error ends with.
const SETUP_HINT: &str =
    "run scripts/setup.sh (Debian: installs rustc-web cargo-web rust-web-src lld)";

/// A toolchain that builds `core` and `alloc` from source for a target.
pub struct BuildStd {
    /// The compiler (`RUSTC`).
    pub rustc: PathBuf,
    /// The cargo that drives it.
    pub cargo: PathBuf,
    /// Whether this is Debian's rustc-web (not the host toolchain).
    pub debian: bool,
    /// The linker for the target.
    pub linker: PathBuf,
    /// The target triple.
    pub target: String,
}

/// How library crates get built for a target.
pub enum Cross {
    /// The host toolchain has the target's standard library.
    Installed,
    /// `-Zbuild-std` with another toolchain.
    BuildStd(BuildStd),
}

/// The toolchain for cross builds of library crates to `target`. `SELVM_CROSS_TOOLCHAIN`
/// (`rustup` or `debian`) forces one instead of choosing.
pub fn cross(target: &str) -> Result<Cross> {
    let forced = env::var("SELVM_CROSS_TOOLCHAIN").unwrap_or_default();
    match forced.as_str() {
        "" if host_has_target(target) => Ok(Cross::Installed),
        "" => match debian() {
            Some((rustc, cargo)) => Ok(Cross::BuildStd(with_linker(rustc, cargo, true, target)?)),
            None => bail!(
                "no toolchain can build {target}: either `rustup target add {target}`, or {SETUP_HINT}"
            ),
        },
        "rustup" if host_has_target(target) => Ok(Cross::Installed),
        "rustup" => bail!(
            "SELVM_CROSS_TOOLCHAIN=rustup but the default toolchain has no {target} (rustup target add {target})"
        ),
        "debian" => match debian() {
            Some((rustc, cargo)) => Ok(Cross::BuildStd(with_linker(rustc, cargo, true, target)?)),
            None => bail!(
                "SELVM_CROSS_TOOLCHAIN=debian but Debian's toolchain is missing: {SETUP_HINT}"
            ),
        },
        other => bail!("SELVM_CROSS_TOOLCHAIN must be rustup or debian, not '{other}'"),
    }
}

/// The toolchain for user programs on `target` (always `-Zbuild-std`).
pub fn user(target: &str) -> Result<BuildStd> {
    if let Some((rustc, cargo)) = debian() {
        return with_linker(rustc, cargo, true, target);
    }
    if has_src(Path::new("rustc")) {
        return with_linker("rustc".into(), "cargo".into(), false, target);
    }
    bail!(
        "no toolchain with the standard library's sources: {SETUP_HINT}, or `rustup component add rust-src`"
    )
}

fn with_linker(rustc: PathBuf, cargo: PathBuf, debian: bool, target: &str) -> Result<BuildStd> {
    let name = if target.starts_with("wasm") {
        "wasm-ld"
    } else {
        "ld.lld"
    };
    let Some(linker) = find_program(&[name]) else {
        bail!("no {name} (or {name}-<N>) on PATH: install lld ({SETUP_HINT})")
    };
    Ok(BuildStd {
        rustc,
        cargo,
        debian,
        linker,
        target: target.to_string(),
    })
}

impl BuildStd {
    /// `cargo build --target T -Zbuild-std=core,alloc` with this toolchain: the linker
    /// through cargo's per-target setting (so the user's RUSTFLAGS stay in effect), and
    /// no rustup variables leaking into Debian's toolchain.
    pub fn cargo_build(&self) -> Command {
        self.cargo_build_std("core,alloc")
    }

    /// [`BuildStd::cargo_build`] building the standard library crates `crates` from
    /// source (`std,panic_abort` for the browser page, which needs `std`).
    pub fn cargo_build_std(&self, crates: &str) -> Command {
        let mut cmd = Command::new(&self.cargo);
        cmd.args(["build", "--target", &self.target])
            .arg(format!("-Zbuild-std={crates}"));
        let triple = self.target.to_uppercase().replace(['-', '.'], "_");
        cmd.env(format!("CARGO_TARGET_{triple}_LINKER"), &self.linker);
        cmd.env("RUSTC_BOOTSTRAP", "1").env("RUSTC", &self.rustc);
        if self.debian {
            cmd.env_remove("RUSTUP_TOOLCHAIN").env_remove("RUSTDOC");
        }
        cmd
    }

    /// "rustc X -Zbuild-std=CRATES, linker L" for progress lines (`crates` as given to
    /// [`BuildStd::cargo_build_std`]).
    pub fn describe(&self, crates: &str) -> String {
        let rustc = version(&self.rustc).unwrap_or_else(|| "rustc (version unknown)".into());
        let whose = if self.debian { "Debian's " } else { "" };
        format!(
            "{whose}{rustc} -Zbuild-std={crates}, linker {}",
            self.linker.display()
        )
    }
}

/// Debian's rustc-web and cargo-web with `rust-web-src`, if installed
/// (`SELVM_DEBIAN_RUSTC` / `SELVM_DEBIAN_CARGO` override /usr/bin/rustc, /usr/bin/cargo).
pub fn debian() -> Option<(PathBuf, PathBuf)> {
    let path =
        |var, default| PathBuf::from(env::var_os(var).unwrap_or_else(|| OsString::from(default)));
    let rustc = path("SELVM_DEBIAN_RUSTC", "/usr/bin/rustc");
    let cargo = path("SELVM_DEBIAN_CARGO", "/usr/bin/cargo");
    (is_executable(&rustc) && is_executable(&cargo) && has_src(&rustc)).then_some((rustc, cargo))
}

/// Does the host toolchain ship the precompiled `core` for `target`?
pub fn host_has_target(target: &str) -> bool {
    let Some(libdir) =
        capture_quiet(Command::new("rustc").args(["--print", "target-libdir", "--target", target]))
    else {
        return false;
    };
    let Ok(entries) = std::fs::read_dir(libdir.trim()) else {
        return false;
    };
    entries.flatten().any(|e| {
        let name = e.file_name();
        let name = name.to_string_lossy();
        name.starts_with("libcore-") && name.ends_with(".rlib")
    })
}

/// Does `rustc` have the standard library's sources (what `-Zbuild-std` compiles)?
pub fn has_src(rustc: &Path) -> bool {
    sysroot(rustc).is_some_and(|s| s.join("lib/rustlib/src/rust/library/core").is_dir())
}

/// `rustc --print sysroot`.
pub fn sysroot(rustc: &Path) -> Option<PathBuf> {
    let out = capture_quiet(Command::new(rustc).args(["--print", "sysroot"]))?;
    Some(PathBuf::from(out.trim()))
}

/// The first line `PROGRAM --version` prints, if it runs.
pub fn version(program: &Path) -> Option<String> {
    let out = capture_quiet(Command::new(program).arg("--version"))?;
    out.lines().next().map(str::to_string)
}

/// Whether `cargo +nightly` and its nextest exist (the tail-call dispatch tests).
pub fn nightly_nextest() -> bool {
    succeeds(Command::new("cargo").args(["+nightly", "--version"]))
        && succeeds(Command::new("cargo").args(["+nightly", "nextest", "--version"]))
}

/// The first of `names` on PATH, else the highest versioned `NAME-<N>` there.
pub fn find_program(names: &[&str]) -> Option<PathBuf> {
    let dirs: Vec<PathBuf> = env::split_paths(&env::var_os("PATH").unwrap_or_default()).collect();
    for name in names {
        if let Some(p) = dirs.iter().map(|d| d.join(name)).find(|p| is_executable(p)) {
            return Some(p);
        }
    }
    let mut best: Option<(u32, PathBuf)> = None;
    for dir in &dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for e in entries.flatten() {
            let file = e.file_name();
            let Some(v) = names
                .iter()
                .find_map(|n| versioned(&file.to_string_lossy(), n))
            else {
                continue;
            };
            if best.as_ref().is_none_or(|(bv, _)| v > *bv) && is_executable(&e.path()) {
                best = Some((v, e.path()));
            }
        }
    }
    best.map(|(_, p)| p)
}

/// N if `file` is `NAME-N`.
fn versioned(file: &str, name: &str) -> Option<u32> {
    let digits = file.strip_prefix(name)?.strip_prefix('-')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    p.is_file()
}

/// Stdout of `cmd` if it runs and exits with 0 (stderr discarded): a query.
fn capture_quiet(cmd: &mut Command) -> Option<String> {
    let out = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versioned_names_are_read_exactly() {
        assert_eq!(versioned("wasm-ld-14", "wasm-ld"), Some(14));
        assert_eq!(versioned("wasm-ld-19", "wasm-ld"), Some(19));
        assert_eq!(versioned("wasm-ld", "wasm-ld"), None);
        assert_eq!(versioned("wasm-ld-14.0", "wasm-ld"), None);
        assert_eq!(versioned("ld.lld-x", "ld.lld"), None);
        assert_eq!(versioned("ld64.lld-14", "ld.lld"), None);
    }
}
