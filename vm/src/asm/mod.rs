//! The assembly language of the register machine: an assembler, a disassembler whose
//! output assembles back to the same bytes, and the `.sbc` writer they share.

mod assemble;
pub mod builder;
mod dis;
pub mod syntax;

pub use assemble::{AsmError, Symbols, assemble, assemble_with};
pub use builder::ModuleBuilder;
pub use dis::disassemble;
