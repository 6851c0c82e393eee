//! Remote Call/Reply state of one node, sans-IO. Inputs: what the guest transmitted
//! ([`Core::from_guest`]), a peer's frame ([`Core::from_peer`]), a connection made or
//! lost ([`Core::connected`], [`Core::disconnected`]) and time ([`Core::tick`]). Outputs
//! ([`Core::poll_output`]): messages for the guest, frames for peers, connections to
//! drop.
//!
//! The rule that makes a remote Call never hang: every Call the guest makes ends in
//! exactly one message back, its peer's Reply or an Error — `ERROR_PEER_DOWN` when the
//! peer's connection is lost, it says Goodbye, it is silent for `peer_timeout_ns`
//! while a call waits on it, or it comes back as a new incarnation, and at once for
//! a call to a node of the cluster that is not up; `ERROR_TIMEOUT` at the call's deadline;
//! `ERROR_NO_SUCH_NODE` at once for a number that names no other node (a node of the
//! cluster is one its configuration lists or one that has connected: the transport
//! connects only members, configured or joined). A reply that comes
//! after its call ended is dropped, and so is the guest's reply to a caller that died
//! meanwhile. A Call or Send whose object word pins a life of the destination
//! (`OBJECT_LIFE_SHIFT`) that is not the one up fails with `ERROR_STALE` at once (a
//! Send is dropped): the frame goes on the connection to exactly the life the core
//! checked, so a stale proxy never reaches the new life's objects; the frame carries
//! the object number alone.

use crate::guest::{BadMessage, Message};
use crate::wire::{Body, Frame, Payload};
use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;
use selvm_abi::vm::network::{
    ERROR_BAD_MESSAGE, ERROR_NO_SUCH_NODE, ERROR_PEER_DOWN, ERROR_STALE, ERROR_TIMEOUT, MSG_CALL,
    MSG_ERROR, MSG_NODE_DOWN, MSG_NODE_UP, MSG_REPLY, MSG_SEND, OBJECT_LIFE_SHIFT,
};

/// The part of an incarnation a proxy pins (the object word's bits above the object).
pub const LIFE_MASK: u64 = (1 << (64 - OBJECT_LIFE_SHIFT)) - 1;

/// The life `incarnation` as an object word pins it (never 0, which means any life).
pub fn pinned_life(incarnation: u64) -> u64 {
    match incarnation & LIFE_MASK {
        0 => 1,
        life => life,
    }
}

/// Highest node id (ids are 1 to this; a proxy's badge holds it above the object).
pub const MAX_NODE_ID: u64 = 65_535;

/// The protocol's times, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// A call with no reply by then fails with `ERROR_TIMEOUT`.
    pub call_deadline_ns: u64,
    /// While a call is outstanding between two nodes (either way), a heartbeat goes
    /// to the peer nothing else was sent to for this long. An idle link sends none:
    /// membership (SWIM, in the host) watches idle members at a rate per node, not per
    /// pair.
    pub heartbeat_ns: u64,
    /// A peer this node waits on (a call to it outstanding, or its Hello not come
    /// yet) heard nothing from for this long is down.
    pub peer_timeout_ns: u64,
}

impl Default for Timeouts {
    /// 5 s per call (the bound after a kill), heartbeats every 250 ms, a peer
    /// silent for 1.5 s is down.
    fn default() -> Self {
        Timeouts {
            call_deadline_ns: 5_000_000_000,
            heartbeat_ns: 250_000_000,
            peer_timeout_ns: 1_500_000_000,
        }
    }
}

/// Something the host must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Put this message (device bytes) in the guest's receive ring.
    Guest(Vec<u8>),
    /// Send this frame's bytes to the peer.
    Peer(u64, Vec<u8>),
    /// Close the connection to the peer (it broke the protocol, or went silent).
    Disconnect(u64),
    /// The peer came up (its Hello arrived): the host's directory sends it its state.
    PeerUp(u64),
    /// The peer's replica of the name directory arrived (the host merges it).
    Directory(u64, Vec<u8>),
    /// A membership (SWIM) message from the peer arrived (the host's `foca` reads it).
    Swim(u64, Vec<u8>),
}

/// What this node knows of another.
#[derive(Debug, Default)]
struct Peer {
    /// A connection is open and authenticated.
    connected: bool,
    /// Its Hello arrived on this connection: calls may go to it.
    up: bool,
    /// Its incarnation, from its last Hello.
    incarnation: Option<u64>,
    /// Next sequence number sent, and expected, on this connection.
    seq_out: u64,
    seq_in: u64,
    last_heard_ns: u64,
    last_sent_ns: u64,
}

