//! Distributed shared memory across three `selvm node` processes (user/cluster-node's
//! `src/dsm`, docs/cluster.md): threads on three nodes increment shared counters under
//! a bakery lock built from plain loads and stores (the totals must be exact), the
//! litmus tests MP and SB never show the outcome sequential consistency forbids, and
//! a node killed while it owns a page makes the others' accesses to that page, and to
//! the pages it managed, fail with the defined fault within a bound instead of hanging.

use super::*;

/// Node `id` of the cluster in `config`, running the DSM program `program` (5: the
/// tests, 6: a node dies), 150 s at most.
fn dsm_node(config: &std::path::Path, id: &str, program: &str) -> Running {
    let node = cluster_node();
    let args = [
        "node".as_ref(),
        "--argument".as_ref(),
        program.as_ref(),
        "--config".as_ref(),
        config.as_os_str(),
        "--id".as_ref(),
        id.as_ref(),
        "--timeout".as_ref(),
        "150".as_ref(),
        node.as_os_str(),
    ];
    Running::start(&args)
}

/// Three DSM nodes of a fresh cluster running `program`.
fn dsm_cluster(name: &str, program: &str) -> [Running; 3] {
    let path = temp_dir(name).join("cluster.toml");
    std::fs::write(&path, config(3).to_toml()).unwrap();
    ["1", "2", "3"].map(|id| dsm_node(&path, id, program))
}

#[test]
#[ignore = "needs target/user/cluster-node.sbc: cargo xtask test builds it and runs this"]
fn threads_on_three_nodes_count_exactly_under_a_bakery_lock_and_no_litmus_test_fails() {
    let [node1, node2, node3] = dsm_cluster("dsm", "5");
    let (status, lines) = node1.finish(Duration::from_secs(160));
    for l in lines.iter().filter(|l| l.contains("dsm")) {
        println!("{l}");
    }
    assert_eq!(status, 0, "{lines:#?}");
    let line = |what: &str| {
        lines
            .iter()
            .find(|l| l.contains(what))
            .unwrap_or_else(|| panic!("no line with {what:?}: {lines:#?}"))
            .clone()
    };
    let counters = line("dsm: counters: 6 threads on 3 nodes");
    assert!(counters.ends_with("): exact"), "{counters}");
    let mp = line("dsm: litmus MP, ");
    assert!(mp.ends_with("flag 1 data 0 (forbidden): 0"), "{mp}");
    let sb = line("dsm: litmus SB, ");
    assert!(
        sb.ends_with("a 0 b 0 (forbidden): 0; runs missing: 0"),
        "{sb}"
    );
    line("| write fault, read copy upgraded");
    for node in [node2, node3] {
        let (status, lines) = node.finish(Duration::from_secs(20));
        assert_eq!(status, 0, "{lines:#?}");
    }
}

#[test]
#[ignore = "needs target/user/cluster-node.sbc: cargo xtask test builds it and runs this"]
fn a_node_killed_while_owning_a_page_makes_accesses_fail_with_the_defined_fault() {
    let [mut node1, mut node2, mut node3] = dsm_cluster("dsm-down", "6");
    node2.until("dsm: node 2 owns page 20", Duration::from_secs(60));
    node2.child.kill().unwrap();
    let killed = Instant::now();
    let lost = node1.until(
        "dsm: node 1's read of page 20 failed",
        Duration::from_secs(10),
    );
    assert!(
        lost.ends_with("page lost: the node holding it is down: node 2"),
        "{lost}"
    );
    let orphan = node3.until(
        "dsm: node 3's read of page 22 failed",
        Duration::from_secs(10),
    );
    assert!(orphan.ends_with("its manager is down: node 2"), "{orphan}");
    let after = killed.elapsed();
    println!("{lost}\n{orphan}\n(both {after:?} after the kill)");
    assert!(after < Duration::from_secs(5), "{after:?} after the kill");
    node1.until("dsm: page 21 is still shared", Duration::from_secs(10));
    for node in [node1, node3] {
        let (status, lines) = node.finish(Duration::from_secs(20));
        assert_eq!(status, 0, "{lines:#?}");
    }
}
