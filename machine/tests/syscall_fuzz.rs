//! The user-level syscall fuzzer under the host's invariant audit: random
//! invocations from a root task on the VM, the kernel's invariant checker after
//! every kernel entry.

mod support;
use selvm_machine::{Config, Exit, Machine};
use support::assemble;
use support::syscall_fuzz::source;

#[test]
fn random_syscalls_from_the_vm_keep_every_kernel_invariant() {
    let mut calls = 0;
    let mut audits = 0;
    let mut ends = std::collections::BTreeMap::new();
    for seed in 1..=24u64 {
        let image = assemble(&source(seed, 400)).expect("assembles");
        let ram = vec![0u64; (8 << 20) / 8];
        let config = Config {
            check_invariants: true,
            max_instructions: Some(2_000_000),
            ..Config::default()
        };
        let mut m = Machine::boot(ram, &image, config).expect("boots");
        let exit = m.run_to_exit(|_| {});
        if let Exit::InvariantBroken(v) = &exit {
            panic!(
                "seed {seed}: invariant broken after {} kernel entries: {v}",
                m.kernel_entries
            );
        }
        // One audit per step; a step is one kernel entry here (no devices),
        // and the last one ends the run.
        assert!(
            m.audits + 1 >= m.kernel_entries,
            "seed {seed}: {} entries, {} audits",
            m.kernel_entries,
            m.audits
        );
        audits += m.audits;
        calls += m.kernel_entries;
        *ends
            .entry(format!("{:?}", std::mem::discriminant(&exit)))
            .or_insert(0) += 1;
        let _ = exit;
    }
    println!("{calls} kernel entries, {audits} audits over 24 seeds; ends: {ends:?}");
    assert!(calls > 2000, "only {calls} kernel entries");
}
