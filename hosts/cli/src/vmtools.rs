//! `selvm asm` and `selvm dis`: the register machine's assembler and disassembler
//! (`selvm exec` is in `exec`). Every error is a [`Failure`] for `main` to report.

use crate::failure::Failure;
use crate::output::{self, write_file};
use crate::program;
use clap::Args;
use selvm_vm::asm::disassemble;
use std::path::PathBuf;

/// Options of `selvm asm`.
#[derive(Args)]
pub struct AsmArgs {
    /// Assembly source (docs/assembly.md).
    input: PathBuf,
    /// Where to write the `.sbc` module (written only if the verifier accepts it).
    #[arg(short, long)]
    output: PathBuf,
}

/// Options of `selvm dis`.
#[derive(Args)]
pub struct DisArgs {
    /// The `.sbc` module to disassemble.
    input: PathBuf,
}

/// `selvm asm IN.s -o OUT.sbc`
pub fn asm(a: &AsmArgs) -> Result<(), Failure> {
    let bytes = program::assembly(&a.input)?;
    write_file(&a.output, &bytes)
}

/// `selvm dis IN.sbc`
pub fn dis(a: &DisArgs) -> Result<(), Failure> {
    let text = disassemble(&program::sbc(&a.input)?).map_err(|e| {
        Failure::bad_input(format!(
            "{}: not a valid .sbc module: {e}",
            a.input.display()
        ))
    })?;
    output::stdout_bytes(text.as_bytes())
}
