//! The seLVM command-line tool: the kernel self-test, the register machine's `asm`,
//! `dis` and `exec`, `dx` (WebAssembly to `.sbc`), `run` (the hosted machine), `bench vm`
//! and `bench wasm`.

mod bench;
mod bench_ipc;
mod bench_wasm;
mod counts;
mod dx;
mod run;
mod selftest;
mod vmtools;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// seLVM: the seL4 microkernel in Rust, on real hardware and on a register VM.
#[derive(Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Boot the hosted machine with the embedded demo root task: an endpoint, a
    /// notification and a client in its own address space exchanging a Call that
    /// carries a capability, a reply, a Send and a signal (the default when no
    /// command is given).
    Demo,
    /// Boot a kernel, run a scripted capability demo and a random stress run
    /// with the invariant checker after every step, and print a summary.
    Selftest(selftest::Options),
    /// Assemble register-machine assembly into an .sbc module.
    Asm(vmtools::AsmArgs),
    /// Disassemble an .sbc module.
    Dis(vmtools::DisArgs),
    /// Run a standalone .sbc module (or .s source) with flat memory and print its results.
    Exec(vmtools::ExecArgs),
    /// Translate a WebAssembly module into an .sbc module.
    ///
    /// The input (.wasm, as built for wasm32-unknown-unknown) is validated first; dx
    /// accepts the features rustc emits: MVP, mutable globals, multi-value, sign
    /// extension, non-trapping float-to-int, bulk memory (memory.copy and memory.fill),
    /// and reference types as far as tables and call_indirect need them. The exported
    /// `_start` (run after the start function, if any) becomes the entry point, and
    /// function names from the name section are kept. Imports are refused for now (the
    /// sel4 imports arrive with the vm ABI). Errors name the function and the byte
    /// offset. Run the result with `selvm exec OUT.sbc --func NAME ARGS...`.
    Dx(dx::DxArgs),
    /// Boot the hosted machine (the seL4 kernel on the register VM) with a program as
    /// its root task; the console is stdout.
    Run(run::RunArgs),
    /// Benchmarks that print tables (build with --release).
    #[command(subcommand)]
    Bench(Bench),
}

/// What `selvm bench` measures.
#[derive(Subcommand)]
enum Bench {
    /// The register machine per dispatch technique, with Lua 5.4 on the same programs.
    Vm(bench::BenchArgs),
    /// IPC on the hosted machine (Call/ReplyRecv across address spaces, fast and
    /// slow path, Signal/Wait, a null syscall) next to Linux pipe and socket
    /// ping-pong, measured in the same run.
    Ipc(bench_ipc::IpcArgs),
    /// Register vs stack: the wasm32 compute programs of user/bench in wasmi 2.x, wasmi
    /// 0.31 and dx + seLVM, with operator counts (docs/benchmarks.md).
    Wasm(bench_wasm::WasmBenchArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Selftest(o)) => selftest::run(&o),
        None | Some(Command::Demo) => return run::demo(),
        Some(Command::Asm(a)) => vmtools::asm(&a),
        Some(Command::Dis(a)) => vmtools::dis(&a),
        Some(Command::Exec(a)) => vmtools::exec(&a),
        Some(Command::Dx(a)) => dx::dx(&a),
        Some(Command::Bench(Bench::Vm(a))) => bench::vm(&a),
        Some(Command::Bench(Bench::Ipc(a))) => bench_ipc::ipc(&a),
        Some(Command::Bench(Bench::Wasm(a))) => bench_wasm::wasm(&a),
        Some(Command::Run(a)) => return run::run(&a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("selvm: {e}");
            ExitCode::FAILURE
        }
    }
}
