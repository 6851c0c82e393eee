//! `cargo xtask cross TARGET PKG...`: library crates built for a bare-metal or wasm
//! target with whichever toolchain `toolchain::cross` picks.

use crate::process::{self, Result, cargo};
use crate::toolchain::{self, Cross};
use clap::Args;

/// Options of `cargo xtask cross`.
#[derive(Args)]
#[command(
    after_help = "Toolchain: the rustup target if installed (plain `cargo build --target`), \
else Debian's rustc-web with -Zbuild-std=core,alloc into target/web, linked by lld \
(scripts/setup.sh installs it). SELVM_CROSS_TOOLCHAIN=rustup|debian forces one; \
SELVM_DEBIAN_RUSTC and SELVM_DEBIAN_CARGO name the Debian binaries (default /usr/bin/...)."
)]
pub struct Options {
    /// The target triple, e.g. riscv64gc-unknown-none-elf or wasm32-unknown-unknown.
    target: String,
    /// The packages whose libraries to build, e.g. selvm-abi selvm-kernel.
    #[arg(required = true)]
    packages: Vec<String>,
    /// Extra cargo arguments, after `--` (e.g. -- --release).
    #[arg(last = true)]
    cargo_args: Vec<String>,
}

/// Runs `cargo xtask cross`.
pub fn run(o: &Options) -> Result {
    let packages: Vec<&str> = o.packages.iter().map(String::as_str).collect();
    build(&o.target, &packages, &o.cargo_args)
}

/// Builds the libraries of `packages` for `target`.
pub fn build(target: &str, packages: &[&str], extra: &[String]) -> Result {
    let mut cmd = match toolchain::cross(target)? {
        Cross::Installed => {
            let rustc = toolchain::version("rustc".as_ref()).unwrap_or_default();
            println!("    cross: {target} with {rustc} (installed target)");
            let mut cmd = cargo();
            cmd.args(["build", "--target", target]);
            cmd
        }
        Cross::BuildStd(t) => {
            println!("    cross: {target} with {}", t.describe("core,alloc"));
            let mut cmd = t.cargo_build();
            // Its own directory, so the two toolchains never rebuild each other's artifacts.
            cmd.arg("--target-dir").arg(crate::target_dir().join("web"));
            cmd
        }
    };
    cmd.current_dir(crate::root()).arg("--lib");
    for p in packages {
        cmd.args(["-p", p]);
    }
    process::run(cmd.args(extra))
}
