//! The cluster commands: `selvm node` runs one node of a cluster described in a file,
//! `selvm cluster up` a local cluster of child `selvm node` processes on 127.0.0.1
//! (docs/cluster.md), `selvm cluster demo` the key-value fail-over demo on three of
//! them; `selvm bench cluster` measures a remote Call.

pub mod bench;
pub mod demo;
mod frames;
pub mod layout;
pub mod node;
mod stages;
pub mod store;
pub mod up;

use clap::Subcommand;

/// `selvm cluster …`.
#[derive(Subcommand)]
pub enum ClusterCommand {
    /// Start a local cluster on 127.0.0.1: N nodes, each a `selvm node` process with
    /// fresh keys and a free port, their consoles shown line by line prefixed with the
    /// node id.
    Up(up::UpArgs),
    /// Three local nodes running the key-value demo: a primary on node 1 replicated
    /// (a CRDT) to a standby on node 2, clients on nodes 2 and 3 finding them by name;
    /// node 1 is killed (the clients fail over) and restarted (they come back).
    Demo(demo::DemoArgs),
}
