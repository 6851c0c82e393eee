//! How a `selvm` command fails: one line for stderr and an exit status from the one
//! table every command uses (`selvm_machine::status`), which also writes the `Exit
//! status` part of the help.

use selvm_machine::status;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::process::ExitCode;

/// Why a command stopped early: its exit status (an entry of [`status::TABLE`]) and
/// what to print, without the `selvm: ` prefix (nothing for a closed pipe: `| head`
/// closing stdout is normal use, not news).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The exit status.
    pub status: u8,
    /// The line for stderr, if any.
    pub message: Option<String>,
}

impl Failure {
    /// A failure with `status` (which must be in the table) and `message`.
    #[cold]
    pub fn new(status: u8, message: impl Into<String>) -> Failure {
        debug_assert!(status::lookup(status).is_some(), "status {status}");
        Failure {
            status,
            message: Some(message.into()),
        }
    }

    /// A command-line value that does not fit what it names (status 2).
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure::new(status::USAGE, message)
    }

    /// Input that cannot be read, translated, assembled or booted (status 6).
    pub fn bad_input(message: impl Into<String>) -> Failure {
        Failure::new(status::BAD_INPUT, message)
    }

    /// A program killed by a trap, a fault or an unsupported system call (status 3).
    pub fn fault(message: impl Into<String>) -> Failure {
        Failure::new(status::UNHANDLED_FAULT, message)
    }

    /// A self-check that found a bug: a kernel invariant, a self-test expectation or a
    /// benchmark's result (status 7, the table's "a kernel bug").
    pub fn check(message: impl Into<String>) -> Failure {
        Failure::new(status::CHECK_FAILED, message)
    }

    /// Something the host refused: a process, a thread, a socket (status 9).
    pub fn host(message: impl Into<String>) -> Failure {
        Failure::new(status::HOST_REFUSED, message)
    }

    /// A write to `what` (stdout, or a file's name) that failed (status 8); quiet
    /// when the reader went away (a broken pipe).
    #[cold]
    pub fn output(what: impl std::fmt::Display, e: &io::Error) -> Failure {
        Failure {
            status: status::OUTPUT_FAILED,
            message: (e.kind() != io::ErrorKind::BrokenPipe).then(|| format!("{what}: {e}")),
        }
    }

    /// Prints the message (if any) on stderr and gives the exit status. A stderr that
    /// cannot be written to is ignored: there is nowhere left to complain.
    #[cold]
    pub fn report(self) -> ExitCode {
        if let Some(m) = &self.message {
            let _ = writeln!(io::stderr(), "selvm: {m}");
        }
        ExitCode::from(self.status)
    }
}

/// The `Exit status:` list for `selvm run --help`, one line per entry of the table.
pub fn exit_status_help() -> String {
    let mut text = String::from("Exit status:");
    for s in status::TABLE {
        let _ = write!(text, "\n  {:>3}  {}", s.code, s.meaning);
    }
    text
}

/// The top-level help's pointer to the table: every code with its short name.
pub fn exit_status_pointer() -> String {
    let codes: Vec<String> = status::TABLE
        .iter()
        .map(|s| format!("{} {}", s.code, s.name))
        .collect();
    format!(
        "Exit status (every command): {}; `selvm run --help` says what each means.",
        codes.join(", ")
    )
}
