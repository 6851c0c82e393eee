//! `cargo xtask build-user --target riscv64`: a native user program, an ELF root task
//! for seLVM's riscv64 kernel (and seL4's): built for `riscv64imac-unknown-none-elf`
//! (soft-float, lp64, like seL4's reference configuration) with the user toolchain
//! (`toolchain::user`: Debian's rustc-web, `-Zbuild-std=core,alloc`), linked by ld.lld
//! with user/rt's linker script, paths remapped as for wasm32. No dx step.

use crate::process::Result;
use crate::toolchain;
use crate::user;
use std::path::{Path, PathBuf};

/// The native target (the platform's, `crate::riscv::TARGET`).
pub const TARGET: &str = crate::riscv::TARGET;

/// The linker script of native user programs, relative to the checkout: the image at
/// 0x10000, the sections the runtime's start code reads (user/rt/src/riscv64.rs).
pub const LINKER_SCRIPT: &str = "user/rt/riscv64.ld";

/// Where native programs go by default: target/user/riscv64.
pub fn default_out_dir() -> PathBuf {
    crate::target_dir().join("user").join("riscv64")
}

/// Builds the program in `crate_dir` into `out_dir/NAME.elf`, returning that path.
pub fn build(crate_dir: &Path, out_dir: &Path, release: bool) -> Result<PathBuf> {
    let t = toolchain::user(TARGET)?;
    let flags = rustflags(&t.rustc)?;
    let (name, built) = user::cargo_build_program(&t, TARGET, &flags, crate_dir, release)?;
    let elf = user::deliver(&built, out_dir, &format!("{name}.elf"))?;
    println!("    build-user: wrote {}", elf.display());
    Ok(elf)
}

/// The flags of every native user build (CARGO_ENCODED_RUSTFLAGS, so `RUSTFLAGS`
/// cannot add to them): the linker script, then the remapped paths.
fn rustflags(rustc: &Path) -> Result<String> {
    let script = user::absolute(&crate::root().join(LINKER_SCRIPT))?;
    let flags = ["-C".to_string(), format!("link-arg=-T{}", script.display())]
        .into_iter()
        .chain(user::remap_flags(rustc)?);
    Ok(flags.collect::<Vec<_>>().join("\x1f"))
}
