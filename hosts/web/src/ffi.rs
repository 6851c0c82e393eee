//! The boundary with JavaScript (wasm32 only; docs/web.md lists every export): one
//! session in a thread-local (a worker has one thread), bytes in through an inbox
//! and out through an outbox, both `Vec<u8>`s in linear memory whose address and
//! length the glue reads. Numbers cross as `u32` or `f64` (whole numbers below
//! 2^53), so the glue needs no BigInt. The only import is the host's clock. The
//! display's exports (framebuffer and input device) are in `screen`.
//!
//! The only unsafe here is what naming an export or an import takes (`no_mangle`,
//! an `extern` block); no pointer from JavaScript is ever dereferenced: JavaScript
//! writes into the inbox's bytes, which Rust then reads as its own `Vec`.
#![allow(
    unsafe_code,
    reason = "export names and the clock import; see the module doc"
)]

use crate::session::{Ended, Options, Session, State};
use selvm_machine::Clock;
use std::cell::{Cell, RefCell};
use std::fmt::Write;

mod screen;

// SAFETY: `selvm_host_now_ms` takes and returns plain numbers: the worker's glue
// provides it (import module `selvm`) as `() => performance.now()`.
#[link(wasm_import_module = "selvm")]
unsafe extern "C" {
    safe fn selvm_host_now_ms() -> f64;
}

/// The worker's clock, for machines in real time.
struct HostClock;

impl Clock for HostClock {
    fn now_ns(&self) -> u64 {
        (selvm_host_now_ms() * 1e6) as u64
    }
}

thread_local! {
    static SESSION: RefCell<Option<Session>> = const { RefCell::new(None) };
    static INBOX: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static OUTBOX: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static PANIC: RefCell<String> = const { RefCell::new(String::new()) };
    static WAIT_UNTIL: Cell<u64> = const { Cell::new(0) };
}

/// The codes `selvm_run` and `selvm_step` return.
const RUNNING: u32 = 0;
const WAIT_INPUT: u32 = 1;
const WAIT_TIME: u32 = 2;
const EXITED: u32 = 3;
const NO_MACHINE: u32 = 4;

/// Boot flags.
const REAL_TIME: u32 = 1;
const TRACE: u32 = 2;

/// Puts `bytes` in the outbox; its length.
fn reply(bytes: &[u8]) -> u32 {
    OUTBOX.with_borrow_mut(|o| {
        o.clear();
        o.extend_from_slice(bytes);
        o.len() as u32
    })
}

/// `f` on the session, if there is one.
fn with_session<T>(none: T, f: impl FnOnce(&mut Session) -> T) -> T {
    SESSION.with_borrow_mut(|s| match s {
        Some(s) => f(s),
        None => none,
    })
}

/// Prepares the instance: a panic (a bug) leaves its message for
/// `selvm_panic_message` before the trap reaches JavaScript. Returns 1.
#[unsafe(no_mangle)]
pub extern "C" fn selvm_init() -> u32 {
    std::panic::set_hook(Box::new(|info| {
        PANIC.with_borrow_mut(|p| {
            p.clear();
            let _ = write!(p, "{info}");
        });
    }));
    1
}

/// The inbox, resized to `len` bytes: its address (JavaScript writes there next).
#[unsafe(no_mangle)]
pub extern "C" fn selvm_inbox(len: u32) -> u32 {
    INBOX.with_borrow_mut(|i| {
        i.clear();
        i.resize(len as usize, 0);
        i.as_mut_ptr() as u32
    })
}

/// The outbox's address (valid until the next call).
#[unsafe(no_mangle)]
pub extern "C" fn selvm_outbox() -> u32 {
    OUTBOX.with_borrow_mut(|o| o.as_mut_ptr() as u32)
}

/// `display`: width << 16 | height, 0 for none (a built-in program may bring one).
fn options(memory_mib: u32, max_instructions: f64, flags: u32, display: u32) -> Options {
    Options {
        memory_mib,
        max_instructions: (max_instructions >= 1.0).then_some(max_instructions as u64),
        trace: flags & TRACE != 0,
        display: (display != 0).then_some((display >> 16, display & 0xffff)),
    }
}

