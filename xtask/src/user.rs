//! `cargo xtask build-user`: a user program (a crate using libsel4 and rt) built for
//! wasm32 with pinned WebAssembly features and remapped paths, then translated by
//! `selvm dx`; or, with `--target riscv64`, a native ELF (`crate::native`).

use crate::json;
use crate::native;
use crate::process::{self, Error, Result, bail, capture, cargo};
use crate::toolchain;
use clap::{Args, ValueEnum};
use std::env;
use std::path::{Path, PathBuf};

/// The target of user programs.
pub const TARGET: &str = "wasm32-unknown-unknown";

/// The WebAssembly features of docs/wasm-abi.md (what dx translates), pinned on.
pub const ENABLED: &[&str] = &[
    "mutable-globals",
    "sign-ext",
    "nontrapping-fptoint",
    "bulk-memory",
    "multivalue",
    "reference-types",
];
/// The stable features rustc knows that dx does not, pinned off. `-C target-cpu=mvp`
/// already starts from none, which also keeps out the unstable ones (atomics,
/// exception-handling, gc, wide-arithmetic: naming them would only draw warnings).
pub const DISABLED: &[&str] = &["simd128", "relaxed-simd", "extended-const", "tail-call"];

/// Options of `cargo xtask build-user`.
#[derive(Args)]
#[command(
    after_help = "Recipe for wasm32 (either toolchain): RUSTC_BOOTSTRAP=1 cargo build --target \
wasm32-unknown-unknown -Zbuild-std=core,alloc with -C target-cpu=mvp and the features dx \
supports pinned (every other one disabled, so a toolchain update cannot change the \
instructions emitted; core and alloc get the same flags), and --remap-path-prefix for the \
checkout, the cargo home and the toolchain's library sources, so the module does not \
depend on the machine. Linker: wasm-ld. Toolchain: Debian's rustc-web with rust-web-src \
(scripts/setup.sh) if installed, else the default toolchain with rust-src.\n\n\
Recipe for riscv64 (native, no dx step): the same toolchain and remapping, --target \
riscv64imac-unknown-none-elf (soft-float, lp64, like seL4's reference configuration) \
-Zbuild-std=core,alloc, linked by ld.lld with user/rt/riscv64.ld (the image at 0x10000, \
the layout user/rt's start code expects); writes OUT_DIR/NAME.elf, a root task for \
`cargo xtask qemu`."
)]
pub struct Options {
    /// What to build for: wasm32 (the hosted machine: NAME.wasm, then NAME.sbc) or
    /// riscv64 (native: NAME.elf).
    #[arg(long, value_enum, default_value_t = Arch::Wasm32)]
    target: Arch,
    /// Build with the release profile.
    #[arg(long)]
    release: bool,
    /// Stop at NAME.wasm: do not translate it with `selvm dx` (wasm32 only).
    #[arg(long)]
    no_dx: bool,
    /// The program's crate, e.g. user/hello.
    crate_dir: PathBuf,
    /// Where the output goes [default: target/user for wasm32, target/user/riscv64 for
    /// riscv64].
    out_dir: Option<PathBuf>,
}

/// The architectures a user program builds for.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Arch {
    /// The hosted machine: WebAssembly, translated by dx.
    Wasm32,
    /// Native riscv64 (qemu `virt`), an ELF root task.
    Riscv64,
}

/// Runs `cargo xtask build-user`.
pub fn run(o: &Options) -> Result {
    if o.target == Arch::Riscv64 {
        let out = o.out_dir.clone().unwrap_or_else(native::default_out_dir);
        return native::build(&o.crate_dir, &out, o.release).map(drop);
    }
    let out = o
        .out_dir
        .clone()
        .unwrap_or_else(|| crate::target_dir().join("user"));
    let wasm = build(&o.crate_dir, &out, o.release)?;
    if !o.no_dx {
        dx(&wasm)?;
    }
    Ok(())
}

/// Builds the program in `crate_dir` into `out_dir/NAME.wasm`, returning that path.
pub fn build(crate_dir: &Path, out_dir: &Path, release: bool) -> Result<PathBuf> {
    let t = toolchain::user(TARGET)?;
    let flags = rustflags(&t.rustc)?;
    let (name, built) = cargo_build_program(&t, TARGET, &flags, crate_dir, release)?;
    let wasm = deliver(
        &built.with_extension("wasm"),
        out_dir,
        &format!("{name}.wasm"),
    )?;
    println!("    build-user: wrote {}", wasm.display());
    Ok(wasm)
}

/// Builds the user program in `crate_dir` for `target` with toolchain `t` and the
/// encoded `rustflags` (the user's RUSTFLAGS left out), into the shared user-build
/// target directory; returns its binary's name and where cargo put it (without the
/// target's extension).
pub fn cargo_build_program(
    t: &toolchain::BuildStd,
    target: &str,
    rustflags: &str,
    crate_dir: &Path,
    release: bool,
) -> Result<(String, PathBuf)> {
    let (crate_dir, name) = program(crate_dir)?;
    println!(
        "    build-user: {name} for {target} with {}",
        t.describe("core,alloc")
    );
    let target_dir = crate::target_dir().join("user-build");
    let mut cmd = t.cargo_build();
    cmd.current_dir(&crate_dir)
        .args(["--bin", &name])
        .arg("--target-dir")
        .arg(&target_dir)
        .env("CARGO_ENCODED_RUSTFLAGS", rustflags)
        .env_remove("RUSTFLAGS");
    if release {
        cmd.arg("--release");
    }
    process::run(&mut cmd)?;
    let profile = if release { "release" } else { "debug" };
    let built = target_dir.join(target).join(profile).join(&name);
    Ok((name, built))
}

