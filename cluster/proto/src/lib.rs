//! seLVM's cluster protocol core, sans-IO: it never reads a socket, a clock or a file.
//! The node's host feeds it what happened (a message the guest's network service put
//! in the device's transmit ring, a frame from an authenticated peer, a peer connected
//! or lost, the time) and takes what it must do (a message for the guest's receive
//! ring, a frame for a peer, a connection to drop). So the same code runs under the
//! real transport and under a deterministic simulation with many seeds.
//!
//! - [`guest`]: the cluster messages the guest and the device exchange (the words of
//!   `selvm_abi::vm::network`), decoded strictly.
//! - [`wire`]: frames between nodes (node id, incarnation, sequence number, body),
//!   decoded strictly: hostile bytes give an error, never a panic.
//! - [`core`]: remote Call/Reply state: outstanding calls with deadlines, served
//!   calls, peers and their incarnations, heartbeats; a call never hangs: its reply,
//!   or an error (peer down, timeout), always comes back.
//! - [`fuzzing`]: one fuzz input through the decoders and the core (the cargo-fuzz
//!   target `cluster_wire` and a property test run it).

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod core;
pub mod fuzzing;
pub mod guest;
pub mod wire;

pub use crate::core::{Core, Output, Timeouts};