/// A call this node's guest made, waiting for its reply.
#[derive(Debug)]
struct Pending {
    node: u64,
    deadline_ns: u64,
}

/// One node's protocol state.
#[derive(Debug)]
pub struct Core {
    me: u64,
    incarnation: u64,
    nodes: u64,
    timeouts: Timeouts,
    peers: BTreeMap<u64, Peer>,
    /// Calls out, by the guest's call id.
    pending: BTreeMap<u64, Pending>,
    /// Calls in, served by the guest: (caller node, its call id) -> its incarnation.
    serving: BTreeMap<(u64, u64), u64>,
    out: VecDeque<Output>,
    /// Guest messages refused as malformed (counted, answered when they were calls).
    pub bad_guest_messages: u64,
    /// Frames from peers refused as malformed or out of order.
    pub bad_frames: u64,
}

impl Core {
    /// Node `me` (of `nodes`, ids 1..=nodes) in its life `incarnation`.
    pub fn new(me: u64, incarnation: u64, nodes: u64, timeouts: Timeouts) -> Core {
        Core {
            me,
            incarnation,
            nodes,
            timeouts,
            peers: BTreeMap::new(),
            pending: BTreeMap::new(),
            serving: BTreeMap::new(),
            out: VecDeque::new(),
            bad_guest_messages: 0,
            bad_frames: 0,
        }
    }

    /// The next thing to do, if any.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// Whether `node` is up (connected, its Hello received).
    pub fn is_up(&self, node: u64) -> bool {
        self.peers.get(&node).is_some_and(|p| p.up)
    }

    /// The incarnation of `node` while it is up.
    pub fn incarnation_of(&self, node: u64) -> Option<u64> {
        self.peers.get(&node).filter(|p| p.up)?.incarnation
    }

    /// Calls waiting for a reply.
    pub fn pending_calls(&self) -> usize {
        self.pending.len()
    }

    /// Whether any call is in flight through this node: its guest's calls waiting for a
    /// reply, or peers' calls its guest is serving.
    pub fn calls_in_flight(&self) -> bool {
        !self.pending.is_empty() || !self.serving.is_empty()
    }

    /// When [`Core::tick`] next has work: the earliest call deadline, heartbeat or
    /// peer timeout (none for an idle cluster: nothing then wakes the host).
    pub fn next_deadline(&self) -> Option<u64> {
        let calls = self.pending.values().map(|p| p.deadline_ns);
        let t = self.timeouts;
        let peers = (self.peers.iter()).flat_map(|(&n, p)| {
            let (watched, busy) = self.watch(n, p);
            [
                busy.then_some(p.last_sent_ns + t.heartbeat_ns),
                watched.then_some(p.last_heard_ns + t.peer_timeout_ns),
            ]
        });
        calls.chain(peers.flatten()).min()
    }

    /// Whether this node waits on `node` (its silence is watched), and whether a call
    /// is outstanding between the two either way (heartbeats flow). A connected link
    /// with neither is idle: no frame, no deadline.
    fn watch(&self, node: u64, p: &Peer) -> (bool, bool) {
        if !p.connected {
            return (false, false);
        }
        let waits = self.pending.values().any(|c| c.node == node);
        let serves = (self.serving.range((node, 0)..=(node, u64::MAX)))
            .next()
            .is_some();
        (!p.up || waits, p.up && (waits || serves))
    }

    /// An authenticated connection to `node` is open: greet it. The transport vouches
    /// that `node` is a member (configured, or joined with the cluster's key).
    pub fn connected(&mut self, node: u64, now: u64) {
        if node == self.me || node == 0 || node > MAX_NODE_ID {
            self.out.push_back(Output::Disconnect(node));
            return;
        }
        let p = self.peers.entry(node).or_default();
        *p = Peer {
            connected: true,
            incarnation: p.incarnation,
            last_heard_ns: now,
            ..Peer::default()
        };
        let hello = Body::Hello { nodes: self.nodes };
        self.send(node, hello, now);
    }

    /// The connection to `node` is gone.
    pub fn disconnected(&mut self, node: u64) {
        if let Some(p) = self.peers.get_mut(&node) {
            p.connected = false;
        }
        self.down(node);
    }

