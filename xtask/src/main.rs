//! `cargo xtask`: seLVM's one build entry point. Everything CI runs, cross builds, user
//! programs, the conformance suite and its mutation check, the committed benchmark
//! modules and the valgrind runs, with the toolchain choice made in one place
//! (`toolchain`). Only `scripts/setup.sh` (Debian packages) stays a shell script.

mod bench;
mod conformance;
mod cross;
mod guard;
mod json;
mod native;
mod process;
mod riscv;
mod test;
mod toolchain;
mod user;
mod valgrind;
mod web;
mod windows;

/// The machine's exit statuses (`selvm_machine::status`), read from their one
/// definition without building the machine: the file depends on nothing.
#[path = "../../machine/src/status.rs"]
#[allow(
    dead_code,
    reason = "the table is shared whole; xtask reads a few codes"
)]
mod status;

use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// seLVM's build entry point: the test command CI runs and the build steps it is made of.
///
/// Run from anywhere in the checkout as `cargo xtask COMMAND`. Every command prints what
/// it runs; errors say what is missing and what to install (usually: run
/// scripts/setup.sh).
#[derive(Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask", about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Everything CI runs, in order, each step timed: scripts/setup.sh, fmt, clippy,
    /// the workspace tests and doctests, the VM under its other dispatch techniques and
    /// under valgrind, cross builds, user/hello built and run, the conformance suite,
    /// the mutation check, the committed benchmark modules, the browser page's tests in
    /// headless chromium.
    Test(test::Options),
    /// Build library crates for another target (riscv64gc-unknown-none-elf,
    /// wasm32-unknown-unknown): with the rustup target if installed, else with
    /// Debian's rustc-web and -Zbuild-std=core,alloc into target/web.
    Cross(cross::Options),
    /// Build a user program (a crate using libsel4 and rt, e.g. user/hello): for wasm32
    /// with pinned WebAssembly features and remapped paths, then translated with `selvm
    /// dx`; or with --target riscv64 a native ELF root task (NAME.elf, no dx step).
    BuildUser(user::Options),
    /// Build the conformance suite (user/conformance), run it on the hosted machine and
    /// require no failure and at least --min passed tests.
    Conformance(conformance::Options),
    /// Build selvm with each seeded kernel bug (features mutation-*) in turn; the
    /// conformance suite must catch every one.
    MutationCheck,
    /// Rebuild the modules of `selvm bench wasm` (user/bench) into user/bench/wasm, or
    /// with --check compare them with the committed ones.
    BenchWasm(bench::WasmOptions),
    /// Run the register machine's tests (selvm-vm, selvm-bytecode) under valgrind
    /// memcheck: any memory error or definite leak fails.
    Valgrind,
    /// Host instructions per operation of the hosted `selvm bench ipc` cases, counted
    /// by callgrind (two runs per case, the difference divided by the extra rounds).
    BenchIpcCallgrind(bench::CallgrindOptions),
    /// The speed regression guard: host instructions counted by callgrind for the
    /// hosted fastpath IPC round trip and for sha256 on the register machine; more than
    /// 10 % above xtask/perf-record.txt fails (--update --reason records new figures).
    PerfGuard(guard::Options),
    /// Build the native riscv64 kernel (platforms/riscv64-virt) as an ELF for seL4's
    /// elfloader contract (physical 0x84000000, virtual 0xffffffff84000000) and print
    /// its path as the last line.
    KernelElf,
    /// Boot a root task on the native kernel under qemu riscv64 `virt` (OpenSBI, then
    /// seLVM's loader in the elfloader's place): the serial console on stdout, the
    /// guest's verdict as the exit status, 124 at the time limit.
    Qemu(riscv::QemuOptions),
    /// Build the browser page (the machine's wasm with Debian's rustc-web and
    /// -Zbuild-std=std,panic_abort, the menu's programs, xterm.js from npm) into
    /// target/web/page, which `selvm serve` serves; --test runs the browser tests in
    /// headless chromium, --bench the in-page benchmarks.
    Web(web::Options),
    /// Build selvm.exe for 64-bit Windows (x86_64-win7-windows-gnu, Debian's rustc-web
    /// with -Zbuild-std=std,panic_abort, linked by mingw-w64) into target/windows and
    /// print its path last; --test runs it under wine against the Linux build
    /// (docs/windows.md).
    Windows(windows::Options),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Test(o) => test::run(&o),
        Command::Cross(o) => cross::run(&o),
        Command::BuildUser(o) => user::run(&o),
        Command::Conformance(o) => conformance::run(&o),
        Command::MutationCheck => conformance::mutation_check(),
        Command::BenchWasm(o) => bench::wasm(&o),
        Command::Valgrind => valgrind::run(),
        Command::BenchIpcCallgrind(o) => bench::callgrind(&o),
        Command::PerfGuard(o) => guard::run(&o),
        Command::Web(o) => web::run(&o),
        Command::Windows(o) => windows::run(&o),
        Command::KernelElf => riscv::kernel_elf_command(),
        Command::Qemu(o) => match riscv::qemu(&o) {
            Ok(code) => return code,
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The checkout's top directory (the workspace root).
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ lies inside the checkout")
}

/// Cargo's target directory: `$CARGO_TARGET_DIR` (relative to the root) or `target/`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) if !d.is_empty() => root().join(d),
        _ => root().join("target"),
    }
}
