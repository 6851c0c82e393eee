//! A three-node chain with revocation at the home node: node 2's cap (`temp@2`, a
//! badged copy of its adder's endpoint) is sent to node 3, which keeps the proxy it
//! arrived as and passes it on to node 4; nodes 4 and 3 call it (node 2's adder
//! answers); node 2 revokes the cap; the next call on node 4 and on node 3 answers
//! `ERROR_REVOKED`, and node 2 still serves other calls. (This test's transport is
//! node 1 and drives the three through their relays.)

use super::churn::call_on;
use super::*;

/// The relay's label numbers the chain tests use (src/chain.rs, src/servers.rs).
const RELAY: u64 = 2;
const SEND_TEMP: u64 = 13;
const CALL_KEPT: u64 = 15;
/// How long a call, or a condition the tests wait for, may take.
const WAIT: Duration = Duration::from_secs(10);

/// This test's transport as node 1 and real nodes 2, 3 and 4, each link the chain uses
/// (3-2, 3-4, 4-2) shown up by a numbered call.
struct Chain {
    node1: Transport,
    /// Nodes 2, 3 and 4.
    nodes: [Running; 3],
    id: u64,
    end: Instant,
}

impl Chain {
    fn start(name: &str) -> Chain {
        let c = config(4);
        let path = temp_dir(name).join("cluster.toml");
        std::fs::write(&path, c.to_toml()).unwrap();
        let node1 = Transport::bind(c, 1, 1, Timeouts::default()).unwrap();
        let node = |id: &str| start_node(&path, id, &[]);
        let nodes = [node("2"), node("3"), node("4")];
        let mut chain = Chain {
            node1,
            nodes,
            id: 10,
            end: Instant::now() + WAIT,
        };
        // Numbered calls: no cap sent, none lost.
        chain.until(3, RELAY, &[2, 1, 2], &[3, 2]);
        chain.until(3, RELAY, &[4, 1, 2], &[3, 4]);
        chain.until(4, RELAY, &[2, 1, 2], &[3, 2]);
        chain
    }

    /// Calls node `on`'s relay with `label` and `mrs` until it answers `want`.
    fn until(&mut self, on: u64, label: u64, mrs: &[u64], want: &[u64]) {
        loop {
            self.id += 1;
            match call_on(&mut self.node1, on, self.id, RELAY, label, mrs, WAIT) {
                (0, got) if got == want => return,
                other => {
                    assert!(
                        Instant::now() < self.end,
                        "node {on} label {label}: {other:?}"
                    );
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        }
    }

    /// Calls node `on`'s relay with `label` and `mrs` once.
    fn call(&mut self, on: u64, label: u64, mrs: &[u64]) -> (u64, Vec<u64>) {
        self.id += 1;
        call_on(&mut self.node1, on, self.id, RELAY, label, mrs, WAIT)
    }
}

impl Drop for Chain {
    fn drop(&mut self) {
        for n in &mut self.nodes {
            let _ = n.child.kill();
        }
    }
}

#[test]
#[ignore = "needs target/user/cluster-node.sbc: cargo xtask test builds it and runs this"]
fn a_cap_passed_along_three_nodes_fails_revoked_on_every_holder_once_its_home_revokes() {
    use selvm_abi::vm::network::ERROR_REVOKED;
    const REVOKE_TEMP: u64 = 11;
    const RELAY_FAILED: u64 = 97;
    let mut c = Chain::start("chain");
    // Node 2 → node 3 (kept) → node 4 (kept): answered once node 4 kept it.
    c.until(2, SEND_TEMP, &[3, 4], &[]);
    assert_eq!(
        c.call(4, CALL_KEPT, &[1, 2]),
        (0, vec![3, 2]),
        "node 4 reaches node 2"
    );
    assert_eq!(
        c.call(3, CALL_KEPT, &[5, 2]),
        (0, vec![7, 2]),
        "node 3 reaches node 2"
    );
    let (label, _) = c.call(2, REVOKE_TEMP, &[]);
    assert_eq!(label, 0, "node 2 revoked temp@2");
    let revoked = (RELAY_FAILED, vec![ERROR_REVOKED]);
    assert_eq!(
        c.call(4, CALL_KEPT, &[1, 2]),
        revoked,
        "node 4 after the revoke"
    );
    assert_eq!(
        c.call(3, CALL_KEPT, &[1, 2]),
        revoked,
        "node 3 after the revoke"
    );
    assert_eq!(add_on(&mut c.node1, 2, 2000, 40, 2), [42, 2]);
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
    const USAGE: u64 = 4;
    const RELEASE_KEPT: u64 = 19;
    const HALF: u64 = 1 << 39;
    let mut c = Chain::start("leases");
    let wait = WAIT;
    let mut id = 1000;
    let mut usage = |t: &mut Transport| {
        id += 1;
        let (label, mrs) = call_on(t, 2, id, 0, USAGE, &[], wait);
        assert_eq!(label, 0);
        mrs[..2].to_vec() // objects exported, free root slots
    };
    let before = usage(&mut c.node1);
    // Node 2 sends temp@2's cap to node 3, which keeps it and passes it on to node 4:
    // node 4 registers with node 2, so node 2's record holds both, half each.
    c.until(2, SEND_TEMP, &[3, 4], &[]);
    let mut ask = 5000;
    let (object, held) = sent_export(&mut c.node1, &mut ask).expect("no sent export on node 2");
    assert_eq!(
        held,
        [3, HALF, 1, 4, HALF, 1],
        "node 2's holders of object {object}"
    );
    assert_eq!(c.call(4, CALL_KEPT, &[1, 2]), (0, vec![3, 2]));
    assert_eq!(c.call(3, CALL_KEPT, &[5, 2]), (0, vec![7, 2]));
    // Node 4 dies: node 2 takes its weight back (its lease was its membership).
    let _ = c.nodes[2].child.kill();
    let killed = Instant::now();
    let mut look = 7000;
    loop {
        let now = sent_export(&mut c.node1, &mut look).map(|(_, h)| h);
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
    assert_eq!(c.call(3, CALL_KEPT, &[9, 2]), (0, vec![11, 2]));
    let held_on = usage(&mut c.node1);
    assert_eq!(
        held_on[0],
        before[0] + 1,
        "the export went while node 3 held it"
    );
    // Node 3 releases: no holder is left, so node 2 drops the export and frees its slot.
    assert_eq!(c.call(3, RELEASE_KEPT, &[0, 2]), (0, vec![]));
    loop {
        let after = usage(&mut c.node1);
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
}