    /// A frame from the peer authenticated as `node`.
    pub fn from_peer(&mut self, node: u64, bytes: &[u8], now: u64) {
        let Some(p) = self.peers.get_mut(&node).filter(|p| p.connected) else {
            return;
        };
        let frame = match Frame::decode(bytes) {
            Ok(f) if f.from == node && f.seq == p.seq_in => f,
            _ => return self.broken(node),
        };
        p.seq_in += 1;
        p.last_heard_ns = now;
        match frame.body {
            Body::Hello { .. } => {
                if p.up {
                    return self.broken(node);
                }
                if p.incarnation.is_some_and(|i| i != frame.incarnation) {
                    // A new life: what was pending on the old one is gone (it was
                    // already failed when the old connection dropped).
                    self.serving.retain(|&(n, _), _| n != node);
                }
                p.incarnation = Some(frame.incarnation);
                p.up = true;
                self.out
                    .push_back(Output::Guest(Message::event(MSG_NODE_UP, node).encode()));
                self.out.push_back(Output::PeerUp(node));
            }
            _ if !p.up || p.incarnation != Some(frame.incarnation) => self.broken(node),
            Body::Heartbeat => {}
            Body::Goodbye => self.down(node),
            Body::Call(c) => {
                self.serving.insert((node, c.call_id), frame.incarnation);
                self.for_guest(MSG_CALL, node, c);
            }
            Body::Send(s) => self.for_guest(MSG_SEND, node, s),
            Body::Directory(state) => self.out.push_back(Output::Directory(node, state)),
            Body::Swim(message) => self.out.push_back(Output::Swim(node, message)),
            Body::Reply(r) => {
                if self.pending.get(&r.call_id).is_some_and(|c| c.node == node) {
                    self.pending.remove(&r.call_id);
                    self.for_guest(MSG_REPLY, node, r);
                }
            }
        }
    }

    /// A message the guest transmitted.
    pub fn from_guest(&mut self, bytes: &[u8], now: u64) {
        let m = match Message::decode_from_guest(bytes) {
            Ok(m) => m,
            Err(e) => return self.refuse(bytes, e),
        };
        let life = m.object >> OBJECT_LIFE_SHIFT;
        let stale = life != 0
            && (m.kind == MSG_CALL || m.kind == MSG_SEND)
            && (self.incarnation_of(m.node)).is_some_and(|i| pinned_life(i) != life);
        let payload = Payload {
            call_id: m.call_id,
            object: m.object & ((1 << OBJECT_LIFE_SHIFT) - 1),
            label: m.label,
            mrs: m.mrs,
        };
        match m.kind {
            MSG_CALL if self.pending.contains_key(&m.call_id) => {
                self.bad_guest_messages += 1;
                self.error(m.node, m.call_id, ERROR_BAD_MESSAGE);
            }
            MSG_CALL if stale => self.error(m.node, m.call_id, ERROR_STALE),
            MSG_SEND if stale => {}
            MSG_CALL if !self.is_up(m.node) => {
                // A node of the cluster that is not up is down (not connected yet,
                // dead, cut off); any other number names no node.
                let member = m.node != self.me
                    && ((1..=self.nodes).contains(&m.node) || self.peers.contains_key(&m.node));
                let code = if member {
                    ERROR_PEER_DOWN
                } else {
                    ERROR_NO_SUCH_NODE
                };
                self.error(m.node, m.call_id, code);
            }
            MSG_CALL => {
                if !self.pending.values().any(|c| c.node == m.node) {
                    // An idle link sent no heartbeats: silence counts from now.
                    if let Some(p) = self.peers.get_mut(&m.node) {
                        p.last_heard_ns = p.last_heard_ns.max(now);
                    }
                }
                let deadline_ns = now + self.timeouts.call_deadline_ns;
                let pending = Pending {
                    node: m.node,
                    deadline_ns,
                };
                self.pending.insert(m.call_id, pending);
                self.send(m.node, Body::Call(payload), now);
            }
            MSG_SEND if self.is_up(m.node) => self.send(m.node, Body::Send(payload), now),
            MSG_SEND => {}
            _ => {
                // A reply reaches the caller only if it is the same life that called.
                let caller = self.peers.get(&m.node).and_then(|p| p.incarnation);
                let called = self.serving.remove(&(m.node, m.call_id));
                if called.is_some() && called == caller && self.is_up(m.node) {
                    self.send(m.node, Body::Reply(payload), now);
                }
            }
        }
    }

    /// Time is `now`: calls past their deadline fail, silent peers this node waits on
    /// are down, quiet connections with a call outstanding get a heartbeat.
    pub fn tick(&mut self, now: u64) {
        let late: Vec<u64> = (self.pending.iter())
            .filter(|(_, c)| now >= c.deadline_ns)
            .map(|(&id, _)| id)
            .collect();
        for id in late {
            if let Some(c) = self.pending.remove(&id) {
                self.error(c.node, id, ERROR_TIMEOUT);
            }
        }
        let t = self.timeouts;
        let peers: Vec<(u64, bool, bool)> = (self.peers.iter())
            .map(|(&n, p)| {
                let (watched, busy) = self.watch(n, p);
                let silent = watched && now >= p.last_heard_ns + t.peer_timeout_ns;
                let quiet = busy && now >= p.last_sent_ns + t.heartbeat_ns;
                (n, silent, quiet)
            })
            .collect();
        for (node, silent, quiet) in peers {
            if silent {
                self.broken(node);
            } else if quiet {
                self.send(node, Body::Heartbeat, now);
            }
        }
    }

