//! Two kernels run concurrently in one process, on two threads, each over its
//! own memory: nothing is global, and each ends in the state a lone run gives.

use selvm_kernel_testkit::ops::lcg_bytes;
use selvm_kernel_testkit::{Executor, Op, TestMemory};

fn run(seed: u64) -> (Vec<u64>, u64) {
    let bytes = lcg_bytes(&mut { seed }, 8192);
    let mut mem = TestMemory::new(1 << 20);
    let (mut k, summary) = mem.boot_small();
    let mut ex = Executor::new(&mut k, &summary);
    ex.setup_multilevel(&summary);
    ex.run_all(&Op::sequence(&bytes, 400))
        .expect("invariants hold");
    let ok = ex
        .histogram
        .ops()
        .map(|op| ex.histogram.successes(op))
        .sum();
    (mem.words().to_vec(), ok)
}

#[test]
fn two_kernels_in_one_process_do_not_interfere() {
    let alone = [run(1), run(3)];
    let handles = [1, 3].map(|seed| std::thread::spawn(move || run(seed)));
    let together = handles.map(|h| h.join().expect("kernel thread"));
    assert_eq!(alone[0], together[0]);
    assert_eq!(alone[1], together[1]);
    assert_ne!(
        together[0].0, together[1].0,
        "different work gives different states"
    );
    assert!(
        together[0].1 > 5 && together[1].1 > 5,
        "both kernels did real work: {} {}",
        together[0].1,
        together[1].1
    );
}
