//! Scale (issue 21 item 5): sixteen nodes, this test's transport as node 1 and fifteen
//! idle `selvm node` processes (`--argument 2`: every node serves, none halts): all
//! are members in SWIM, every node's registered name reaches node 1's replica, and
//! every real node finds another's name in its own replica and calls it.

use super::*;

const NODES: u64 = 16;

#[test]
#[ignore = "needs target/user/cluster-node.sbc: cargo xtask test builds it and runs this"]
fn sixteen_nodes_see_each_other_and_find_each_others_names() {
    use selvm_abi::vm::network::MSG_CALL;
    use selvm_cluster_proto::guest::Message;
    let c = config(NODES);
    let dir = temp_dir("scale");
    let path = dir.join("cluster.toml");
    std::fs::write(&path, c.to_toml()).unwrap();
    let mut node1 = Transport::bind(c, 1, 1, Timeouts::default()).unwrap();
    let program = cluster_node();
    let nodes: Vec<Running> = (2..=NODES)
        .map(|id| {
            let id = id.to_string();
            let args = [
                "node".as_ref(),
                "--config".as_ref(),
                path.as_os_str(),
                "--id".as_ref(),
                id.as_ref(),
                "--argument".as_ref(),
                "2".as_ref(),
                "--memory".as_ref(),
                "16".as_ref(),
                "--timeout".as_ref(),
                "60".as_ref(),
                program.as_os_str(),
            ];
            Running::start(&args)
        })
        .collect();
    // Membership: SWIM at node 1 holds all fifteen alive; the directory: every
    // node's adder@N has reached node 1's replica.
    let started = Instant::now();
    let all: Vec<u64> = (2..=NODES).collect();
    loop {
        node1.poll(Duration::from_millis(10)).unwrap();
        node1.take_for_guest();
        let names = (2..=NODES)
            .filter(|n| node1.directory().lookup(&format!("adder@{n}")).is_some())
            .count() as u64;
        if node1.members() == all && names == NODES - 1 {
            break;
        }
        if started.elapsed() > Duration::from_secs(30) {
            let seen: Vec<String> = nodes[0].lines.try_iter().take(40).collect();
            panic!(
                "members {:?}, {names} names; node 2 said:\n{}",
                node1.members(),
                seen.join("\n")
            );
        }
    }
    let formed = started.elapsed();
    // Every real node's relay looks up the next node's adder by name in its own
    // replica and calls it (so each sees that node and its name).
    let mut call_id = 100;
    for n in 2..=NODES {
        let next = if n == NODES { 2 } else { n + 1 };
        let answer = 'calls: loop {
            call_id += 1;
            let relay = Message {
                kind: MSG_CALL,
                node: n,
                call_id,
                object: 2,
                label: 5, // RELAY_BY_NAME: look adder@MR0 up, call it with MR1 + MR2
                mrs: vec![next, n, 100],
            };
            node1.from_guest(&relay.encode());
            loop {
                assert!(started.elapsed() < Duration::from_secs(50), "node {n}");
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
        assert_eq!(answer, [n + 100, next], "node {n} calling adder@{next}");
    }
    eprintln!(
        "16 nodes: formed in {formed:?}, all relays answered in {:?}",
        started.elapsed()
    );
    for mut r in nodes {
        let _ = r.child.kill();
        let _ = r.child.wait();
    }
    let _ = std::fs::remove_dir_all(&dir);
}