    /// Sends this node's directory replica `state` to `node` if it is up (the host's
    /// directory does, when a peer comes up and when the replica changes).
    pub fn send_directory(&mut self, node: u64, state: Vec<u8>, now: u64) {
        if self.is_up(node) {
            self.send(node, Body::Directory(state), now);
        }
    }

    /// Sends a membership (SWIM) message to `node` if it is up (else it is lost, as
    /// SWIM allows).
    pub fn send_swim(&mut self, node: u64, message: Vec<u8>, now: u64) {
        if self.is_up(node) {
            self.send(node, Body::Swim(message), now);
        }
    }

    /// The membership protocol declared `node` down (it stopped answering probes, its
    /// own and other nodes'): its connection is dropped and its calls fail, as when
    /// it goes silent; the transport dials it again if it is reachable.
    pub fn member_down(&mut self, node: u64) {
        if self.peers.get(&node).is_some_and(|p| p.connected) {
            self.broken(node);
        }
    }

    /// The nodes that are up.
    pub fn up_nodes(&self) -> Vec<u64> {
        (self.peers.iter())
            .filter(|(_, p)| p.up)
            .map(|(&n, _)| n)
            .collect()
    }

    /// Says Goodbye to every connected peer (a clean stop).
    pub fn leave(&mut self, now: u64) {
        let nodes: Vec<u64> = (self.peers.iter())
            .filter(|(_, p)| p.connected)
            .map(|(&n, _)| n)
            .collect();
        for node in nodes {
            self.send(node, Body::Goodbye, now);
        }
    }

    fn send(&mut self, node: u64, body: Body, now: u64) {
        let Some(p) = self.peers.get_mut(&node) else {
            return;
        };
        let frame = Frame {
            from: self.me,
            incarnation: self.incarnation,
            seq: p.seq_out,
            body,
        };
        p.seq_out += 1;
        p.last_sent_ns = now;
        self.out.push_back(Output::Peer(node, frame.encode()));
    }

    fn for_guest(&mut self, kind: u64, node: u64, p: Payload) {
        let m = Message {
            kind,
            node,
            call_id: p.call_id,
            object: p.object,
            label: p.label,
            mrs: p.mrs,
        };
        self.out.push_back(Output::Guest(m.encode()));
    }

    fn error(&mut self, node: u64, call_id: u64, code: u64) {
        let m = Message {
            call_id,
            label: code,
            ..Message::event(MSG_ERROR, node)
        };
        self.out.push_back(Output::Guest(m.encode()));
    }

    /// A malformed guest message: if it still says it is a call, its caller gets an
    /// error (so the guest's bookkeeping cannot hang on it).
    fn refuse(&mut self, bytes: &[u8], _why: BadMessage) {
        self.bad_guest_messages += 1;
        let word = |i: usize| {
            let w = bytes.get(i * 8..i * 8 + 8)?;
            Some(u64::from_le_bytes(w.try_into().ok()?))
        };
        if word(0) == Some(MSG_CALL) {
            if let (Some(node), Some(id)) = (word(1), word(2)) {
                self.error(node, id, ERROR_BAD_MESSAGE);
            }
        }
    }

    /// The peer broke the protocol or went silent: drop its connection.
    fn broken(&mut self, node: u64) {
        self.bad_frames += 1;
        if let Some(p) = self.peers.get_mut(&node) {
            p.connected = false;
        }
        self.out.push_back(Output::Disconnect(node));
        self.down(node);
    }

    /// `node` is down: its calls fail, calls from it are forgotten.
    fn down(&mut self, node: u64) {
        let Some(p) = self.peers.get_mut(&node) else {
            return;
        };
        let was_up = core::mem::replace(&mut p.up, false);
        let failed: Vec<u64> = (self.pending.iter())
            .filter(|(_, c)| c.node == node)
            .map(|(&id, _)| id)
            .collect();
        for id in failed {
            self.pending.remove(&id);
            self.error(node, id, ERROR_PEER_DOWN);
        }
        self.serving.retain(|&(n, _), _| n != node);
        if was_up {
            self.out
                .push_back(Output::Guest(Message::event(MSG_NODE_DOWN, node).encode()));
        }
    }
}

#[cfg(test)]
mod tests;
