//! The cluster-wide name directory: one replica per node, in the node's host process
//! (next to the transport, behind the network device), kept with the `crdts` crate. A
//! name maps to what registered it: a node, that node's incarnation and an object it
//! exports. The state is an observed-remove map (`crdts::Map`) of multi-value registers
//! (`crdts::MVReg`), so:
//!
//! - replicas merge by a join: merging is commutative, associative and idempotent, so
//!   any two replicas that have received each other's states (in any order, any number
//!   of times, through any other replica) hold the same directory — no leader, no
//!   quorum, and a partition only delays convergence;
//! - a name registered concurrently on two nodes keeps both values until one of them
//!   writes again; [`Directory::lookup`] answers the greatest (node, incarnation,
//!   object), the same on every replica;
//! - a removal removes what its replica had seen; a concurrent register wins
//!   (add-wins), so a re-registration is never lost to an older removal.
//!
//! Every life of a node is its own actor (node, incarnation): a restarted node starts
//! with an empty replica and a fresh actor, so its new writes never reuse the version
//! counters its old life spent (which peers have already seen), and it learns the rest
//! from its peers' states. States travel whole (postcard-encoded) in the protocol core's
//! Directory frames; [`Directory::merge`] refuses bytes that are not a state, a state
//! with too many names, or one `crdts` finds inconsistent.

use crdts::{CmRDT, CvRDT, MVReg, Map};
use selvm_abi::vm::network::NAME_MAX;
use selvm_cluster_proto::wire::DIRECTORY_MAX;
use serde::{Deserialize, Serialize};

/// Most names a replica holds (so its state fits one Directory frame).
pub const MAX_NAMES: usize = 128;

/// A replica's actor: (node, incarnation).
type Actor = (u64, u64);
type State = Map<String, MVReg<Entry, Actor>, Actor>;

/// What a name stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Entry {
    /// The node that registered it.
    pub node: u64,
    /// That node's incarnation when it did.
    pub incarnation: u64,
    /// The object it exports under the name.
    pub object: u64,
}

/// Why a request or a peer's state was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectoryError {
    /// The name is empty or longer than `NAME_MAX` bytes.
    BadName,
    /// The directory holds [`MAX_NAMES`] names already.
    Full,
    /// A peer's bytes are not a directory state.
    Malformed(String),
}

/// One node's replica.
#[derive(Debug)]
pub struct Directory {
    me: Actor,
    state: State,
}

impl Directory {
    /// The empty replica of node `node` in its life `incarnation`.
    pub fn new(node: u64, incarnation: u64) -> Directory {
        Directory {
            me: (node, incarnation),
            state: State::new(),
        }
    }

    /// Registers `name` for `object` of this node (replacing what this replica had
    /// under it).
    pub fn register(&mut self, name: &str, object: u64) -> Result<Entry, DirectoryError> {
        if name.is_empty() || name.len() > NAME_MAX {
            return Err(DirectoryError::BadName);
        }
        let known = self.state.get(&name.to_string()).val.is_some();
        if !known && self.len() >= MAX_NAMES {
            return Err(DirectoryError::Full);
        }
        let entry = Entry {
            node: self.me.0,
            incarnation: self.me.1,
            object,
        };
        let ctx = self.state.read_ctx().derive_add_ctx(self.me);
        let op = self
            .state
            .update(name, ctx, |reg, ctx| reg.write(entry, ctx));
        self.state.apply(op);
        Ok(entry)
    }

    /// Removes `name` as this replica has seen it; false when it had no such name.
    pub fn remove(&mut self, name: &str) -> bool {
        let key = name.to_string();
        let read = self.state.get(&key);
        if read.val.is_none() {
            return false;
        }
        let op = self.state.rm(key, read.derive_rm_ctx());
        self.state.apply(op);
        true
    }

    /// What `name` stands for in this replica: of concurrent registrations, the
    /// greatest (node, incarnation, object), as every replica answers.
    pub fn lookup(&self, name: &str) -> Option<Entry> {
        let reg = self.state.get(&name.to_string()).val?;
        reg.read().val.into_iter().max()
    }

    /// Names held.
    pub fn len(&self) -> usize {
        self.state.len().val
    }

    /// Whether it holds no name.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every name and what it stands for, in name order.
    pub fn entries(&self) -> Vec<(String, Entry)> {
        (self.state.keys())
            .filter_map(|k| Some((k.val.clone(), self.lookup(k.val)?)))
            .collect()
    }

    /// The replica's state for a peer; None when it would not fit a frame.
    pub fn state(&self) -> Option<Vec<u8>> {
        postcard::to_allocvec(&self.state)
            .ok()
            .filter(|s| s.len() <= DIRECTORY_MAX)
    }

    /// Merges a peer's state; true when this replica changed.
    pub fn merge(&mut self, bytes: &[u8]) -> Result<bool, DirectoryError> {
        let bad = |e: String| DirectoryError::Malformed(e);
        let other: State = postcard::from_bytes(bytes).map_err(|e| bad(e.to_string()))?;
        if other.len().val > MAX_NAMES {
            return Err(bad(format!("more than {MAX_NAMES} names")));
        }
        if let Some((k, _)) = (other.iter().map(|e| e.val)).find(|(k, _)| k.len() > NAME_MAX) {
            return Err(bad(format!("a name of {} bytes", k.len())));
        }
        self.state
            .validate_merge(&other)
            .map_err(|e| bad(format!("{e:?}")))?;
        // Changed: a dot not seen before, or another answer for some name. Not
        // `State`'s `!=`: crdts 7.3's MVReg comparison asserts that no value appears
        // twice in a register, and merges between honest replicas were seen to make
        // one that does (64 nodes starting at once: the node panicked).
        let (clock, entries) = (self.state.len().add_clock, self.entries());
        self.state.merge(other);
        Ok(self.state.len().add_clock != clock || self.entries() != entries)
    }
}

#[cfg(test)]
mod tests;
