//! The core's rules, one exchange at a time, and a seeded simulation of several nodes
//! with killed nodes, cut connections and lost frames, checking that every call ends
//! exactly once and within its deadline.

use super::*;
use alloc::vec;
use std::collections::BTreeSet;

const T: Timeouts = Timeouts {
    call_deadline_ns: 1_000,
    heartbeat_ns: 100,
    peer_timeout_ns: 300,
};

fn call(node: u64, call_id: u64, mrs: Vec<u64>) -> Vec<u8> {
    Message {
        kind: MSG_CALL,
        node,
        call_id,
        object: 1,
        label: 7,
        mrs,
    }
    .encode()
}

fn drain(c: &mut Core) -> Vec<Output> {
    core::iter::from_fn(|| c.poll_output()).collect()
}

fn guest_messages(outputs: &[Output]) -> Vec<Message> {
    (outputs.iter())
        .filter_map(|o| match o {
            Output::Guest(b) => Some(Message::decode(b).unwrap()),
            _ => None,
        })
        .collect()
}

/// Two cores joined: every Peer output is delivered at once to the other.
struct Pair {
    a: Core,
    b: Core,
}

impl Pair {
    fn new() -> Pair {
        let mut p = Pair {
            a: Core::new(1, 10, 2, T),
            b: Core::new(2, 20, 2, T),
        };
        p.a.connected(2, 0);
        p.b.connected(1, 0);
        let (a, b) = p.pump(0);
        assert_eq!(guest_messages(&a)[0].kind, MSG_NODE_UP);
        assert_eq!(guest_messages(&b)[0].kind, MSG_NODE_UP);
        p
    }

    /// Delivers frames both ways until quiet; returns what else each side output.
    fn pump(&mut self, now: u64) -> (Vec<Output>, Vec<Output>) {
        let (mut rest_a, mut rest_b) = (Vec::new(), Vec::new());
        loop {
            let (oa, ob) = (drain(&mut self.a), drain(&mut self.b));
            if oa.is_empty() && ob.is_empty() {
                return (rest_a, rest_b);
            }
            for o in oa {
                match o {
                    Output::Peer(2, f) => self.b.from_peer(1, &f, now),
                    other => rest_a.push(other),
                }
            }
            for o in ob {
                match o {
                    Output::Peer(1, f) => self.a.from_peer(2, &f, now),
                    other => rest_b.push(other),
                }
            }
        }
    }
}

#[test]
fn a_call_reaches_the_peer_and_its_reply_comes_back() {
    let mut p = Pair::new();
    p.a.from_guest(&call(2, 5, vec![40, 2]), 10);
    let (_, b) = p.pump(10);
    let got = guest_messages(&b);
    assert_eq!((got[0].kind, got[0].node, got[0].call_id), (MSG_CALL, 1, 5));
    assert_eq!(
        (got[0].object, got[0].label, &got[0].mrs[..]),
        (1, 7, &[40, 2][..])
    );
    let reply = Message {
        kind: MSG_REPLY,
        node: 1,
        call_id: 5,
        object: 0,
        label: 0,
        mrs: vec![42],
    };
    p.b.from_guest(&reply.encode(), 20);
    let (a, _) = p.pump(20);
    let got = guest_messages(&a);
    assert_eq!(got.len(), 1);
    assert_eq!(
        (got[0].kind, got[0].node, got[0].call_id),
        (MSG_REPLY, 2, 5)
    );
    assert_eq!(got[0].mrs, [42]);
    assert_eq!(p.a.pending_calls(), 0);
    // A second reply to the same call is dropped on both sides.
    p.b.from_guest(&reply.encode(), 30);
    let (a, _) = p.pump(30);
    assert!(guest_messages(&a).is_empty());
}

