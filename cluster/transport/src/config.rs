//! A cluster's description (`cluster.toml`): every node's id, TCP address and Noise
//! static public key, and the private key of the node reading it. Checked whole on
//! load, each problem reported with where it is:
//!
//! ```toml
//! [[node]]
//! id = 1
//! address = "127.0.0.1:7001"
//! public_key = "64 hex digits"
//! private_key = "64 hex digits"   # only in the file given to node 1 (or private_key_file)
//! ```

use serde::Deserialize;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Most nodes a cluster may list.
pub const MAX_NODES: usize = 64;

/// A node as the file lists it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNode {
    id: u64,
    address: String,
    public_key: String,
    private_key: Option<String>,
    private_key_file: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    shm: bool,
    node: Vec<RawNode>,
}

/// One node of the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeConfig {
    /// Its id (1 ..= the number of nodes).
    pub id: u64,
    /// Where it listens.
    pub address: SocketAddr,
    /// Its Noise static public key (X25519).
    pub public_key: [u8; 32],
    /// Its private key, where the file gives it.
    pub private_key: Option<[u8; 32]>,
}

/// The cluster: nodes by id (index `id - 1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterConfig {
    /// Every node, in id order.
    pub nodes: Vec<NodeConfig>,
    /// Whether two nodes that both listen on loopback addresses (so share a host)
    /// talk through shared-memory rings (`shm = true`; `crate::shm`) instead of TCP.
    pub shm: bool,
}

/// What is wrong with a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

fn err<T>(msg: impl Into<String>) -> Result<T, ConfigError> {
    Err(ConfigError(msg.into()))
}

