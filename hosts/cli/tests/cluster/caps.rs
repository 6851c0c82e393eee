//! Capabilities of running `selvm node` processes: a proxy kept across its exporter's
//! restart fails stale while a fresh lookup works (and the exporter's badge reaches
//! the served object), and caps sent across nodes arrive as proxies or, back home, as
//! the original.

use super::*;

/// Calls node 3's relay with `label` and `mrs` from `t` (node 1): its answer's label
/// and registers.
fn relay_on_node_3(t: &mut Transport, call_id: u64, label: u64, mrs: &[u64]) -> (u64, Vec<u64>) {
    use selvm_abi::vm::network::MSG_CALL;
    use selvm_cluster_proto::guest::Message;
    let relay = Message {
        kind: MSG_CALL,
        node: 3,
        call_id,
        object: 2,
        label,
        mrs: mrs.to_vec(),
    };
    t.from_guest(&relay.encode());
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        assert!(Instant::now() < end, "node 3's relay did not answer");
        t.poll(Duration::from_millis(10)).unwrap();
        for m in t.take_for_guest() {
            let m = Message::decode(&m).unwrap();
            if m.call_id == call_id {
                return (m.label, m.mrs);
            }
        }
    }
}

#[test]
#[ignore = "needs target/user/cluster-node.sbc: cargo xtask test builds it and runs this"]
fn a_proxy_kept_across_its_exporters_restart_fails_stale_and_a_fresh_lookup_works() {
    use selvm_abi::vm::network::{ERROR_PEER_DOWN, ERROR_STALE};
    const RELAY_BY_NAME: u64 = 5;
    const RELAY_KEPT: u64 = 6;
    const RELAY_FAILED: u64 = 97;
    let c = config(3);
    let path = temp_dir("stale").join("cluster.toml");
    std::fs::write(&path, c.to_toml()).unwrap();
    let mut node1 = Transport::bind(c, 1, 1, Timeouts::default()).unwrap();
    let node = |id: &str| start_node(&path, id, &[]);
    let (mut node2, mut node3) = (node("2"), node("3"));
    assert_eq!(add_on(&mut node1, 3, 1, 40, 3), [43, 3]);
    // The exporter's badge reaches the served object as seL4 delivers it: node 3's
    // adder registered adder@3 (object 4) through a copy of its endpoint badged
    // 0xadd00003, and sees that badge on a call by that export; through the unbadged
    // numbered export (object 1) it sees 0. (Retried until adder@3 is registered.)
    const BADGE: u64 = 8;
    let end = Instant::now() + Duration::from_secs(10);
    let mut id = 100;
    let seen = |t: &mut Transport, id: u64, object: u64| {
        let call = selvm_cluster_proto::guest::Message {
            kind: selvm_abi::vm::network::MSG_CALL,
            node: 3,
            call_id: id,
            object,
            label: BADGE,
            mrs: vec![],
        };
        t.from_guest(&call.encode());
        loop {
            t.poll(Duration::from_millis(10)).unwrap();
            for m in t.take_for_guest() {
                let m = selvm_cluster_proto::guest::Message::decode(&m).unwrap();
                if m.call_id == id {
                    return (m.label, m.mrs);
                }
            }
        }
    };
    loop {
        assert!(Instant::now() < end, "adder@3 never answered by its export");
        id += 1;
        match seen(&mut node1, id, 4) {
            (0, badge) => break assert_eq!(badge, [0xadd0_0003]),
            _ => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    assert_eq!(seen(&mut node1, id + 1, 1), (0, vec![0]));
    // Node 3's relay looks adder@2 up once and keeps the proxy (which pins node 2's
    // life); retried while the name has not reached node 3's replica.
    let mut id = 10;
    let _ = end;
    let first = loop {
        id += 1;
        match relay_on_node_3(&mut node1, id, RELAY_KEPT, &[2, 7, 8]) {
            (0, mrs) => break mrs,
            _ => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    assert_eq!(first, [15, 2]);
    // Node 2 restarts: a new life, whose adder is object 4 again (a new object).
    let _ = node2.child.kill();
    let _ = node2.child.wait();
    let killed = Instant::now();
    while node1.is_up(2) {
        assert!(killed.elapsed() < Duration::from_secs(5), "node 2 still up");
        node1.poll(Duration::from_millis(10)).unwrap();
    }
    node2 = node("2");
    assert_eq!(add_on(&mut node1, 2, 2, 40, 2), [42, 2]);
    // The kept proxy never reaches the new life: ERROR_STALE (peer down only while
    // node 3 has not yet seen node 2 come back).
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        assert!(Instant::now() < end, "the kept proxy never failed stale");
        id += 1;
        let (label, mrs) = relay_on_node_3(&mut node1, id, RELAY_KEPT, &[2, 7, 8]);
        assert_ne!(label, 0, "a stale proxy reached node 2's new life: {mrs:?}");
        assert_eq!(label, RELAY_FAILED, "{mrs:?}");
        if mrs == [ERROR_STALE] {
            break;
        }
        assert_eq!(mrs, [ERROR_PEER_DOWN]);
        std::thread::sleep(Duration::from_millis(50));
    }
    // A fresh lookup finds the new life's adder (stale only while node 3's replica
    // still holds the old registration) and its call is answered.
    let fresh = loop {
        id += 1;
        match relay_on_node_3(&mut node1, id, RELAY_BY_NAME, &[2, 7, 8]) {
            (0, mrs) => break mrs,
            other => {
                let late = Instant::now() >= end;
                assert!(
                    !late,
                    "no fresh lookup reached node 2's new life: {other:?}"
                );
                std::thread::sleep(Duration::from_millis(50))
            }
        }
    };
    assert_eq!(fresh, [15, 2]);
    let _ = node2.child.kill();
    let _ = node3.child.kill();
}

#[test]
#[ignore = "needs target/user/cluster-node.sbc: cargo xtask test builds it and runs this"]
fn a_cap_sent_across_nodes_arrives_as_a_proxy_and_comes_home_as_the_original() {
    use selvm_abi::vm::network::{ERROR_STALE, MSG_CALL, MSG_REPLY, REMOTE_ERROR_LABEL};
    use selvm_cluster_proto::core::pinned_life;
    use selvm_cluster_proto::guest::Message;
    const CALL_SENT: u64 = 9;
    const CAP_CARRIED: u64 = 1 << 50;
    let c = config(3);
    let path = temp_dir("caps").join("cluster.toml");
    std::fs::write(&path, c.to_toml()).unwrap();
    let mut node1 = Transport::bind(c, 1, 1, Timeouts::default()).unwrap();
    let node = |id: &str| start_node(&path, id, &[]);
    let (mut node2, mut node3) = (node("2"), node("3"));
    // The nodes' lives, as the directory gives them with their adders' names.
    let end = Instant::now() + Duration::from_secs(10);
    let life = |t: &Transport, n: u64| {
        let e = t.directory().lookup(&format!("adder@{n}"))?;
        Some(pinned_life(e.incarnation))
    };
    while life(&node1, 2).is_none() || life(&node1, 3).is_none() {
        assert!(Instant::now() < end, "the adders' names never came");
        node1.poll(Duration::from_millis(10)).unwrap();
    }
    let (life2, life3) = (life(&node1, 2).unwrap(), life(&node1, 3).unwrap());
    // Calls node 2's relay with a cap described as (node, object, life, Grant, token 0:
    // public objects have none); this test answers as node 1's adder (object 1) and
    // agrees to node 2's registration of a cap of node 1 (control label 20). The
    // answer, and how many calls node 2 made to node 1's adder meanwhile.
    let mut id = 0;
    let mut send = |t: &mut Transport, d: [u64; 5]| {
        id += 1;
        let mut mrs = vec![7, 8];
        mrs.extend(d);
        let call = Message {
            kind: MSG_CALL,
            node: 2,
            call_id: id,
            object: 2,
            label: CALL_SENT | CAP_CARRIED,
            mrs,
        };
        t.from_guest(&call.encode());
        let mut called_back = 0;
        loop {
            assert!(Instant::now() < end + Duration::from_secs(10), "no answer");
            t.poll(Duration::from_millis(10)).unwrap();
            for m in t.take_for_guest() {
                let m = Message::decode(&m).unwrap();
                if m.kind == MSG_CALL && m.node == 2 {
                    let registration = m.object == 0 && m.label == 20;
                    called_back += u64::from(!registration);
                    let reply = Message {
                        kind: MSG_REPLY,
                        object: 0,
                        label: 0,
                        mrs: match registration {
                            true => vec![],
                            false => vec![m.mrs.iter().sum(), 1],
                        },
                        ..m
                    };
                    t.from_guest(&reply.encode());
                } else if m.call_id == id {
                    return (m.label, m.mrs, called_back);
                }
            }
        }
    };
    // Node 2's own adder (object 4) in its life: the original, called there (a proxy
    // to itself could not be called: no node calls itself).
    assert_eq!(send(&mut node1, [2, 4, life2, 1, 0]), (0, vec![15, 2], 0));
    // Node 3's adder: a working proxy on node 2 (once nodes 2 and 3 are connected:
    // until then node 2 cannot register the cap with node 3 and refuses it peer down).
    let via_3 = loop {
        match send(&mut node1, [3, 4, life3, 1, 0]) {
            (label, _, 0) if label == REMOTE_ERROR_LABEL | 1 && Instant::now() < end => {
                std::thread::sleep(Duration::from_millis(50))
            }
            other => break other,
        }
    };
    assert_eq!(via_3, (0, vec![15, 3], 0));
    // This node's adder (object 1): node 2 calls back through its new proxy.
    assert_eq!(
        send(&mut node1, [1, 1, pinned_life(1), 1, 0]),
        (0, vec![15, 1], 1)
    );
    // Node 2's object in a life that is not its own: refused, nothing called.
    let (label, _, called) = send(&mut node1, [2, 4, life2 ^ 1, 1, 0]);
    assert_eq!((label, called), (REMOTE_ERROR_LABEL | ERROR_STALE, 0));
    let _ = node2.child.kill();
    let _ = node3.child.kill();
}
