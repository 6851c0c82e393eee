//! Property test of the VSpace layer: random sequences of ASID, page-table and
//! frame operations, copies, deletes and revokes, with the invariant checker
//! (ASID table, pools, page tables against the caps recording mappings) and a
//! translation check after every step; prints the outcome histogram.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use selvm_kernel_testkit::Histogram;
use selvm_kernel_testkit::fuzzing::run_vspace_fuzz_input;
use std::cell::RefCell;

#[test]
fn random_vspace_operations_keep_every_invariant() {
    let total = RefCell::new(Histogram::default());
    let mut runner = TestRunner::new(Config {
        cases: 64,
        ..Config::default()
    });
    runner
        .run(&vec(any::<u8>(), 2048..4096), |bytes| {
            let h =
                run_vspace_fuzz_input(&bytes).map_err(|f| TestCaseError::fail(f.to_string()))?;
            total.borrow_mut().merge(&h);
            Ok(())
        })
        .unwrap();
    let h = total.into_inner();
    println!("{h}");
    assert!(h.total() >= 10_000, "only {} steps ran", h.total());
    for op in [
        "retype",
        "asid_assign",
        "make_pool",
        "pt_map",
        "pt_unmap",
        "page_map",
        "page_unmap",
        "copy",
        "delete",
        "revoke",
    ] {
        let (ok, n) = (h.successes(op), h.attempts(op));
        assert!(ok * 50 >= n, "{op}: only {ok} of {n} attempts succeeded");
    }
    assert!(h.successes("translate") > 0, "no translation ever hit");
}