#[test]
fn a_lost_peer_fails_its_calls_at_once() {
    let mut p = Pair::new();
    p.a.from_guest(&call(2, 1, vec![]), 0);
    p.a.from_guest(&call(2, 2, vec![]), 0);
    drain(&mut p.a);
    p.a.disconnected(2);
    let got = guest_messages(&drain(&mut p.a));
    let errors: BTreeSet<(u64, u64)> = (got.iter())
        .filter(|m| m.kind == MSG_ERROR)
        .map(|m| (m.call_id, m.label))
        .collect();
    assert_eq!(errors, [(1, ERROR_PEER_DOWN), (2, ERROR_PEER_DOWN)].into());
    assert!(got.iter().any(|m| m.kind == MSG_NODE_DOWN && m.node == 2));
    // A call to a node that is down fails at once; to a number that names no other
    // node too, differently.
    for (node, code) in [
        (2, ERROR_PEER_DOWN),
        (3, ERROR_NO_SUCH_NODE),
        (1, ERROR_NO_SUCH_NODE),
    ] {
        p.a.from_guest(&call(node, 3, vec![]), 0);
        let got = guest_messages(&drain(&mut p.a));
        assert_eq!(
            (got[0].kind, got[0].label),
            (MSG_ERROR, code),
            "node {node}"
        );
    }
}

#[test]
fn an_unanswered_call_times_out_and_a_silent_peer_goes_down() {
    let mut p = Pair::new();
    p.a.from_guest(&call(2, 9, vec![]), 0);
    drain(&mut p.a); // the frame is lost
    p.a.tick(99);
    assert!(drain(&mut p.a).is_empty(), "nothing due yet");
    p.a.tick(100);
    assert!(
        matches!(&drain(&mut p.a)[..], [Output::Peer(2, _)]),
        "heartbeat"
    );
    assert_eq!(p.a.next_deadline(), Some(200));
    p.a.tick(300);
    let out = drain(&mut p.a);
    assert!(out.contains(&Output::Disconnect(2)), "silent for 300 ns");
    let got = guest_messages(&out);
    assert!(
        got.iter()
            .any(|m| m.kind == MSG_ERROR && m.label == ERROR_PEER_DOWN)
    );

    let mut p = Pair::new();
    p.a.from_guest(&call(2, 9, vec![]), 0);
    drain(&mut p.a);
    for now in (0..=1_000).step_by(50) {
        p.b.tick(now);
        p.a.tick(now);
        p.pump(now);
    }
    assert_eq!(p.a.pending_calls(), 0);
}

#[test]
fn an_idle_link_is_quiet_and_a_served_call_keeps_it_alive() {
    let mut p = Pair::new();
    // No call either way: no heartbeat, no deadline, never dropped for silence.
    assert_eq!((p.a.next_deadline(), p.b.next_deadline()), (None, None));
    p.a.tick(10_000);
    p.b.tick(10_000);
    assert!(drain(&mut p.a).is_empty() && drain(&mut p.b).is_empty());
    assert!(p.a.is_up(2) && p.b.is_up(1));
    // A call made after the long silence gets the whole timeout, and the serving
    // side heartbeats while it holds the call, so a slow server is not dropped.
    p.a.from_guest(&call(2, 5, vec![]), 10_000);
    p.pump(10_000);
    assert_eq!(p.a.next_deadline(), Some(10_100));
    for now in (10_050..=10_900).step_by(50) {
        p.b.tick(now);
        p.a.tick(now);
        let (a, _) = p.pump(now);
        assert!(!a.contains(&Output::Disconnect(2)), "dropped at {now}");
    }
    assert_eq!(p.a.pending_calls(), 1);
    let reply = Message {
        kind: MSG_REPLY,
        node: 1,
        call_id: 5,
        object: 0,
        label: 0,
        mrs: vec![],
    };
    p.b.from_guest(&reply.encode(), 10_900);
    p.pump(10_900);
    assert_eq!(p.a.pending_calls(), 0);
    assert_eq!((p.a.next_deadline(), p.b.next_deadline()), (None, None));
}

