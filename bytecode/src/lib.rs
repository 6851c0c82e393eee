//! The seLVM bytecode: the instruction set, the `.sbc` container and its verifier.
//!
//! `no_std`, no `alloc`, no `unsafe`: a kernel can parse and verify a module in place
//! over its bytes, preemptibly ([`Verifier::step`]), and the interpreter may then trust
//! what was verified. See `docs/isa.md` and `docs/sbc-format.md`.

#![no_std]
#![forbid(unsafe_code)]

#[macro_use]
mod isa_macro;

pub mod format;
pub mod isa;
pub mod isa_doc;
pub mod module;
pub mod operand;
pub mod records;
pub mod rule;
pub mod verify;

pub use isa::{DecodeError, Instr, Op};
pub use module::Module;
pub use rule::{Error, Location, Rule};
pub use verify::{Progress, Verifier};
