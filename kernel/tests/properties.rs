//! Property tests: random sequences of CNode operations and retypes on a
//! multi-level CSpace with guards, with the invariant checker after every step,
//! and restarted-after-preemption runs compared with uninterrupted ones.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use selvm_kernel::Outcome;
use selvm_kernel_testkit::{Executor, Histogram, Op, TestMemory};
use std::cell::RefCell;

const MEMORY: usize = 1 << 20;

/// What a run leaves: outcome counts, whether the caller kept its CSpace
/// throughout, and the complete memory image.
struct Run {
    histogram: Histogram,
    caller_intact: bool,
    failed_restarts: u64,
    memory: Vec<u64>,
}

/// Runs `ops` on a fresh kernel with the multi-level CSpace prelude, or
/// returns the failure as a message.
fn run(ops: &[Op], force_preempt_every: u32) -> Result<Run, String> {
    let mut mem = TestMemory::new(MEMORY);
    let (mut k, summary) = mem.boot_small();
    k.preemption().force_every(force_preempt_every);
    let (histogram, caller_intact, failed_restarts) = {
        let mut ex = Executor::new(&mut k, &summary);
        let prelude = ex.setup_multilevel(&summary);
        if prelude != Outcome::Done {
            return Err(format!("prelude failed: {prelude:?}"));
        }
        ex.run_all(ops).map_err(|f| f.to_string())?;
        (
            ex.histogram,
            ex.caller_intact,
            ex.client.failed_restarts.get(),
        )
    };
    Ok(Run {
        histogram,
        caller_intact,
        failed_restarts,
        memory: mem.words().to_vec(),
    })
}

#[test]
fn random_operations_keep_every_invariant() {
    let total = RefCell::new(Histogram::default());
    let mut runner = TestRunner::new(Config {
        cases: 160,
        ..Config::default()
    });
    runner
        .run(&vec(any::<u8>(), 512..4096), |bytes| {
            let ops = Op::sequence(&bytes, 200);
            let r = run(&ops, 0).map_err(TestCaseError::fail)?;
            total.borrow_mut().merge(&r.histogram);
            Ok(())
        })
        .unwrap();
    let h = total.into_inner();
    println!("{h}");
    assert!(h.total() >= 10_000, "only {} steps ran", h.total());
    for op in [
        "retype", "copy", "mint", "move", "mutate", "rotate", "delete", "revoke",
    ] {
        let (ok, n) = (h.successes(op), h.attempts(op));
        assert!(ok * 20 >= n, "{op}: only {ok} of {n} attempts succeeded");
    }
}

#[test]
fn preempted_and_restarted_operations_end_in_the_same_state() {
    let mut runner = TestRunner::new(Config {
        cases: 48,
        ..Config::default()
    });
    let compared = RefCell::new(0u64);
    runner
        .run(&(vec(any::<u8>(), 256..1536), 1u32..6), |(bytes, every)| {
            let ops = Op::sequence(&bytes, 120);
            let plain = run(&ops, 0).map_err(TestCaseError::fail)?;
            // A caller that deletes its own TCB or CSpace is never restarted.
            prop_assume!(plain.caller_intact);
            let restarted = run(&ops, every).map_err(TestCaseError::fail)?;
            // An operation that deleted a cap its own message names cannot be
            // re-decoded when restarted (seL4 behaves the same).
            prop_assume!(restarted.failed_restarts == 0);
            *compared.borrow_mut() += restarted.histogram.total();
            prop_assert!(
                plain.memory == restarted.memory,
                "state differs after restarts (every {every})"
            );
            Ok(())
        })
        .unwrap();
    let compared = compared.into_inner();
    println!("restart comparison: {compared} operations compared word for word");
    assert!(compared > 1000);
}

#[test]
fn random_multi_thread_syscalls_keep_every_invariant() {
    use selvm_kernel_testkit::thread_ops::{ThreadOp, ThreadRun};
    let total = RefCell::new(Histogram::default());
    let mut runner = TestRunner::new(Config {
        cases: 512,
        ..Config::default()
    });
    runner
        .run(&vec(any::<u8>(), 512..4096), |bytes| {
            let mut mem = TestMemory::new(MEMORY);
            let (mut k, summary) = mem.boot_small();
            let mut run = ThreadRun::new(&mut k, &summary);
            for (i, op) in ThreadOp::sequence(&bytes, 200).iter().enumerate() {
                if run.is_idle() {
                    break;
                }
                run.run(op)
                    .map_err(|v| TestCaseError::fail(format!("step {i}: {op:?} broke {v:?}")))?;
            }
            total.borrow_mut().merge(&run.histogram);
            Ok(())
        })
        .unwrap();
    let h = total.into_inner();
    println!("{h}");
    assert!(h.total() >= 10_000, "only {} steps ran", h.total());
    for op in [
        "resume",
        "suspend",
        "set_priority",
        "write_registers",
        "read_registers",
        "yield",
    ] {
        let (ok, n) = (h.successes(op), h.attempts(op));
        assert!(ok * 10 >= n, "{op}: only {ok} of {n} attempts succeeded");
    }
}
