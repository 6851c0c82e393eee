//! `selvm run FILE.sbc|FILE.wasm`: boots the hosted machine with the program
//! as its root task; the console is stdout; the exit status says how the run
//! ended (`selvm_machine::status`, listed in `selvm run --help`).

use clap::Args;
use selvm_machine::status;
use selvm_machine::{Config, Exit, Machine};
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Options of `selvm run`.
#[derive(Args)]
#[command(after_help = format!(
    "{}\n\nTime: the kernel ticks every 2 ms of host time; with --deterministic, every \
--tick-instructions instructions instead (virtual time), so the same program and input \
print the same bytes every time.",
    crate::failure::exit_status_help()
))]
pub struct RunArgs {
    /// The program: an .sbc module, or a WebAssembly module (.wasm, or .wat text)
    /// translated with dx first.
    file: PathBuf,
    /// Physical memory of the machine, in MiB (1 to 4096).
    #[arg(long, value_name = "MIB", default_value_t = 64,
          value_parser = crate::options::whole::<u64, 1, 4096>)]
    memory: u64,
    /// Stop after this many instructions (exit status 5; 1 to 10^18).
    #[arg(long, value_name = "N",
          value_parser = crate::options::whole::<u64, 1, 1_000_000_000_000_000_000>)]
    max_instructions: Option<u64>,
    /// Stop after this many seconds of host time (exit status 5; more than 0, at
    /// most 10^9).
    #[arg(long, value_name = "SECONDS", value_parser = crate::options::seconds)]
    timeout: Option<f64>,
    /// Write a Chrome/Perfetto trace (JSON) of threads running, system calls, IPC,
    /// faults, interrupts and ticks to this file (machine time: host time, or virtual
    /// time with --deterministic).
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
    /// Run the kernel's invariant checker after every kernel entry (a debug mode,
    /// slow); a violation stops the machine with exit status 7.
    #[arg(long)]
    check_invariants: bool,
    /// Virtual time: the kernel ticks every --tick-instructions instructions and
    /// the timer device counts them, so the same input gives the same output (CI
    /// runs this way). Without it the machine ticks every 2 ms of host time.
    #[arg(long)]
    deterministic: bool,
    /// Instructions per kernel timer tick, with --deterministic (1 to 10^8).
    #[arg(long, value_name = "N", default_value_t = 100_000,
          value_parser = crate::options::whole::<u64, 1, 100_000_000>)]
    tick_instructions: u64,
}

/// `selvm` with no arguments (or `selvm demo`): boots the hosted machine with
/// the embedded demo root task (`selvm_machine::demo`) and prints what it does.
pub fn demo() -> ExitCode {
    let image = match selvm_vm::asm::assemble(&selvm_programs::demo::demo_source()) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("selvm: the embedded demo does not assemble: {e:?}");
            return ExitCode::from(status::BAD_INPUT);
        }
    };
    let mut ram = vec![0u64; (16 << 20) / 8];
    let mut machine = match Machine::boot(&mut ram, &image, Config::default()) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("selvm: the embedded demo does not boot: {e}");
            return ExitCode::from(status::BAD_INPUT);
        }
    };
    machine.use_clock(Box::new(HostClock(std::time::Instant::now())));
    let exit = machine.run(|b| {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(b);
        let _ = out.flush();
    });
    println!(
        "(the machine ran {} VM instructions and {} kernel entries; `selvm run FILE` runs your own \
         program, `selvm selftest` the kernel's self-test)",
        machine.instructions, machine.kernel_entries
    );
    if let Exit::Fault(report) = &exit {
        eprintln!("selvm: {report}");
    }
    ExitCode::from(exit.status())
}

/// The host's monotonic clock.
struct HostClock(std::time::Instant);

impl selvm_machine::Clock for HostClock {
    fn now_ns(&self) -> u64 {
        self.0.elapsed().as_nanos() as u64
    }

    fn sleep_ns(&self, ns: u64) {
        std::thread::sleep(std::time::Duration::from_nanos(ns));
    }
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
        check_invariants: a.check_invariants,
        max_instructions: a.max_instructions,
        tick_instructions: a.tick_instructions,
    };
    let mut machine = match Machine::boot(&mut ram, &image, config) {
        Ok(m) => m,
        Err(e) => return fail(format!("{}: {e}", a.file.display())),
    };
    if !a.deterministic {
        machine.use_clock(Box::new(HostClock(std::time::Instant::now())));
    }
    let stdout = std::io::stdout();
    let started = std::time::Instant::now();
    let limit = a.timeout.map(std::time::Duration::from_secs_f64);
    let exit = loop {
        let stopped = machine.step();
        let bytes = machine.take_console();
        if !bytes.is_empty() {
            let mut out = stdout.lock();
            let _ = out.write_all(&bytes);
            let _ = out.flush();
        }
        if let Some(exit) = stopped {
            break exit;
        }
        if limit.is_some_and(|l| started.elapsed() >= l) {
            eprintln!("selvm: stopped after {:?} (--timeout)", started.elapsed());
            return ExitCode::from(status::LIMIT);
        }
    };
    match &exit {
        Exit::Halted(s) if *s != 0 => eprintln!("selvm: halted with status {s}"),
        Exit::Fault(report) => eprintln!("selvm: {report}"),
        Exit::Deadlock { blocked } => {
            eprintln!("selvm: deadlock: {blocked} thread(s) blocked and nothing can wake them")
        }
        Exit::InvariantBroken(v) => eprintln!(
            "selvm: kernel invariant broken after {} kernel entries: {v}",
            machine.kernel_entries
        ),
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
