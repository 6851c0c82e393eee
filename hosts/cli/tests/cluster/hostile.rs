//! A hostile authenticated node: this test's transport, node 1 of the cluster, sends
//! running nodes forged cap descriptors (objects and lives it was never given, a node
//! or object number out of range, a descriptor cut short, caps carried to no object)
//! and checks each is refused with its documented error, that a flood of them leaves
//! the receiving node's proxy table free, that forged releases drop no object never
//! sent, and that honest calls keep working.

use super::*;

#[test]
#[ignore = "needs target/user/cluster-node.sbc: cargo xtask test builds it and runs this"]
fn a_hostile_node_s_forged_descriptors_are_refused_and_nothing_else_is_disturbed() {
    use selvm_abi::vm::network::{
        ERROR_BAD_MESSAGE, ERROR_NO_SUCH_OBJECT, ERROR_STALE, MSG_CALL, MSG_REPLY,
        REMOTE_ERROR_LABEL,
    };
    use selvm_cluster_proto::core::pinned_life;
    use selvm_cluster_proto::guest::Message;
    const CALL_SENT: u64 = 9;
    const RELAY_FAILED: u64 = 97;
    const CAP_CARRIED: u64 = 1 << 50;
    const RELAY: u64 = 2;
    let c = config(3);
    let path = temp_dir("hostile").join("cluster.toml");
    std::fs::write(&path, c.to_toml()).unwrap();
    let mut node1 = Transport::bind(c, 1, 1, Timeouts::default()).unwrap();
    let node = |id: &str| start_node(&path, id, &[]);
    let (mut node2, mut node3) = (node("2"), node("3"));
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
    // Calls node 2's `object` with CALL_SENT 7, 8 and `words` appended as a carried
    // cap's descriptor; answers node 2's calls back as node 1's adder (counted).
    let mut id = 0;
    let mut send = |t: &mut Transport, object: u64, words: &[u64]| {
        id += 1;
        let mut mrs = vec![7, 8];
        mrs.extend(words);
        let call = Message {
            kind: MSG_CALL,
            node: 2,
            call_id: id,
            object,
            label: CALL_SENT | CAP_CARRIED,
            mrs,
        };
        t.from_guest(&call.encode());
        let mut called_back = 0;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            assert!(Instant::now() < deadline, "no answer to call {id}");
            t.poll(Duration::from_millis(5)).unwrap();
            for m in t.take_for_guest() {
                let m = Message::decode(&m).unwrap();
                if m.kind == MSG_CALL && m.node == 2 {
                    called_back += 1;
                    let sum = m.mrs.iter().sum();
                    let reply = Message {
                        kind: MSG_REPLY,
                        object: 0,
                        label: 0,
                        mrs: vec![sum, 1],
                        ..m
                    };
                    t.from_guest(&reply.encode());
                } else if m.call_id == id {
                    return (m.label, m.mrs, called_back);
                }
            }
        }
    };
    let refused = |code| REMOTE_ERROR_LABEL | code;
    // An honest descriptor works first (node 3's adder through a proxy on node 2,
    // once nodes 2 and 3 are connected).
    type Send<'a> = dyn FnMut(&mut Transport, u64, &[u64]) -> (u64, Vec<u64>, u64) + 'a;
    let honest = |send: &mut Send, t: &mut Transport| loop {
        match send(t, RELAY, &[3, 4, life3, 1]) {
            (97, mrs, 0) if mrs == [1] && Instant::now() < end => {
                std::thread::sleep(Duration::from_millis(50))
            }
            other => break other,
        }
    };
    assert_eq!(honest(&mut send, &mut node1), (0, vec![15, 3], 0));
    // Node 2's own objects: one it never exported, one in a life not its own.
    let (label, _, called) = send(&mut node1, RELAY, &[2, 999, life2, 1]);
    assert_eq!((label, called), (refused(ERROR_NO_SUCH_OBJECT), 0));
    let (label, _, called) = send(&mut node1, RELAY, &[2, 4, life2 ^ 1, 1]);
    assert_eq!((label, called), (refused(ERROR_STALE), 0));
    // Out of range: node 0, a node or object beyond 16 bits; a descriptor cut short
    // (fewer words than a descriptor after the registers).
    for d in [[0, 4, life3, 1], [1 << 16, 4, 1, 1], [3, 1 << 16, life3, 1]] {
        assert_eq!(
            send(&mut node1, RELAY, &d).0,
            refused(ERROR_BAD_MESSAGE),
            "{d:?}"
        );
    }
    let short = Message {
        kind: MSG_CALL,
        node: 2,
        call_id: 5000,
        object: RELAY,
        label: CALL_SENT | CAP_CARRIED,
        mrs: vec![3],
    };
    node1.from_guest(&short.encode());
    let cut = loop {
        assert!(Instant::now() < end + Duration::from_secs(10), "no answer");
        node1.poll(Duration::from_millis(5)).unwrap();
        let answers = node1.take_for_guest();
        let found = answers
            .iter()
            .map(|m| Message::decode(m).unwrap())
            .find(|m| m.call_id == 5000);
        if let Some(m) = found {
            break m.label;
        }
    };
    assert_eq!(cut, refused(ERROR_BAD_MESSAGE));
    // A node 3 object it was never given: node 2 makes the proxy and its call is
    // refused by node 3 (no such object), which the relay reports.
    let (label, mrs, _) = send(&mut node1, RELAY, &[3, 999, life3, 1]);
    assert_eq!((label, mrs), (RELAY_FAILED, vec![ERROR_NO_SUCH_OBJECT]));
    // A flood: 200 descriptors of distinct objects carried to an object node 2 does
    // not have. Each is refused before any cap is made, so node 2's proxy table (64
    // entries) stays free: with the check gone the table fills and the honest call
    // below is refused busy.
    for k in 0..200 {
        let (label, _, called) = send(&mut node1, 999, &[3, 1000 + k, life3, 1]);
        assert_eq!((label, called), (refused(ERROR_NO_SUCH_OBJECT), 0), "{k}");
    }
    // Forged releases (label 3 to object 0: object, life, weight) of every object
    // node 2 exports now: none was sent to another node, so none holds weight and
    // none goes.
    for object in 1..=16 {
        let release = Message {
            kind: selvm_abi::vm::network::MSG_SEND,
            node: 2,
            call_id: 0,
            object: 0,
            label: 3,
            mrs: vec![object, life2, u64::MAX],
        };
        node1.from_guest(&release.encode());
    }
    // Nothing else disturbed: the honest descriptor, one naming node 1's adder (node 2
    // calls back through a proxy), and a plain call all still work.
    assert_eq!(honest(&mut send, &mut node1), (0, vec![15, 3], 0));
    assert_eq!(
        send(&mut node1, RELAY, &[1, 1, pinned_life(1), 1]),
        (0, vec![15, 1], 1)
    );
    assert_eq!(add_on(&mut node1, 2, 9000, 40, 2), [42, 2]);
    let _ = node2.child.kill();
    let _ = node3.child.kill();
}
