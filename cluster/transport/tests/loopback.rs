//! Transports on 127.0.0.1 driven in one thread: a remote call and its reply, a peer
//! that goes away (its calls fail at once), and peers without a valid key (rejected
//! and logged). The call, vanished-peer and partition tests run twice: over TCP
//! (`shm = false`), and as configured by default, through shared-memory rings (the TCP
//! connection only carrying the handshake and the ring's offer); a node saying
//! `shm = false` on either side keeps TCP.

use selvm_abi::vm::network::{ERROR_PEER_DOWN, MSG_CALL, MSG_ERROR, MSG_REPLY};
use selvm_cluster::config::{ClusterConfig, NodeConfig};
use selvm_cluster::{Timeouts, Transport, generate_keypair};
use selvm_cluster_proto::guest::Message;
use std::time::{Duration, Instant};

/// A cluster of `n` nodes on free loopback ports, every private key included.
fn cluster(n: u64) -> ClusterConfig {
    cluster_with(n, false)
}

/// The same, with co-located peers talking through shared rings when `shm`.
fn cluster_with(n: u64, shm: bool) -> ClusterConfig {
    let nodes = (1..=n)
        .map(|id| {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .unwrap();
            let (private, public) = generate_keypair().unwrap();
            NodeConfig {
                id,
                address: port,
                public_key: public,
                private_key: Some(private),
            }
        })
        .collect();
    ClusterConfig {
        nodes,
        join_key: None,
        shm,
    }
}

fn bind(c: &ClusterConfig, id: u64) -> Transport {
    Transport::bind(c.clone(), id, 100 + id, Timeouts::default()).unwrap()
}

/// Polls every transport until `done` holds (or fails the test after 5 s).
fn until(ts: &mut [&mut Transport], mut done: impl FnMut(&mut [&mut Transport]) -> bool) {
    let end = Instant::now() + Duration::from_secs(5);
    while !done(ts) {
        assert!(Instant::now() < end, "timed out");
        for t in ts.iter_mut() {
            t.poll(Duration::from_millis(1)).unwrap();
        }
    }
}

fn call(to: u64, id: u64, mrs: Vec<u64>) -> Vec<u8> {
    Message {
        kind: MSG_CALL,
        node: to,
        call_id: id,
        object: 1,
        label: 5,
        mrs,
    }
    .encode()
}

/// Messages for the guest, decoded, without node events.
fn calls_and_replies(t: &mut Transport) -> Vec<Message> {
    (t.take_for_guest().iter())
        .map(|b| Message::decode(b).unwrap())
        .filter(|m| matches!(m.kind, MSG_CALL | MSG_REPLY | MSG_ERROR))
        .collect()
}

#[test]
fn a_call_crosses_and_its_reply_returns() {
    call_crosses(false);
}

#[test]
fn a_call_crosses_shared_rings_and_its_reply_returns() {
    call_crosses(true);
}

fn call_crosses(shm: bool) {
    let c = cluster_with(3, shm);
    let (mut a, mut b, mut d) = (bind(&c, 1), bind(&c, 2), bind(&c, 3));
    until(&mut [&mut a, &mut b, &mut d], |ts| {
        ts[0].is_up(2) && ts[0].is_up(3) && ts[1].is_up(3) && ts[2].is_up(1)
    });
    for (t, peers) in [(&a, [2, 3]), (&b, [1, 3]), (&d, [1, 2])] {
        for p in peers {
            assert_eq!(t.shared_ring_with(p), shm);
        }
    }
    b.from_guest(&call(1, 7, vec![40, 2]));
    let mut seen = Vec::new();
    until(&mut [&mut a, &mut b], |ts| {
        seen.extend(calls_and_replies(ts[0]));
        !seen.is_empty()
    });
    assert_eq!(
        (seen[0].kind, seen[0].node, seen[0].call_id),
        (MSG_CALL, 2, 7)
    );
    assert_eq!((seen[0].label, &seen[0].mrs[..]), (5, &[40, 2][..]));
    let reply = Message {
        kind: MSG_REPLY,
        node: 2,
        call_id: 7,
        object: 0,
        label: 0,
        mrs: vec![42],
    };
    a.from_guest(&reply.encode());
    let mut got = Vec::new();
    until(&mut [&mut a, &mut b], |ts| {
        got.extend(calls_and_replies(ts[1]));
        !got.is_empty()
    });
    assert_eq!(
        (got[0].kind, got[0].call_id, &got[0].mrs[..]),
        (MSG_REPLY, 7, &[42][..])
    );
}

