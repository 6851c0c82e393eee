//! The logic of the `kernel_invocations` fuzz target, shared with the corpus
//! replay test (`kernel/tests/fuzz_corpus.rs`) so that both run exactly the
//! same code: boot a small kernel, build the multi-level CSpace prelude, decode
//! operations from the input bytes and run them with the invariant checker on.

use crate::exec::{Executor, Failure};
use crate::histogram::Histogram;
use crate::ops::Op;
use crate::system::TestMemory;
use selvm_kernel::Outcome;

/// RAM of the fuzzed kernel.
pub const FUZZ_MEMORY: usize = 1 << 20;

/// Most operations decoded from one input.
pub const FUZZ_MAX_OPS: usize = 256;

/// Runs one fuzz input: boots `TestMemory::new(FUZZ_MEMORY).boot_small()`,
/// runs `setup_multilevel`, decodes up to [`FUZZ_MAX_OPS`] operations with
/// [`Op::sequence`] and runs them, checking invariants after every step.
///
/// Returns the per-operation outcome histogram (the prelude is not counted in
/// it), or the first invariant violation. A kernel panic propagates as a panic.
///
/// # Panics
///
/// If the prelude itself fails: it does not depend on the input, so that is a
/// broken kernel or harness rather than a finding about the input.
pub fn run_fuzz_input(data: &[u8]) -> Result<Histogram, Failure> {
    let mut mem = TestMemory::new(FUZZ_MEMORY);
    let (mut kernel, summary) = mem.boot_small();
    let mut ex = Executor::new(&mut kernel, &summary);
    let prelude = ex.setup_multilevel(&summary);
    assert!(
        prelude == Outcome::Done,
        "the multi-level CSpace prelude failed: {prelude:?}"
    );
    let ops = Op::sequence(data, FUZZ_MAX_OPS);
    ex.run_all(&ops)?;
    Ok(ex.histogram)
}
