//! The portable seLVM kernel: seL4's capability and memory model (13.0.0,
//! non-MCS) in `no_std` Rust with no heap.
//!
//! All state lives in a [`Kernel`] value over a region of physical memory the
//! platform hands over; kernel objects live at the addresses their Untyped
//! retype gave them. Layers, bottom up: `memory` (the only `unsafe`), `cap` and
//! `slot` (the stored forms), `cdt` (derivation tree), `cspace` (addressing),
//! `object/*` (one module per object type), `delete` (zombies, revoke),
//! `invocation` (the entry for object invocations), `boot`, and the
//! `invariants` checker used by every test.
#![no_std]
#![deny(unsafe_code)]

#[cfg(any(test, feature = "checker"))]
extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod arch;
pub mod boot;
pub mod cap;
pub mod cdt;
pub mod cspace;
mod delete;
pub mod error;
pub mod fastpath;
pub mod fault;
pub mod invocation;
mod ipc;
pub mod memory;
pub mod object;
pub mod preemption;
pub mod sched;
pub mod slot;
mod state;
pub mod syscall;
mod tcb_queue;
mod thread;
pub mod vspace;

#[cfg(any(test, feature = "checker"))]
pub mod invariants;

pub use boot::{BootConfig, BootError, BootSummary, DeviceRegion};
pub use error::SyscallError;
pub use invocation::{Caller, Outcome};
pub use state::{BootObjects, Kernel};
