//! `selvm run FILE.sbc|FILE.wasm`: boots the hosted machine with the program
//! as its root task; the console is stdout; the exit status says how the run
//! ended (`selvm_machine::status`, listed in `selvm run --help`).

use crate::display::{Headless, Presenter};
use crate::drive::{Ended, HostClock, Options, drive};
use crate::failure::Failure;
use clap::Args;
use selvm_machine::devices::input::Script;
use selvm_machine::devices::{Display, Input};
use selvm_machine::status;
use selvm_machine::{Config, Exit, Machine, MemoryBackend};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

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
    pub(crate) file: PathBuf,
    /// Physical memory of the machine, in MiB (1 to 4096).
    #[arg(long, value_name = "MIB", default_value_t = 64,
          value_parser = crate::options::whole::<u64, 1, 4096>)]
    pub(crate) memory: u64,
    /// How loads and stores reach memory: `soft` (the software MMU: a TLB and page
    /// walks) or `mmap` (RAM in a memfd, each address space's frames mapped into a
    /// host region; Linux on x86_64). Default: $SELVM_MEMORY_BACKEND, else soft.
    #[arg(long, value_name = "soft|mmap", value_parser = memory_backend_name)]
    pub(crate) memory_backend: Option<MemoryBackend>,
    /// Stop after this many instructions (exit status 5; 1 to 10^18).
    #[arg(long, value_name = "N",
          value_parser = crate::options::whole::<u64, 1, 1_000_000_000_000_000_000>)]
    pub(crate) max_instructions: Option<u64>,
    /// Stop after this many seconds of host time (exit status 5; more than 0, at
    /// most 10^9).
    #[arg(long, value_name = "SECONDS", value_parser = crate::options::seconds)]
    pub(crate) timeout: Option<f64>,
    /// Write a Chrome/Perfetto trace (JSON) of threads running, system calls, IPC,
    /// faults, interrupts and ticks to this file (machine time: host time, or virtual
    /// time with --deterministic).
    #[arg(long, value_name = "FILE")]
    pub(crate) trace: Option<PathBuf>,
    /// Write the kernel's objects as the run ended to this file (JSON: threads,
    /// endpoints and notifications with their queues, the root CNode, the capability
    /// derivation tree; docs/hosted.md#introspection), whatever way the run ended.
    #[arg(long, value_name = "FILE")]
    pub(crate) stats: Option<PathBuf>,
    /// Run the kernel's invariant checker after every kernel entry (a debug mode,
    /// slow); a violation stops the machine with exit status 7.
    #[arg(long)]
    pub(crate) check_invariants: bool,
    /// Virtual time: the kernel ticks every --tick-instructions instructions and
    /// the timer device counts them, so the same input gives the same output (CI
    /// runs this way). Without it the machine ticks every 2 ms of host time.
    #[arg(long)]
    pub(crate) deterministic: bool,
    /// Instructions per kernel timer tick, with --deterministic (1 to 10^8).
    #[arg(long, value_name = "N", default_value_t = 100_000,
          value_parser = crate::options::whole::<u64, 1, 100_000_000>)]
    pub(crate) tick_instructions: u64,
    /// Give the machine a framebuffer of this size (XRGB8888 pixels, each side 1 to
    /// 4096, at most 8 MiB in all) and an input device; the guest presents into it
    /// (docs/vm-abi.md). Off by default.
    #[arg(long, value_name = "WIDTHxHEIGHT", value_parser = crate::display::size)]
    pub(crate) display: Option<(u32, u32)>,
    /// Keyboard and pointer events for the input device, each at an instruction
    /// count: lines such as `at 5000 key down 30`, `at 6000 pointer 10 20`, `at 7000
    /// button down 0` (docs/hosted.md). Gives the machine an input device.
    #[arg(long, value_name = "FILE")]
    pub(crate) input_script: Option<PathBuf>,
    /// Write the framebuffer as a PNG to this file when the run ends (needs --display).
    #[arg(long, value_name = "FILE", requires = "display")]
    pub(crate) screenshot: Option<PathBuf>,
    /// Show the framebuffer in a desktop window as the guest presents it; the window's
    /// keyboard and mouse feed the input device, and closing it stops the run (status
    /// 130). Needs --display; not with --input-script.
    #[arg(long, requires = "display", conflicts_with = "input_script")]
    pub(crate) window: bool,
}

/// Parses `--memory-backend`: a back end this build and host have.
pub(crate) fn memory_backend_name(name: &str) -> Result<MemoryBackend, String> {
    match MemoryBackend::from_name(name) {
        Some(b) if b.available() => Ok(b),
        Some(b) => Err(format!("the {} back end needs Linux on x86_64", b.name())),
        None => Err(format!("`{name}`: expected soft or mmap")),
    }
}

/// The memory back end of a run: `--memory-backend`, else `SELVM_MEMORY_BACKEND`
/// (checked as the option is: a bad value is a usage error), else soft.
pub(crate) fn memory_backend(option: Option<MemoryBackend>) -> Result<MemoryBackend, Failure> {
    if let Some(b) = option {
        return Ok(b);
    }
    match std::env::var("SELVM_MEMORY_BACKEND") {
        Ok(name) => memory_backend_name(&name)
            .map_err(|e| Failure::usage(format!("SELVM_MEMORY_BACKEND: {e}"))),
        Err(_) => Ok(MemoryBackend::Soft),
    }
}

