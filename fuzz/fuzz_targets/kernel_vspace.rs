//! Structure-aware fuzzing of the VSpace layer: the input decodes into VSpace
//! operations (`VspaceOp::sequence`) — retypes of page tables, frames and
//! pool-sized untypeds, ASID pools and assignment, page-table and frame maps
//! and unmaps at colliding addresses, copies, deletes and revokes — with the
//! invariant checker and a translation check after every step.
//!
//! The logic lives in `selvm_kernel_testkit::fuzzing::run_vspace_fuzz_input`,
//! which the corpus replay test (`kernel/tests/fuzz_corpus.rs`) runs too.

#![no_main]

use libfuzzer_sys::fuzz_target;
use selvm_kernel_testkit::fuzzing::run_vspace_fuzz_input;

fuzz_target!(|data: &[u8]| {
    if let Err(finding) = run_vspace_fuzz_input(data) {
        panic!("{finding}");
    }
});
