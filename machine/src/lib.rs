//! The hosted seLVM machine: the Rust seL4 kernel (vm architecture) running
//! user programs on the register VM, in one host allocation of physical
//! memory. Host-agnostic (`no_std` + `alloc`): the Linux command line and the
//! browser drive the same [`Machine`].
//!
//! Layers: `devices` (console and timer registers, virtual time),
//! `host_state` (what the kernel asks of the machine: console bytes,
//! interrupt lines, TLB flushes, modules going away), `mmu` (the software MMU
//! the interpreter loads and stores through, with a TLB the kernel's flush
//! notices keep exact), `loader` (boots the kernel and builds the root task
//! from an `.sbc` image), `run` (the run loop: interpreter stops become kernel
//! entries) and `machine` (the whole).

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod devices;
pub mod host_state;
pub mod loader;
pub mod machine;
pub mod mmu;
mod run;
pub mod status;
pub mod trace;

pub use loader::LoadError;
pub use machine::{Clock, Config, Exit, FaultReport, Machine};
