//! `selvm dx`: translates a WebAssembly module into an `.sbc` module with dx.

use clap::Args;
use std::path::PathBuf;

/// Options of `selvm dx`.
#[derive(Args)]
pub struct DxArgs {
    /// The WebAssembly module to translate.
    input: PathBuf,
    /// Where to write the `.sbc` module.
    #[arg(short, long)]
    output: PathBuf,
}

/// `selvm dx IN.wasm -o OUT.sbc`
pub fn dx(a: &DxArgs) -> Result<(), String> {
    let wasm = std::fs::read(&a.input).map_err(|e| format!("{}: {e}", a.input.display()))?;
    let t = selvm_dx::translate(&wasm, &selvm_dx::Options::default())
        .map_err(|e| format!("{}: {e}", a.input.display()))?;
    std::fs::write(&a.output, t.sbc).map_err(|e| format!("{}: {e}", a.output.display()))
}