fn booted(flags: u32, result: Result<Session, Ended>) -> u32 {
    match result {
        Ok(mut s) => {
            if flags & REAL_TIME != 0 {
                s.use_clock(Box::new(HostClock));
            }
            SESSION.with_borrow_mut(|slot| *slot = Some(s));
            reply(b"");
            0
        }
        Err(e) => {
            SESSION.with_borrow_mut(|slot| *slot = None);
            reply(e.message.unwrap_or_default().as_bytes());
            u32::from(e.status)
        }
    }
}

/// Boots a program file: the inbox holds its name (`name_len` bytes) then its
/// bytes; `display` as in `options`. 0, or the status it was refused with (the
/// message in the outbox).
#[unsafe(no_mangle)]
pub extern "C" fn selvm_boot_file(
    name_len: u32,
    memory_mib: u32,
    max_instructions: f64,
    flags: u32,
    display: u32,
) -> u32 {
    SESSION.with_borrow_mut(|slot| *slot = None); // its memory goes first
    let result = INBOX.with_borrow(|i| {
        let (name, bytes) = i.split_at((name_len as usize).min(i.len()));
        let name = String::from_utf8_lossy(name);
        let o = options(memory_mib, max_instructions, flags, display);
        Session::boot_file(&name, bytes, &o)
    });
    booted(flags, result)
}

/// Boots the built-in program whose name is in the inbox (`crate::builtin`); the
/// IPC programs run `rounds` operations. As `selvm_boot_file`.
#[unsafe(no_mangle)]
pub extern "C" fn selvm_boot_builtin(
    rounds: f64,
    memory_mib: u32,
    max_instructions: f64,
    flags: u32,
    display: u32,
) -> u32 {
    SESSION.with_borrow_mut(|slot| *slot = None);
    let name = INBOX.with_borrow(|i| String::from_utf8_lossy(i).into_owned());
    let o = options(memory_mib, max_instructions, flags, display);
    booted(flags, Session::boot_builtin(&name, rounds as u64, &o))
}

fn code(state: State) -> u32 {
    match state {
        State::Running => RUNNING,
        State::WaitInput => WAIT_INPUT,
        State::WaitTime(_) => WAIT_TIME,
        State::Exited => EXITED,
    }
}

/// Runs about `budget` instructions: 0 running, 1 waiting for input, 2 waiting for
/// time (`selvm_wait_until_ns`), 3 exited (`selvm_exit_status`), 4 no machine.
#[unsafe(no_mangle)]
pub extern "C" fn selvm_run(budget: f64) -> u32 {
    with_session(NO_MACHINE, |s| {
        let state = s.run(budget.max(1.0) as u64);
        WAIT_UNTIL.with(|w| {
            w.set(if let State::WaitTime(ns) = state {
                ns
            } else {
                0
            })
        });
        code(state)
    })
}

/// One step (one slice and its kernel entry); codes as `selvm_run`.
#[unsafe(no_mangle)]
pub extern "C" fn selvm_step() -> u32 {
    with_session(NO_MACHINE, |s| code(s.step()))
}

/// The machine time an idle machine waits for (after `selvm_run` returned 2).
#[unsafe(no_mangle)]
pub extern "C" fn selvm_wait_until_ns() -> f64 {
    WAIT_UNTIL.with(|w| w.get()) as f64
}

/// The exit status once the machine stopped (255 before); its message goes to the
/// outbox, its length is `selvm_exit_message`.
#[unsafe(no_mangle)]
pub extern "C" fn selvm_exit_status() -> u32 {
    with_session(255, |s| s.ended().map_or(255, |e| u32::from(e.status)))
}

/// The exit message (empty for a clean end) into the outbox: its length.
#[unsafe(no_mangle)]
pub extern "C" fn selvm_exit_message() -> u32 {
    let m = with_session(None, |s| s.ended().and_then(|e| e.message.clone()));
    reply(m.unwrap_or_default().as_bytes())
}

