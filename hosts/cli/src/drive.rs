//! Driving a machine from the command line: the loop `selvm run` and `selvm demo`
//! share. The machine runs in bounded pieces of work; between them its console goes to
//! stdout and its trace to a file as they are produced; stdin is read only when the
//! program wants input, one read per request on a thread of its own (so boot never
//! waits for stdin, an endless or slow pipe costs nothing until the program reads, and
//! input meant for the caller's next command is not taken early); an idle machine is
//! waited for, never spun on; `--timeout` and Ctrl-C stop the run with what it produced
//! written out. With a display, presents go to a [`Presenter`] as they happen and the
//! last frame at the end; an input script's events enter at their instruction counts
//! (the machine runs no further than the next one before they are delivered); a
//! presenter's own input (a window's keyboard and mouse) enters as it comes, and closing
//! the window stops the run.

use crate::display::{Frame, Presenter};
use crate::failure::Failure;
use crate::output::{ConsoleOut, FileOut};
use selvm_machine::devices::Display;
use selvm_machine::devices::input::Script;
use selvm_machine::trace::{BEGIN, END, write_event};
use selvm_machine::{DeviceId, Exit, Machine, Step};
use std::io::{self, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

/// Instructions a machine runs between two looks at the outside world (a few ms).
const PIECE: u64 = 1 << 20;
/// Longest wait for an idle machine before looking at Ctrl-C and the timeout again.
const POLL: Duration = Duration::from_millis(50);
/// Most bytes one read of stdin takes.
const READ_BYTES: usize = 64 << 10;

/// How a driven run ended.
pub enum Ended {
    /// The machine stopped.
    Exit(Exit),
    /// `--timeout` passed.
    Timeout(Duration),
    /// Ctrl-C.
    Interrupted,
    /// Output could not be written, or stdin not read.
    Failed(Failure),
}

/// Host time for the machine, from one monotonic start.
pub struct HostClock(pub Instant);

impl selvm_machine::Clock for HostClock {
    fn now_ns(&self) -> u64 {
        u64::try_from(self.0.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

/// Stdin read on request by a thread: one `read` per request, its bytes (empty at the
/// end of input) sent back.
struct Stdin {
    requests: Sender<()>,
    replies: Receiver<io::Result<Vec<u8>>>,
    outstanding: bool,
    ended: bool,
}

impl Stdin {
    fn spawn() -> Stdin {
        let (requests, wanted) = mpsc::channel::<()>();
        let (send, replies) = mpsc::channel();
        let reader = move || {
            let mut stdin = io::stdin().lock();
            for () in wanted {
                let mut buf = vec![0; READ_BYTES];
                let got = loop {
                    match stdin.read(&mut buf) {
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        other => break other,
                    }
                };
                let done = !matches!(got, Ok(n) if n > 0);
                let reply = got.map(|n| {
                    buf.truncate(n);
                    buf
                });
                if send.send(reply).is_err() || done {
                    return;
                }
            }
        };
        let ended = std::thread::Builder::new()
            .name("stdin".into())
            .spawn(reader)
            .is_err();
        Stdin {
            requests,
            replies,
            outstanding: false,
            ended,
        }
    }

    /// Asks for a read if none is outstanding and input has not ended.
    fn request(&mut self) {
        if !self.outstanding && !self.ended {
            self.outstanding = self.requests.send(()).is_ok();
            self.ended |= !self.outstanding;
        }
    }

    /// Hands what a finished read gave to the machine's console, waiting up to `wait`
    /// for it; `Err` if stdin cannot be read.
    fn deliver(&mut self, m: &mut Machine, wait: Duration) -> Result<(), Failure> {
        if !self.outstanding {
            return Ok(());
        }
        let reply = match self.replies.recv_timeout(wait) {
            Ok(reply) => reply,
            Err(RecvTimeoutError::Timeout) => return Ok(()),
            Err(RecvTimeoutError::Disconnected) => Ok(Vec::new()),
        };
        self.outstanding = false;
        match reply {
            Ok(bytes) if !bytes.is_empty() => {
                m.push_input(DeviceId::CONSOLE, &bytes);
            }
            Ok(_) => {
                self.ended = true;
                m.close_input(DeviceId::CONSOLE);
            }
            Err(e) => {
                self.ended = true;
                m.close_input(DeviceId::CONSOLE);
                return Err(Failure::bad_input(format!("stdin: {e}")));
            }
        }
        Ok(())
    }
}

/// The trace file, written as the run goes.
struct Trace {
    file: FileOut,
    first: bool,
    text: String,
}

impl Trace {
    fn create(path: &Path) -> Result<Trace, Failure> {
        let mut file = FileOut::create(path)?;
        file.write(BEGIN.as_bytes())?;
        Ok(Trace {
            file,
            first: true,
            text: String::new(),
        })
    }

    fn write(&mut self, m: &mut Machine) -> Result<(), Failure> {
        let events = m.take_trace();
        if events.is_empty() {
            return Ok(());
        }
        self.text.clear();
        for e in &events {
            write_event(&mut self.text, e, self.first);
            self.first = false;
        }
        self.file.write(self.text.as_bytes())
    }

    fn finish(mut self, m: &mut Machine) -> Result<(), Failure> {
        self.write(m)?;
        self.file.write(END.as_bytes())?;
        self.file.finish()
    }
}

/// What the loop watches besides the machine.
pub struct Options<'a> {
    /// Stop after this much host time.
    pub timeout: Option<Duration>,
    /// Stream a trace to this file.
    pub trace: Option<&'a Path>,
    /// An input script and the input device it feeds.
    pub script: Option<(Script, DeviceId)>,
    /// The display and what presents it.
    pub screen: Option<(Display, &'a mut dyn Presenter)>,
    /// The input device the presenter's own events go to (`--window`).
    pub live_input: Option<DeviceId>,
}

/// Hands the presenter's input since the last look to the input device; `Ok(None)` if
/// the user closed the window, else whether any event entered.
fn poll(m: &mut Machine, o: &mut Options<'_>) -> Result<Option<bool>, Failure> {
    let Some((_, presenter)) = o.screen.as_mut() else {
        return Ok(Some(false));
    };
    let mut events = Vec::new();
    if !presenter.poll(&mut events)? {
        return Ok(None);
    }
    let Some(id) = o.live_input else {
        return Ok(Some(false));
    };
    for e in &events {
        m.push_input(id, &e.to_bytes());
    }
    Ok(Some(!events.is_empty()))
}

/// Hands the presents the guest made since the last call to the presenter.
fn present(
    m: &mut Machine,
    screen: &mut Option<(Display, &mut dyn Presenter)>,
) -> Result<(), Failure> {
    let Some((display, presenter)) = screen else {
        return Ok(());
    };
    let rects = display.take_presents(m.devices());
    if rects.is_empty() {
        return Ok(());
    }
    let mut pixels = Vec::new();
    display.read_pixels(m.devices(), &mut pixels);
    let frame = Frame {
        width: display.width,
        height: display.height,
        pixels: &pixels,
    };
    rects
        .into_iter()
        .try_for_each(|r| presenter.present(r, &frame))
}

/// The run ended: the presenter gets the last frame.
fn finish_screen(
    m: &mut Machine,
    screen: &mut Option<(Display, &mut dyn Presenter)>,
) -> Result<(), Failure> {
    present(m, screen)?;
    let Some((display, presenter)) = screen else {
        return Ok(());
    };
    let mut pixels = Vec::new();
    display.read_pixels(m.devices(), &mut pixels);
    presenter.finish(&Frame {
        width: display.width,
        height: display.height,
        pixels: &pixels,
    })
}

/// Set by Ctrl-C.
pub(crate) fn interrupt_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let set = Arc::clone(&flag);
    // Only one handler per process; a second run in the same process keeps the first
    // (tests), and a failure to install one leaves Ctrl-C's default (kill).
    let _ = ctrlc::set_handler(move || set.store(true, Ordering::SeqCst));
    flag
}

/// Runs `m` until it stops, the timeout passes, Ctrl-C, or output fails.
pub fn drive(m: &mut Machine, o: &mut Options<'_>) -> Ended {
    let mut trace = match o.trace.map(Trace::create).transpose() {
        Ok(t) => t,
        Err(f) => return Ended::Failed(f),
    };
    let mut ended = run(m, o, &mut trace);
    if let Some(Err(f)) = trace.map(|t| t.finish(m)) {
        if !matches!(ended, Ended::Failed(_)) {
            ended = Ended::Failed(f);
        }
    }
    match finish_screen(m, &mut o.screen) {
        Err(f) if !matches!(ended, Ended::Failed(_)) => Ended::Failed(f),
        _ => ended,
    }
}

fn run(m: &mut Machine, o: &mut Options<'_>, trace: &mut Option<Trace>) -> Ended {
    let started = Instant::now();
    let interrupted = interrupt_flag();
    let mut console = ConsoleOut::new();
    let mut stdin = Stdin::spawn();
    if let Some((script, id)) = o.script.as_mut() {
        script.deliver(m, *id, &Step::Running);
    }
    loop {
        // No further than the script's next event, which enters at that count.
        let piece = match o.script.as_ref().and_then(|(s, _)| s.next_at()) {
            Some(at) => PIECE.min(at.saturating_sub(m.instructions)).max(1),
            None => PIECE,
        };
        let step = m.run(piece);
        let mut delivered = match o.script.as_mut() {
            Some((script, id)) => script.deliver(m, *id, &step),
            None => false,
        };
        if let Err(f) = present(m, &mut o.screen) {
            return Ended::Failed(f);
        }
        match poll(m, o) {
            Ok(Some(pushed)) => delivered |= pushed,
            Ok(None) => {
                let message = format!(
                    "the window was closed after {} instructions",
                    m.instructions
                );
                return Ended::Failed(Failure::new(selvm_machine::status::INTERRUPTED, message));
            }
            Err(f) => return Ended::Failed(f),
        }
        let out = m.take_console();
        if !out.is_empty() {
            if let Err(f) = console.write(&out) {
                return Ended::Failed(f);
            }
        }
        if let Some(t) = trace.as_mut() {
            if let Err(f) = t.write(m) {
                return Ended::Failed(f);
            }
        }
        if interrupted.load(Ordering::SeqCst) {
            return Ended::Interrupted;
        }
        if let Some(limit) = o.timeout {
            if started.elapsed() >= limit {
                return Ended::Timeout(started.elapsed());
            }
        }
        if m.wants_input() {
            stdin.request();
        }
        let wait = match &step {
            Step::Running => Duration::ZERO,
            Step::Idle(_) if delivered => Duration::ZERO,
            Step::Exited(exit) => return Ended::Exit(exit.clone()),
            Step::Idle(w) => {
                if w.input {
                    stdin.request();
                    if stdin.ended {
                        m.close_input(DeviceId::CONSOLE);
                    }
                }
                let until = w
                    .until_ns
                    .map(|ns| Duration::from_nanos(ns.saturating_sub(m.now_ns())));
                let left = o
                    .timeout
                    .map(|l| l.saturating_sub(started.elapsed()))
                    .unwrap_or(POLL);
                let presenter = o.screen.as_ref().and_then(|(_, p)| p.wait_at_most());
                POLL.min(until.unwrap_or(POLL))
                    .min(left)
                    .min(presenter.unwrap_or(POLL))
            }
        };
        // With a read outstanding the wait is for its reply (or the time); else a sleep.
        let reading = stdin.outstanding;
        if let Err(f) = stdin.deliver(m, wait) {
            return Ended::Failed(f);
        }
        if !reading && !wait.is_zero() {
            std::thread::sleep(wait);
        }
    }
}
