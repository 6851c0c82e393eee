//! A hostile authenticated node: this test's transport, node 1 of the cluster, sends
//! running nodes forged cap descriptors (objects and lives it was never given, a node
//! or object number out of range, a descriptor cut short, caps carried to no object,
//! caps of a third node's objects that do not exist) and checks each is refused with
//! its documented error and that floods of them leave the receiving node's proxy
//! table as it was. Then node 2 sends a cap to node 3 and the test, which holds none
//! of it, forges everything it can about that export: direct calls, descriptors with
//! guessed tokens (to its home and to a third node), releases and a registration
//! stealing node 3's weight. Each is refused `ERROR_FORGED` or ignored, node 2's record
//! of holders is unchanged, node 3's proxy still works, and honest calls keep working.
//! Last the test becomes a holder (node 2 sends it a cap) and forges tokens: releases
//! and descriptors with its token one bit off, or claiming the Grant token for no
//! rights, move nothing; with the real token its cap passes to node 3 and, released
//! by both, the export goes.

use super::chain::sent_export;
use super::churn::call_on;
use super::*;

#[test]
#[ignore = "needs target/user/cluster-node.sbc: cargo xtask test builds it and runs this"]
fn a_hostile_node_s_forged_descriptors_are_refused_and_nothing_else_is_disturbed() {
    use selvm_abi::vm::network::{
        ERROR_BAD_MESSAGE, ERROR_FORGED, ERROR_NO_SUCH_OBJECT, ERROR_PEER_DOWN, ERROR_STALE,
        MSG_CALL, MSG_REGISTER, MSG_REPLY, MSG_SEND, REMOTE_ERROR_LABEL,
    };
    use selvm_cluster_proto::core::pinned_life;
    use selvm_cluster_proto::guest::{Message, NameRequest};
    const CALL_SENT: u64 = 9;
    const CAP_CARRIED: u64 = 1 << 50;
    const RELAY: u64 = 2;
    const USAGE: u64 = 4;
    const RELEASE_OBJECT: u64 = 3;
    const HOLD: u64 = 20;
    const HOLDERS_OF: u64 = 21;
    const SEND_TEMP: u64 = 13;
    const CALL_KEPT: u64 = 15;
    const FULL: u64 = 1 << 40;
    let c = config(3);
    let path = temp_dir("hostile").join("cluster.toml");
    std::fs::write(&path, c.to_toml()).unwrap();
    let mut node1 = Transport::bind(c, 1, 1, Timeouts::default()).unwrap();
    let node = |id: &str| start_node(&path, id, &[]);
    let (mut node2, mut node3) = (node("2"), node("3"));
    let end = Instant::now() + Duration::from_secs(10);
    let wait = Duration::from_secs(10);
    // A release sent to node 2's object 0 (MRs: object, life, weight, token, rights).
    let release = |t: &mut Transport, mrs: Vec<u64>| {
        let m = Message {
            kind: MSG_SEND,
            node: 2,
            call_id: 0,
            object: 0,
            label: RELEASE_OBJECT,
            mrs,
        };
        t.from_guest(&m.encode());
    };
    let life = |t: &Transport, n: u64| {
        let e = t.directory().lookup(&format!("adder@{n}"))?;
        Some(pinned_life(e.incarnation))
    };
    while life(&node1, 2).is_none() || life(&node1, 3).is_none() {
        assert!(Instant::now() < end, "the adders' names never came");
        node1.poll(Duration::from_millis(10)).unwrap();
    }
    let (life2, life3) = (life(&node1, 2).unwrap(), life(&node1, 3).unwrap());
    // Calls node `on`'s `object` with CALL_SENT 7, 8 and `words` appended as a carried
    // cap's descriptor; answers calls back as node 1's adder (counted) and agrees to
    // registrations of node 1's caps (control label HOLD).
    let mut id = 0;
    let mut send_to = |t: &mut Transport, on: u64, object: u64, words: &[u64]| {
        id += 1;
        let mut mrs = vec![7, 8];
        mrs.extend(words);
        let call = Message {
            kind: MSG_CALL,
            node: on,
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
                if m.kind == MSG_CALL && m.call_id != id {
                    let registration = m.object == 0 && m.label == HOLD;
                    called_back += u64::from(!registration);
                    let sum = m.mrs.iter().sum();
                    let mrs = if registration { vec![] } else { vec![sum, 1] };
                    let reply = Message {
                        kind: MSG_REPLY,
                        object: 0,
                        label: 0,
                        mrs,
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
    // An honest descriptor works first (node 3's adder through a proxy on node 2, once
    // nodes 2 and 3 are connected: until then node 2 cannot register it with node 3).
    type Send<'a> = dyn FnMut(&mut Transport, u64, u64, &[u64]) -> (u64, Vec<u64>, u64) + 'a;
    let honest = |send: &mut Send, t: &mut Transport| loop {
        match send(t, 2, RELAY, &[3, 4, life3, 1, 0]) {
            (label, _, 0) if label == refused(ERROR_PEER_DOWN) && Instant::now() < end => {
                std::thread::sleep(Duration::from_millis(50))
            }
            other => break other,
        }
    };
    assert_eq!(honest(&mut send_to, &mut node1), (0, vec![15, 3], 0));
    // Node 2's own objects: one it never exported, one in a life not its own.
    let (label, _, called) = send_to(&mut node1, 2, RELAY, &[2, 999, life2, 1, 0]);
    assert_eq!((label, called), (refused(ERROR_NO_SUCH_OBJECT), 0));
    let (label, _, called) = send_to(&mut node1, 2, RELAY, &[2, 4, life2 ^ 1, 1, 0]);
    assert_eq!((label, called), (refused(ERROR_STALE), 0));
    // Out of range: node 0, a node or object beyond 16 bits; a descriptor cut short
    // (fewer words than a descriptor after the registers).
    for d in [
        [0, 4, life3, 1, 0],
        [1 << 16, 4, 1, 1, 0],
        [3, 1 << 16, life3, 1, 0],
    ] {
        assert_eq!(
            send_to(&mut node1, 2, RELAY, &d).0,
            refused(ERROR_BAD_MESSAGE),
            "{d:?}"
        );
    }
    assert_eq!(
        send_to(&mut node1, 2, RELAY, &[]).0,
        refused(ERROR_BAD_MESSAGE)
    );
    // A node 3 object it was never given: node 2 asks node 3 before making anything,
    // and node 3 answers no such object.
    let (label, _, called) = send_to(&mut node1, 2, RELAY, &[3, 999, life3, 1, 0]);
    assert_eq!((label, called), (refused(ERROR_NO_SUCH_OBJECT), 0));
    // Floods: 200 descriptors carried to an object node 2 does not have, and 70 (more
    // than its 64 proxy table entries) of node 3 objects that do not exist: every one
    // refused before any cap or entry is made, so node 2's table is as it was (without
    // the registration, the second flood fills it and the honest call below fails).
    let entries = |t: &mut Transport, id: u64| call_on(t, 2, id, 0, USAGE, &[], wait).1[2];
    let entries_before = entries(&mut node1, 10_000);
    for k in 0..200 {
        let (label, _, called) = send_to(&mut node1, 2, 999, &[3, 1000 + k, life3, 1, 0]);
        assert_eq!((label, called), (refused(ERROR_NO_SUCH_OBJECT), 0), "{k}");
    }
    for k in 0..70 {
        let (label, _, called) = send_to(&mut node1, 2, RELAY, &[3, 2000 + k, life3, 1, 0]);
        assert_eq!((label, called), (refused(ERROR_NO_SUCH_OBJECT), 0), "{k}");
    }
    assert_eq!(
        entries(&mut node1, 10_001),
        entries_before,
        "node 2's table entries"
    );
    // Node 2 sends temp@2's cap to node 3, which keeps it: a sent export whose only
    // holder is node 3, with all the weight.
    let mut call = 20_000;
    loop {
        call += 1;
        match call_on(&mut node1, 2, call, RELAY, SEND_TEMP, &[3, 0], wait) {
            (0, _) => break,
            other => assert!(Instant::now() < end + wait, "SEND_TEMP: {other:?}"),
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let (x, held) = sent_export(&mut node1, &mut call).expect("node 2 sent no export");
    assert_eq!(held, [3, FULL, 1], "node 2's holders of its object {x}");
    // Forgeries by this node, which holds none of it: a direct call; descriptors with
    // guessed tokens, carried home and to node 3; releases; a registration claiming
    // node 3's weight.
    call += 1;
    let (label, _) = call_on(&mut node1, 2, call, x, 1, &[1, 2], wait);
    assert_eq!(label, refused(ERROR_FORGED), "a direct call to object {x}");
    let guesses = [0, 1, 0xdead_beef, u64::MAX];
    for token in guesses {
        let d = [2, x, life2, 1 | FULL << 8, token];
        assert_eq!(
            send_to(&mut node1, 2, RELAY, &d),
            (refused(ERROR_FORGED), vec![], 0)
        );
        let on_3 = send_to(&mut node1, 3, RELAY, &d);
        assert_eq!(on_3, (refused(ERROR_FORGED), vec![], 0), "token {token:#x}");
    }
    for token in guesses {
        for rights in [0, 1] {
            release(&mut node1, vec![x, life2, FULL, token, rights]);
        }
        call += 1;
        let steal = [x, life2, 1 | (FULL / 2) << 8, token, 3];
        let (label, _) = call_on(&mut node1, 2, call, 0, HOLD, &steal, wait);
        assert_eq!(
            label,
            refused(ERROR_FORGED),
            "a registration with token {token:#x}"
        );
    }
    // Forged releases of every other object node 2 exports (none holds weight).
    for object in (1..=16).filter(|&o| o != x) {
        release(&mut node1, vec![object, life2, u64::MAX, 0, 1]);
    }
    // Nothing disturbed: node 2's record, node 3's proxy, the honest descriptor, one
    // naming node 1's adder (node 2 calls back through a proxy), and a plain call.
    let mut look = 30_000;
    assert_eq!(
        sent_export(&mut node1, &mut look),
        Some((x, vec![3, FULL, 1]))
    );
    call += 1;
    let kept = call_on(&mut node1, 3, call, RELAY, CALL_KEPT, &[1, 2], wait);
    assert_eq!(kept, (0, vec![3, 2]), "node 3's proxy of node 2's export");
    assert_eq!(honest(&mut send_to, &mut node1), (0, vec![15, 3], 0));
    assert_eq!(
        send_to(&mut node1, 2, RELAY, &[1, 1, pinned_life(1), 1, 0]),
        (0, vec![15, 1], 1)
    );
    assert_eq!(add_on(&mut node1, 2, 9000, 40, 2), [42, 2]);
    // This node becomes a holder: registered as relay@1 (object 2), it is sent a new
    // export of temp@2 by node 2, whose descriptor carries the real Grant token.
    let name = "relay@1";
    let register = Message {
        kind: MSG_REGISTER,
        node: 0,
        call_id: 40_000,
        object: RELAY,
        label: name.len() as u64,
        mrs: NameRequest::pack(name),
    };
    node1.from_guest(&register.encode());
    let (mut given, mut k) = (None, 40_000);
    while given.is_none() {
        assert!(
            Instant::now() < end + 3 * wait,
            "node 2 never sent node 1 a cap"
        );
        k += 1;
        let call = Message {
            kind: MSG_CALL,
            node: 2,
            call_id: k,
            object: RELAY,
            label: SEND_TEMP,
            mrs: vec![1, 0],
        };
        node1.from_guest(&call.encode());
        let deadline = Instant::now() + wait;
        'answered: loop {
            assert!(Instant::now() < deadline, "no answer to SEND_TEMP");
            node1.poll(Duration::from_millis(5)).unwrap();
            for m in node1.take_for_guest() {
                let m = Message::decode(&m).unwrap();
                if m.kind == MSG_CALL && m.label & CAP_CARRIED != 0 {
                    given = Some(m.mrs[m.mrs.len() - 5..].to_vec());
                    let kept = Message {
                        kind: MSG_REPLY,
                        object: 0,
                        label: 0,
                        mrs: vec![],
                        ..m
                    };
                    node1.from_guest(&kept.encode());
                } else if m.call_id == k {
                    break 'answered;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let d = given.unwrap();
    let (y, token) = (d[1], d[4]);
    assert_eq!(
        d,
        [2, y, life2, 1 | FULL << 8, token],
        "the descriptor node 1 got"
    );
    let mut q = 41_000;
    let mut holders_of = |t: &mut Transport, object: u64| {
        q += 1;
        call_on(t, 2, q, 0, HOLDERS_OF, &[object], wait).1
    };
    assert_eq!(holders_of(&mut node1, y), [1, FULL, 1]);
    // A holder forging tokens: releases with the token one bit off, and with the Grant
    // token claimed for no rights (that token is derived from it one way); its cap
    // carried home and to node 3 with the token one bit off. Nothing moves.
    for (token, rights) in [(token ^ 1, 1), (token, 0), (token ^ 1, 0)] {
        release(&mut node1, vec![y, life2, FULL, token, rights]);
    }
    let bad = [2, y, life2, 1 | (FULL / 2) << 8, token ^ 1];
    let forged = (refused(ERROR_FORGED), vec![], 0);
    assert_eq!(send_to(&mut node1, 2, RELAY, &bad), forged, "home");
    assert_eq!(send_to(&mut node1, 3, RELAY, &bad), forged, "to node 3");
    assert_eq!(
        holders_of(&mut node1, y),
        [1, FULL, 1],
        "a forged token moved weight"
    );
    // With the real token: passed on to node 3 (which registers, calls it and releases
    // it), then released here; the export then has no holder and goes.
    let good = [2, y, life2, 1 | (FULL / 2) << 8, token];
    assert_eq!(send_to(&mut node1, 3, RELAY, &good), (0, vec![15, 2], 0));
    let settled = |t: &mut Transport,
                   holders: &mut dyn FnMut(&mut Transport, u64) -> Vec<u64>,
                   want: &[u64]| {
        let until = Instant::now() + wait;
        while holders(t, y) != want {
            assert!(
                Instant::now() < until,
                "node 2's holders of {y} never {want:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    settled(&mut node1, &mut holders_of, &[1, FULL / 2, 1]);
    release(&mut node1, vec![y, life2, FULL / 2, token, 1]);
    settled(&mut node1, &mut holders_of, &[]);
    let _ = node2.child.kill();
    let _ = node3.child.kill();
}
