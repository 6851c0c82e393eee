//! Root tasks the hosts embed, as register-machine assembly text (assembled when
//! they run, so a fresh machine needs no wasm toolchain): the demo system `selvm`
//! boots with no arguments, and the programs of `selvm bench ipc`. They live
//! outside the machine crate, whose API is the machine alone. [`assemble`] is the
//! assembler with seL4's names (`selvm_abi::vm::symbols`), which these programs and
//! the hosts' assembly tools use.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod demo;
pub mod ipc_bench;

use alloc::vec::Vec;
use selvm_vm::asm::{AsmError, assemble_with};

/// Assembles a program for the hosted machine: `source` may name seL4's numbers
/// (system calls, labels and MessageInfo words, object types, slots, IPC buffer and
/// BootInfo offsets: `selvm_abi::vm::symbols`) instead of writing them out.
pub fn assemble(source: &str) -> Result<Vec<u8>, AsmError> {
    assemble_with(source, &selvm_abi::vm::symbols::lookup)
}
