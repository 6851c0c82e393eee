//! The seLVM command-line tool: the demo, the kernel self-test, the register machine's
//! `asm`, `dis` and `exec`, `dx` (WebAssembly to `.sbc`), `run` (the hosted machine),
//! `gui` (the GUI system, docs/gui.md), `serve` (the browser page), `node`, `cluster
//! up` and `cluster demo` (docs/cluster.md), `bench vm`, `bench ipc` and `bench
//! wasm`. Every command ends with a status of the one table (`selvm_machine::status`):
//! usage errors 2, bad input 6, output that could not be written 8 (see `failure`).

#[macro_use]
mod output;
mod bench;
mod bench_ipc;
mod bench_wasm;
mod cluster;
mod counts;
mod display;
mod drive;
mod dx;
mod exec;
mod failure;
mod gui;
mod input;
mod options;
mod program;
mod run;
mod selftest;
mod serve;
mod vmtools;
mod window;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use failure::Failure;
use selvm_machine::status;
use std::process::ExitCode;

/// seLVM: the seL4 microkernel in Rust, on a register VM (the hosted machine). With no
/// command, `selvm` runs the demo; `selvm run FILE` runs your own program.
#[derive(Parser)]
#[command(version, after_help = failure::exit_status_pointer())]
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
    /// Boot the kernel on its test architecture, run the scripted capability and
    /// scheduling demos and a random stress run with the invariant checker after every
    /// step, and print a summary.
    Selftest(selftest::Options),
    /// Assemble register-machine assembly (docs/assembly.md) into an .sbc module,
    /// written only if the verifier accepts it.
    Asm(vmtools::AsmArgs),
    /// Disassemble an .sbc module.
    Dis(vmtools::DisArgs),
    /// Run one function of a standalone program (an .sbc module, assembly source or
    /// WebAssembly) with flat memory, outside the kernel, and print its results.
    ///
    /// The program may make one system call: number 1 writes the byte in its first
    /// argument to stdout. Programs for the kernel run with `selvm run`.
    Exec(exec::ExecArgs),
    /// Translate a WebAssembly module into an .sbc module.
    ///
    /// The input (.wasm as built for wasm32-unknown-unknown, or .wat text) is validated
    /// first; dx accepts the features rustc emits: MVP, mutable globals, multi-value,
    /// sign extension, non-trapping float-to-int, bulk memory and reference types
    /// (docs/dx.md). Imports from module `sel4` are lowered to system calls
    /// (docs/wasm-abi.md); any other import is refused. The exported `_start` (no
    /// parameters, no results; run after the start function, if any) becomes the entry
    /// point, and function names from the name section are kept. Errors name the
    /// function and the byte offset. Run a program with `selvm run OUT.sbc` (`selvm run
    /// IN.wasm` translates it itself), one function with `selvm exec OUT.sbc --func NAME
    /// ARGS...`.
    Dx(dx::DxArgs),
    /// Boot the hosted machine (the seL4 kernel on the register VM) with a program as
    /// its root task (an .sbc module, or WebAssembly translated by dx); the console is
    /// stdout.
    Run(run::RunArgs),
    /// The GUI system in a desktop window: a display server, a launcher and demo
    /// clients (paint, a game, ...) in address spaces of their own (docs/gui.md);
    /// with --input-script it runs headless and deterministic.
    Gui(gui::GuiArgs),
    /// Serve the browser page on 127.0.0.1: the same machine in a Web Worker, a
    /// terminal, a live view of the kernel's threads, IPC objects and capabilities,
    /// a timeline, and the `window.selvm` JavaScript API (docs/web.md).
    Serve(serve::ServeArgs),
    /// Run one node of a cluster: the hosted machine with a network device whose host
    /// side is the cluster transport (TCP with Noise to the peers the configuration
    /// lists; docs/cluster.md).
    Node(cluster::node::NodeArgs),
    /// Clusters of hosted machines on this host.
    #[command(subcommand)]
    Cluster(cluster::ClusterCommand),
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
    /// slow path, 20 message registers, Signal/Wait, a null syscall) next to Linux
    /// pipe, Unix-socket and eventfd ping-pong, measured in the same run.
    Ipc(bench_ipc::IpcArgs),
    /// Register vs stack: the wasm32 compute programs of user/bench in wasmi 2.x, wasmi
    /// 0.31 and dx + seLVM, with operator counts (docs/benchmarks.md).
    Wasm(bench_wasm::WasmBenchArgs),
    /// A remote Call's round trip between two cluster nodes over loopback TCP (host
    /// transport alone, and seL4 Call through a proxy), next to a raw TCP ping-pong of
    /// the same bytes (docs/cluster.md).
    Cluster(cluster::bench::ClusterBenchArgs),
}

/// The command line, with negative numbers let through to the value parsers of every
/// subcommand (which then refuse them naming the range, instead of clap calling `-1`
/// an unknown flag).
fn command() -> clap::Command {
    fn negative_numbers(c: clap::Command) -> clap::Command {
        c.allow_negative_numbers(true)
            .mut_subcommands(negative_numbers)
    }
    negative_numbers(Cli::command())
}

/// Parses the command line; help, version and usage errors end the process here with
/// their status (0, or 2), or 8 if the help cannot be written.
fn parse() -> Result<Cli, ExitCode> {
    let parsed = command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m));
    parsed.map_err(|e| {
        let code = match e.use_stderr() {
            true => status::USAGE,
            false => status::CLEAN,
        };
        match e.print() {
            Err(io) if !e.use_stderr() => Failure::output("stdout", &io).report(),
            _ => ExitCode::from(code),
        }
    })
}

fn main() -> ExitCode {
    let cli = match parse() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    let result = match cli.command {
        Some(Command::Selftest(o)) => selftest::run(&o),
        None | Some(Command::Demo) => return run::demo(),
        Some(Command::Asm(a)) => vmtools::asm(&a),
        Some(Command::Dis(a)) => vmtools::dis(&a),
        Some(Command::Exec(a)) => exec::exec(&a),
        Some(Command::Dx(a)) => dx::dx(&a),
        Some(Command::Bench(Bench::Vm(a))) => bench::vm(&a),
        Some(Command::Bench(Bench::Ipc(a))) => bench_ipc::ipc(&a),
        Some(Command::Bench(Bench::Wasm(a))) => bench_wasm::wasm(&a),
        Some(Command::Bench(Bench::Cluster(a))) => cluster::bench::bench(&a),
        Some(Command::Run(a)) => return run::run(&a),
        Some(Command::Gui(a)) => return gui::gui(&a),
        Some(Command::Node(a)) => return cluster::node::node(&a),
        Some(Command::Cluster(cluster::ClusterCommand::Up(a))) => return cluster::up::up(&a),
        Some(Command::Cluster(cluster::ClusterCommand::Demo(a))) => return cluster::demo::demo(&a),
        Some(Command::Serve(a)) => serve::serve(&a),
    };
    match result.and_then(|()| output::flush_stdout()) {
        Ok(()) => ExitCode::from(status::CLEAN),
        Err(f) => f.report(),
    }
}
