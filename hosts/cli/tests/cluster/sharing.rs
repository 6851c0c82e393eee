//! Shared frames between co-located nodes (docs/cluster.md, "Shared frames"): node 2
//! takes a frame of the host's shared region and answers its number (a reply with
//! `FRAME_CARRIED`) to this test's transport (node 1), which sends it on to node 3 and
//! back to node 2; node 2's relay produces 300 records into a ring in that frame and
//! node 3's consumes them, each side waking the other with a remote notification, and
//! node 3 checks every byte. This test then reads the frame itself in the host's shared
//! file: the ring's indices and the last records are there (so the frame was one
//! memory for all three processes). Between nodes not on one host (the test's
//! transport saying `shm = false`, so on TCP) a frame never leaves: a reply carrying
//! one arrives as `ERROR_NOT_CO_LOCATED`, and a call carrying one fails at once.

use super::churn::call_on;
use super::*;
use selvm_abi::vm::device::{ERROR_NOT_CO_LOCATED, FRAME_CARRIED};
use selvm_abi::vm::network::{MSG_CALL, REMOTE_ERROR_LABEL};
use selvm_cluster_proto::guest::Message;

const RELAY: u64 = 2;
const SHARE_NEW: u64 = 40;
const SHARE_PRODUCE: u64 = 41;
const SHARE_CONSUME: u64 = 42;
const RECORDS: u64 = 300;
const SLOTS: u64 = 63;

/// What user/cluster-node's `sharing::pattern` writes: byte `k` of record `i`.
fn pattern(frame: u64, i: u64, k: u64) -> u8 {
    (i.wrapping_mul(131) ^ k.wrapping_mul(7) ^ frame.wrapping_mul(29)) as u8
}

/// Nodes 2 and 3 running, this test's transport as node 1 (`shm` as given), and the
/// links between all three up (node 2's relay reaching node 3's adder).
fn three(name: &str, shm: bool) -> (Transport, [Running; 2], ClusterConfig) {
    let mut c = config(3);
    c.shm = true;
    let path = temp_dir(name).join("cluster.toml");
    std::fs::write(&path, c.to_toml()).unwrap();
    let mut mine = c.clone();
    mine.shm = shm;
    let mut node1 = Transport::bind(mine, 1, 1, Timeouts::default()).unwrap();
    let nodes = [start_node(&path, "2", &[]), start_node(&path, "3", &[])];
    let end = Instant::now() + Duration::from_secs(10);
    let mut id = 1;
    for (on, to) in [(2, 3), (3, 2)] {
        loop {
            id += 1;
            let got = call_on(
                &mut node1,
                on,
                id,
                RELAY,
                RELAY,
                &[to, 1, 2],
                Duration::from_secs(10),
            );
            if got == (0, vec![3, to]) {
                break;
            }
            assert!(Instant::now() < end, "node {on} to {to}: {got:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    (node1, nodes, c)
}

#[test]
#[ignore = "needs target/user/cluster-node.sbc: cargo xtask test builds it and runs this"]
fn a_ring_in_a_shared_frame_carries_records_between_two_nodes_byte_for_byte() {
    let (mut node1, mut nodes, c) = three("sharing", true);
    assert!(node1.shared_ring_with(2) && node1.shared_ring_with(3));
    let wait = Duration::from_secs(10);
    let (label, got) = call_on(&mut node1, 2, 100, RELAY, SHARE_NEW, &[], wait);
    assert_eq!(label, FRAME_CARRIED, "node 2 took a frame: {got:?}");
    let frame = got[0];
    assert!((1..256).contains(&frame), "frame {frame}");
    // Consumer on node 3 and producer on node 2 at once; each answers when done.
    let calls = [(3, 101, SHARE_CONSUME, 2), (2, 102, SHARE_PRODUCE, 3)];
    for (on, id, label, peer) in calls {
        let m = Message {
            kind: MSG_CALL,
            node: on,
            call_id: id,
            object: RELAY,
            label: FRAME_CARRIED | label,
            mrs: vec![frame, peer, RECORDS],
        };
        node1.from_guest(&m.encode());
    }
    let started = Instant::now();
    let mut answers = std::collections::HashMap::new();
    while answers.len() < 2 {
        assert!(started.elapsed() < wait, "answers so far: {answers:?}");
        node1.poll(Duration::from_millis(5)).unwrap();
        for m in node1.take_for_guest() {
            let m = Message::decode(&m).unwrap();
            if m.call_id == 101 || m.call_id == 102 {
                answers.insert(m.call_id, (m.label, m.mrs));
            }
        }
    }
    println!(
        "{RECORDS} records through frame {frame} in {:?}",
        started.elapsed()
    );
    assert_eq!(answers[&102], (0, vec![RECORDS, 0]), "node 2 produced");
    assert_eq!(
        answers[&101],
        (0, vec![RECORDS, 0]),
        "node 3 took every record, no byte wrong"
    );
    // The frame as this process sees it in the host's shared file.
    let folder = selvm_cluster::shm::folder();
    let file = selvm_cluster::frames::SharedFrames::open(&folder, &c.frames_tag()).unwrap();
    let at = frame * 4096;
    let word = |o: u64| {
        let mut w = [0u8; 8];
        file.load(at + o, &mut w);
        u64::from_le_bytes(w)
    };
    assert_eq!((word(0), word(8)), (RECORDS, RECORDS), "tail and head");
    for i in RECORDS - SLOTS..RECORDS {
        let slot = 64 + (i % SLOTS) * 64;
        assert_eq!(word(slot), i, "record {i}'s number");
        let mut bytes = [0u8; 56];
        file.load(at + slot + 8, &mut bytes);
        let want: Vec<u8> = (0..56).map(|k| pattern(frame, i, k)).collect();
        assert_eq!(&bytes[..], &want[..], "record {i}");
    }
    let _ = std::fs::remove_file(file.path());
    for n in &mut nodes {
        let _ = n.child.kill();
    }
}

#[test]
#[ignore = "needs target/user/cluster-node.sbc: cargo xtask test builds it and runs this"]
fn a_shared_frame_never_goes_to_a_node_not_on_this_host() {
    let (mut node1, mut nodes, c) = three("sharing-tcp", false);
    assert!(!node1.shared_ring_with(2) && !node1.shared_ring_with(3));
    let wait = Duration::from_secs(10);
    // Node 2 takes a frame, but its answer to node 1 (on TCP) is refused on the way.
    let (label, got) = call_on(&mut node1, 2, 100, RELAY, SHARE_NEW, &[], wait);
    assert_eq!(
        (label, got),
        (REMOTE_ERROR_LABEL | ERROR_NOT_CO_LOCATED, vec![]),
        "node 2's reply"
    );
    // A call naming a frame fails at once here, never reaching node 3.
    let t = Instant::now();
    let (label, _) = call_on(
        &mut node1,
        3,
        101,
        RELAY,
        FRAME_CARRIED | SHARE_CONSUME,
        &[1, 2, 1],
        wait,
    );
    assert_eq!(label, ERROR_NOT_CO_LOCATED);
    assert!(
        t.elapsed() < Duration::from_millis(500),
        "{:?}",
        t.elapsed()
    );
    let log = node1.take_log();
    assert!(
        log.iter()
            .any(|l| l == "a shared frame for node 3 refused: not on this host"),
        "{log:?}"
    );
    let _ = std::fs::remove_file(selvm_cluster::frames::path(
        &selvm_cluster::shm::folder(),
        &c.frames_tag(),
    ));
    for n in &mut nodes {
        let _ = n.child.kill();
    }
}
