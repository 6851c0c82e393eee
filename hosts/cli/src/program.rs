//! What each command makes of its input file, judged by content ([`Kind`]) rather than
//! by name: `run` and `exec` take an `.sbc` module or WebAssembly (binary, or text)
//! that dx translates (`exec` also assembly source); `dx` takes WebAssembly; `dis` an
//! `.sbc` module; `asm` assembly source, whose module must pass the verifier `run`
//! uses. Any other file is refused (status 6, one line) saying what it is and what
//! the command takes.

use crate::failure::Failure;
use crate::input::{self, Kind};
use std::path::Path;

/// `selvm run FILE`: the `.sbc` image to boot, translated by dx if it is
/// WebAssembly, refused if it has no entry point (`selvm_load::image`, which the
/// browser page uses too).
pub fn image(path: &Path) -> Result<Vec<u8>, Failure> {
    let bytes = input::read(path)?;
    selvm_load::image(path, &bytes).map_err(Failure::bad_input)
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
    selvm_load::wat_to_wasm(path, bytes).map_err(Failure::bad_input)
}

/// WebAssembly (binary or text) to `.sbc` bytes with dx.
fn translate(path: &Path, bytes: &[u8]) -> Result<Vec<u8>, Failure> {
    selvm_load::translate(path, bytes).map_err(Failure::bad_input)
}
