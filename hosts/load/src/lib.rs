//! What a host makes of a program file, judged by its content ([`Kind`]) rather than
//! by its name: the boot image `selvm run` and the browser page take ([`image`]: an
//! `.sbc` module, or WebAssembly, binary or text, translated by dx), with the one
//! wording of every refusal, so the page shows a bad file exactly as the command line
//! does. No I/O: the caller reads the file and names it.

#![forbid(unsafe_code)]

use selvm_bytecode::format::NO_ENTRY;
use std::path::Path;

/// What a run takes, for messages.
pub const RUN_TAKES: &str =
    "`selvm run` takes an .sbc module, WebAssembly (.wasm) or WebAssembly text (.wat)";

/// What a file holds, judged by its content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An `.sbc` module (it starts with the `\x7fSBC` magic).
    Sbc,
    /// A WebAssembly module in the binary format (`\0asm`).
    Wasm,
    /// WebAssembly text: UTF-8 whose first token (after `;` comments) is `(`.
    Wat,
    /// Other UTF-8 text without NUL bytes: assembly source, or something else.
    Text,
    /// Anything else.
    Binary,
}

impl Kind {
    /// The kind of `bytes`.
    pub fn of(bytes: &[u8]) -> Kind {
        if bytes.starts_with(&selvm_bytecode::format::MAGIC) {
            return Kind::Sbc;
        }
        if bytes.starts_with(b"\0asm") {
            return Kind::Wasm;
        }
        match std::str::from_utf8(bytes) {
            Ok(text) if !bytes.contains(&0) => match first_line(text) {
                Some(line) if line.starts_with('(') => Kind::Wat,
                _ => Kind::Text,
            },
            _ => Kind::Binary,
        }
    }
}

/// The first line that is not blank or a `;` comment (assembly and WAT alike).
fn first_line(text: &str) -> Option<&str> {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with(';'))
}

/// What the file at `path` holding `bytes` is, in words, for a message saying it is
/// not what a command takes.
pub fn describe(path: &Path, bytes: &[u8]) -> String {
    match Kind::of(bytes) {
        Kind::Sbc => "an .sbc module".into(),
        Kind::Wasm => "a WebAssembly module".into(),
        Kind::Wat => "WebAssembly text".into(),
        Kind::Text if is_assembly(path, bytes) => "assembly source".into(),
        Kind::Text => {
            let text = std::str::from_utf8(bytes).unwrap_or_default();
            let line: String = first_line(text).unwrap_or("").chars().take(40).collect();
            format!("a text file (first line: `{}`)", line.escape_debug())
        }
        Kind::Binary => {
            let head: Vec<String> = bytes.iter().take(4).map(|b| format!("{b:02x}")).collect();
            format!("a binary file starting with bytes {}", head.join(" "))
        }
    }
}

/// Whether text looks like assembly source: named `.s`, or starting with a directive.
pub fn is_assembly(path: &Path, bytes: &[u8]) -> bool {
    let text = std::str::from_utf8(bytes).unwrap_or_default();
    path.extension().is_some_and(|e| e == "s")
        || first_line(text).is_some_and(|l| l.starts_with('.'))
}

/// The `.sbc` image to boot from the file `path` holding `bytes`: translated by dx if
/// it is WebAssembly, refused (one line naming the file) if it is neither, or has no
/// entry point.
pub fn image(path: &Path, bytes: &[u8]) -> Result<Vec<u8>, String> {
    let name = path.display();
    let (image, how) = match Kind::of(bytes) {
        Kind::Sbc => (
            bytes.to_vec(),
            "name it with `.entry NAME` in the assembly source",
        ),
        Kind::Wasm | Kind::Wat => (
            translate(path, bytes)?,
            "export a function `_start` with no parameters and no results, as docs/wasm-abi.md says",
        ),
        Kind::Text if is_assembly(path, bytes) => {
            return Err(format!(
                "{name}: not a valid .sbc module: this is assembly source; assemble it first \
                 (selvm asm {name} -o OUT.sbc)"
            ));
        }
        Kind::Text | Kind::Binary => {
            return Err(format!(
                "{name}: not a valid .sbc module, nor WebAssembly: {}; {RUN_TAKES}",
                describe(path, bytes)
            ));
        }
    };
    // A module the verifier refuses is named by the machine's loader (with the
    // verifier's message); one without an entry point is named here, with the fix.
    if selvm_bytecode::Module::parse(&image).is_ok_and(|m| m.entry() == NO_ENTRY) {
        return Err(format!(
            "{name}: the module has no entry point, the function the root task starts at; {how}"
        ));
    }
    Ok(image)
}

/// WebAssembly text to the binary format (the message names `path`).
pub fn wat_to_wasm(path: &Path, bytes: &[u8]) -> Result<Vec<u8>, String> {
    wat::parse_bytes(bytes)
        .map(|b| b.into_owned())
        .map_err(|e| format!("{}: {}", path.display(), wat_error(&e)))
}

/// WebAssembly (binary or text) to `.sbc` bytes with dx (the message names `path`).
pub fn translate(path: &Path, bytes: &[u8]) -> Result<Vec<u8>, String> {
    let wasm = match Kind::of(bytes) {
        Kind::Wat => wat_to_wasm(path, bytes)?,
        _ => bytes.to_vec(),
    };
    selvm_dx::translate(&wasm, &selvm_dx::Options::default())
        .map(|t| t.sbc)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// The WAT parser's error on one line: its message and where (its own rendering
/// spans several lines, with the source line and a caret).
fn wat_error(e: &wat::Error) -> String {
    let text = e.to_string();
    let mut lines = text.lines();
    let message = lines.next().unwrap_or_default();
    let place = lines
        .find_map(|l| l.trim().strip_prefix("--> "))
        .and_then(|at| {
            let mut parts = at.rsplit(':');
            Some((parts.next()?, parts.next()?))
        });
    match place {
        Some((column, line)) => format!("line {line}, column {column}: {message}"),
        _ => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_judged_by_content_and_refused_in_one_line() {
        let p = Path::new("x.bin");
        assert_eq!(Kind::of(b"\0asm\x01\0\0\0"), Kind::Wasm);
        assert_eq!(Kind::of(b";; c\n(module)"), Kind::Wat);
        assert_eq!(Kind::of(b".entry main"), Kind::Text);
        assert_eq!(Kind::of(&[0xff, 0, 1]), Kind::Binary);
        let e = image(p, &[0xde, 0xad, 0xbe, 0xef]).unwrap_err();
        assert_eq!(
            e,
            format!(
                "x.bin: not a valid .sbc module, nor WebAssembly: a binary file starting with \
                 bytes de ad be ef; {RUN_TAKES}"
            )
        );
        let e = image(Path::new("a.wat"), b"(module (func $f)").unwrap_err();
        assert!(e.starts_with("a.wat: line 1, column "), "{e}");
        let e = image(Path::new("a.wat"), b"(module)").unwrap_err();
        assert!(e.contains("no entry point"), "{e}");
        assert!(
            image(Path::new("a.s"), b"main:")
                .unwrap_err()
                .contains("assembly source")
        );
    }
}
