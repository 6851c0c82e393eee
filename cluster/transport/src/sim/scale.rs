//! The scale scenario: a formed cluster of `n` simulated nodes (every member knows
//! every other, as a configured cluster's do once connected); a name spreads, a node
//! joins and a node dies; the virtual time each took and the messages it cost.

use super::{Latency, Sim};

/// Virtual time allowed for each step before it counts as not converged.
pub const LIMIT_NS: u64 = 120_000_000_000;

/// What one run measured (times in ns of virtual time).
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// Nodes.
    pub n: u64,
    /// A name registered on one node until every replica holds it.
    pub directory_ns: u64,
    /// Directory states sent for that name.
    pub directory_messages: u64,
    /// Their bytes.
    pub directory_bytes: u64,
    /// A new node announcing itself to node 1 until every member holds it alive and
    /// it holds them all.
    pub join_ns: u64,
    /// A node stopped until every other member declared it down.
    pub detect_ns: u64,
    /// Membership messages per node and second, measured over a quiet 10 s (no news:
    /// probes and their answers only).
    pub idle_swim_per_node_s: f64,
}

/// Runs the scenario for `n` nodes; an error names the step that did not converge
/// within [`LIMIT_NS`].
pub fn measure(n: u64, seed: u64) -> Result<Figures, String> {
    let size = u32::try_from(n).unwrap_or(u32::MAX);
    let mut sim = Sim::new(size, seed, Latency::LAN);
    sim.formed_cluster(n);
    let late = |step: &str| format!("{n} nodes: {step} did not converge in 120 s");
    // Let the news of the forming die down, then count a quiet stretch.
    sim.run_until(5_000_000_000, |_| false);
    let before = sim.swim_messages;
    sim.run_until(10_000_000_000, |_| false);
    let idle = (sim.swim_messages - before) as f64 / n as f64 / 10.0;
    let (m0, b0) = (sim.directory_messages, sim.directory_bytes);
    sim.register(n / 2 + 1, "scale-probe");
    let directory_ns = (sim.run_until(LIMIT_NS, |s| s.all_hold("scale-probe")))
        .ok_or_else(|| late("the directory"))?;
    // The rest of the copies still in flight count too.
    sim.run_until(10_000_000, |_| false);
    let (directory_messages, directory_bytes) =
        (sim.directory_messages - m0, sim.directory_bytes - b0);
    let joiner = sim.add(&[1]);
    let join_ns =
        (sim.run_until(LIMIT_NS, |s| s.all_know(joiner))).ok_or_else(|| late("the join"))?;
    sim.run_until(5_000_000_000, |_| false);
    sim.kill(2);
    let detect_ns = (sim.run_until(LIMIT_NS, |s| s.all_declared_down(2)))
        .ok_or_else(|| late("failure detection"))?;
    Ok(Figures {
        n,
        directory_ns,
        directory_messages,
        directory_bytes,
        join_ns,
        detect_ns,
        idle_swim_per_node_s: idle,
    })
}
