//! The programs the page boots without fetching anything: the demo system `selvm`
//! runs with no arguments, and the IPC benchmark's programs (assembled here, as the
//! command line assembles them), and `user/asm/display.s`, which draws on a
//! framebuffer and answers the keyboard and pointer. The menu's other programs (hello,
//! the conformance suite) are WebAssembly files served beside the page.

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
    /// The display it draws on (width, height), if any.
    pub display: Option<(u32, u32)>,
}

/// `user/asm/display.s`: the framebuffer's pattern, a square per input event.
const DISPLAY_SOURCE: &str = include_str!("../../../user/asm/display.s");

/// Every built-in program.
pub const ALL: &[Builtin] = &[
    Builtin {
        name: "demo",
        what: "the demo: IPC, a cap transfer, a notification, two address spaces",
        slow_path: false,
        display: None,
    },
    Builtin {
        name: "ipc-fastpath",
        what: "Call/ReplyRecv between two address spaces, `rounds` round trips (fastpath)",
        slow_path: false,
        display: None,
    },
    Builtin {
        name: "ipc-slowpath",
        what: "Call/ReplyRecv between two address spaces with the fastpath off",
        slow_path: true,
        display: None,
    },
    Builtin {
        name: "ipc-signal",
        what: "Signal/Wait ping-pong between two address spaces",
        slow_path: false,
        display: None,
    },
    Builtin {
        name: "ipc-yield",
        what: "a null system call (Yield), `rounds` times",
        slow_path: false,
        display: None,
    },
    Builtin {
        name: "display",
        what: "user/asm/display.s on a 320x240 framebuffer: a square per click or move, a key ends it",
        slow_path: false,
        display: Some((320, 240)),
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
        "display" => DISPLAY_SOURCE.to_string(),
        _ => null_syscall(rounds),
    };
    selvm_programs::assemble(&source)
        .map(|image| (*b, image))
        .map_err(|e| format!("the built-in program `{name}` does not assemble: {e}"))
}

/// The built-in programs as JSON: `[{"name":...,"what":...,"display":[w,h]|null}, ...]`.
pub fn json() -> String {
    let rows: Vec<String> = ALL
        .iter()
        .map(|b| {
            format!(
                "{{\"name\":{},\"what\":{},\"display\":{}}}",
                crate::json_string(b.name),
                crate::json_string(b.what),
                b.display
                    .map_or("null".to_string(), |(w, h)| format!("[{w},{h}]"))
            )
        })
        .collect();
    format!("[{}]", rows.join(","))
}
