//! One machine as the page's worker drives it: booted from a program file (judged by
//! content and translated as `selvm run` does, with its messages) or a built-in
//! program, run in slices, console in and out, the introspection document and the
//! trace taken as it goes, a display (`crate::screen`) if the program wants one, and
//! how it ended as a status of the one table (`selvm_machine::status`) with the
//! command line's wording.

use crate::screen::Screen;
use selvm_machine::devices::input::{Event, Script};
use selvm_machine::status;
use selvm_machine::trace::write_event;
use selvm_machine::{Clock, Config, DeviceId, Exit, Machine, Step};
use std::path::Path;

/// How to boot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Physical memory, MiB (1 to 4096; `selvm run`'s default is 64).
    pub memory_mib: u32,
    /// Stop after this many instructions (status 5).
    pub max_instructions: Option<u64>,
    /// Record the trace (`Session::trace`).
    pub trace: bool,
    /// A framebuffer of this width and height, and an input device (`selvm run
    /// --display WxH`); a built-in program that draws brings its own size.
    pub display: Option<(u32, u32)>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            memory_mib: 64,
            max_instructions: None,
            trace: false,
            display: None,
        }
    }
}

/// How a run ended, or why it never started: a status of `status::TABLE` and the
/// line the command line would print on stderr (without its `selvm: `), if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ended {
    /// The exit status.
    pub status: u8,
    /// What happened, one line.
    pub message: Option<String>,
}

impl Ended {
    fn bad_input(message: String) -> Ended {
        Ended {
            status: status::BAD_INPUT,
            message: Some(message),
        }
    }
}

/// Where a machine is after a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Work remains: call again.
    Running,
    /// Idle until console input comes (or is closed).
    WaitInput,
    /// Idle until this machine time (real time only).
    WaitTime(u64),
    /// Stopped: see [`Session::ended`].
    Exited,
}

/// How many trace events a session hands out: a page keeps them all for its
/// timeline and download, and an IPC benchmark makes millions a second, which would
/// flood the page's thread (later events are dropped unformatted and counted).
pub const TRACE_LIMIT: usize = 100_000;

/// A booted machine and what the page has taken from it.
pub struct Session {
    machine: Machine,
    ended: Option<Ended>,
    /// Trace events still to hand out (`TRACE_LIMIT` at boot).
    trace_left: usize,
    /// Trace events dropped past the limit.
    trace_dropped: u64,
    /// The framebuffer and input device, if booted with a display.
    screen: Option<Screen>,
}

impl Session {
    /// Boots the program file `name` holding `bytes` (an `.sbc` module, or
    /// WebAssembly, binary or text, translated by dx).
    pub fn boot_file(name: &str, bytes: &[u8], o: &Options) -> Result<Session, Ended> {
        let path = Path::new(name);
        if bytes.is_empty() {
            return Err(Ended::bad_input(format!("{name}: an empty file")));
        }
        let image = selvm_load::image(path, bytes).map_err(Ended::bad_input)?;
        Session::boot(name, &image, o)
    }

    /// Boots the built-in program `name` (`crate::builtin`); the IPC programs run
    /// `rounds` operations.
    pub fn boot_builtin(name: &str, rounds: u64, o: &Options) -> Result<Session, Ended> {
        let (b, image) = crate::builtin::image(name, rounds).map_err(Ended::bad_input)?;
        let o = Options {
            display: o.display.or(b.display),
            ..o.clone()
        };
        let mut s = Session::boot(name, &image, &o)?;
        s.machine.set_fastpath(!b.slow_path);
        Ok(s)
    }

    fn boot(name: &str, image: &[u8], o: &Options) -> Result<Session, Ended> {
        if !(1..=4096).contains(&o.memory_mib) {
            return Err(Ended {
                status: status::USAGE,
                message: Some(format!(
                    "memory: expected a whole number of MiB from 1 to 4096, not {}",
                    o.memory_mib
                )),
            });
        }
        let config = Config {
            max_instructions: o.max_instructions,
            trace: o.trace,
            ..Config::default()
        };
        let ram = vec![0u64; (o.memory_mib as usize) << 17];
        let mut machine = Machine::boot(ram, image, config)
            .map_err(|e| Ended::bad_input(format!("{name}: {e}")))?;
        let screen = match o.display {
            Some((w, h)) => Some(Screen::attach(&mut machine, w, h).map_err(|message| Ended {
                status: status::USAGE,
                message: Some(message),
            })?),
            None => None,
        };
        Ok(Session {
            machine,
            ended: None,
            trace_left: TRACE_LIMIT,
            trace_dropped: 0,
            screen,
        })
    }

    /// From now on the machine follows `clock` (real time) instead of counting
    /// instructions (virtual time, the default: deterministic).
    pub fn use_clock(&mut self, clock: Box<dyn Clock>) {
        self.machine.use_clock(clock);
    }

    /// The machine.
    pub fn machine(&self) -> &Machine {
        &self.machine
    }

    /// Runs until about `budget` instructions have run, the machine is idle or
    /// stops, or output is waiting.
    pub fn run(&mut self, budget: u64) -> State {
        let budget = match &self.screen {
            Some(screen) => screen.budget(&self.machine, budget),
            None => budget,
        };
        let step = self.machine.run(budget);
        self.state(step)
    }

