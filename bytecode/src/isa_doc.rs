//! The generated part of `docs/isa.md`: one table per group of ops, written from the
//! instruction table so the reference can never disagree with the code.

use crate::isa::{OP_COUNT, Op};
use core::fmt::{self, Write};

/// The marker line that starts the generated part of `docs/isa.md`.
pub const BEGIN_MARKER: &str =
    "<!-- BEGIN GENERATED: cargo test -p selvm-bytecode --test isa_doc -->";
/// The marker line that ends it.
pub const END_MARKER: &str = "<!-- END GENERATED -->";

/// Writes text with `|` escaped for a Markdown table cell.
fn cell(out: &mut impl Write, text: &str) -> fmt::Result {
    for part in text.split_inclusive('|') {
        match part.strip_suffix('|') {
            Some(head) => write!(out, "{head}\\|")?,
            None => out.write_str(part)?,
        }
    }
    Ok(())
}

/// Writes the generated reference (between the markers, markers excluded).
pub fn write_reference(out: &mut impl Write) -> fmt::Result {
    writeln!(
        out,
        "{OP_COUNT} ops. Operand fields: `a` bits 16..32, `b` 32..48, `c` 48..64, `bc` 32..64."
    )?;
    let mut group = "";
    for &op in Op::ALL {
        if op.group() != group {
            group = op.group();
            writeln!(out, "\n### {group}\n")?;
            writeln!(out, "| opcode | mnemonic | operands | semantics |")?;
            writeln!(out, "|---|---|---|---|")?;
        }
        write!(out, "| 0x{:04x} | `{}` | ", op as u16, op.mnemonic())?;
        for (i, (field, kind)) in op.operands().iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            let name = match field {
                crate::operand::Field::A => "a",
                crate::operand::Field::B => "b",
                crate::operand::Field::C => "c",
                crate::operand::Field::Bc => "bc",
            };
            write!(out, "{sep}{name}: {}", kind.name())?;
        }
        out.write_str(" | ")?;
        cell(out, op.doc())?;
        writeln!(out, " |")?;
    }
    Ok(())
}
