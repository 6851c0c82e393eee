//! Structure-aware fuzzing of the thread layer: the input decodes into thread
//! operations (`ThreadOp::sequence`) that whichever thread is current makes
//! through the real syscall entry — TCB invocations on any thread, yield,
//! unknown syscalls, deleting and re-creating threads — with timer ticks
//! between them and the invariant checker after every step.
//!
//! The logic lives in `selvm_kernel_testkit::fuzzing::run_thread_fuzz_input`,
//! which the corpus replay test (`kernel/tests/fuzz_corpus.rs`) runs too.

#![no_main]

use libfuzzer_sys::fuzz_target;
use selvm_kernel_testkit::fuzzing::run_thread_fuzz_input;

fuzz_target!(|data: &[u8]| {
    if let Err(finding) = run_thread_fuzz_input(data) {
        panic!("{finding}");
    }
});
