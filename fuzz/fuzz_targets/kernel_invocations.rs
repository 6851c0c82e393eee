//! Structure-aware fuzzing of the kernel's invocations: the input decodes into
//! CNode operations, retypes and raw invocations (`Op::sequence`), run on a
//! booted kernel with a multi-level CSpace and the invariant checker after every
//! step. An invariant violation or any kernel panic is a finding.
//!
//! The logic lives in `selvm_kernel_testkit::fuzzing::run_fuzz_input`, which
//! the corpus replay test (`kernel/tests/fuzz_corpus.rs`) runs too.

#![no_main]

use libfuzzer_sys::fuzz_target;
use selvm_kernel_testkit::fuzzing::run_fuzz_input;

fuzz_target!(|data: &[u8]| {
    if let Err(failure) = run_fuzz_input(data) {
        panic!("{failure}");
    }
});