/// The absolute directory of the user program in `crate_dir` and its binary's name.
pub fn program(crate_dir: &Path) -> Result<(PathBuf, String)> {
    if !crate_dir.is_dir() {
        bail!(
            "no directory {} (give a user program's crate, e.g. user/hello)",
            crate_dir.display()
        );
    }
    let crate_dir = absolute(crate_dir)?;
    let manifest = crate_dir.join("Cargo.toml");
    if !manifest.is_file() {
        bail!("{} has no Cargo.toml", crate_dir.display());
    }
    let name = binary_name(&manifest)?;
    Ok((crate_dir, name))
}

/// Copies the built file `built` to `out_dir/file_name` (creating `out_dir`); that path.
pub fn deliver(built: &Path, out_dir: &Path, file_name: &str) -> Result<PathBuf> {
    std::fs::create_dir_all(out_dir)
        .map_err(|e| Error::new(format!("creating {}: {e}", out_dir.display())))?;
    let to = absolute(out_dir)?.join(file_name);
    std::fs::copy(built, &to).map_err(|e| {
        Error::new(format!(
            "copying {} to {}: {e}",
            built.display(),
            to.display()
        ))
    })?;
    Ok(to)
}

/// The flags of every wasm32 user build (CARGO_ENCODED_RUSTFLAGS, so `RUSTFLAGS` cannot
/// add to them): the pinned features, then [`remap_flags`].
fn rustflags(rustc: &Path) -> Result<String> {
    let features: Vec<String> = ENABLED
        .iter()
        .map(|f| format!("+{f}"))
        .chain(DISABLED.iter().map(|f| format!("-{f}")))
        .collect();
    let flags = [
        "-C".to_string(),
        "target-cpu=mvp".into(),
        "-C".into(),
        format!("target-feature={}", features.join(",")),
    ]
    .into_iter()
    .chain(remap_flags(rustc)?);
    Ok(flags.collect::<Vec<_>>().join("\x1f"))
}

/// The checkout, the cargo home and the toolchain's library sources remapped, so a
/// user program does not depend on where it was built.
pub fn remap_flags(rustc: &Path) -> Result<[String; 3]> {
    let sysroot = toolchain::sysroot(rustc)
        .ok_or_else(|| Error::new(format!("`{} --print sysroot` failed", rustc.display())))?;
    let cargo_home = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_default();
    let root = absolute(crate::root())?;
    let library = sysroot.join("lib/rustlib/src/rust");
    Ok([
        format!("--remap-path-prefix={}=/selvm", root.display()),
        format!("--remap-path-prefix={}=/cargo", cargo_home.display()),
        format!("--remap-path-prefix={}=/rustc", library.display()),
    ])
}

/// Translates `wasm` to register bytecode beside it (`selvm dx`).
pub fn dx(wasm: &Path) -> Result {
    let sbc = wasm.with_extension("sbc");
    let mut cmd = cargo();
    cmd.current_dir(crate::root())
        .args(["run", "-q", "-p", "selvm", "--", "dx"]);
    process::run(cmd.arg(wasm).arg("-o").arg(&sbc))?;
    println!("    build-user: wrote {}", sbc.display());
    Ok(())
}

/// The name of the binary target of the package whose manifest is `manifest` (read with
/// `cargo metadata`; in a workspace of several programs, the one at that path).
pub fn binary_name(manifest: &Path) -> Result<String> {
    let mut cmd = cargo();
    cmd.args([
        "metadata",
        "--format-version",
        "1",
        "--no-deps",
        "--manifest-path",
    ])
    .arg(manifest);
    let text = capture(&mut cmd)?;
    let meta =
        json::parse(&text).map_err(|e| Error::new(format!("reading `cargo metadata`: {e}")))?;
    let package = meta
        .get("packages")
        .map(json::Value::items)
        .unwrap_or_default()
        .iter()
        .find(|p| {
            p.get("manifest_path")
                .and_then(json::Value::as_str)
                .and_then(|m| absolute(Path::new(m)).ok())
                .as_deref()
                == Some(manifest)
        });
    let Some(package) = package else {
        bail!(
            "cargo metadata does not list the package of {}",
            manifest.display()
        )
    };
    let targets = package
        .get("targets")
        .map(json::Value::items)
        .unwrap_or_default();
    let is_bin = |t: &&json::Value| {
        t.get("kind")
            .is_some_and(|k| k.items().iter().any(|k| k.as_str() == Some("bin")))
    };
    match targets
        .iter()
        .find(is_bin)
        .and_then(|t| t.get("name"))
        .and_then(json::Value::as_str)
    {
        Some(name) => Ok(name.to_string()),
        None => bail!(
            "{} has no binary target (a user program is a bin crate)",
            manifest.display()
        ),
    }
}

/// `p` made absolute against the current directory, `.` and `..` resolved.
pub fn absolute(p: &Path) -> Result<PathBuf> {
    p.canonicalize()
        .map_err(|e| Error::new(format!("{}: {e}", p.display())))
}