#[test]
fn a_reply_to_a_caller_that_restarted_is_dropped() {
    let mut p = Pair::new();
    p.a.from_guest(&call(2, 4, vec![]), 0);
    p.pump(0);
    // Node 1 dies and comes back as a new incarnation before node 2 replies.
    p.b.disconnected(1);
    p.a = Core::new(1, 11, 2, T);
    p.a.connected(2, 5);
    p.b.connected(1, 5);
    p.pump(5);
    let reply = Message {
        kind: MSG_REPLY,
        node: 1,
        call_id: 4,
        object: 0,
        label: 0,
        mrs: vec![],
    };
    p.b.from_guest(&reply.encode(), 6);
    let (a, _) = p.pump(6);
    assert!(guest_messages(&a).is_empty(), "the new life never called");
}

#[test]
fn hostile_frames_and_guest_messages_are_refused() {
    let mut p = Pair::new();
    p.a.from_peer(2, b"garbage", 0);
    assert!(drain(&mut p.a).contains(&Output::Disconnect(2)));
    assert_eq!(p.a.bad_frames, 1);
    // A frame claiming another sender, or repeating a sequence number.
    let mut p = Pair::new();
    let forged = Frame {
        from: 3,
        incarnation: 20,
        seq: 1,
        body: Body::Heartbeat,
    };
    p.a.from_peer(2, &forged.encode(), 0);
    assert!(drain(&mut p.a).contains(&Output::Disconnect(2)));
    let mut p = Pair::new();
    let replayed = Frame {
        from: 2,
        incarnation: 20,
        seq: 0,
        body: Body::Heartbeat,
    };
    p.a.from_peer(2, &replayed.encode(), 0);
    assert!(drain(&mut p.a).contains(&Output::Disconnect(2)));
    // The guest: a malformed call is answered with an error, a duplicate id too.
    let mut p = Pair::new();
    let mut bad = call(2, 8, vec![1]);
    bad.pop();
    p.a.from_guest(&bad, 0);
    let got = guest_messages(&drain(&mut p.a));
    assert_eq!((got[0].call_id, got[0].label), (8, ERROR_BAD_MESSAGE));
    p.a.from_guest(&call(2, 8, vec![]), 0);
    p.a.from_guest(&call(2, 8, vec![]), 0);
    let got = guest_messages(&drain(&mut p.a));
    assert_eq!((got[0].call_id, got[0].label), (8, ERROR_BAD_MESSAGE));
    assert_eq!(p.a.bad_guest_messages, 2);
    // Connections from itself or from numbers no node can have are refused.
    p.a.connected(1, 0);
    p.a.connected(0, 0);
    p.a.connected(MAX_NODE_ID + 1, 0);
    assert_eq!(
        drain(&mut p.a),
        [
            Output::Disconnect(1),
            Output::Disconnect(0),
            Output::Disconnect(MAX_NODE_ID + 1)
        ]
    );
}

#[test]
fn a_joined_node_is_a_member_and_swim_messages_pass_opaquely() {
    let mut p = Pair::new();
    // Node 9 is not in the configuration (3 nodes) but the transport admitted it.
    let mut j = Core::new(9, 77, 9, Timeouts::default());
    p.a.connected(9, 0);
    j.connected(1, 0);
    let hello_a = drain(&mut p.a);
    let hello_j = drain(&mut j);
    for o in hello_a {
        if let Output::Peer(9, f) = o {
            j.from_peer(1, &f, 1);
        }
    }
    for o in hello_j {
        if let Output::Peer(1, f) = o {
            p.a.from_peer(9, &f, 1);
        }
    }
    assert!(p.a.is_up(9) && j.is_up(1));
    drain(&mut j);
    let got = drain(&mut p.a);
    assert!(
        guest_messages(&got)
            .iter()
            .any(|m| m.kind == MSG_NODE_UP && m.node == 9)
    );
    // SWIM messages travel as frames and come out as they went in.
    p.a.send_swim(9, vec![1, 2, 3], 2);
    for o in drain(&mut p.a) {
        if let Output::Peer(9, f) = o {
            j.from_peer(1, &f, 2);
        }
    }
    assert_eq!(drain(&mut j), [Output::Swim(1, vec![1, 2, 3])]);
    // Declared down by SWIM: dropped, its calls fail, and it stays a member (peer
    // down, not no such node).
    p.a.member_down(9);
    let got = drain(&mut p.a);
    assert!(got.contains(&Output::Disconnect(9)));
    assert!(
        guest_messages(&got)
            .iter()
            .any(|m| m.kind == MSG_NODE_DOWN && m.node == 9)
    );
    p.a.from_guest(&call(9, 4, vec![]), 3);
    let got = guest_messages(&drain(&mut p.a));
    assert_eq!((got[0].kind, got[0].label), (MSG_ERROR, ERROR_PEER_DOWN));
    // Not up: a SWIM message to it is lost, not queued.
    p.a.send_swim(9, vec![4], 4);
    assert_eq!(drain(&mut p.a), []);
}