    /// One step: one slice of the current thread and the kernel entry it ends in
    /// (or interrupts delivered, or idle time moved on).
    pub fn step(&mut self) -> State {
        let step = self.machine.step();
        self.state(step)
    }

    fn state(&mut self, step: Step) -> State {
        let delivered = match self.screen.as_mut() {
            Some(screen) => screen.deliver(&mut self.machine, &step),
            None => false,
        };
        match step {
            Step::Running => State::Running,
            // Scripted input entered an idle machine: it can run again at once.
            Step::Idle(_) if delivered => State::Running,
            Step::Idle(w) if w.input => State::WaitInput,
            Step::Idle(w) => State::WaitTime(w.until_ns.unwrap_or(0)),
            Step::Exited(exit) => {
                if self.ended.is_none() {
                    self.ended = Some(self.ended_with(&exit));
                }
                State::Exited
            }
        }
    }

    /// How the run ended (once it has), in the command line's words.
    pub fn ended(&self) -> Option<&Ended> {
        self.ended.as_ref()
    }

    fn ended_with(&self, exit: &Exit) -> Ended {
        let m = &self.machine;
        let message = match exit {
            Exit::Halted(s) if *s != 0 => Some(format!("halted with status {s}")),
            Exit::Fault(report) => Some(report.to_string()),
            Exit::Deadlock { blocked } => Some(format!(
                "deadlock: {blocked} thread(s) blocked and nothing can wake them"
            )),
            Exit::InvariantBroken(v) => Some(format!(
                "kernel invariant broken after {} kernel entries: {v}",
                m.kernel_entries
            )),
            Exit::InstructionLimit => Some(format!(
                "stopped after {} instructions (maxInstructions)",
                m.instructions
            )),
            Exit::Halted(_) | Exit::Finished => None,
        };
        Ended {
            status: exit.status(),
            message,
        }
    }

    /// Console output since the last call.
    pub fn console(&mut self) -> Vec<u8> {
        self.machine.take_console()
    }

    /// Console input (keyboard, or a run's stdin).
    pub fn push_input(&mut self, bytes: &[u8]) {
        self.machine.push_input(DeviceId::CONSOLE, bytes);
    }

    /// Ends the console input.
    pub fn close_input(&mut self) {
        self.machine.close_input(DeviceId::CONSOLE);
    }

    /// The display's width and height, if the machine has one.
    pub fn display_size(&self) -> Option<(u32, u32)> {
        self.screen.as_ref().map(Screen::size)
    }

    /// Feeds the input device from an input script (`selvm run --input-script`'s
    /// format) instead of the page's events; refused if there is no display or the
    /// script does not parse (status 6, the line named).
    pub fn use_input_script(&mut self, text: &str) -> Result<(), Ended> {
        let Some(screen) = self.screen.as_mut() else {
            return Err(Ended::bad_input(
                "an input script needs a display (the machine has none)".into(),
            ));
        };
        let script =
            Script::parse(text).map_err(|e| Ended::bad_input(format!("input script: {e}")))?;
        screen.use_script(&mut self.machine, script);
        Ok(())
    }

    /// A keyboard or pointer event from the page; false if it did not enter (no
    /// display, or a script feeds the input device).
    pub fn push_event(&mut self, event: Event) -> bool {
        match self.screen.as_mut() {
            Some(screen) => screen.push(&mut self.machine, event),
            None => false,
        }
    }

    /// Ends the input device's input (unless a script feeds it): a run nobody types to.
    pub fn close_display_input(&mut self) {
        if let Some(screen) = self.screen.as_mut() {
            screen.close_input(&mut self.machine);
        }
    }

    /// What the guest presented since the last call (`Screen::frames`: rectangles of
    /// RGBA pixels), or with `whole` the whole frame; empty without a display.
    pub fn frames(&mut self, whole: bool) -> Vec<u8> {
        let mut out = Vec::new();
        if let Some(screen) = &self.screen {
            screen.frames(&mut self.machine, whole, &mut out);
        }
        out
    }

    /// The introspection document now (`Snapshot::to_json`, what `selvm run --stats`
    /// writes).
    pub fn stats(&self) -> String {
        self.machine.snapshot().to_json()
    }

    /// Trace events since the last call, one Chrome trace event a line (the
    /// `--trace` file's events; joined with `,` between `trace::BEGIN` and
    /// `trace::END` they are that file), up to [`TRACE_LIMIT`] events in all.
    pub fn trace(&mut self) -> String {
        let events = self.machine.take_trace();
        let keep = events.len().min(self.trace_left);
        self.trace_left -= keep;
        self.trace_dropped += (events.len() - keep) as u64;
        let mut out = String::new();
        for e in &events[..keep] {
            write_event(&mut out, e, true);
            out.push('\n');
        }
        out
    }

    /// Trace events dropped past [`TRACE_LIMIT`] so far.
    pub fn trace_dropped(&self) -> u64 {
        self.trace_dropped
    }
}

#[cfg(test)]
mod tests;