/// `shm = false` on either side keeps the pair on TCP (the dialler offers nothing, or
/// the acceptor answers no and the dialler removes its region), and calls still cross.
#[test]
fn either_side_saying_shm_false_keeps_tcp() {
    for no in [1, 2] {
        let c = cluster_with(2, true);
        let mut tcp = c.clone();
        tcp.shm = false;
        let conf = |id| if id == no { &tcp } else { &c };
        let (mut a, mut b) = (bind(conf(1), 1), bind(conf(2), 2));
        until(&mut [&mut a, &mut b], |ts| ts[0].is_up(2) && ts[1].is_up(1));
        assert!(
            !a.shared_ring_with(2) && !b.shared_ring_with(1),
            "node {no} said no"
        );
        b.from_guest(&call(1, 7, vec![40, 2]));
        let mut seen = Vec::new();
        until(&mut [&mut a, &mut b], |ts| {
            seen.extend(calls_and_replies(ts[0]));
            !seen.is_empty()
        });
        assert_eq!((seen[0].kind, &seen[0].mrs[..]), (MSG_CALL, &[40, 2][..]));
        // No region is left behind by the offer that was declined.
        let mine = format!("selvm-ring-{}-", std::process::id());
        let left = std::fs::read_dir(selvm_cluster::shm::folder())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(&mine))
            .count();
        assert_eq!(left, 0, "node {no} said no");
    }
}

/// A message naming a shared frame (`FRAME_CARRIED`) crosses a shared ring, but over
/// TCP a call naming one fails at once with `ERROR_NOT_CO_LOCATED` and a reply naming
/// one arrives as that error (the same number would be other memory off this host).
#[test]
fn a_shared_frame_crosses_a_ring_but_never_tcp() {
    use selvm_abi::vm::device::{ERROR_NOT_CO_LOCATED, FRAME_CARRIED};
    use selvm_abi::vm::network::REMOTE_ERROR_LABEL;
    for shm in [true, false] {
        let c = cluster_with(2, shm);
        let (mut a, mut b) = (bind(&c, 1), bind(&c, 2));
        until(&mut [&mut a, &mut b], |ts| ts[0].is_up(2) && ts[1].is_up(1));
        let mut m = Message::decode(&call(1, 7, vec![3])).unwrap();
        m.label = FRAME_CARRIED | 5;
        b.from_guest(&m.encode());
        let (mut at_a, mut at_b) = (Vec::new(), Vec::new());
        until(&mut [&mut a, &mut b], |ts| {
            at_a.extend(calls_and_replies(ts[0]));
            at_b.extend(calls_and_replies(ts[1]));
            !at_a.is_empty() || !at_b.is_empty()
        });
        if !shm {
            let e = &at_b[0];
            assert_eq!(
                (e.kind, e.call_id, e.label),
                (MSG_ERROR, 7, ERROR_NOT_CO_LOCATED)
            );
            assert!(at_a.is_empty(), "it never left: {at_a:?}");
            assert!(
                b.take_log()
                    .iter()
                    .any(|l| l.contains("refused: not on this host"))
            );
            // A reply naming a frame, from the node that serves a plain call.
            b.from_guest(&call(1, 8, vec![4]));
            until(&mut [&mut a, &mut b], |ts| {
                at_a.extend(calls_and_replies(ts[0]));
                !at_a.is_empty()
            });
        }
        let got = &at_a[0];
        assert_eq!(
            (got.kind, got.node, got.label & FRAME_CARRIED),
            (MSG_CALL, 2, FRAME_CARRIED * u64::from(shm))
        );
        let reply = Message {
            kind: MSG_REPLY,
            node: 2,
            call_id: got.call_id,
            object: 0,
            label: FRAME_CARRIED,
            mrs: vec![9],
        };
        a.from_guest(&reply.encode());
        let mut back = Vec::new();
        until(&mut [&mut a, &mut b], |ts| {
            back.extend(calls_and_replies(ts[1]));
            !back.is_empty()
        });
        let want = match shm {
            true => (FRAME_CARRIED, vec![9]),
            false => (REMOTE_ERROR_LABEL | ERROR_NOT_CO_LOCATED, vec![]),
        };
        assert_eq!((back[0].label, back[0].mrs.clone()), want, "shm {shm}");
    }
}

