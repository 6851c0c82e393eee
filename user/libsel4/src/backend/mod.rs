//! The one selection point between architectures: each backend exports the same raw
//! system-call functions (words in, words out; message registers travel through the IPC
//! buffer as with libsel4's C functions), and the rest of the crate uses only those.

#[cfg(target_arch = "wasm32")]
mod wasm32;
#[cfg(target_arch = "wasm32")]
pub(crate) use wasm32::*;

#[cfg(target_arch = "riscv64")]
mod riscv64;
#[cfg(target_arch = "riscv64")]
pub(crate) use riscv64::*;

#[cfg(not(any(target_arch = "wasm32", target_arch = "riscv64")))]
pub mod mock;
#[cfg(not(any(target_arch = "wasm32", target_arch = "riscv64")))]
pub(crate) use mock::sys::*;
