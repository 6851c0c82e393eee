//! `selvm dx`: translates a WebAssembly module into an `.sbc` module with dx.

use crate::failure::Failure;
use crate::output::write_file;
use crate::program;
use clap::Args;
use std::path::PathBuf;

/// Options of `selvm dx`.
#[derive(Args)]
pub struct DxArgs {
    /// The WebAssembly module to translate (.wasm, or .wat text).
    input: PathBuf,
    /// Where to write the `.sbc` module.
    #[arg(short, long)]
    output: PathBuf,
}

/// `selvm dx IN.wasm -o OUT.sbc`
pub fn dx(a: &DxArgs) -> Result<(), Failure> {
    let wasm = program::wasm(&a.input)?;
    let t = selvm_dx::translate(&wasm, &selvm_dx::Options::default())
        .map_err(|e| Failure::bad_input(format!("{}: {e}", a.input.display())))?;
    // What dx writes must pass the verifier that `run` and `exec` use; if it does not,
    // that is a dx bug, said as such instead of writing a module nothing accepts.
    selvm_vm::Module::load(&t.sbc).map_err(|e| {
        Failure::check(format!(
            "{}: dx wrote a module the verifier refuses (a dx bug): {e}",
            a.input.display()
        ))
    })?;
    write_file(&a.output, &t.sbc)
}
