//! seLVM's cluster transport: the host side of a node's network device. A node's
//! driver (`selvm node`) runs its machine and a [`Transport`] on one thread: what the
//! guest's network service puts in the device's transmit ring goes to the protocol
//! core (`selvm-cluster-proto`), whose frames travel over TCP inside Noise to the
//! peers named in the cluster's configuration ([`ClusterConfig`], `cluster.toml`);
//! what comes back, and the errors and node events the core makes, go into the
//! device's receive ring.

#![deny(unsafe_code)]

pub mod config;
pub mod conn;
pub mod directory;
pub mod faults;
#[cfg(unix)]
pub mod frames;
pub mod membership;
#[cfg(unix)]
pub mod shm;
#[cfg(not(unix))]
#[path = "shm_unsupported.rs"]
pub mod shm;
pub mod sim;
pub mod transport;

pub use config::{ClusterConfig, ConfigError, NodeConfig};
pub use selvm_cluster_proto::Timeouts;
pub use transport::Transport;

/// A fresh Noise static key pair: (private, public).
pub fn generate_keypair() -> Result<([u8; 32], [u8; 32]), String> {
    let params = conn::NOISE_PARAMS.parse().map_err(|e| format!("{e}"))?;
    let pair = snow::Builder::new(params)
        .generate_keypair()
        .map_err(|e| format!("{e}"))?;
    let private = pair.private.try_into().map_err(|_| "key length")?;
    let public = pair.public.try_into().map_err(|_| "key length")?;
    Ok((private, public))
}
