//! `selvm run FILE.sbc|FILE.wasm`: boots the hosted machine with the program
//! as its root task; the console is stdout; the exit status says how the run
//! ended (`selvm_host::status`, listed in `selvm run --help`).

use clap::Args;
use selvm_host::{Config, Exit, Machine, status};
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Options of `selvm run`.
#[derive(Args)]
#[command(
    after_help = "Exit status: 0 DebugHalt with status 0 or every thread finished; \
1 DebugHalt with another status (printed on stderr); 2 usage error; 3 a thread was \
killed by a fault no handler received (stderr names the thread, function, pc, fault and \
address); 4 deadlock (threads blocked, nothing can wake them); 5 --max-instructions \
reached; 6 the input cannot be read, translated or booted.\n\nTime is virtual: the \
kernel's 2 ms tick comes every --tick-instructions instructions, so a run is \
deterministic (the same program prints the same bytes every time)."
)]
pub struct RunArgs {
    /// The program: an .sbc module, or a WebAssembly module (.wasm, or .wat text)
    /// translated with dx first.
    file: PathBuf,
    /// Physical memory of the machine, in MiB.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=4096))]
    memory: u64,
    /// Stop after this many instructions (exit status 5).
    #[arg(long)]
    max_instructions: Option<u64>,
    /// Write a Chrome/Perfetto trace (JSON) of threads running, system calls, IPC,
    /// faults, interrupts and ticks to this file (virtual time).
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
    /// Instructions per kernel timer tick.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..))]
    tick_instructions: u64,
}

/// Runs `selvm run`.
pub fn run(a: &RunArgs) -> ExitCode {
    let fail = |msg: String| {
        eprintln!("selvm: {msg}");
        ExitCode::from(status::BAD_INPUT)
    };
    let bytes = match std::fs::read(&a.file) {
        Ok(b) => b,
        Err(e) => return fail(format!("{}: {e}", a.file.display())),
    };
    let is_wat = a.file.extension().is_some_and(|e| e == "wat");
    let bytes = if is_wat {
        match wat::parse_bytes(&bytes) {
            Ok(b) => b.into_owned(),
            Err(e) => return fail(format!("{}: {e}", a.file.display())),
        }
    } else {
        bytes
    };
    let image = if bytes.starts_with(b"\0asm") {
        match selvm_dx::translate(&bytes, &selvm_dx::Options::default()) {
            Ok(t) => t.sbc,
            Err(e) => return fail(format!("{}: {e}", a.file.display())),
        }
    } else {
        bytes
    };
    let mut ram = vec![0u64; (a.memory << 20) as usize / 8];
    // Console input: stdin, read whole when it is not a terminal (so a run is
    // a function of its input), nothing otherwise.
    let mut input = Vec::new();
    if !std::io::stdin().is_terminal() {
        if let Err(e) = std::io::stdin().read_to_end(&mut input) {
            return fail(format!("stdin: {e}"));
        }
    }
    let config = Config {
        input,
        trace: a.trace.is_some(),
        max_instructions: a.max_instructions,
        tick_instructions: a.tick_instructions,
    };
    let mut machine = match Machine::boot(&mut ram, &image, config) {
        Ok(m) => m,
        Err(e) => return fail(format!("{}: {e}", a.file.display())),
    };
    let stdout = std::io::stdout();
    let exit = machine.run(|b| {
        let mut out = stdout.lock();
        let _ = out.write_all(b);
        let _ = out.flush();
    });
    match &exit {
        Exit::Halted(s) if *s != 0 => eprintln!("selvm: halted with status {s}"),
        Exit::Fault(report) => eprintln!("selvm: {report}"),
        Exit::Deadlock { blocked } => {
            eprintln!("selvm: deadlock: {blocked} thread(s) blocked and nothing can wake them")
        }
        Exit::InstructionLimit => eprintln!(
            "selvm: stopped after {} instructions (--max-instructions)",
            machine.instructions
        ),
        _ => {}
    }
    if let (Some(path), Some(json)) = (&a.trace, machine.trace_json()) {
        if let Err(e) = std::fs::write(path, json) {
            eprintln!("selvm: {}: {e}", path.display());
        }
    }
    ExitCode::from(exit.status())
}
