//! What a process a cluster node spawns finds when it starts (docs/cluster.md, "Remote
//! process creation"): the module's export [`SPAWN_ENTRY`] runs with the requester's
//! argument; its CSpace is a CNode of its own whose fixed slots are below; its memory
//! is the module's initial memory plus one 64 KiB page, at whose start lies the spawn
//! information ([`INFO_MAGIC`] and the words after it) and 4 KiB above it the IPC
//! buffer. The spawn itself is a Call on a node's name cap with label [`SPAWN`].

use crate::Word;

/// Label of a Call on the name cap: start a process. MR0 the node (0: this one), MR1
/// the untyped pool on that node to charge (0 ..= [`POOLS`] - 1), MR2 the argument
/// the process's entry receives, MR3 the module's name length (0: the node store's
/// first module), the name packed little-endian 8 bytes a register after it. The
/// answer: label 0, MR0 the node, MR1 the object the process's endpoint is exported
/// as, MR2 the node's incarnation, and a cap to that endpoint as extra cap 0 (a proxy
/// for another node's); or `REMOTE_ERROR_LABEL | ERROR_*`, MR0 the node.
pub const SPAWN: Word = 7;
/// The export a spawned module starts at: a function of one `i64`, the argument.
pub const SPAWN_ENTRY: &str = "cluster_start";
/// Untyped pools a node charges spawns to; each is claimed by the first node that
/// names it (another node naming it is refused `ERROR_NO_SUCH_OBJECT`).
pub const POOLS: Word = 4;
/// log2 bytes of a pool (8 MiB).
pub const POOL_BITS: Word = 23;

/// Slot of the process's CNode: its TCB.
pub const SLOT_TCB: Word = 1;
/// Slot: its CNode (guard set so that 64-bit CPtrs resolve in it).
pub const SLOT_CNODE: Word = 2;
/// Slot: its VSpace.
pub const SLOT_VSPACE: Word = 3;
/// Slot: its endpoint, with every right (the requester's cap names it): it receives on it.
pub const SLOT_ENDPOINT: Word = 4;
/// Slot: a copy of its node's name cap (register, lookup, release, restrict, spawn).
pub const SLOT_NAME_CAP: Word = 5;
/// First of the empty slots the process may use (to receive caps, say).
pub const SLOT_FREE: Word = 16;
/// One past the last of them.
pub const SLOT_FREE_END: Word = 32;

/// Word 0 of the spawn information.
pub const INFO_MAGIC: Word = 0x4e57_4150_5356_4c53;
/// Word: the node the process runs on.
pub const INFO_NODE: usize = 1;
/// Word: the argument (as the entry received it).
pub const INFO_ARGUMENT: usize = 2;
/// Word: the node that asked for the process.
pub const INFO_REQUESTER: usize = 3;
/// Word: the cluster's size (its highest node id).
pub const INFO_NODES: usize = 4;
/// Words of the spawn information.
pub const INFO_WORDS: usize = 5;