#[test]
fn a_vanished_peer_fails_its_calls() {
    vanished_peer(false);
}

#[test]
fn a_vanished_co_located_peer_fails_its_calls() {
    vanished_peer(true);
}

fn vanished_peer(shm: bool) {
    let c = cluster_with(2, shm);
    let (mut a, mut b) = (bind(&c, 1), bind(&c, 2));
    until(&mut [&mut a, &mut b], |ts| ts[0].is_up(2) && ts[1].is_up(1));
    b.from_guest(&call(1, 3, vec![]));
    b.poll(Duration::from_millis(1)).unwrap();
    assert_eq!(b.shared_ring_with(1), shm);
    drop(a); // its sockets close (and its ring is unmapped), as when the process is killed
    let started = Instant::now();
    let mut got = Vec::new();
    until(&mut [&mut b], |ts| {
        got.extend(calls_and_replies(ts[0]));
        !got.is_empty()
    });
    assert_eq!((got[0].kind, got[0].label), (MSG_ERROR, ERROR_PEER_DOWN));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn peers_without_a_valid_key_are_rejected_and_logged() {
    let c = cluster(2);
    let mut a = bind(&c, 1);
    // An impostor: node 2's address and id, a key of its own.
    let mut forged = c.clone();
    let (private, public) = generate_keypair().unwrap();
    forged.nodes[1].private_key = Some(private);
    forged.nodes[1].public_key = public;
    let mut impostor = Transport::bind(forged, 2, 1, Timeouts::default()).unwrap();
    let mut log = Vec::new();
    until(&mut [&mut a, &mut impostor], |ts| {
        log.extend(ts[0].take_log());
        log.iter().any(|l| l.contains("rejected a peer"))
    });
    assert!(!a.is_up(2) && !impostor.is_up(1));
    // Bytes that are not Noise at all.
    use std::io::Write;
    let mut raw = std::net::TcpStream::connect(c.nodes[0].address).unwrap();
    raw.write_all(&[0, 5, 1, 2, 3, 4, 5]).unwrap();
    until(&mut [&mut a], |ts| {
        log.extend(ts[0].take_log());
        log.iter().any(|l| l.contains("handshake failed"))
    });
}

#[test]
fn a_silent_peer_is_declared_down_and_the_link_heals() {
    silent_peer(false);
}

#[test]
fn a_silent_co_located_peer_is_declared_down_and_the_link_heals() {
    silent_peer(true);
}

fn silent_peer(shm: bool) {
    let c = cluster_with(2, shm);
    let quick = Timeouts {
        call_deadline_ns: 5_000_000_000,
        heartbeat_ns: 50_000_000,
        peer_timeout_ns: 300_000_000,
    };
    let mut a = Transport::bind(c.clone(), 1, 11, quick).unwrap();
    let mut b = Transport::bind(c, 2, 12, quick).unwrap();
    until(&mut [&mut a, &mut b], |ts| ts[0].is_up(2) && ts[1].is_up(1));
    // A partition: node 2 stops reading and sending (nothing closes the socket).
    a.from_guest(&call(2, 1, vec![]));
    let started = Instant::now();
    let mut got = Vec::new();
    until(&mut [&mut a], |ts| {
        got.extend(calls_and_replies(ts[0]));
        !got.is_empty()
    });
    let after = started.elapsed();
    assert_eq!((got[0].kind, got[0].label), (MSG_ERROR, ERROR_PEER_DOWN));
    assert!(
        after >= Duration::from_millis(250) && after < Duration::from_secs(2),
        "{after:?}"
    );
    assert!(a.take_log().iter().any(|l| l.contains("dropped node 2")));
    // Healed: node 2 runs again, sees the connection gone, dials again.
    until(&mut [&mut a, &mut b], |ts| ts[0].is_up(2) && ts[1].is_up(1));
    assert_eq!(a.shared_ring_with(2), shm);
    b.take_for_guest();
    a.from_guest(&call(2, 2, vec![9]));
    let mut seen = Vec::new();
    until(&mut [&mut a, &mut b], |ts| {
        seen.extend(calls_and_replies(ts[1]));
        !seen.is_empty()
    });
    assert_eq!(
        (seen[0].kind, seen[0].call_id, &seen[0].mrs[..]),
        (MSG_CALL, 2, &[9][..])
    );
}

/// A directory request for `name` as a guest transmits it.
fn name_request(kind: u64, call_id: u64, object: u64, name: &str) -> Vec<u8> {
    use selvm_cluster_proto::guest::NameRequest;
    Message {
        kind,
        node: 0,
        call_id,
        object,
        label: name.len() as u64,
        mrs: NameRequest::pack(name),
    }
    .encode()
}

#[test]
fn a_name_registered_on_one_node_is_looked_up_on_every_other() {
    use selvm_abi::vm::network::{ERROR_NO_SUCH_NAME, MSG_LOOKUP, MSG_REGISTER, MSG_UNREGISTER};
    let c = cluster(3);
    let (mut a, mut b, mut d) = (bind(&c, 1), bind(&c, 2), bind(&c, 3));
    // Registered before any peer is up: the state goes to each peer as it comes up.
    a.from_guest(&name_request(MSG_REGISTER, 7, 4, "adder"));
    let answer = Message::decode(&a.take_for_guest()[0]).unwrap();
    assert_eq!(
        (answer.kind, answer.call_id, answer.mrs),
        (MSG_REPLY, 7, vec![1, 4])
    );
    until(&mut [&mut a, &mut b, &mut d], |ts| {
        ts.iter().all(|t| t.directory().lookup("adder").is_some())
    });
    d.from_guest(&name_request(MSG_LOOKUP, 8, 0, "adder"));
    d.from_guest(&name_request(MSG_LOOKUP, 9, 0, "nobody"));
    let answers: Vec<Message> = (d.take_for_guest().iter())
        .map(|m| Message::decode(m).unwrap())
        .filter(|m| m.call_id >= 8)
        .collect();
    // The node, the object, and the life of node 1 that registered it (101).
    assert_eq!(
        (answers[0].kind, &answers[0].mrs[..]),
        (MSG_REPLY, &[1, 4, 101][..])
    );
    assert_eq!(
        (answers[1].kind, answers[1].label),
        (MSG_ERROR, ERROR_NO_SUCH_NAME)
    );
    // A change made while every node is up spreads too.
    b.from_guest(&name_request(MSG_REGISTER, 10, 2, "relay"));
    until(&mut [&mut a, &mut b, &mut d], |ts| {
        ts.iter().all(|t| t.directory().entries().len() == 2)
    });
    // A node removes only its own names; the removal spreads.
    d.from_guest(&name_request(MSG_UNREGISTER, 11, 0, "relay"));
    b.from_guest(&name_request(MSG_UNREGISTER, 12, 0, "relay"));
    let answer = |t: &mut Transport, id: u64| {
        (t.take_for_guest().iter())
            .map(|m| Message::decode(m).unwrap())
            .find(|m| m.call_id == id && matches!(m.kind, MSG_REPLY | MSG_ERROR))
            .unwrap()
    };
    let refused = answer(&mut d, 11);
    assert_eq!(
        (refused.kind, refused.label),
        (MSG_ERROR, ERROR_NO_SUCH_NAME)
    );
    assert_eq!(answer(&mut b, 12).kind, MSG_REPLY);
    until(&mut [&mut a, &mut b, &mut d], |ts| {
        ts.iter().all(|t| t.directory().lookup("relay").is_none())
    });
}

#[test]
fn a_cut_link_partitions_two_nodes_the_directory_goes_round_and_the_link_heals() {
    use selvm_abi::vm::network::MSG_REGISTER;
    use selvm_cluster::faults::Faults;
    let c = cluster(3);
    let (mut a, mut b, mut d) = (bind(&c, 1), bind(&c, 2), bind(&c, 3));
    let all_up = |ts: &mut [&mut Transport]| {
        ts[0].is_up(2) && ts[0].is_up(3) && ts[1].is_up(3) && ts[2].is_up(1)
    };
    until(&mut [&mut a, &mut b, &mut d], all_up);
    // Cut 1 - 3 (each side applies it): a call from 1 to 3 fails once 3 is silent.
    let cut = Faults::parse("cut 1 3").unwrap();
    for t in [&mut a, &mut b, &mut d] {
        t.set_faults(cut.clone());
    }
    a.from_guest(&call(3, 7, vec![1]));
    let mut seen = Vec::new();
    until(&mut [&mut a, &mut b, &mut d], |ts| {
        seen.extend(calls_and_replies(ts[0]));
        !seen.is_empty()
    });
    assert_eq!(
        (seen[0].kind, seen[0].call_id, seen[0].label),
        (MSG_ERROR, 7, ERROR_PEER_DOWN)
    );
    assert!(!a.is_up(3) && a.is_up(2) && d.is_up(2));
    // A name registered on node 1 reaches node 3 through node 2.
    a.from_guest(&name_request(MSG_REGISTER, 8, 4, "across"));
    until(&mut [&mut a, &mut b, &mut d], |ts| {
        ts[2].directory().lookup("across").is_some()
    });
    assert!(!a.is_up(3), "still cut");
    // Healed: 1 and 3 find each other again.
    for t in [&mut a, &mut b, &mut d] {
        t.set_faults(Faults::default());
    }
    until(&mut [&mut a, &mut b, &mut d], all_up);
}

#[test]
fn a_delayed_link_delivers_late_and_in_order() {
    use selvm_cluster::faults::Faults;
    let c = cluster(2);
    let (mut a, mut b) = (bind(&c, 1), bind(&c, 2));
    until(&mut [&mut a, &mut b], |ts| ts[0].is_up(2) && ts[1].is_up(1));
    a.set_faults(Faults::parse("delay 200").unwrap());
    let sent = Instant::now();
    for id in 1..=3 {
        a.from_guest(&call(2, id, vec![id]));
    }
    let mut seen = Vec::new();
    until(&mut [&mut a, &mut b], |ts| {
        seen.extend(calls_and_replies(ts[1]));
        seen.len() == 3
    });
    assert!(
        sent.elapsed() >= Duration::from_millis(200),
        "{:?}",
        sent.elapsed()
    );
    let ids: Vec<u64> = seen.iter().map(|m| m.call_id).collect();
    assert_eq!(ids, [1, 2, 3]);
    // Every frame this node sends is lost: the peer sees a silent node and drops it.
    a.set_faults(Faults::parse("drop 1").unwrap());
    until(&mut [&mut a, &mut b], |ts| !ts[1].is_up(1));
}
