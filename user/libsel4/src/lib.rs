//! The seL4 API for Rust user programs on seLVM: system calls, message registers in the
//! IPC buffer, BootInfo, and every object invocation as a typed function returning
//! `Result<_, Error>`.
//!
//! One API for every architecture; the backend is chosen by target (`backend`):
//! - `wasm32`: the `sel4` imports of `docs/wasm-abi.md`, which `dx` lowers to the vm
//!   architecture's `syscall` instruction;
//! - `riscv64`: `ecall` with seL4's register ABI (a7 number, a0 cap/badge, a1 msginfo,
//!   a2–a5 MR0–MR3), the IPC buffer and BootInfo addresses per thread through the thread
//!   pointer ([`thread`]);
//! - anything else (host builds): a recording mock ([`mock`]) so unit tests can check
//!   what each invocation would send.
//!
//! The crate is `no_std` on its targets; the host mock uses `std` for its per-thread
//! state.

#![no_std]

#[cfg(not(any(target_arch = "wasm32", target_arch = "riscv64")))]
extern crate std;

mod backend;
pub mod ipc;
pub mod object;
pub mod syscalls;
pub mod thread;

#[cfg(not(any(target_arch = "wasm32", target_arch = "riscv64")))]
pub use backend::mock;

pub use object::*;
pub use selvm_abi::{
    BootInfo, CPtr, CapRights, Error, InvocationLabel, IpcBuffer, MessageInfo, ObjectType, Syscall,
    Word,
};
pub use syscalls::*;

/// The architecture this build talks to: the vm architecture's numbers on wasm32 (and
/// in host builds, whose mock imitates it), riscv64's (`selvm_abi::riscv64::layout`) on riscv64. Names
/// both have (`VM_FAULT_FSR_LOAD`, `USER_EXCEPTION_NUMBER`, ...) mean the same word.
pub mod arch {
    #[cfg(not(target_arch = "riscv64"))]
    pub use selvm_abi::vm::*;

    #[cfg(target_arch = "riscv64")]
    pub use selvm_abi::riscv64::layout::*;
}
