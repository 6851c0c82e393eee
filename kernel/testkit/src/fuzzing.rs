//! The logic of the kernel fuzz targets, shared with the corpus replay test
//! (`kernel/tests/fuzz_corpus.rs`) so that both run exactly the same code:
//! `kernel_invocations` boots a small kernel, builds the multi-level CSpace
//! prelude and runs CNode operations and retypes; `kernel_threads` runs
//! multi-thread syscalls through the syscall entry; `kernel_vspace` runs
//! ASID, page-table and frame operations. All check invariants after every
//! step.

use crate::exec::{Executor, Failure};
use crate::histogram::Histogram;
use crate::ops::Op;
use crate::system::TestMemory;
use crate::thread_ops::{ThreadOp, ThreadRun};
use crate::vspace_ops::{VSPACE_MEMORY, VspaceFinding, VspaceOp, VspaceRun};
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

/// Runs one `kernel_threads` fuzz input: boots a kernel with worker threads
/// (`ThreadRun::new`), decodes up to [`FUZZ_MAX_OPS`] thread operations and
/// makes each as the current thread through the syscall entry, checking
/// invariants after every step, until no thread can run.
pub fn run_thread_fuzz_input(data: &[u8]) -> Result<Histogram, Finding> {
    let mut mem = TestMemory::new(FUZZ_MEMORY);
    let (mut kernel, summary) = mem.boot_small();
    let mut run = ThreadRun::new(&mut kernel, &summary);
    for (step, op) in ThreadOp::sequence(data, FUZZ_MAX_OPS).iter().enumerate() {
        if run.is_idle() {
            break;
        }
        run.run(op).map_err(|violation| Finding {
            step,
            op: format!("{op:?}"),
            violation,
        })?;
    }
    Ok(run.histogram)
}

/// Runs one `kernel_vspace` fuzz input: boots a small kernel on
/// [`VSPACE_MEMORY`], decodes up to [`FUZZ_MAX_OPS`] VSpace operations and runs
/// them, checking invariants (and translations) after every step.
pub fn run_vspace_fuzz_input(data: &[u8]) -> Result<Histogram, VspaceFinding> {
    let mut mem = TestMemory::new(VSPACE_MEMORY);
    let (mut kernel, summary) = mem.boot_small();
    let mut run = VspaceRun::new(&mut kernel, &summary);
    for (step, op) in VspaceOp::sequence(data, FUZZ_MAX_OPS)
        .into_iter()
        .enumerate()
    {
        run.run(step, op)?;
    }
    Ok(run.histogram)
}

pub use finding::Finding;

/// Findings of the thread fuzz target.
mod finding {
    use selvm_kernel::invariants::Violation;
    use std::fmt;

    /// A step that broke an invariant.
    #[derive(Debug, Clone)]
    pub struct Finding {
        /// Index of the operation.
        pub step: usize,
        /// The operation.
        pub op: String,
        /// What broke.
        pub violation: Violation,
    }

    impl fmt::Display for Finding {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(
                f,
                "step {}: {} broke an invariant: {:?}",
                self.step, self.op, self.violation
            )
        }
    }
}
