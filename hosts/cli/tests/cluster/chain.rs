//! A three-node chain with revocation at the home node: node 2's cap (`temp@2`, a
//! badged copy of its adder's endpoint) is sent to node 3, which keeps the proxy it
//! arrived as and passes it on to node 4; nodes 4 and 3 call it (node 2's adder
//! answers); node 2 revokes the cap; the next call on node 4 and on node 3 answers
//! `ERROR_REVOKED`, and node 2 still serves other calls. (This test's transport is
//! node 1 and drives the three through their relays.)

use super::churn::call_on;
use super::*;

#[test]
#[ignore = "needs target/user/cluster-node.sbc: cargo xtask test builds it and runs this"]
fn a_cap_passed_along_three_nodes_fails_revoked_on_every_holder_once_its_home_revokes() {
    use selvm_abi::vm::network::ERROR_REVOKED;
    const RELAY: u64 = 2;
    const REVOKE_TEMP: u64 = 11;
    const SEND_TEMP: u64 = 13;
    const CALL_KEPT: u64 = 15;
    const RELAY_FAILED: u64 = 97;
    let c = config(4);
    let path = temp_dir("chain").join("cluster.toml");
    std::fs::write(&path, c.to_toml()).unwrap();
    let mut node1 = Transport::bind(c, 1, 1, Timeouts::default()).unwrap();
    let node = |id: &str| start_node(&path, id, &[]);
    let (mut node2, mut node3, mut node4) = (node("2"), node("3"), node("4"));
    let wait = Duration::from_secs(10);
    let end = Instant::now() + wait;
    let mut id = 10;
    let mut until = |t: &mut Transport, on: u64, label: u64, mrs: &[u64], want: &[u64]| loop {
        id += 1;
        match call_on(t, on, id, RELAY, label, mrs, wait) {
            (0, got) if got == want => break,
            other => {
                assert!(Instant::now() < end, "node {on} label {label}: {other:?}");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    };
    // The links the chain uses are up (numbered calls: no cap sent, none lost).
    until(&mut node1, 3, RELAY, &[2, 1, 2], &[3, 2]);
    until(&mut node1, 3, RELAY, &[4, 1, 2], &[3, 4]);
    until(&mut node1, 4, RELAY, &[2, 1, 2], &[3, 2]);
    // Node 2 → node 3 (kept) → node 4 (kept): answered once node 4 kept it.
    until(&mut node1, 2, SEND_TEMP, &[3, 4], &[]);
    let mut call = |t: &mut Transport, on: u64, a: u64| {
        id += 1;
        call_on(t, on, id, RELAY, CALL_KEPT, &[a, 2], wait)
    };
    assert_eq!(
        call(&mut node1, 4, 1),
        (0, vec![3, 2]),
        "node 4 reaches node 2"
    );
    assert_eq!(
        call(&mut node1, 3, 5),
        (0, vec![7, 2]),
        "node 3 reaches node 2"
    );
    let (label, _) = call_on(&mut node1, 2, 1000, RELAY, REVOKE_TEMP, &[], wait);
    assert_eq!(label, 0, "node 2 revoked temp@2");
    let revoked = (RELAY_FAILED, vec![ERROR_REVOKED]);
    assert_eq!(call(&mut node1, 4, 1), revoked, "node 4 after the revoke");
    assert_eq!(call(&mut node1, 3, 1), revoked, "node 3 after the revoke");
    assert_eq!(add_on(&mut node1, 2, 2000, 40, 2), [42, 2]);
    for n in [&mut node2, &mut node3, &mut node4] {
        let _ = n.child.kill();
    }
}

/// Node 2's sent export that `holders` hold (asked with control label 21, HOLDERS_OF:
/// three words a holder, node, weight, rights), found among objects 1 to 16: its number
/// and holders.
pub(super) fn sent_export(t: &mut Transport, id: &mut u64) -> Option<(u64, Vec<u64>)> {
    const HOLDERS_OF: u64 = 21;
    (1..=16).find_map(|object| {
        *id += 1;
        let (label, held) = call_on(t, 2, *id, 0, HOLDERS_OF, &[object], Duration::from_secs(10));
        assert_eq!(label, 0);
        (!held.is_empty()).then_some((object, held))
    })
}

#[test]
#[ignore = "needs target/user/cluster-node.sbc: cargo xtask test builds it and runs this"]
fn a_dead_holder_s_weight_comes_home_and_the_export_goes_when_the_living_release() {
    const RELAY: u64 = 2;
    const USAGE: u64 = 4;
    const SEND_TEMP: u64 = 13;
    const CALL_KEPT: u64 = 15;
    const RELEASE_KEPT: u64 = 19;
    const HALF: u64 = 1 << 39;
    let c = config(4);
    let path = temp_dir("leases").join("cluster.toml");
    std::fs::write(&path, c.to_toml()).unwrap();
    let mut node1 = Transport::bind(c, 1, 1, Timeouts::default()).unwrap();
    let node = |id: &str| start_node(&path, id, &[]);
    let (mut node2, mut node3, mut node4) = (node("2"), node("3"), node("4"));
    let wait = Duration::from_secs(10);
    let end = Instant::now() + wait;
    let mut id = 10;
    let mut until = |t: &mut Transport, on: u64, label: u64, mrs: &[u64], want: &[u64]| loop {
        id += 1;
        match call_on(t, on, id, RELAY, label, mrs, wait) {
            (0, got) if got == want => break,
            other => {
                assert!(Instant::now() < end, "node {on} label {label}: {other:?}");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    };
    until(&mut node1, 3, RELAY, &[2, 1, 2], &[3, 2]);
    until(&mut node1, 3, RELAY, &[4, 1, 2], &[3, 4]);
    until(&mut node1, 4, RELAY, &[2, 1, 2], &[3, 2]);
    let mut id = 1000;
    let mut usage = |t: &mut Transport| {
        id += 1;
        let (label, mrs) = call_on(t, 2, id, 0, USAGE, &[], wait);
        assert_eq!(label, 0);
        mrs[..2].to_vec() // objects exported, free root slots
    };
    let before = usage(&mut node1);
    // Node 2 sends temp@2's cap to node 3, which keeps it and passes it on to node 4:
    // node 4 registers with node 2, so node 2's record holds both, half each.
    until(&mut node1, 2, SEND_TEMP, &[3, 4], &[]);
    let mut ask = 5000;
    let (object, held) = sent_export(&mut node1, &mut ask).expect("no sent export on node 2");
    assert_eq!(
        held,
        [3, HALF, 1, 4, HALF, 1],
        "node 2's holders of object {object}"
    );
    let mut call = |t: &mut Transport, on: u64, label: u64, a: u64| {
        ask += 1;
        call_on(t, on, ask, RELAY, label, &[a, 2], wait)
    };
    assert_eq!(call(&mut node1, 4, CALL_KEPT, 1), (0, vec![3, 2]));
    assert_eq!(call(&mut node1, 3, CALL_KEPT, 5), (0, vec![7, 2]));
    // Node 4 dies: node 2 takes its weight back (its lease was its membership).
    let _ = node4.child.kill();
    let killed = Instant::now();
    let mut look = 7000;
    loop {
        let now = sent_export(&mut node1, &mut look).map(|(_, h)| h);
        if now == Some(vec![3, HALF, 1]) {
            break;
        }
        assert!(
            killed.elapsed() < wait,
            "node 4's weight never came back: {now:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    println!(
        "node 4's weight back at node 2 {:?} after its kill",
        killed.elapsed()
    );
    // The living holder's proxy still works, and the export stays while it holds it.
    assert_eq!(call(&mut node1, 3, CALL_KEPT, 9), (0, vec![11, 2]));
    let held_on = usage(&mut node1);
    assert_eq!(
        held_on[0],
        before[0] + 1,
        "the export went while node 3 held it"
    );
    // Node 3 releases: no holder is left, so node 2 drops the export and frees its slot.
    assert_eq!(call(&mut node1, 3, RELEASE_KEPT, 0), (0, vec![]));
    loop {
        let after = usage(&mut node1);
        if after == before {
            println!("node 2 [objects, free slots]: {before:?} -> {held_on:?} -> {after:?}");
            break;
        }
        assert!(
            killed.elapsed() < 2 * wait,
            "export kept: {before:?} -> {after:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    for n in [&mut node2, &mut node3] {
        let _ = n.child.kill();
    }
}
