//! What each command makes of its input file, judged by content ([`Kind`]) rather than
//! by name: `run` and `exec` take an `.sbc` module or WebAssembly (binary, or text)
//! that dx translates (`exec` also assembly source); `dx` takes WebAssembly; `dis` an
//! `.sbc` module; `asm` assembly source, whose module must pass the verifier `run`
//! uses. Any other file is refused (status 6, one line) saying what it is and what
//! the command takes.

use crate::failure::Failure;
use crate::input::{self, Kind};
use selvm_bytecode::format::NO_ENTRY;
use std::path::Path;

/// What `run` takes, for messages.
const RUN_TAKES: &str =
    "`selvm run` takes an .sbc module, WebAssembly (.wasm) or WebAssembly text (.wat)";

/// `selvm run FILE`: the `.sbc` image to boot, translated by dx if it is
/// WebAssembly, refused if it has no entry point.
pub fn image(path: &Path) -> Result<Vec<u8>, Failure> {
    let bytes = input::read(path)?;
    let name = path.display();
    let (image, how) = match Kind::of(&bytes) {
        Kind::Sbc => (bytes, "name it with `.entry NAME` in the assembly source"),
        Kind::Wasm | Kind::Wat => (
            translate(path, &bytes)?,
            "export a function `_start` with no parameters and no results, as docs/wasm-abi.md says",
        ),
        Kind::Text if input::is_assembly(path, &bytes) => {
            return Err(Failure::bad_input(format!(
                "{name}: not a valid .sbc module: this is assembly source; assemble it first \
                 (selvm asm {name} -o OUT.sbc)"
            )));
        }
        Kind::Text | Kind::Binary => {
            return Err(Failure::bad_input(format!(
                "{name}: not a valid .sbc module, nor WebAssembly: {}; {RUN_TAKES}",
                input::describe(path, &bytes)
            )));
        }
    };
    // A module the verifier refuses is named by the machine's loader (with the
    // verifier's message); one without an entry point is named here, with the fix.
    if selvm_bytecode::Module::parse(&image).is_ok_and(|m| m.entry() == NO_ENTRY) {
        return Err(Failure::bad_input(format!(
            "{name}: the module has no entry point, the function the root task starts at; {how}"
        )));
    }
    Ok(image)
}

/// `selvm dx FILE`: WebAssembly in the binary format (text is parsed first).
pub fn wasm(path: &Path) -> Result<Vec<u8>, Failure> {
    let bytes = input::read(path)?;
    let name = path.display();
    match Kind::of(&bytes) {
        Kind::Wasm => Ok(bytes),
        Kind::Wat => wat_to_wasm(path, &bytes),
        Kind::Sbc => Err(Failure::bad_input(format!(
            "{name}: already an .sbc module; dx translates WebAssembly (.wasm or .wat)"
        ))),
        Kind::Text | Kind::Binary => Err(Failure::bad_input(format!(
            "{name}: invalid WebAssembly: this is {}, not a WebAssembly module (binary, \
             starting with 00 61 73 6d) or WebAssembly text (starting with `(module`)",
            input::describe(path, &bytes)
        ))),
    }
}

/// `selvm dis FILE`: an `.sbc` module's bytes.
pub fn sbc(path: &Path) -> Result<Vec<u8>, Failure> {
    let bytes = input::read(path)?;
    let name = path.display();
    let hint = match Kind::of(&bytes) {
        Kind::Sbc => return Ok(bytes),
        Kind::Wasm | Kind::Wat => "; translate it first (selvm dx FILE -o OUT.sbc)",
        Kind::Text if input::is_assembly(path, &bytes) => {
            "; assemble it first (selvm asm FILE -o OUT.sbc)"
        }
        Kind::Text | Kind::Binary => " (an .sbc module starts with 7f 53 42 43, `\\x7fSBC`)",
    };
    Err(Failure::bad_input(format!(
        "{name}: not an .sbc module: this is {}{hint}",
        input::describe(path, &bytes)
    )))
}

/// `selvm exec FILE`: a module's `.sbc` bytes, from an `.sbc` module, assembly
/// source or WebAssembly.
pub fn module(path: &Path) -> Result<Vec<u8>, Failure> {
    let bytes = input::read(path)?;
    match Kind::of(&bytes) {
        Kind::Sbc => Ok(bytes),
        Kind::Wasm | Kind::Wat => translate(path, &bytes),
        Kind::Text => assemble(path, &bytes),
        Kind::Binary => Err(Failure::bad_input(format!(
            "{}: not a module: this is {}; `selvm exec` takes an .sbc module, assembly \
             source or WebAssembly",
            path.display(),
            input::describe(path, &bytes)
        ))),
    }
}

/// `selvm asm FILE`: the assembled module, checked by the verifier that `run` and
/// `exec` use, so that `asm` never writes a module they would refuse.
pub fn assembly(path: &Path) -> Result<Vec<u8>, Failure> {
    let bytes = input::read(path)?;
    let name = path.display();
    let hint = match Kind::of(&bytes) {
        Kind::Text => {
            let sbc = assemble(path, &bytes)?;
            selvm_vm::Module::load(&sbc).map_err(|e| {
                Failure::bad_input(format!(
                    "{name}: assembles into a module the verifier refuses: {e}"
                ))
            })?;
            return Ok(sbc);
        }
        Kind::Sbc => "; it is assembled already",
        Kind::Wasm | Kind::Wat => "; `selvm dx` translates WebAssembly",
        Kind::Binary => "",
    };
    Err(Failure::bad_input(format!(
        "{name}: not assembly source: this is {}{hint} (asm takes the text of docs/assembly.md)",
        input::describe(path, &bytes)
    )))
}

/// Assembly source (UTF-8 text, which may use seL4's names) to `.sbc` bytes.
fn assemble(path: &Path, bytes: &[u8]) -> Result<Vec<u8>, Failure> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| Failure::bad_input(format!("{}: not UTF-8 text", path.display())))?;
    selvm_programs::assemble(text)
        .map_err(|e| Failure::bad_input(format!("{}: {e}", path.display())))
}

/// WebAssembly text to the binary format.
fn wat_to_wasm(path: &Path, bytes: &[u8]) -> Result<Vec<u8>, Failure> {
    wat::parse_bytes(bytes)
        .map(|b| b.into_owned())
        .map_err(|e| Failure::bad_input(format!("{}: {}", path.display(), wat_error(&e))))
}

/// WebAssembly (binary or text) to `.sbc` bytes with dx.
pub fn translate(path: &Path, bytes: &[u8]) -> Result<Vec<u8>, Failure> {
    let wasm = match Kind::of(bytes) {
        Kind::Wat => wat_to_wasm(path, bytes)?,
        _ => bytes.to_vec(),
    };
    selvm_dx::translate(&wasm, &selvm_dx::Options::default())
        .map(|t| t.sbc)
        .map_err(|e| Failure::bad_input(format!("{}: {e}", path.display())))
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
