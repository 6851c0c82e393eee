//! Structure-aware fuzzing of the register machine: the input is raw `.sbc` bytes or
//! drives a generator of mostly valid modules; each goes through the loader and the
//! verifier, and what passes runs with a small budget in a canary-guarded sandbox, in
//! one go and in slices. Any panic, changed canary or disagreement is a finding.
//!
//! The logic lives in `selvm_vm_fuzzkit::fuzzing::run_fuzz_input`, which the corpus
//! replay test (`vm/tests/fuzz_corpus.rs`) runs too.

#![no_main]

use libfuzzer_sys::fuzz_target;
use selvm_vm_fuzzkit::fuzzing::run_fuzz_input;

fuzz_target!(|data: &[u8]| {
    if let Err(failure) = run_fuzz_input(data) {
        panic!("{failure}");
    }
});
