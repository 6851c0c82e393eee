//! Replays the committed seed corpus of the `kernel_invocations` fuzz target
//! (`fuzz/corpus/kernel_invocations/seed-*`) through the target's own logic,
//! `selvm_kernel_testkit::fuzzing::run_fuzz_input`, so every seed (including
//! the inputs the fuzzer found and we kept) stays a regression test on stable.

use selvm_kernel_testkit::Histogram;
use selvm_kernel_testkit::fuzzing::run_fuzz_input;
use std::path::PathBuf;

#[test]
fn seed_corpus_keeps_every_invariant() {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fuzz/corpus/kernel_invocations"
    ));
    let mut seeds: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("readable directory entry").path())
        .filter(|p| {
            p.is_file()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("seed-"))
        })
        .collect();
    seeds.sort();

    let mut total = Histogram::default();
    let mut failures = Vec::new();
    for path in &seeds {
        let data = std::fs::read(path).expect("readable seed");
        match run_fuzz_input(&data) {
            Ok(h) => total.merge(&h),
            Err(f) => failures.push(format!("{}: {f}", path.display())),
        }
    }
    println!("replayed {} seeds from {}", seeds.len(), dir.display());
    println!("{total}");
    assert!(
        failures.is_empty(),
        "failing seeds:\n{}",
        failures.join("\n")
    );
    assert!(
        seeds.len() >= 20,
        "only {} seed files in {}",
        seeds.len(),
        dir.display()
    );
}
