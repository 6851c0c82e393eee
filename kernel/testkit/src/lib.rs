//! Test harness for the seLVM kernel, shared by the kernel's scenario and
//! property tests, the fuzz target and `selvm selftest`: booted test systems, a
//! libsel4-like client for invocations, a generator of random operations over a
//! multi-level CSpace, and an executor that checks invariants after every step
//! and keeps a per-operation histogram of outcomes.

pub mod client;
pub mod exec;
pub mod fuzzing;
pub mod histogram;
pub mod msg;
pub mod ops;
pub mod system;
pub mod thread_ops;
pub mod threads;
pub mod vspace_ops;

pub use client::Client;
pub use exec::{Executor, Failure};
pub use histogram::Histogram;
pub use ops::Op;
pub use system::{TestKernel, TestMemory};
