//! The programs the page boots without fetching anything: the demo system `selvm`
//! runs with no arguments, and the IPC benchmark's programs (assembled here, as the
//! command line assembles them). The menu's other programs (hello, the conformance
//! suite) are WebAssembly files served beside the page.

use selvm_programs::ipc_bench::{call_reply_recv, null_syscall, signal_wait};

/// A built-in program: its name and whether it wants the kernel's fastpath off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Builtin {
    /// The name the page's menu and `window.selvm` use.
    pub name: &'static str,
    /// What it is, one line.
    pub what: &'static str,
    /// Run with the Call/ReplyRecv fastpath off.
    pub slow_path: bool,
}

/// Every built-in program.
pub const ALL: &[Builtin] = &[
    Builtin {
        name: "demo",
        what: "the demo: IPC, a cap transfer, a notification, two address spaces",
        slow_path: false,
    },
    Builtin {
        name: "ipc-fastpath",
        what: "Call/ReplyRecv between two address spaces, `rounds` round trips (fastpath)",
        slow_path: false,
    },
    Builtin {
        name: "ipc-slowpath",
        what: "Call/ReplyRecv between two address spaces with the fastpath off",
        slow_path: true,
    },
    Builtin {
        name: "ipc-signal",
        what: "Signal/Wait ping-pong between two address spaces",
        slow_path: false,
    },
    Builtin {
        name: "ipc-yield",
        what: "a null system call (Yield), `rounds` times",
        slow_path: false,
    },
];

/// The built-in program `name` (the IPC programs run `rounds` operations): its
/// entry and its `.sbc` image, or why it cannot be had.
pub fn image(name: &str, rounds: u64) -> Result<(Builtin, Vec<u8>), String> {
    let Some(b) = ALL.iter().find(|b| b.name == name) else {
        let names: Vec<&str> = ALL.iter().map(|b| b.name).collect();
        return Err(format!(
            "no built-in program `{name}` (there are: {})",
            names.join(", ")
        ));
    };
    let source = match name {
        "demo" => selvm_programs::demo::demo_source(),
        "ipc-fastpath" | "ipc-slowpath" => call_reply_recv(rounds),
        "ipc-signal" => signal_wait(rounds),
        _ => null_syscall(rounds),
    };
    selvm_programs::assemble(&source)
        .map(|image| (*b, image))
        .map_err(|e| format!("the built-in program `{name}` does not assemble: {e}"))
}

/// The built-in programs as JSON: `[{"name":...,"what":...}, ...]`.
pub fn json() -> String {
    let rows: Vec<String> = ALL
        .iter()
        .map(|b| {
            format!(
                "{{\"name\":{},\"what\":{}}}",
                crate::json_string(b.name),
                crate::json_string(b.what)
            )
        })
        .collect();
    format!("[{}]", rows.join(","))
}
