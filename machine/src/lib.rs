//! The hosted seLVM machine: the Rust seL4 kernel (vm architecture) running user
//! programs on the register VM, in physical memory the machine owns. Host-agnostic
//! (`no_std` + `alloc`) and driven by its embedder: the command line, the browser
//! page and the desktop window each call [`Machine::step`] or [`Machine::run`], push
//! input and take output in between; nothing in here sleeps or does I/O.
//!
//! Layers: `devices` (the device bus and its devices: console, timer),
//! `host_state` (what the kernel asks of the machine: console bytes, interrupt
//! masking, TLB flushes, modules going away), `mmu` (the software MMU the
//! interpreter loads and stores through, with a TLB the kernel's flush notices keep
//! exact), `ram` and `mapped` (physical memory, and the mmap back end: RAM in a
//! memfd whose frames are mapped into a host region per address space), `loader`
//! (boots the kernel and builds the root task from an `.sbc` image), `run` (the run
//! loop: interpreter stops become kernel entries; machine time), `machine` (the
//! whole), `exit` and `status` (how runs end), `introspect` (a read-only view of
//! the kernel's threads, IPC objects and caps for embedders).

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod devices;
mod exit;
pub mod host_state;
pub mod introspect;
pub mod loader;
mod machine;
mod mapped;
pub mod mmu;
pub mod ram;
mod run;
pub mod status;
pub mod trace;

pub use devices::DeviceId;
pub use exit::{Exit, FaultKind, FaultReport};
pub use introspect::Snapshot;
pub use loader::LoadError;
pub use machine::{Config, Machine, Step, Wait};
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
pub use mapped::MappingCounts;
pub use ram::{MemoryBackend, Ram};
pub use run::clock::Clock;
