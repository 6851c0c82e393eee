//! Programs the machine's integration tests run.

pub mod syscall_fuzz;
