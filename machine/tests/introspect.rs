//! The read-only introspection API (`Machine::snapshot`): what it finds in a
//! machine stopped at a known point, and its JSON document.

use selvm_kernel::cap::Cap;
use selvm_kernel::object::endpoint::EpState;
use selvm_kernel::object::tcb::ThreadState;
use selvm_machine::{Config, Exit, Machine};

fn run(source: &str) -> (Machine, Exit) {
    let image =
        selvm_vm::asm::assemble_with(source, &selvm_abi::vm::symbols::lookup).expect("assembles");
    let mut m = Machine::boot(vec![0u64; (16 << 20) / 8], &image, Config::default()).unwrap();
    let exit = m.run_to_exit(|_| {});
    (m, exit)
}

#[test]
fn a_deadlocked_root_is_seen_blocked_in_its_endpoints_queue() {
    let (m, exit) = run(include_str!("../../user/asm/deadlock.s"));
    assert_eq!(exit, Exit::Deadlock { blocked: 1 });
    let s = m.snapshot();
    let root = s
        .threads
        .iter()
        .find(|t| t.name == "rootserver")
        .expect("the root thread is listed by its name");
    assert_eq!(root.priority, 255);
    assert_eq!(root.state, ThreadState::BlockedOnReceive);
    let ep = root.blocked_on.expect("blocked on the endpoint");
    let view = s.endpoints.iter().find(|e| e.object == ep).unwrap();
    assert_eq!(view.state, EpState::Recv);
    assert_eq!(view.queue, vec![root.tcb]);
    assert!(
        s.threads
            .iter()
            .any(|t| t.state == ThreadState::Idle && t.name == "idle_thread")
    );
    // Slot 4000 of the root CNode holds the endpoint, derived from untyped slot 16.
    let (_, cap) = s.cspace.slots.iter().find(|(i, _)| *i == 4000).unwrap();
    assert!(matches!(*cap, Cap::Endpoint { ptr, .. } if ptr == ep));
    let node = s
        .cdt
        .iter()
        .find(|n| n.place == (s.cspace.cnode, 4000))
        .unwrap();
    let parent = s.cdt.iter().find(|n| Some(n.slot) == node.parent).unwrap();
    assert_eq!(parent.place, (s.cspace.cnode, 16));
    assert!(matches!(parent.cap, Cap::Untyped { .. }));
    // The document says the same, one object a line.
    let json = s.to_json();
    assert!(json.contains("\"state\":\"recv\""), "{json}");
    assert!(json.contains(&format!(
        "\"name\":\"rootserver\",\"priority\":255,\"mcp\":255,\"state\":\"BlockedOnReceive\",\"blocked_on\":\"{ep:#x}\""
    )));
    assert!(json.contains(&format!(
        "{{\"index\":4000,\"cap\":{{\"type\":\"endpoint\",\"object\":\"{ep:#x}\""
    )));
    assert_eq!(s, m.snapshot(), "reading changes nothing");
}

#[test]
fn a_second_thread_and_its_endpoint_are_found_through_caps() {
    let (m, exit) = run(include_str!("../../user/asm/threads.s"));
    assert!(matches!(exit, Exit::Halted(0) | Exit::Finished), "{exit:?}");
    let s = m.snapshot();
    // The root and the thread it made, besides the idle thread.
    assert!(s.threads.len() >= 3, "{:?}", s.threads);
    assert!(!s.endpoints.is_empty());
    // Every cap of the root CNode appears in the derivation tree.
    for (i, _) in &s.cspace.slots {
        assert!(
            s.cdt.iter().any(|n| n.place == (s.cspace.cnode, *i)),
            "slot {i}"
        );
    }
}
