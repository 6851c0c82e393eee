//! A cluster's description (`cluster.toml`): every node's id, TCP address and Noise
//! static public key, the private key of the node reading it, and optionally the
//! cluster's join key (a secret every member's file holds: with it, nodes a file does
//! not list may join, docs/cluster.md's trust model). A joining node's file lists
//! itself and at least one running member. Checked whole on load, each problem
//! reported with where it is:
//!
//! ```toml
//! join_key = "64 hex digits"      # optional; or join_key_file
//! shm = false                     # optional: never shared rings, even on one host
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
/// Highest node id.
pub use selvm_cluster_proto::core::MAX_NODE_ID;

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

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default = "yes")]
    shm: bool,
    join_key: Option<String>,
    join_key_file: Option<PathBuf>,
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

/// The cluster as one node's file describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterConfig {
    /// Every node listed, in id order (ids 1 to [`MAX_NODE_ID`], none repeated; a
    /// cluster that nodes join may leave gaps).
    pub nodes: Vec<NodeConfig>,
    /// The cluster's join key: every connection then also proves it (Noise's PSK),
    /// and a peer that does, with a key no listed node has, may join.
    pub join_key: Option<[u8; 32]>,
    /// Whether this node may talk to a peer on its host through shared-memory rings
    /// (`crate::shm`) instead of TCP: true unless the file says `shm = false`. The
    /// transport decides per connection (the peer must prove it shares the host).
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
        let join_key = match (&raw.join_key, &raw.join_key_file) {
            (Some(_), Some(_)) => return err("give join_key or join_key_file, not both"),
            (Some(k), None) => Some(k.clone()),
            (None, Some(file)) => Some(
                std::fs::read_to_string(base.join(file))
                    .or_else(|e| err(format!("join_key_file {}: {e}", file.display())))?,
            ),
            (None, None) => None,
        };
        let join_key = match join_key {
            Some(k) => Some(
                parse_key(&k).ok_or_else(|| ConfigError("join_key is not 64 hex digits".into()))?,
            ),
            None => None,
        };
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
            if n.id == 0 || n.id > MAX_NODE_ID {
                return err(format!("node {}: ids are 1 to {MAX_NODE_ID}", n.id));
            }
            if i > 0 && nodes[i - 1].id == n.id {
                return err(format!("node {} is listed twice", n.id));
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
            join_key,
            shm: raw.shm,
        })
    }

    /// Node `id`, if the file lists it.
    pub fn node(&self, id: u64) -> Option<&NodeConfig> {
        self.nodes.iter().find(|n| n.id == id)
    }

    /// The highest id listed (the cluster's size when ids are 1 to N).
    pub fn highest_id(&self) -> u64 {
        self.nodes.last().map_or(0, |n| n.id)
    }

    /// The name every node of this cluster on one host gives its shared frames'
    /// file (`crate::frames`): from the join key when there is one (every member's file
    /// holds it), else from the public keys listed (every node's file lists them all).
    /// 16 hex digits of SipHash with fixed keys, the same in every process of a build.
    pub fn frames_tag(&self) -> String {
        use std::hash::{Hash, Hasher};
        let mut h = std::hash::DefaultHasher::new();
        match self.join_key {
            Some(k) => k.hash(&mut h),
            None => self.nodes.iter().for_each(|n| n.public_key.hash(&mut h)),
        }
        format!("{:016x}", h.finish())
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
        if !self.shm {
            out += "shm = false\n";
        }
        if let Some(k) = self.join_key {
            out += &format!("join_key = \"{}\"\n", key_hex(&k));
        }
        if !out.is_empty() {
            out += "\n";
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
        assert!(c.shm, "shared rings are allowed unless the file says no");
        let tcp = parse(&format!("shm = false\n{text}")).unwrap();
        assert!(!tcp.shm);
        assert_eq!(parse(&tcp.to_toml()).unwrap(), tcp);
        assert!(parse(&format!("shm = true\n{text}")).unwrap().shm);
        // A joining node's file: itself (4) and one member (1), and the join key.
        let join =
            format!("join_key = \"{KEY_A}\"\n") + &node(4, 7004, KEY_B) + &node(1, 7001, KEY_A);
        let j = parse(&join).unwrap();
        assert_eq!(j.join_key, Some([1; 32]));
        assert_eq!(
            (j.highest_id(), j.node(4).map(|n| n.id), j.node(2)),
            (4, Some(4), None)
        );
        assert_eq!(parse(&j.to_toml()).unwrap(), j);
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        let cases = [
            ("", "node"),
            (
                &(node(1, 7001, KEY_A) + &node(1, 7003, KEY_B)),
                "node 1 is listed twice",
            ),
            (&node(0, 7001, KEY_A), "ids are 1 to 65535"),
            (
                &("join_key = \"zz\"\n".to_string() + &node(1, 7001, KEY_A)),
                "join_key is not 64 hex digits",
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