/// A seeded simulation of `n` nodes: each step a random node's guest calls a random
/// node (the callee's guest answers every call it sees), a random connection is cut
/// and remade, a node restarts, or frames are lost; time moves on. Checked: each call
/// ends exactly once, with a reply or an error, no later than its deadline plus the
/// tick granularity, and a reply carries what its call carried.
fn simulate(seed: u64, n: u64, steps: usize) -> (usize, usize) {
    let mut rng = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = move |bound: u64| {
        rng = rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (rng >> 33) % bound
    };
    let mut cores: Vec<Core> = (1..=n).map(|i| Core::new(i, 1, n, T)).collect();
    let mut links: BTreeSet<(u64, u64)> = BTreeSet::new();
    let connect = |cores: &mut Vec<Core>, links: &mut BTreeSet<(u64, u64)>, a: u64, b: u64, now| {
        if links.insert((a.min(b), a.max(b))) {
            cores[a as usize - 1].connected(b, now);
            cores[b as usize - 1].connected(a, now);
        }
    };
    for a in 1..=n {
        for b in a + 1..=n {
            connect(&mut cores, &mut links, a, b, 0);
        }
    }
    // Calls out: (caller, id) -> (deadline, the MR it carried).
    let mut open: BTreeMap<(u64, u64), (u64, u64)> = BTreeMap::new();
    let (mut replies, mut errors) = (0, 0);
    let mut next_id = 0;
    let mut now = 0;
    for _ in 0..steps {
        now += 1 + next(40);
        match next(20) {
            0..=11 => {
                let (from, to) = (1 + next(n), 1 + next(n));
                next_id += 1;
                open.insert((from, next_id), (now + T.call_deadline_ns, next_id * 3));
                cores[from as usize - 1].from_guest(&call(to, next_id, vec![next_id * 3]), now);
            }
            12 | 13 => {
                let (a, b) = (1 + next(n), 1 + next(n));
                if links.remove(&(a.min(b), a.max(b))) {
                    cores[a as usize - 1].disconnected(b);
                    cores[b as usize - 1].disconnected(a);
                }
            }
            14 => {
                // A node restarts: its calls are forgotten by it (its guest died too).
                let a = 1 + next(n);
                let inc = now;
                cores[a as usize - 1] = Core::new(a, inc, n, T);
                open.retain(|&(c, _), _| c != a);
                for b in 1..=n {
                    if links.remove(&(a.min(b), a.max(b))) {
                        cores[b as usize - 1].disconnected(a);
                    }
                }
            }
            _ => {
                let (a, b) = (1 + next(n), 1 + next(n));
                if a != b {
                    connect(&mut cores, &mut links, a, b, now);
                }
            }
        }
        for c in cores.iter_mut() {
            c.tick(now);
        }
        // Deliver until quiet; a frame on a cut link, or one in 50, is lost.
        loop {
            let mut moved = false;
            for i in 0..n as usize {
                while let Some(o) = cores[i].poll_output() {
                    moved = true;
                    let me = i as u64 + 1;
                    match o {
                        Output::Peer(to, f) => {
                            if links.contains(&(me.min(to), me.max(to))) && next(50) != 0 {
                                cores[to as usize - 1].from_peer(me, &f, now);
                            }
                        }
                        Output::Disconnect(to) => {
                            if links.remove(&(me.min(to), me.max(to))) {
                                cores[to as usize - 1].disconnected(me);
                            }
                        }
                        Output::PeerUp(_) | Output::Directory(..) | Output::Swim(..) => {}
                        Output::Guest(b) => {
                            let m = Message::decode(&b).unwrap();
                            match m.kind {
                                MSG_CALL => {
                                    let reply = Message {
                                        kind: MSG_REPLY,
                                        mrs: vec![m.mrs[0] + 1],
                                        object: 0,
                                        ..m
                                    };
                                    cores[i].from_guest(&reply.encode(), now);
                                }
                                MSG_REPLY | MSG_ERROR => {
                                    let (deadline, sent) = open
                                        .remove(&(me, m.call_id))
                                        .expect("a call ends exactly once");
                                    assert!(now <= deadline + 40, "ended by its deadline");
                                    if m.kind == MSG_REPLY {
                                        assert_eq!(m.mrs, [sent + 1]);
                                        replies += 1;
                                    } else {
                                        errors += 1;
                                    }
                                }
                                _ => {}
                            }
                        }
                    }
                }
            }
            if !moved {
                break;
            }
        }
    }
    // Let every deadline pass: nothing may stay open.
    for _ in 0..3 {
        now += T.call_deadline_ns;
        for c in cores.iter_mut() {
            c.tick(now);
            while let Some(o) = c.poll_output() {
                if let Output::Guest(b) = o {
                    let m = Message::decode(&b).unwrap();
                    if m.kind == MSG_ERROR || m.kind == MSG_REPLY {
                        open.remove(&(c.me, m.call_id)).expect("ends once");
                        errors += 1;
                    }
                }
            }
        }
    }
    assert!(open.is_empty(), "calls left hanging: {open:?}");
    (replies, errors)
}