/// Console output since the last call, into the outbox: its length.
#[unsafe(no_mangle)]
pub extern "C" fn selvm_console() -> u32 {
    let bytes = with_session(Vec::new(), Session::console);
    reply(&bytes)
}

/// Console input: the inbox's first `len` bytes.
#[unsafe(no_mangle)]
pub extern "C" fn selvm_input(len: u32) {
    let bytes = INBOX.with_borrow(|i| i[..(len as usize).min(i.len())].to_vec());
    with_session((), |s| s.push_input(&bytes));
}

/// Ends the console input.
#[unsafe(no_mangle)]
pub extern "C" fn selvm_close_input() {
    with_session((), Session::close_input);
}

/// The introspection document into the outbox: its length (0: no machine).
#[unsafe(no_mangle)]
pub extern "C" fn selvm_stats() -> u32 {
    let json = with_session(String::new(), |s| s.stats());
    reply(json.as_bytes())
}

/// Trace events since the last call, one a line, into the outbox: its length.
#[unsafe(no_mangle)]
pub extern "C" fn selvm_trace() -> u32 {
    let text = with_session(String::new(), Session::trace);
    reply(text.as_bytes())
}

/// Instructions executed so far.
#[unsafe(no_mangle)]
pub extern "C" fn selvm_instructions() -> f64 {
    with_session(0.0, |s| s.machine().instructions as f64)
}

/// Kernel entries so far.
#[unsafe(no_mangle)]
pub extern "C" fn selvm_kernel_entries() -> f64 {
    with_session(0.0, |s| s.machine().kernel_entries as f64)
}

/// Machine time, nanoseconds since boot.
#[unsafe(no_mangle)]
pub extern "C" fn selvm_now_ns() -> f64 {
    with_session(0.0, |s| s.machine().now_ns() as f64)
}

/// The exit-status table (`selvm_machine::status::TABLE`) as JSON, into the outbox.
#[unsafe(no_mangle)]
pub extern "C" fn selvm_status_table() -> u32 {
    reply(crate::status_table_json().as_bytes())
}

/// The built-in programs as JSON (`[{"name","what"}]`), into the outbox.
#[unsafe(no_mangle)]
pub extern "C" fn selvm_builtins() -> u32 {
    reply(crate::builtin::json().as_bytes())
}

/// The message of the last panic (a bug in the machine), into the outbox.
#[unsafe(no_mangle)]
pub extern "C" fn selvm_panic_message() -> u32 {
    let p = PANIC.with_borrow(|p| p.clone());
    reply(p.as_bytes())
}

thread_local! {
    static COMPUTE: RefCell<Option<crate::bench::Loaded>> = const { RefCell::new(None) };
}

/// Loads a compute benchmark: the inbox holds its name (`name_len` bytes), then its
/// wasm. 1, or 0 with the error in the outbox (`selvm_outbox_len` bytes).
#[unsafe(no_mangle)]
pub extern "C" fn selvm_compute_load(name_len: u32) -> u32 {
    let loaded = INBOX.with_borrow(|i| {
        let (name, wasm) = i.split_at((name_len as usize).min(i.len()));
        crate::bench::load_compute(&String::from_utf8_lossy(name), wasm)
    });
    match loaded {
        Ok(l) => {
            COMPUTE.with_borrow_mut(|c| *c = Some(l));
            reply(b"");
            1
        }
        Err(e) => {
            reply(e.as_bytes());
            0
        }
    }
}

/// Runs the loaded compute benchmark once (the part the page times): the
/// instructions it executed, or -1 with the error in the outbox.
#[unsafe(no_mangle)]
pub extern "C" fn selvm_compute_run() -> f64 {
    let result = COMPUTE.with_borrow(|c| match c {
        Some(l) => l.run(),
        None => Err("no compute benchmark loaded".into()),
    });
    match result {
        Ok(n) => n as f64,
        Err(e) => {
            reply(e.as_bytes());
            -1.0
        }
    }
}

/// The outbox's length.
#[unsafe(no_mangle)]
pub extern "C" fn selvm_outbox_len() -> u32 {
    OUTBOX.with_borrow(|o| o.len() as u32)
}
