//! The statistics device on a running machine: `user/asm/threads.s` (a root task that
//! starts a thread and talks to it over an endpoint) with the device attached; after
//! the run its frame holds the machine's own counts as of the last refresh, and IPC
//! was counted.

use selvm_abi::vm::device::*;
use selvm_machine::devices::Now;
use selvm_machine::{Config, Machine, Step};

#[test]
fn the_frame_holds_the_machines_counts() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../user/asm/threads.s");
    let source = std::fs::read_to_string(path).unwrap();
    let image =
        selvm_vm::asm::assemble_with(&source, &selvm_abi::vm::symbols::lookup).expect("assembles");
    let config = Config {
        max_instructions: Some(10_000_000),
        tick_instructions: 50,
        ..Config::default()
    };
    let mut m = Machine::boot(vec![0u64; (16 << 20) / 8], &image, config).expect("boots");
    m.attach_stats().unwrap();
    let now = Now {
        ns: 0,
        deterministic: true,
    };
    let read = |m: &mut Machine, reg| m.devices().read(STATS_BASE + reg, now).unwrap();
    assert_eq!(
        read(&mut m, STATS_REFRESHES),
        1,
        "refreshed once when attached"
    );
    assert_eq!(read(&mut m, STATS_INSTRUCTIONS), 0);
    let mut refreshes_seen = Vec::new();
    loop {
        let step = m.run(1000);
        refreshes_seen.push(read(&mut m, STATS_REFRESHES));
        if let Step::Exited(_) = step {
            break;
        }
    }
    assert!(m.ipc_syscalls > 0, "threads.s makes IPC calls");
    let refreshes = read(&mut m, STATS_REFRESHES);
    assert!(
        refreshes > 2,
        "a tick every 50 instructions refreshes it: {refreshes}"
    );
    assert!(refreshes_seen.windows(2).all(|w| w[0] <= w[1]));
    // As of the last refresh: never ahead of the machine, and IPC counted by then.
    assert!(read(&mut m, STATS_INSTRUCTIONS) <= m.instructions);
    assert!(read(&mut m, STATS_INSTRUCTIONS) > 0);
    assert!(read(&mut m, STATS_KERNEL_ENTRIES) <= m.kernel_entries);
    assert!(read(&mut m, STATS_IPC) <= m.ipc_syscalls);
    assert!(read(&mut m, STATS_IPC) > 0);
    assert!(read(&mut m, STATS_THREADS) <= 2);
    m.devices().write(STATS_BASE + STATS_IPC, 0, now);
    assert!(read(&mut m, STATS_IPC) > 0, "read-only");
}