/// 32 bytes from 64 hex digits.
pub fn parse_key(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let mut key = [0u8; 32];
    for (i, b) in key.iter_mut().enumerate() {
        *b = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(key)
}

/// 64 hex digits.
pub fn key_hex(key: &[u8]) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

impl ClusterConfig {
    /// Reads and checks `path`; private key files are read relative to its folder.
    pub fn load(path: &Path) -> Result<ClusterConfig, ConfigError> {
        let text = std::fs::read_to_string(path)
            .or_else(|e| err(format!("{}: cannot read: {e}", path.display())))?;
        let base = path.parent().unwrap_or(Path::new("."));
        ClusterConfig::parse(&text, base)
            .map_err(|e| ConfigError(format!("{}: {e}", path.display())))
    }

    /// Parses and checks a configuration's text.
    pub fn parse(text: &str, base: &Path) -> Result<ClusterConfig, ConfigError> {
        let raw: RawConfig = toml::from_str(text).or_else(|e| err(e.to_string().trim_end()))?;
        if raw.node.is_empty() || raw.node.len() > MAX_NODES {
            return err(format!("a cluster has 1 to {MAX_NODES} [[node]] tables"));
        }
        let mut nodes: Vec<NodeConfig> = Vec::new();
        for n in raw.node {
            let at = format!("node {}", n.id);
            let address = (n.address.parse::<SocketAddr>())
                .or_else(|e| err(format!("{at}: address {:?}: {e}", n.address)))?;
            let public_key = parse_key(&n.public_key)
                .ok_or_else(|| ConfigError(format!("{at}: public_key is not 64 hex digits")))?;
            let private_text = match (&n.private_key, &n.private_key_file) {
                (Some(_), Some(_)) => {
                    return err(format!(
                        "{at}: give private_key or private_key_file, not both"
                    ));
                }
                (Some(k), None) => Some(k.clone()),
                (None, Some(file)) => Some(
                    std::fs::read_to_string(base.join(file))
                        .or_else(|e| err(format!("{at}: {}: {e}", file.display())))?,
                ),
                (None, None) => None,
            };
            let private_key = match private_text {
                Some(k) => Some(parse_key(&k).ok_or_else(|| {
                    ConfigError(format!("{at}: private key is not 64 hex digits"))
                })?),
                None => None,
            };
            nodes.push(NodeConfig {
                id: n.id,
                address,
                public_key,
                private_key,
            });
        }
        nodes.sort_by_key(|n| n.id);
        for (i, n) in nodes.iter().enumerate() {
            if n.id != i as u64 + 1 {
                return err(format!(
                    "node ids must be 1 to {} with none repeated or missing (found {} at position {})",
                    nodes.len(),
                    n.id,
                    i + 1
                ));
            }
            if let Some(other) = nodes[..i].iter().find(|o| o.address == n.address) {
                return err(format!(
                    "nodes {} and {} share address {}",
                    other.id, n.id, n.address
                ));
            }
            if let Some(other) = nodes[..i].iter().find(|o| o.public_key == n.public_key) {
                return err(format!(
                    "nodes {} and {} share a public key",
                    other.id, n.id
                ));
            }
        }
        Ok(ClusterConfig {
            nodes,
            shm: raw.shm,
        })
    }

    /// Node `id`, if the cluster has it.
    pub fn node(&self, id: u64) -> Option<&NodeConfig> {
        self.nodes.get(id.checked_sub(1)? as usize)
    }

    /// Whether nodes `a` and `b` talk through shared memory: `shm` is on and both
    /// listen on loopback addresses.
    pub fn co_located(&self, a: u64, b: u64) -> bool {
        let local = |n: u64| self.node(n).is_some_and(|n| n.address.ip().is_loopback());
        self.shm && local(a) && local(b)
    }

    /// The node whose public key is `key`.
    pub fn node_with_key(&self, key: &[u8]) -> Option<u64> {
        self.nodes
            .iter()
            .find(|n| n.public_key[..] == *key)
            .map(|n| n.id)
    }

    /// The configuration's text (private keys written only for the nodes that have one).
    pub fn to_toml(&self) -> String {
        let mut out = String::new();
        if self.shm {
            out += "shm = true\n\n";
        }
        for n in &self.nodes {
            out += &format!(
                "[[node]]\nid = {}\naddress = \"{}\"\npublic_key = \"{}\"\n",
                n.id,
                n.address,
                key_hex(&n.public_key)
            );
            if let Some(k) = n.private_key {
                out += &format!("private_key = \"{}\"\n", key_hex(&k));
            }
            out += "\n";
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str = "0101010101010101010101010101010101010101010101010101010101010101";
    const KEY_B: &str = "0202020202020202020202020202020202020202020202020202020202020202";

    fn node(id: u64, port: u16, key: &str) -> String {
        format!("[[node]]\nid = {id}\naddress = \"127.0.0.1:{port}\"\npublic_key = \"{key}\"\n")
    }

    fn parse(text: &str) -> Result<ClusterConfig, ConfigError> {
        ClusterConfig::parse(text, Path::new("."))
    }

    #[test]
    fn a_good_file_round_trips() {
        let text =
            node(2, 7002, KEY_B) + &node(1, 7001, KEY_A) + &format!("private_key = \"{KEY_B}\"\n");
        let c = parse(&text).unwrap();
        assert_eq!(c.nodes.len(), 2);
        assert_eq!(c.node(1).unwrap().private_key, Some([2; 32]));
        assert_eq!(c.node_with_key(&[2; 32]), Some(2));
        assert_eq!(c.node(3), None);
        assert_eq!(c.node(0), None);
        assert_eq!(parse(&c.to_toml()).unwrap(), c);
        assert!(!c.shm && !c.co_located(1, 2));
        let shm = parse(&format!("shm = true\n{text}")).unwrap();
        assert!(shm.shm && shm.co_located(1, 2));
        assert_eq!(parse(&shm.to_toml()).unwrap(), shm);
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        let cases = [
            ("", "node"),
            (
                &(node(1, 7001, KEY_A) + &node(3, 7003, KEY_B)),
                "ids must be 1 to 2",
            ),
            (
                &(node(1, 7001, KEY_A) + &node(2, 7001, KEY_B)),
                "share address",
            ),
            (
                &(node(1, 7001, KEY_A) + &node(2, 7002, KEY_A)),
                "share a public key",
            ),
            (&node(1, 7001, "abc"), "public_key is not 64 hex digits"),
            (
                &node(1, 7001, KEY_A).replace("127.0.0.1:7001", "nowhere"),
                "address \"nowhere\"",
            ),
            (&(node(1, 7001, KEY_A) + "colour = 3\n"), "unknown field"),
            (
                &(node(1, 7001, KEY_A) + "private_key = \"zz\"\n"),
                "private key is not",
            ),
            (
                &(node(1, 7001, KEY_A) + "private_key = \"a\"\nprivate_key_file = \"k\"\n"),
                "not both",
            ),
            (
                &(node(1, 7001, KEY_A) + "private_key_file = \"/nonexistent/k\"\n"),
                "/nonexistent/k",
            ),
        ];
        for (text, want) in cases {
            let e = parse(text).expect_err(want);
            assert!(e.0.contains(want), "{want:?} not in {:?}", e.0);
        }
    }
}
