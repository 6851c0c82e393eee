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
