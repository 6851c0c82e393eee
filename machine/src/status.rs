//! Exit statuses: one table for every way a run of the machine, or a command of a
//! host that embeds it, can end. The command line returns these as process exit
//! statuses (and prints the table in `--help`); the browser's JavaScript API reports
//! the same codes and names; docs/hosted.md lists them (a test keeps it current).

/// One way a run or a command ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitStatus {
    /// The process exit status.
    pub code: u8,
    /// A short stable name (the JavaScript API's `exit.name`).
    pub name: &'static str,
    /// What it means, one line.
    pub meaning: &'static str,
}

/// DebugHalt with status 0, or every thread finished; a tool command succeeded.
pub const CLEAN: u8 = 0;
/// DebugHalt with a non-zero status (printed on stderr).
pub const HALT_STATUS: u8 = 1;
/// Command-line usage error: an unknown option, a missing or out-of-range value.
pub const USAGE: u8 = 2;
/// A thread was killed by a fault no handler received.
pub const UNHANDLED_FAULT: u8 = 3;
/// Threads are blocked and nothing can ever wake them.
pub const DEADLOCK: u8 = 4;
/// An instruction or time limit was reached.
pub const LIMIT: u8 = 5;
/// The input cannot be read, translated, assembled or booted.
pub const BAD_INPUT: u8 = 6;
/// A check found a bug: a kernel invariant broken (invariant checking on), or a
/// self-test or benchmark that got a wrong result.
pub const CHECK_FAILED: u8 = 7;
/// Output could not be written: stdout or an output file was closed or is full.
pub const OUTPUT_FAILED: u8 = 8;
/// The host refused something a command needs (a process, a thread, a socket).
pub const HOST_REFUSED: u8 = 9;
/// Interrupted (Ctrl-C): the run stopped early, its output and trace written out.
pub const INTERRUPTED: u8 = 130;

/// Every exit status, in code order.
pub const TABLE: &[ExitStatus] = &[
    ExitStatus {
        code: CLEAN,
        name: "clean",
        meaning: "DebugHalt with status 0, or every thread finished; a tool command succeeded",
    },
    ExitStatus {
        code: HALT_STATUS,
        name: "halted",
        meaning: "DebugHalt with another status (printed on stderr)",
    },
    ExitStatus {
        code: USAGE,
        name: "usage",
        meaning: "command-line usage error (unknown option, missing or out-of-range value)",
    },
    ExitStatus {
        code: UNHANDLED_FAULT,
        name: "fault",
        meaning: "a thread was killed by a fault no handler received (stderr names the thread, function, pc, fault and address)",
    },
    ExitStatus {
        code: DEADLOCK,
        name: "deadlock",
        meaning: "threads are blocked and nothing can wake them",
    },
    ExitStatus {
        code: LIMIT,
        name: "limit",
        meaning: "an instruction or time limit was reached (--max-instructions, --timeout)",
    },
    ExitStatus {
        code: BAD_INPUT,
        name: "bad-input",
        meaning: "the input cannot be read, translated, assembled or booted (one line on stderr)",
    },
    ExitStatus {
        code: CHECK_FAILED,
        name: "check-failed",
        meaning: "a check found a bug: a kernel invariant broken (with --check-invariants), or a self-test or benchmark with a wrong result",
    },
    ExitStatus {
        code: OUTPUT_FAILED,
        name: "output-failed",
        meaning: "output could not be written (stdout or an output file closed or full)",
    },
    ExitStatus {
        code: HOST_REFUSED,
        name: "host-refused",
        meaning: "the host refused something the command needs (a process, a thread, a socket)",
    },
    ExitStatus {
        code: INTERRUPTED,
        name: "interrupted",
        meaning: "interrupted by Ctrl-C; what was produced so far is written out",
    },
];

/// The entry for `code`, if there is one.
pub fn lookup(code: u8) -> Option<&'static ExitStatus> {
    TABLE.iter().find(|s| s.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique_and_in_order() {
        for pair in TABLE.windows(2) {
            assert!(pair[0].code < pair[1].code, "{pair:?}");
        }
        for (i, s) in TABLE.iter().enumerate() {
            assert!(TABLE[i + 1..].iter().all(|o| o.name != s.name), "{s:?}");
            assert_eq!(lookup(s.code), Some(s));
        }
        assert_eq!(lookup(10), None);
    }
}
