//! The scale table of docs/benchmarks.md: a simulated cluster (each node's real SWIM
//! membership and directory replica, a seeded network of 0.1-1 ms latency, virtual
//! time; `selvm_cluster::sim`) of 8, 64 and 1,000 nodes: a node joining, a node's
//! death detected, a name spreading to every replica.
//!
//! `cargo run --release -p selvm-cluster --example cluster_scale [-- SIZES… [--seed S]]`

use selvm_cluster::sim::scale::measure;
use std::time::Instant;

fn main() {
    let mut sizes = Vec::new();
    let mut seed = 1;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match (a.as_str(), a.parse::<u64>()) {
            ("--seed", _) => seed = args.next().and_then(|s| s.parse().ok()).unwrap_or(1),
            (_, Ok(n)) if n >= 3 => sizes.push(n),
            _ => {
                eprintln!("usage: cluster_scale [SIZE (3 or more)…] [--seed S]");
                std::process::exit(2);
            }
        }
    }
    if sizes.is_empty() {
        sizes = vec![8, 64, 1000];
    }
    let ms = |ns: u64| ns as f64 / 1e6;
    println!("simulated cluster, seed {seed}: virtual times in ms; the directory: one name");
    println!(
        "{:>6} {:>9} {:>9} {:>10} {:>11} {:>10} {:>10} {:>9}",
        "nodes", "join", "detect", "directory", "dir. msgs", "dir. KiB", "idle swim", "run (s)",
    );
    for &n in &sizes {
        let started = Instant::now();
        match measure(n, seed) {
            Ok(f) => println!(
                "{:>6} {:>9.1} {:>9.0} {:>10.2} {:>11} {:>10.0} {:>10.2} {:>9.1}",
                n,
                ms(f.join_ns),
                ms(f.detect_ns),
                ms(f.directory_ns),
                f.directory_messages,
                f.directory_bytes as f64 / 1024.0,
                f.idle_swim_per_node_s,
                started.elapsed().as_secs_f64(),
            ),
            Err(e) => println!("{n:>6} {e}"),
        }
    }
    println!("join: a new node announces itself to node 1, until all hold it and it holds all");
    println!("detect: a node stops, until every other has declared it down");
    println!("directory: a name registered on one node, until every replica holds it;");
    println!("  dir. msgs/KiB: the states sent for it (the whole state, to every member)");
    println!("idle swim: membership messages a node sends per second with no news");
}
