//! Membership of running `selvm node` processes: a node its peers' files do not list
//! joins with the cluster's join key, is called, and its death is seen by SWIM; and a
//! node in a network namespace cut off by taking its veth link down, then healed (as
//! root).

use super::*;

#[test]
#[ignore = "needs target/user/cluster-node.sbc: cargo xtask test builds it and runs this"]
fn a_node_not_in_the_configuration_joins_a_running_cluster_is_called_and_its_death_seen() {
    use selvm_abi::vm::network::MSG_CALL;
    use selvm_cluster_proto::guest::Message;
    // Nodes 1 (this test's transport), 2 and 3 list each other and share a join key;
    // node 4's file lists only itself and node 1.
    let mut c = config(4);
    c.join_key = Some([0x5a; 32]);
    let four = c.nodes.pop().unwrap();
    let joiner = ClusterConfig {
        nodes: vec![c.nodes[0].clone(), four],
        ..c.clone()
    };
    let dir = temp_dir("join");
    let (path, joiner_path) = (dir.join("cluster.toml"), dir.join("joiner.toml"));
    std::fs::write(&path, c.to_toml()).unwrap();
    std::fs::write(&joiner_path, joiner.to_toml()).unwrap();
    let mut node1 = Transport::bind(c, 1, 1, Timeouts::default()).unwrap();
    let node = |config: &std::path::Path, id: &str| start_node(config, id, &[]);
    let (node2, node3) = (node(&path, "2"), node(&path, "3"));
    assert_eq!(add_on(&mut node1, 3, 1, 40, 3), [43, 3]);
    assert_eq!(add_on(&mut node1, 2, 2, 40, 2), [42, 2]);
    // The cluster runs; node 4 joins through node 1 and is called.
    let mut node4 = node(&joiner_path, "4");
    assert_eq!(add_on(&mut node1, 4, 3, 40, 4), [44, 4]);
    let log = node1.take_log();
    assert!(
        log.iter()
            .any(|l| l.starts_with("node 4 joined from 127.0.0.1:")),
        "{log:?}"
    );
    // Node 3 learnt of node 4 through SWIM only (node 4 knew only node 1): node 3's
    // relay looks adder@4 up by name and calls it.
    let end = Instant::now() + Duration::from_secs(20);
    let mut call_id = 10;
    let answer = 'calls: loop {
        call_id += 1;
        let relay = Message {
            kind: MSG_CALL,
            node: 3,
            call_id,
            object: 2,
            label: 5, // RELAY_BY_NAME: look adder@MR0 up, call it with MR1 + MR2
            mrs: vec![4, 7, 8],
        };
        node1.from_guest(&relay.encode());
        loop {
            assert!(Instant::now() < end, "node 3 never reached node 4");
            node1.poll(Duration::from_millis(10)).unwrap();
            for m in node1.take_for_guest() {
                let m = Message::decode(&m).unwrap();
                if m.call_id == call_id && m.label == 0 {
                    break 'calls m.mrs;
                } else if m.call_id == call_id {
                    std::thread::sleep(Duration::from_millis(50));
                    continue 'calls; // not known there yet: ask again
                }
            }
        }
    };
    assert_eq!(answer, [15, 4]);
    // Killed: SWIM declares it down well within the 5 s deadline.
    let _ = node4.child.kill();
    let _ = node4.child.wait();
    let killed = Instant::now();
    let mut seen = Vec::new();
    while !seen.iter().any(|l| l == "member 4 is down (SWIM)") {
        assert!(killed.elapsed() < Duration::from_secs(5), "{seen:?}");
        node1.poll(Duration::from_millis(10)).unwrap();
        seen.extend(node1.take_log());
    }
    assert!(!node1.is_up(4) && !node1.members().contains(&4));
    for mut n in [node2, node3] {
        let _ = n.child.kill();
    }
}