/// `selvm` with no arguments (or `selvm demo`): boots the hosted machine with
/// the embedded demo root task (`selvm_programs::demo`) and prints what it does.
pub fn demo() -> ExitCode {
    let image = match selvm_programs::assemble(&selvm_programs::demo::demo_source()) {
        Ok(i) => i,
        Err(e) => {
            return Failure::bad_input(format!("the embedded demo does not assemble: {e}"))
                .report();
        }
    };
    let mut machine = match Machine::boot(vec![0u64; (16 << 20) / 8], &image, Config::default()) {
        Ok(m) => m,
        Err(e) => {
            return Failure::bad_input(format!("the embedded demo does not boot: {e}")).report();
        }
    };
    machine.use_clock(Box::new(HostClock(Instant::now())));
    let mut options = Options {
        timeout: None,
        trace: None,
        script: None,
        screen: None,
        live_input: None,
    };
    let exit = match drive(&mut machine, &mut options) {
        Ended::Exit(exit) => exit,
        other => return ended(other, &machine),
    };
    let summary = outln!(
        "(the machine ran {} VM instructions and {} kernel entries; `selvm run FILE` runs your own \
         program, `selvm selftest` the kernel's self-test)",
        machine.instructions,
        machine.kernel_entries
    );
    if let Err(f) = summary.and_then(|()| crate::output::flush_stdout()) {
        return f.report();
    }
    ended(Ended::Exit(exit), &machine)
}

/// Runs `selvm run`.
pub fn run(a: &RunArgs) -> ExitCode {
    let image = match crate::program::image(&a.file) {
        Ok(image) => image,
        Err(f) => return f.report(),
    };
    let script = match &a.input_script {
        Some(path) => match input_script(path) {
            Ok(s) => Some(s),
            Err(f) => return f.report(),
        },
        None => None,
    };
    let memory = match memory_backend(a.memory_backend) {
        Ok(m) => m,
        Err(f) => return f.report(),
    };
    let config = Config {
        trace: a.trace.is_some(),
        check_invariants: a.check_invariants,
        max_instructions: a.max_instructions,
        tick_instructions: a.tick_instructions,
        memory,
    };
    let ram = vec![0u64; (a.memory << 20) as usize / 8];
    let mut machine = match Machine::boot(ram, &image, config) {
        Ok(m) => m,
        Err(e) => return Failure::bad_input(format!("{}: {e}", a.file.display())).report(),
    };
    if !a.deterministic {
        machine.use_clock(Box::new(HostClock(Instant::now())));
    }
    let headless = || Headless {
        screenshot: a.screenshot.clone(),
        presents: 0,
    };
    let mut window = match (a.window, a.display) {
        (true, Some((w, h))) => match crate::window::Window::open(w, h, headless()) {
            Ok(window) => Some(window),
            Err(f) => return f.report(),
        },
        _ => None,
    };
    let mut headless = headless();
    let presenter: &mut dyn Presenter = match window.as_mut() {
        Some(window) => window,
        None => &mut headless,
    };
    let screen = match a.display {
        Some((w, h)) => match Display::attach(machine.devices(), w, h) {
            Ok(display) => Some((display, presenter)),
            Err(e) => return Failure::usage(format!("--display {w}x{h}: {e:?}")).report(),
        },
        None => None,
    };
    // A display brings the statistics device (the GUI's system monitor reads it).
    if a.display.is_some() {
        if let Err(e) = machine.attach_stats() {
            return Failure::usage(format!("the statistics device: {e:?}")).report();
        }
    }
    let input = if a.display.is_some() || script.is_some() {
        match machine.devices().attach(Box::new(Input::default())) {
            Ok(id) => Some(id),
            Err(e) => return Failure::usage(format!("the input device: {e:?}")).report(),
        }
    } else {
        None
    };
    if let (Some(id), None, false) = (input, &script, a.window) {
        machine.close_input(id);
    }
    let mut options = Options {
        timeout: a.timeout.map(Duration::from_secs_f64),
        trace: a.trace.as_deref(),
        script: script.zip(input),
        screen,
        live_input: input.filter(|_| a.window),
    };
    let ended_with = drive(&mut machine, &mut options);
    if let Some(path) = &a.stats {
        let json = machine.snapshot().to_json();
        if let Err(f) = crate::output::write_file(path, json.as_bytes()) {
            return f.report();
        }
    }
    ended(ended_with, &machine)
}

/// `--input-script FILE`, parsed (status 6 with the file and line if it cannot be).
fn input_script(path: &std::path::Path) -> Result<Script, Failure> {
    let name = path.display();
    let bytes = crate::input::read(path)?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| Failure::bad_input(format!("{name}: an input script is text (UTF-8)")))?;
    Script::parse(text).map_err(|e| Failure::bad_input(format!("{name}: {e}")))
}

/// The exit status of a driven run, with its line on stderr.
pub(crate) fn ended(how: Ended, machine: &Machine) -> ExitCode {
    let exit = match how {
        Ended::Exit(exit) => exit,
        Ended::Timeout(after) => {
            let message = format!("stopped after {after:.1?} (--timeout)");
            return Failure::new(status::LIMIT, message).report();
        }
        Ended::Interrupted => {
            let message = format!(
                "interrupted after {} instructions; output and trace written out",
                machine.instructions
            );
            return Failure::new(status::INTERRUPTED, message).report();
        }
        Ended::Failed(f) => return f.report(),
    };
    let message = match &exit {
        Exit::Halted(s) if *s != 0 => format!("halted with status {s}"),
        Exit::Fault(report) => report.to_string(),
        Exit::Deadlock { blocked } => {
            format!("deadlock: {blocked} thread(s) blocked and nothing can wake them")
        }
        Exit::InvariantBroken(v) => format!(
            "kernel invariant broken after {} kernel entries: {v}",
            machine.kernel_entries
        ),
        Exit::InstructionLimit => format!(
            "stopped after {} instructions (--max-instructions)",
            machine.instructions
        ),
        Exit::Halted(_) | Exit::Finished => return ExitCode::from(exit.status()),
    };
    Failure::new(exit.status(), message).report()
}
