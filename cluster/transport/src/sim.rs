//! A simulated cluster of many nodes for the scale figures (issue 21 item 5): each
//! node's real membership ([`Membership`], SWIM with `foca`) and real directory
//! replica ([`Directory`], `crdts`), with no machine, no sockets and no threads. A
//! seeded network delivers every message after a random latency in virtual time, so
//! a run is repeatable and a thousand nodes fit one process. Measured:
//!
//! - **join**: a new node announces itself to one member, until every member holds
//!   it as alive (and it holds them all);
//! - **failure detection**: a node stops (sends and answers nothing), until every
//!   other member has declared it down;
//! - **directory convergence**: a name registered on one node, until every replica
//!   holds it, with the transport's rule for sharing a replica: its whole state to
//!   every member on a change, passed on to `FORWARD` (3) others by every replica it
//!   changed (so about 4n states for n nodes).
//!
//! What it leaves out: the protocol core and its connections (the simulation's
//! network reaches any member directly, as the full mesh of real nodes does), Noise,
//! and the machines.

use crate::directory::Directory;
use crate::membership::{Event, Member, Membership};
use crate::transport::FORWARD;
use std::collections::{BTreeSet, BinaryHeap, HashSet};
use std::net::SocketAddr;

mod net;
pub mod scale;
pub use net::Latency;
use net::{Net, Packet};

#[cfg(test)]
mod tests;

/// One simulated node.
struct Node {
    membership: Membership,
    directory: Directory,
    /// Members this node holds alive.
    alive: BTreeSet<u64>,
    /// Members this node declared down.
    down: BTreeSet<u64>,
    /// It stopped: sends, answers and ticks nothing.
    dead: bool,
    /// The time of its entry in the timer queue (a later entry replaces it).
    booked: u64,
    /// Where the next state passed on starts among its peers.
    forward_turn: u64,
}

/// A simulated cluster.
pub struct Sim {
    nodes: Vec<Node>,
    net: Net,
    /// When each node next has timer work: (time, node), earliest first.
    timers: BinaryHeap<std::cmp::Reverse<(u64, u64)>>,
    /// Virtual time, ns.
    pub now: u64,
    size: u32,
    /// Pairs (smaller id first) that have met: the transport connects two members as
    /// soon as one learns of the other, and each announces itself on the connection.
    linked: HashSet<(u64, u64)>,
    /// Pairs that just met, to announce to each other.
    pending_meets: Vec<(u64, u64)>,
    /// Membership messages delivered.
    pub swim_messages: u64,
    /// Directory states delivered, and their bytes.
    pub directory_messages: u64,
    /// Bytes of those states.
    pub directory_bytes: u64,
}

/// A node's simulated identity (its address and key are made up from its id).
fn member(id: u64, seed: u64) -> Member {
    let mut public_key = [0; 32];
    public_key[..8].copy_from_slice(&id.to_le_bytes());
    Member {
        id,
        incarnation: seed.rotate_left(17) ^ id,
        rejoin: 0,
        address: SocketAddr::from(([10, (id >> 16) as u8, (id >> 8) as u8, id as u8], 7000)),
        public_key,
    }
}

impl Sim {
    /// An empty simulation, for a cluster of about `size` nodes (foca's settings).
    pub fn new(size: u32, seed: u64, latency: Latency) -> Sim {
        Sim {
            nodes: Vec::new(),
            net: Net::new(seed, latency),
            timers: BinaryHeap::new(),
            now: 0,
            size,
            linked: HashSet::new(),
            pending_meets: Vec::new(),
            swim_messages: 0,
            directory_messages: 0,
            directory_bytes: 0,
        }
    }

    /// Adds nodes 1 to `n` that all know each other (a configured cluster, formed).
    pub fn formed_cluster(&mut self, n: u64) {
        let seed = self.net.seed;
        for _ in 0..n {
            self.add(&[]);
        }
        let all: Vec<Member> = (1..=n).map(|id| member(id, seed)).collect();
        // Every pair is connected already (no announces).
        for a in 1..=n {
            for b in a + 1..=n {
                self.linked.insert((a, b));
            }
        }
        let now = self.now;
        for id in 1..=n {
            let others: Vec<Member> = all.iter().filter(|m| m.id != id).cloned().collect();
            self.node(id).membership.know(others, now);
            self.settle(id);
        }
    }

    /// Adds node `len + 1`, which announces itself to `contacts`; its id.
    pub fn add(&mut self, contacts: &[u64]) -> u64 {
        let id = self.nodes.len() as u64 + 1;
        let me = member(id, self.net.seed);
        self.nodes.push(Node {
            membership: Membership::sized(me, self.size),
            directory: Directory::new(id, self.net.seed ^ id),
            alive: BTreeSet::new(),
            down: BTreeSet::new(),
            dead: false,
            booked: u64::MAX,
            forward_turn: self.net.seed ^ id,
        });
        let now = self.now;
        for &c in contacts {
            self.node(id).membership.announce(c, now);
        }
        self.settle(id);
        id
    }

    /// The nodes, 1 to this.
    pub fn len(&self) -> u64 {
        self.nodes.len() as u64
    }

