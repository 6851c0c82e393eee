//! Test harness for the register machine, shared by the hostile-bytecode tests, the
//! `vm_module` fuzz target and its corpus replay: a [`sandbox`] that surrounds a
//! thread's memory and register stack with canaries, a [`generate`]d stream of mostly
//! valid modules driven by `arbitrary`, and [`fuzzing::run_fuzz_input`], the whole of
//! what one fuzz input does.

#![forbid(unsafe_code)]

pub mod fuzzing;
pub mod generate;
pub mod sandbox;