#[test]
fn simulated_clusters_never_leave_a_call_hanging() {
    let (mut replies, mut errors) = (0, 0);
    for seed in 0..200 {
        let (r, e) = simulate(seed, 3 + seed % 3, 400);
        replies += r;
        errors += e;
    }
    // Both outcomes happen a lot: the simulation exercises failures and successes.
    assert!(
        replies > 10_000 && errors > 1_000,
        "{replies} replies, {errors} errors"
    );
}

#[test]
fn a_call_pinned_to_another_life_fails_stale_and_never_leaves() {
    let mut p = Pair::new();
    let pinned = |life: u64, kind: u64, id: u64| {
        Message {
            kind,
            node: 2,
            call_id: id,
            object: 4 | life << OBJECT_LIFE_SHIFT,
            label: 7,
            mrs: vec![id],
        }
        .encode()
    };
    // Node 2 is in its life 20: a proxy pinned to life 19 (the one before) fails at
    // once, its Send is dropped, and nothing goes to node 2.
    p.a.from_guest(&pinned(pinned_life(19), MSG_CALL, 1), 0);
    p.a.from_guest(&pinned(pinned_life(19), MSG_SEND, 0), 0);
    let out = drain(&mut p.a);
    assert!(
        !out.iter().any(|o| matches!(o, Output::Peer(..))),
        "{out:?}"
    );
    let got = guest_messages(&out);
    assert_eq!(
        (got.len(), got[0].kind, got[0].call_id, got[0].label),
        (1, MSG_ERROR, 1, ERROR_STALE)
    );
    // Pinned to the life that is up, or to none: it reaches node 2 with the object
    // number alone.
    for (life, id) in [(pinned_life(20), 2), (0, 3)] {
        p.a.from_guest(&pinned(life, MSG_CALL, id), 0);
        let (_, b) = p.pump(0);
        let got = guest_messages(&b);
        assert_eq!(
            (got[0].kind, got[0].object, got[0].mrs[0]),
            (MSG_CALL, 4, id)
        );
    }
    assert_eq!(
        pinned_life(1 << 48),
        1,
        "a life whose pinned bits are 0 pins as 1"
    );
}
