//! The run loop's trace: what each thread ran and every kernel entry (system
//! calls, IPC among them, faults, interrupts, timer ticks), written as Chrome
//! trace-event JSON (`chrome://tracing`, Perfetto) with virtual time in
//! microseconds and one track per thread.

use alloc::string::String;
use core::fmt::Write;
use selvm_abi::Syscall;

/// One recorded event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A thread ran from `start_ns` for `ns` (a context switch is where the
    /// thread changes).
    Ran {
        /// The thread (TCB physical address).
        thread: u64,
        /// Virtual start time.
        start_ns: u64,
        /// Virtual duration.
        ns: u64,
        /// Instructions executed.
        instructions: u64,
    },
    /// A kernel entry at `ns` by `thread`.
    Entry {
        /// The thread.
        thread: u64,
        /// Virtual time.
        ns: u64,
        /// Category: "syscall", "ipc", "fault", "interrupt" or "tick".
        category: &'static str,
        /// What ("Call", "VMFault", "irq 1", …).
        name: String,
    },
}

/// The category and name of system call `number` (its code sign-extended).
pub fn syscall_event(number: u64) -> (&'static str, String) {
    match Syscall::from_word(number) {
        Some(s) => {
            let ipc = matches!(
                s,
                Syscall::Call
                    | Syscall::ReplyRecv
                    | Syscall::Send
                    | Syscall::NBSend
                    | Syscall::Recv
                    | Syscall::Reply
                    | Syscall::NBRecv
            );
            (if ipc { "ipc" } else { "syscall" }, alloc::format!("{s:?}"))
        }
        None => ("fault", alloc::format!("unknown syscall {}", number as i64)),
    }
}

/// The text a trace document starts with.
pub const BEGIN: &str = "{\"traceEvents\":[\n";
/// The text a trace document ends with (Chrome and Perfetto also read a document cut
/// off before it, so a trace written as it goes stays readable if the run is killed).
pub const END: &str = "\n]}\n";

/// Appends event `e` to a document being written; `first` is whether it is the first
/// event (the others are preceded by a comma).
pub fn write_event(out: &mut String, e: &Event, first: bool) {
    if !first {
        out.push_str(",\n");
    }
    let us = |ns: u64| ns as f64 / 1000.0;
    let _ = match e {
        Event::Ran {
            thread,
            start_ns,
            ns,
            instructions,
        } => write!(
            out,
            "{{\"name\":\"run\",\"cat\":\"thread\",\"ph\":\"X\",\"pid\":1,\"tid\":{thread},\"ts\":{:.3},\"dur\":{:.3},\"args\":{{\"instructions\":{instructions}}}}}",
            us(*start_ns),
            us(*ns)
        ),
        Event::Entry {
            thread,
            ns,
            category,
            name,
        } => write!(
            out,
            "{{\"name\":\"{}\",\"cat\":\"{category}\",\"ph\":\"i\",\"s\":\"t\",\"pid\":1,\"tid\":{thread},\"ts\":{:.3}}}",
            name.replace('"', "'"),
            us(*ns)
        ),
    };
}

/// `events` as a whole Chrome trace-event JSON document.
pub fn to_json(events: &[Event]) -> String {
    let mut out = String::from(BEGIN);
    for (i, e) in events.iter().enumerate() {
        write_event(&mut out, e, i == 0);
    }
    out.push_str(END);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_become_chrome_trace_json() {
        let events = [
            Event::Ran {
                thread: 7,
                start_ns: 0,
                ns: 2500,
                instructions: 125,
            },
            Event::Entry {
                thread: 7,
                ns: 2500,
                category: "ipc",
                name: "Call".into(),
            },
        ];
        let json = to_json(&events);
        assert!(json.starts_with("{\"traceEvents\":["));
        assert!(json.contains("\"ph\":\"X\",\"pid\":1,\"tid\":7,\"ts\":0.000,\"dur\":2.500"));
        assert!(json.contains("\"name\":\"Call\",\"cat\":\"ipc\",\"ph\":\"i\""));
        assert_eq!(syscall_event(u64::MAX).0, "ipc", "-1 is Call");
        assert_eq!(
            syscall_event(-9i64 as u64),
            ("syscall", "DebugPutChar".into())
        );
    }
}
