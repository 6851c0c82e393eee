//! `cargo xtask build-user`: a user program (a wasm32 crate using libsel4) built with
//! pinned WebAssembly features and remapped paths, then translated by `selvm dx`.

use crate::json;
use crate::process::{self, Error, Result, bail, capture, cargo};
use crate::toolchain;
use clap::Args;
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
    after_help = "Recipe (either toolchain): RUSTC_BOOTSTRAP=1 cargo build --target \
wasm32-unknown-unknown -Zbuild-std=core,alloc with -C target-cpu=mvp and the features dx \
supports pinned (every other one disabled, so a toolchain update cannot change the \
instructions emitted; core and alloc get the same flags), and --remap-path-prefix for the \
checkout, the cargo home and the toolchain's library sources, so the module does not \
depend on the machine. Linker: wasm-ld. Toolchain: Debian's rustc-web with rust-web-src \
(scripts/setup.sh) if installed, else the default toolchain with rust-src."
)]
pub struct Options {
    /// Build with the release profile.
    #[arg(long)]
    release: bool,
    /// Stop at NAME.wasm: do not translate it with `selvm dx`.
    #[arg(long)]
    no_dx: bool,
    /// The program's crate, e.g. user/hello.
    crate_dir: PathBuf,
    /// Where NAME.wasm (and NAME.sbc) go [default: target/user].
    out_dir: Option<PathBuf>,
}

/// Runs `cargo xtask build-user`.
pub fn run(o: &Options) -> Result {
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
    let t = toolchain::user(TARGET)?;
    println!("    build-user: {name} for {TARGET} with {}", t.describe());
    let target_dir = crate::target_dir().join("user-build");
    let mut cmd = t.cargo_build();
    cmd.current_dir(&crate_dir)
        .args(["--bin", &name])
        .arg("--target-dir")
        .arg(&target_dir)
        .env("CARGO_ENCODED_RUSTFLAGS", rustflags(&t.rustc)?)
        .env_remove("RUSTFLAGS");
    if release {
        cmd.arg("--release");
    }
    process::run(&mut cmd)?;
    let profile = if release { "release" } else { "debug" };
    let built = target_dir
        .join(TARGET)
        .join(profile)
        .join(format!("{name}.wasm"));
    std::fs::create_dir_all(out_dir)
        .map_err(|e| Error::new(format!("creating {}: {e}", out_dir.display())))?;
    let wasm = absolute(out_dir)?.join(format!("{name}.wasm"));
    std::fs::copy(&built, &wasm).map_err(|e| {
        Error::new(format!(
            "copying {} to {}: {e}",
            built.display(),
            wasm.display()
        ))
    })?;
    println!("    build-user: wrote {}", wasm.display());
    Ok(wasm)
}

/// The flags of every user build (CARGO_ENCODED_RUSTFLAGS, so `RUSTFLAGS` cannot add
/// to them): the pinned features, and the checkout, the cargo home and the toolchain's
/// library sources remapped so the module does not depend on where it was built.
fn rustflags(rustc: &Path) -> Result<String> {
    let sysroot = toolchain::sysroot(rustc)
        .ok_or_else(|| Error::new(format!("`{} --print sysroot` failed", rustc.display())))?;
    let cargo_home = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_default();
    let features: Vec<String> = ENABLED
        .iter()
        .map(|f| format!("+{f}"))
        .chain(DISABLED.iter().map(|f| format!("-{f}")))
        .collect();
    let root = absolute(crate::root())?;
    let library = sysroot.join("lib/rustlib/src/rust");
    let flags = [
        "-C".to_string(),
        "target-cpu=mvp".into(),
        "-C".into(),
        format!("target-feature={}", features.join(",")),
        format!("--remap-path-prefix={}=/selvm", root.display()),
        format!("--remap-path-prefix={}=/cargo", cargo_home.display()),
        format!("--remap-path-prefix={}=/rustc", library.display()),
    ];
    Ok(flags.join("\x1f"))
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
fn binary_name(manifest: &Path) -> Result<String> {
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
fn absolute(p: &Path) -> Result<PathBuf> {
    p.canonicalize()
        .map_err(|e| Error::new(format!("{}: {e}", p.display())))
}
