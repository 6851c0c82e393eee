//! The vm architecture's own ABI: how seL4 system calls travel through the register
//! machine's `syscall` instruction, the user context of Read/WriteRegisters, fault
//! message layouts, the object types and invocation labels the vm architecture adds
//! after riscv64's, and the hosted machine's devices (the network device and its
//! cluster messages in `network`). `docs/vm-abi.md` describes the
//! same numbers; a test checks that its tables match these constants.
//!
//! The vm architecture reuses riscv64's object types 0–8, sizes, ASID geometry and
//! invocation labels 1–37 unchanged (see the crate root); everything here comes after
//! them or replaces riscv64's register file.

pub mod context;
pub mod device;
pub mod fault;
pub mod invocation;
pub mod network;
pub mod object;
pub mod spawn;
pub mod symbols;
pub mod window;

pub use context::*;
pub use device::*;
pub use fault::*;
pub use invocation::*;
pub use network::*;
pub use object::*;
pub use window::*;

/// The VM ABI version: the register conventions, syscall encoding and trap numbering of
/// this module. An `.sbc` module records the version it was built for and the loader
/// rejects another (the `bytecode` crate's `ABI_VERSION` must equal this).
pub const VM_ABI_VERSION: u16 = 1;
