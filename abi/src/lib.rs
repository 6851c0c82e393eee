//! The seL4 ABI (13.0.0, non-MCS, 64-bit words) shared by the seLVM kernel and user code.
//!
//! Everything here is plain data: numbers, bit layouts and `#[repr(C)]` structures whose
//! layout is checked at compile time. `seL4_Word` is 64 bits on every target, wasm32
//! included, so the structures have the same layout everywhere.

#![no_std]
#![forbid(unsafe_code)]

#[cfg(test)]
extern crate std;

/// A machine word as seen through the seL4 ABI (`seL4_Word`), 64 bits on every target.
pub type Word = u64;

/// A capability address in a CSpace (`seL4_CPtr`).
pub type CPtr = u64;

pub mod boot;
pub mod boot_info;
pub mod config;
pub mod error;
pub mod fault;
pub mod invocation;
pub mod ipc_buffer;
pub mod lookup_fault;
pub mod message_info;
pub mod object;
pub mod rights;
pub mod riscv64;
pub mod sched;
pub mod syscall;
pub mod untypeds;
pub mod vm;
pub mod wasm;

pub use boot::*;
pub use boot_info::*;
pub use error::*;
pub use fault::*;
pub use invocation::*;
pub use ipc_buffer::*;
pub use lookup_fault::*;
pub use message_info::*;
pub use object::*;
pub use rights::*;
pub use riscv64::*;
pub use sched::*;
pub use syscall::*;
pub use untypeds::*;
