//! Replays the committed seed corpus of the `vm_module` fuzz target
//! (`fuzz/corpus/vm_module/seed-*`) through the target's own logic,
//! `selvm_vm_fuzzkit::fuzzing::run_fuzz_input`, so every seed (including the inputs the
//! fuzzer found and we kept) stays a regression test on stable.

use selvm_vm_fuzzkit::fuzzing::run_fuzz_input;
use std::path::PathBuf;

#[test]
fn seed_corpus_runs_without_findings() {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fuzz/corpus/vm_module"
    ));
    let mut seeds: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("readable directory entry").path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("seed-"))
        })
        .collect();
    seeds.sort();
    let (mut verified, mut ran, mut failures) = (0, 0, Vec::new());
    for path in &seeds {
        let data = std::fs::read(path).expect("readable seed");
        match run_fuzz_input(&data) {
            Ok(r) => {
                verified += r.verified as usize;
                ran += (r.executed > 0) as usize;
            }
            Err(f) => failures.push(format!("{}: {f}", path.display())),
        }
    }
    println!("{} seeds: {verified} verified, {ran} ran", seeds.len());
    assert!(
        failures.is_empty(),
        "failing seeds:\n{}",
        failures.join("\n")
    );
    assert!(
        seeds.len() >= 20,
        "only {} seeds in {}",
        seeds.len(),
        dir.display()
    );
    assert!(ran * 2 > seeds.len(), "most seeds should run");
}
