//! Root tasks the hosts embed, as register-machine assembly text (assembled when
//! they run, so a fresh machine needs no wasm toolchain): the demo system `selvm`
//! boots with no arguments, and the programs of `selvm bench ipc`. They live
//! outside the machine crate, whose API is the machine alone.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod demo;
pub mod ipc_bench;
