//! The simulated cluster converges within SWIM's bounds, repeatably.

use super::scale::measure;

#[test]
fn a_simulated_cluster_of_64_nodes_joins_detects_and_converges_within_bounds() {
    let f = measure(64, 7).unwrap();
    eprintln!("{f:?}");
    // SWIM: a probe every 500 ms, 200 ms to answer, suspect 1 s: a dead node is
    // declared down by everyone within a few probe periods, news spreads in
    // O(log n) periods.
    assert!(f.detect_ns >= 1_000_000_000, "no faster than the suspicion");
    assert!(f.detect_ns < 6_000_000_000, "{}", f.detect_ns);
    assert!(f.join_ns < 5_000_000_000, "{}", f.join_ns);
    // The transport's rule: the state goes to every member at once (one hop), and
    // each of the 63 that learnt it passes it on to 3 others.
    assert!(f.directory_ns < 5_000_000, "{}", f.directory_ns);
    assert_eq!(f.directory_messages, 63 + 63 * 3);
    // Idle: a probe and an answer per node each 500 ms, give or take.
    assert!((3.0..6.0).contains(&f.idle_swim_per_node_s), "{f:?}");
    // Repeatable: the same seed, the same figures.
    assert_eq!(measure(64, 7).unwrap(), f);
}