/// Runs `ip ARGS`; whether it succeeded.
fn ip(args: &[&str]) -> bool {
    Command::new("ip")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A network namespace joined to this one by a veth pair (this end `host`, addresses
/// 10.250.K.1 here and 10.250.K.2 there); deleted (with the pair) when dropped.
struct Namespace {
    name: String,
    host: String,
}

impl Namespace {
    /// None when this process may not make one (not root, no `ip`).
    fn new(k: u8) -> Option<Namespace> {
        let tag = std::process::id() % 100_000;
        let ns = Namespace {
            name: format!("selvm-{tag}-{k}"),
            host: format!("sv{tag}h{k}"),
        };
        let peer = format!("sv{tag}n{k}");
        let (here, there) = (format!("10.250.{k}.1/30"), format!("10.250.{k}.2/30"));
        let inside = |args: &[&str]| {
            let mut a = vec!["netns", "exec", ns.name.as_str(), "ip"];
            a.extend(args);
            ip(&a)
        };
        let made = ip(&["netns", "add", &ns.name])
            && ip(&[
                "link", "add", &ns.host, "type", "veth", "peer", "name", &peer,
            ])
            && ip(&["link", "set", &peer, "netns", &ns.name])
            && ip(&["addr", "add", &here, "dev", &ns.host])
            && ip(&["link", "set", &ns.host, "up"])
            && inside(&["addr", "add", &there, "dev", &peer])
            && inside(&["link", "set", &peer, "up"])
            && inside(&["link", "set", "lo", "up"]);
        made.then_some(ns)
    }

    /// Takes the link down (a partition) or up (healed).
    fn link(&self, up: bool) {
        assert!(ip(&[
            "link",
            "set",
            &self.host,
            if up { "up" } else { "down" }
        ]));
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = ip(&["link", "del", &self.host]);
        let _ = ip(&["netns", "del", &self.name]);
    }
}

#[test]
#[ignore = "needs target/user/cluster-node.sbc: cargo xtask test builds it and runs this"]
fn a_node_in_a_network_namespace_cut_off_by_link_down_fails_its_calls_and_heals() {
    use selvm_abi::vm::network::{ERROR_PEER_DOWN, MSG_CALL, MSG_ERROR};
    use selvm_cluster_proto::guest::Message;
    let Some(ns) = Namespace::new(7) else {
        eprintln!("skipped: no network namespace (needs root and ip(8))");
        return;
    };
    // Node 1 is this test's transport, here; node 2 a `selvm node` in the namespace.
    let mut c = config(2);
    c.nodes[0].address = "10.250.7.1:7001".parse().unwrap();
    c.nodes[1].address = "10.250.7.2:7002".parse().unwrap();
    let path = temp_dir("netns").join("cluster.toml");
    std::fs::write(&path, c.to_toml()).unwrap();
    let mut node1 = Transport::bind(c, 1, 1, Timeouts::default()).unwrap();
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", &ns.name, SELVM, "node", "--config"])
        .arg(&path)
        .args(["--id", "2", "--argument", "2", "--timeout", "60"])
        .arg(cluster_node());
    let mut node2 = Running::spawn(cmd);
    assert_eq!(add_on(&mut node1, 2, 1, 40, 2), [42, 2]);
    // The veth link down: a call fails with peer down within the deadline, and SWIM
    // declares node 2 down.
    ns.link(false);
    let cut = Instant::now();
    let call = Message {
        kind: MSG_CALL,
        node: 2,
        call_id: 2,
        object: 1,
        label: 1,
        mrs: vec![1, 2],
    };
    node1.from_guest(&call.encode());
    let (mut failed, mut log) = (None, Vec::new());
    while failed.is_none() || !log.iter().any(|l| l == "member 2 is down (SWIM)") {
        assert!(cut.elapsed() < Duration::from_secs(5), "{failed:?} {log:?}");
        node1.poll(Duration::from_millis(10)).unwrap();
        log.extend(node1.take_log());
        for m in node1.take_for_guest() {
            let m = Message::decode(&m).unwrap();
            if m.call_id == 2 {
                failed = Some((m.kind, m.label, cut.elapsed()));
            }
        }
    }
    let (kind, label, after) = failed.unwrap();
    assert_eq!((kind, label), (MSG_ERROR, ERROR_PEER_DOWN));
    assert!(after < Duration::from_secs(5), "failed after {after:?}");
    // Healed: node 2 (alive all along) dials again and answers.
    ns.link(true);
    assert_eq!(add_on(&mut node1, 2, 3, 5, 6), [11, 2]);
    let _ = node2.child.kill();
}
