//! The browser page's machine: the hosted machine, dx and the built-in programs,
//! compiled to wasm32 as a raw `cdylib` and driven by a Web Worker (docs/web.md).
//!
//! [`Session`] is everything the worker does with one machine, in safe host-agnostic
//! Rust (booting a program file or a built-in one, running it in slices, console in
//! and out, the introspection document, the trace, and a framebuffer and input
//! device through `screen`); it is tested natively like any crate. `ffi` (wasm32 only) is the boundary: a few exported functions over one
//! session kept in a thread-local, bytes passed through an inbox and an outbox in
//! linear memory, and one import, the host's clock. `builtin` names the programs
//! the page's menu boots without fetching anything; `bench` the in-page benchmarks,
//! which `examples/bench.rs` runs natively with the same code for the peer figures.

#![deny(unsafe_code)]

pub mod bench;
pub mod builtin;
#[cfg(target_arch = "wasm32")]
mod ffi;
mod screen;
mod session;

pub use session::{Ended, Options, Session, State, TRACE_LIMIT};

/// `text` as a JSON string literal.
pub fn json_string(text: &str) -> String {
    let mut o = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// The exit-status table (`selvm_machine::status::TABLE`) as JSON:
/// `[{"code":0,"name":"clean","meaning":"..."}, ...]`, so the page and
/// `window.selvm` name statuses from the one table.
pub fn status_table_json() -> String {
    let rows: Vec<String> = selvm_machine::status::TABLE
        .iter()
        .map(|s| {
            format!(
                "{{\"code\":{},\"name\":{},\"meaning\":{}}}",
                s.code,
                json_string(s.name),
                json_string(s.meaning)
            )
        })
        .collect();
    format!("[{}]", rows.join(","))
}
