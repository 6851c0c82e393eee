//! The cluster commands: `selvm node` runs one node of a cluster described in a file,
//! `selvm cluster up` a local cluster of child `selvm node` processes on 127.0.0.1
//! (docs/cluster.md); `selvm bench cluster` measures a remote Call.

pub mod bench;
pub mod node;
pub mod up;

use clap::Subcommand;

/// `selvm cluster …`.
#[derive(Subcommand)]
pub enum ClusterCommand {
    /// Start a local cluster on 127.0.0.1: N nodes, each a `selvm node` process with
    /// fresh keys and a free port, their consoles shown line by line prefixed with the
    /// node id.
    Up(up::UpArgs),
}
