//! The seLVM register machine: loads verified `.sbc` modules and runs threads of them
//! for a budget of instructions, handing system calls, memory faults, traps and memory
//! growth back to its embedder. Knows nothing about seL4.
//!
//! `no_std` + `alloc`; `unsafe` only in `interp/sibling.rs` (unchecked register and
//! instruction access, on the verifier's guarantees: its module comment has the argument). See `docs/isa.md` for the instruction set.

#![no_std]
#![deny(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]
// Tail-call threading needs `become` (nightly only; see `interp/tailcall.rs`).
#![cfg_attr(
    feature = "tail-calls",
    feature(explicit_tail_calls, rust_preserve_none_cc)
)]
#![cfg_attr(feature = "tail-calls", allow(incomplete_features))]

extern crate alloc;

mod arith;
pub mod asm;
mod blocks;
mod bulk;
pub mod float;
pub mod interp;
pub mod memory;
pub mod module;
pub mod saved;
mod segment;
pub mod thread;

pub use interp::Dispatch;
pub use memory::{Access, Fault, FlatMemory, Memory};
pub use module::Module;
pub use thread::{Exit, StartError, Stop, Thread, Trap};
