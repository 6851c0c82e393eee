//! Replays the committed seed corpora of the kernel fuzz targets
//! (`fuzz/corpus/<target>/seed-*`) through each target's own logic in
//! `selvm_kernel_testkit::fuzzing`, so every seed (including the inputs the
//! fuzzers found and we kept) stays a regression test on stable.

use selvm_kernel_testkit::Histogram;
use selvm_kernel_testkit::fuzzing::{run_fuzz_input, run_thread_fuzz_input, run_vspace_fuzz_input};
use std::path::PathBuf;

/// The `seed-*` files of a target's corpus, sorted.
fn seeds(target: &str) -> (PathBuf, Vec<PathBuf>) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
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
    (dir, seeds)
}

/// Replays a target's seeds with `run`; fails listing every failing seed.
fn replay<E: std::fmt::Display>(target: &str, run: impl Fn(&[u8]) -> Result<Histogram, E>) {
    let (dir, seeds) = seeds(target);
    let mut total = Histogram::default();
    let mut failures = Vec::new();
    for path in &seeds {
        let data = std::fs::read(path).expect("readable seed");
        match run(&data) {
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

#[test]
fn seed_corpus_keeps_every_invariant() {
    replay("kernel_invocations", run_fuzz_input);
}

#[test]
fn thread_seed_corpus_keeps_every_invariant() {
    replay("kernel_threads", run_thread_fuzz_input);
}

#[test]
fn vspace_seed_corpus_keeps_every_invariant() {
    replay("kernel_vspace", run_vspace_fuzz_input);
}