    /// Whether there is no node.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    fn node(&mut self, id: u64) -> &mut Node {
        &mut self.nodes[id as usize - 1]
    }

    /// Stops node `id` for good (a crash: it sends nothing, answers nothing).
    pub fn kill(&mut self, id: u64) {
        self.node(id).dead = true;
    }

    /// Registers `name` on node `id` and shares the change.
    pub fn register(&mut self, id: u64, name: &str) {
        if self.node(id).directory.register(name, 1).is_ok() {
            self.share(id, None);
        }
    }

    /// Whether every live node other than `id` holds `id` alive, and `id` holds them.
    pub fn all_know(&self, id: u64) -> bool {
        let live = |n: &&Node| !n.dead;
        let me = &self.nodes[id as usize - 1];
        (self.nodes.iter().enumerate())
            .filter(|(i, n)| *i as u64 + 1 != id && live(n))
            .all(|(i, n)| n.alive.contains(&id) && me.alive.contains(&(i as u64 + 1)))
    }

    /// Whether every live node has declared `id` down.
    pub fn all_declared_down(&self, id: u64) -> bool {
        (self.nodes.iter().enumerate())
            .filter(|(i, n)| *i as u64 + 1 != id && !n.dead)
            .all(|(_, n)| n.down.contains(&id) && !n.alive.contains(&id))
    }

    /// Whether every live replica holds `name`.
    pub fn all_hold(&self, name: &str) -> bool {
        (self.nodes.iter())
            .filter(|n| !n.dead)
            .all(|n| n.directory.lookup(name).is_some())
    }

    /// Runs until `done` holds (checked after every event) or `limit` ns of virtual
    /// time pass; the time it took, or None.
    pub fn run_until(&mut self, limit: u64, done: impl Fn(&Sim) -> bool) -> Option<u64> {
        let start = self.now;
        while !done(self) {
            let next_timer = self.timers.peek().map(|r| r.0.0);
            let next_packet = self.net.next_time();
            let t = match (next_timer, next_packet) {
                (None, None) => return None,
                (a, b) => a.unwrap_or(u64::MAX).min(b.unwrap_or(u64::MAX)),
            };
            if t > start + limit {
                self.now = start + limit;
                return None;
            }
            self.now = t;
            if next_packet == Some(t) {
                if let Some(p) = self.net.pop() {
                    self.deliver(p);
                }
            } else if let Some(std::cmp::Reverse((at, id))) = self.timers.pop() {
                let n = self.node(id);
                if !n.dead && n.booked == at {
                    n.booked = u64::MAX;
                    let now = self.now;
                    self.node(id).membership.tick(now);
                    self.settle(id);
                }
            }
        }
        Some(self.now - start)
    }

    /// Hands a packet to its node.
    fn deliver(&mut self, p: Packet) {
        if self.node(p.to).dead {
            return;
        }
        let now = self.now;
        match p.swim {
            true => {
                self.swim_messages += 1;
                let key = member(p.from, self.net.seed).public_key;
                self.node(p.to)
                    .membership
                    .receive(p.from, &key, &p.bytes, now);
                self.settle(p.to);
            }
            false => {
                self.directory_messages += 1;
                self.directory_bytes += p.bytes.len() as u64;
                if self.node(p.to).directory.merge(&p.bytes) == Ok(true) {
                    self.share(p.to, Some(p.from));
                }
            }
        }
    }

    /// Carries out what node `id`'s membership asks, and books its next timer.
    fn settle(&mut self, id: u64) {
        let now = self.now;
        let events = self.node(id).membership.take_events();
        for e in events {
            match e {
                Event::Send(to, bytes) => self.net.send(id, to, true, bytes, now),
                Event::Up(m) => {
                    let n = self.node(id);
                    n.alive.insert(m.id);
                    n.down.remove(&m.id);
                    self.meet(id, m.id);
                }
                Event::Down(m) => {
                    let n = self.node(id);
                    n.alive.remove(&m.id);
                    n.down.insert(m.id);
                }
            }
        }
        for (a, b) in std::mem::take(&mut self.pending_meets) {
            for (x, y) in [(a, b), (b, a)] {
                if !self.node(x).dead {
                    self.node(x).membership.announce(y, now);
                    self.settle(x);
                }
            }
        }
        let n = self.node(id);
        if let Some(at) = n.membership.next_deadline().map(|at| at.max(now)) {
            if at < n.booked {
                n.booked = at;
                self.timers.push(std::cmp::Reverse((at, id)));
            }
        }
    }

    /// `a` learnt of `b`: if they never met, they connect (a latency later) and each
    /// announces itself to the other, as the transport does on a peer coming up.
    fn meet(&mut self, a: u64, b: u64) {
        let pair = (a.min(b), a.max(b));
        if a == b || self.linked.contains(&pair) || b > self.len() {
            return;
        }
        self.linked.insert(pair);
        self.pending_meets.push((a, b));
    }

    /// Sends node `id`'s directory state as the transport does: to every member it
    /// holds alive when it changed it, passing on what it learnt from `except` to
    /// [`FORWARD`] of the others, taking turns.
    fn share(&mut self, id: u64, except: Option<u64>) {
        let now = self.now;
        let Some(state) = self.node(id).directory.state() else {
            return;
        };
        let n = self.node(id);
        let mut peers: Vec<u64> = (n.alive.iter().copied())
            .filter(|&p| Some(p) != except)
            .collect();
        if except.is_some() && peers.len() > FORWARD {
            n.forward_turn = n.forward_turn.wrapping_add(FORWARD as u64);
            let start = (n.forward_turn % peers.len() as u64) as usize;
            peers.rotate_left(start);
            peers.truncate(FORWARD);
        }
        for to in peers {
            self.net.send(id, to, false, state.clone(), now);
        }
    }
}
