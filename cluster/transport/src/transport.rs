//! A node's transport: its listening socket, one Noise connection per peer, and the
//! protocol core, all on the caller's thread (mio readiness polling; no async runtime
//! and no thread hand-offs, so a message costs no cross-thread wake-up). The node's
//! driver alternates running its machine with [`Transport::poll`], handing over what
//! the guest transmitted ([`Transport::from_guest`]) and taking what it must receive
//! ([`Transport::take_for_guest`]).
//!
//! Connections: every node listens at its configured address; a node dials each node
//! with a smaller id (so a pair has one connection), and dials again every
//! [`REDIAL`] while that peer is unreachable. A connection counts once its Noise
//! handshake proved the peer holds the private key of a node's configured public key
//! (and, on a dialled connection, the node dialled); any other peer is logged and
//! dropped, and so is a handshake that does not finish within [`HANDSHAKE_LIMIT`].
//!
//! Co-located peers ([`colocated`]): once the handshake has authenticated a peer that
//! looks local (loopback, or this host's own address), the dialling side makes a
//! shared-memory region ([`crate::shm`]) and offers it in one Noise record (a record
//! starting with byte 0, which no frame does); the accepting side opens it, proving it
//! shares the host, answers, and from then on both send their frames through its
//! rings; otherwise, or with `shm = false` on either side, TCP. The TCP connection
//! stays open and silent: its end (the OS closes it when a process dies) is the
//! peer's death.
//!
//! Membership ([`crate::membership`], SWIM with `foca`): a peer that comes up is
//! announced to; foca's messages travel in the core's Swim frames; a member foca
//! declares down is dropped (its calls fail, as for a silent peer). With a join key
//! in the configuration every connection also proves the key (Noise PSK), and a peer
//! that does, with a static key no listed or known member has, joins under the node
//! id its first frame gives (a listed id keeps its listed key); members learnt through
//! SWIM are dialled and authenticated like listed ones. So a node its configuration
//! does not list can join a running cluster through any one member.
//!
//! The node's replica of the name directory ([`crate::directory`]) lives here too: the
//! guest's register, lookup and remove requests are answered from it at once, and its
//! state goes to every peer that comes up and, whenever it changes, to every peer up
//! (a replica that learnt something from a peer passes it on).

use crate::config::{ClusterConfig, key_hex};
use crate::conn::{Conn, Event};
use crate::directory::{Directory, DirectoryError};
use crate::faults::{Dice, Faults};
use crate::membership::{Member, Membership};

mod colocated;
mod peers;
use mio::net::{TcpListener, TcpStream};
#[cfg(unix)]
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use selvm_abi::vm::network::{
    ERROR_BAD_MESSAGE, ERROR_NO_SUCH_NAME, MSG_ERROR, MSG_LOOKUP, MSG_REGISTER, MSG_REPLY,
};
use selvm_cluster_proto::guest::{Message, NameRequest};
use selvm_cluster_proto::{Core, Output, Timeouts};
use std::collections::{HashMap, VecDeque};
use std::io;
#[cfg(unix)]
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

/// Time between attempts to reach an unreachable peer.
pub const REDIAL: Duration = Duration::from_millis(200);
/// Peers a replica passes a directory state it learnt on to.
pub const FORWARD: usize = 3;
/// Longest a handshake may take.
pub const HANDSHAKE_LIMIT: Duration = Duration::from_secs(5);
const LISTENER: Token = Token(0);
/// A connection's token with this bit: its shared ring's doorbell.
const BELL: usize = 1 << (usize::BITS - 2);
/// How long an idle transport with co-located peers polls their rings before it
/// sleeps (so a reply that comes within it costs no wake-up).
pub const SPIN: Duration = Duration::from_micros(50);
/// The spin happens only this soon after a call was in flight through this node (a
/// quiet node, seeing only membership probes, sleeps at once: 64 idle co-located nodes
/// spun 50 µs after each of their ~13 wake-ups a second, half their idle CPU).
pub const SPIN_AFTER_CALLS: Duration = Duration::from_millis(2);

/// One node's transport.
pub struct Transport {
    config: ClusterConfig,
    me: u64,
    private_key: [u8; 32],
    poll: Poll,
    events: Events,
    listener: TcpListener,
    conns: HashMap<Token, Conn>,
    next_token: usize,
    by_node: HashMap<u64, Token>,
    redial_at: HashMap<u64, u64>,
    core: Core,
    directory: Directory,
    membership: Membership,
    /// Members this node's file does not list, learnt through SWIM (or by joining
    /// here): dialled and authenticated by what SWIM says of them.
    learnt: HashMap<u64, Member>,
    faults: Faults,
    dice: Dice,
    /// Where the next directory state passed on starts among the peers.
    forward_turn: u64,
    /// Frames held back by a delay fault: (when they leave, peer, frame), in order.
    delayed: VecDeque<(u64, u64, Vec<u8>)>,
    start: Instant,
    /// When a call was last seen in flight through this node (the rings' spin is for
    /// the moments after it).
    busy_at: Option<Instant>,
    for_guest: Vec<Vec<u8>>,
    log: Vec<String>,
}

impl Transport {
    /// Node `me` of `config` in its life `incarnation`, listening at its address.
    pub fn bind(
        config: ClusterConfig,
        me: u64,
        incarnation: u64,
        timeouts: Timeouts,
    ) -> io::Result<Transport> {
        let node = config
            .node(me)
            .ok_or_else(|| io::Error::other(format!("the configuration has no node {me}")))?;
        let private_key = node.private_key.ok_or_else(|| {
            io::Error::other(format!(
                "the configuration gives no private key for node {me}"
            ))
        })?;
        let mut listener = TcpListener::bind(node.address)
            .map_err(|e| io::Error::new(e.kind(), format!("listen on {}: {e}", node.address)))?;
        let poll = Poll::new()?;
        poll.registry()
            .register(&mut listener, LISTENER, Interest::READABLE)?;
        let nodes = config.highest_id();
        let size = u32::try_from(config.nodes.len()).unwrap_or(u32::MAX);
        let me_member = Member {
            id: me,
            incarnation,
            rejoin: 0,
            address: node.address,
            public_key: node.public_key,
        };
        let membership = Membership::sized(me_member, size);
        Ok(Transport {
            config,
            me,
            private_key,
            poll,
            events: Events::with_capacity(256),
            listener,
            conns: HashMap::new(),
            next_token: 1,
            by_node: HashMap::new(),
            redial_at: HashMap::new(),
            core: Core::new(me, incarnation, nodes, timeouts),
            directory: Directory::new(me, incarnation),
            membership,
            learnt: HashMap::new(),
            faults: Faults::default(),
            dice: Dice::new(incarnation),
            forward_turn: incarnation,
            delayed: VecDeque::new(),
            start: Instant::now(),
            busy_at: None,
            for_guest: Vec::new(),
            log: Vec::new(),
        })
    }

    /// Nanoseconds since the transport started (the core's clock).
    pub fn now_ns(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Whether `node` is up.
    pub fn is_up(&self, node: u64) -> bool {
        self.core.is_up(node)
    }

    /// The members SWIM holds alive (not this node), by id.
    pub fn members(&self) -> Vec<u64> {
        let mut ids: Vec<u64> = self.membership.members().iter().map(|m| m.id).collect();
        ids.sort_unstable();
        ids
    }

    /// Whether frames to `node` go through a shared ring (a co-located peer).
    pub fn shared_ring_with(&self, node: u64) -> bool {
        (self.by_node.get(&node))
            .and_then(|t| self.conns.get(t))
            .is_some_and(|c| c.link.is_some())
    }

    /// A message the guest transmitted.
    pub fn from_guest(&mut self, message: &[u8]) {
        if let Some(request) = NameRequest::decode(message) {
            return self.name_request(message, request);
        }
        let now = self.now_ns();
        match self.frame_check(message) {
            colocated::FrameCheck::Pass => self.core.from_guest(message, now),
            colocated::FrameCheck::Replace(m) => self.core.from_guest(&m, now),
            colocated::FrameCheck::Drop => {}
        }
        self.act();
    }

    /// Injects `faults` from now on ([`crate::faults`]).
    pub fn set_faults(&mut self, faults: Faults) {
        self.faults = faults;
    }

    /// This node's replica of the name directory.
    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// Answers a directory request from the replica (and shares a change).
    fn name_request(&mut self, bytes: &[u8], request: Result<NameRequest, impl std::fmt::Debug>) {
        let r = match request {
            Ok(r) => r,
            Err(_) => {
                let call_id = bytes
                    .get(16..24)
                    .map_or(0, |w| u64::from_le_bytes(w.try_into().unwrap_or_default()));
                return self.answer(call_id, Err(ERROR_BAD_MESSAGE));
            }
        };
        let answer = match r.kind {
            MSG_REGISTER => match self.directory.register(&r.name, r.object) {
                Ok(e) => Ok(vec![e.node, e.object]),
                Err(DirectoryError::Full) => Err(ERROR_NO_SUCH_NAME),
                Err(_) => Err(ERROR_BAD_MESSAGE),
            },
            MSG_LOOKUP => (self.directory.lookup(&r.name))
                .map(|e| vec![e.node, e.object, e.incarnation])
                .ok_or(ERROR_NO_SUCH_NAME),
            // A node removes only names it registered.
            _ if (self.directory.lookup(&r.name)).is_some_and(|e| e.node == self.me)
                && self.directory.remove(&r.name) =>
            {
                Ok(vec![self.me, 0])
            }
            _ => Err(ERROR_NO_SUCH_NAME),
        };
        self.answer(r.call_id, answer);
        if r.kind != MSG_LOOKUP {
            self.share(None);
            self.act();
        }
    }

    /// Answers the guest's directory request `call_id`.
    fn answer(&mut self, call_id: u64, answer: Result<Vec<u64>, u64>) {
        let m = match answer {
            Ok(mrs) => Message {
                kind: MSG_REPLY,
                node: self.me,
                call_id,
                object: 0,
                label: 0,
                mrs,
            },
            Err(code) => Message {
                call_id,
                label: code,
                ..Message::event(MSG_ERROR, self.me)
            },
        };
        self.for_guest.push(m.encode());
    }

    /// Sends the directory's state to every peer up when this node changed it
    /// (`except` None); passing on what it learnt from `except`, to [`FORWARD`] of the
    /// others, taking turns. So a change costs about 4n states, not n² (docs/cluster.md,
    /// Scale), and still crosses a cut link through a node that sees both sides.
    fn share(&mut self, except: Option<u64>) {
        let Some(state) = self.directory.state() else {
            self.log
                .push("the name directory is too large to send".into());
            return;
        };
        let now = self.now_ns();
        let mut peers: Vec<u64> = (self.core.up_nodes().into_iter())
            .filter(|&n| Some(n) != except)
            .collect();
        if except.is_some() && peers.len() > FORWARD {
            self.forward_turn = self.forward_turn.wrapping_add(FORWARD as u64);
            let start = (self.forward_turn % peers.len() as u64) as usize;
            peers.rotate_left(start);
            peers.truncate(FORWARD);
        }
        for node in peers {
            self.core.send_directory(node, state.clone(), now);
        }
    }

    /// Messages for the guest's receive ring, in order.
    pub fn take_for_guest(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.for_guest)
    }

    /// Lines worth telling the operator (rejected peers, lost connections).
    pub fn take_log(&mut self) -> Vec<String> {
        std::mem::take(&mut self.log)
    }

    /// Waits up to `timeout` (less if the protocol has a deadline sooner) for the
    /// network, and handles what happened: connections, frames, deadlines, redials.
    pub fn poll(&mut self, timeout: Duration) -> io::Result<()> {
        let now = self.now_ns();
        let mut wait = timeout;
        for d in [self.core.next_deadline(), self.membership.next_deadline()]
            .into_iter()
            .flatten()
        {
            wait = wait.min(Duration::from_nanos(d.saturating_sub(now)));
        }
        if let Some(&d) = self.redial_at.values().min() {
            wait = wait.min(Duration::from_nanos(d.saturating_sub(now)));
        }
        if let Some(&(d, _, _)) = self.delayed.front() {
            wait = wait.min(Duration::from_nanos(d.saturating_sub(now)));
        }
        let links = self.conns.values().filter(|c| c.link.is_some()).count();
        if self.core.calls_in_flight() {
            self.busy_at = Some(Instant::now());
        }
        if links > 0 && !wait.is_zero() {
            wait = self.spin_then_sleep(wait);
        }
        let polled = self.poll.poll(&mut self.events, Some(wait));
        if links > 0 {
            for l in self.conns.values().filter_map(|c| c.link.as_ref()) {
                l.ring.awake();
            }
        }
        match polled {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => other?,
        }
        let ready: Vec<(Token, bool, bool)> = (self.events.iter())
            .map(|e| {
                (
                    e.token(),
                    e.is_readable() || e.is_read_closed(),
                    e.is_writable(),
                )
            })
            .collect();
        for (token, readable, writable) in ready {
            if token == LISTENER {
                self.accept();
            } else if token.0 & BELL != 0 {
                if let Some(l) =
                    (self.conns.get_mut(&Token(token.0 & !BELL))).and_then(|c| c.link.as_mut())
                {
                    l.drain_bell();
                }
            } else {
                self.ready(token, readable, writable);
            }
        }
        if links > 0 {
            let tokens: Vec<Token> = (self.conns.iter())
                .filter(|(_, c)| c.link.is_some())
                .map(|(&t, _)| t)
                .collect();
            for t in tokens {
                self.take_ring(t);
            }
        }
        self.dial();
        let now = self.now_ns();
        self.drop_slow_handshakes(now);
        self.core.tick(now);
        self.membership.tick(now);
        self.act();
        self.send_delayed(now);
        // A call that came in this time is served between polls: remember it now.
        if self.core.calls_in_flight() {
            self.busy_at = Some(Instant::now());
        }
        Ok(())
    }

    /// Sends the delayed frames whose time has come.
    fn send_delayed(&mut self, now: u64) {
        while self.delayed.front().is_some_and(|&(d, _, _)| d <= now) {
            if let Some((_, node, frame)) = self.delayed.pop_front() {
                self.send_frame(node, &frame);
            }
        }
    }

    /// Gives a peer's frame to the core, unless a cut link loses it.
    fn deliver(&mut self, node: u64, frame: &[u8], now: u64) {
        if !self.faults.is_cut(self.me, node) {
            self.core.from_peer(node, frame, now);
        }
    }

    /// Sends a frame to a peer now (closing the connection when that fails).
    fn send_frame(&mut self, node: u64, frame: &[u8]) {
        let Some(&t) = self.by_node.get(&node) else {
            return;
        };
        let failed = (self.conns.get_mut(&t)).is_some_and(|c| c.send(frame).is_err());
        if failed {
            self.close(t);
        }
    }

    /// Spins on the co-located peers' rings up to [`SPIN`], then marks them as
    /// sleeping; the wait left (zero when input came meanwhile).
    fn spin_then_sleep(&mut self, wait: Duration) -> Duration {
        let links = || self.conns.values().filter_map(|c| c.link.as_ref());
        if links().any(|l| !l.pending.is_empty()) {
            // A full ring: look again soon for room.
            return wait.min(Duration::from_millis(1));
        }
        let recent = (self.busy_at).is_some_and(|t| t.elapsed() < SPIN_AFTER_CALLS);
        let end = Instant::now()
            + if recent {
                SPIN.min(wait)
            } else {
                Duration::ZERO
            };
        loop {
            if links().any(|l| l.ring.has_input()) {
                return Duration::ZERO;
            }
            if Instant::now() >= end {
                break;
            }
            // Yield, not a pause: on a busy host the peer just woken may be queued
            // on this CPU (measured: a pure spin added the whole spin to each leg).
            std::thread::yield_now();
        }
        // Every ring is marked before any is checked again (see crate::shm).
        let mut input = false;
        for l in links() {
            input |= l.ring.sleep_or_input();
        }
        if input { Duration::ZERO } else { wait }
    }

    /// Takes every frame waiting in `token`'s ring (and moves its pending frames in).
    fn take_ring(&mut self, token: Token) {
        let Some(conn) = self.conns.get_mut(&token) else {
            return;
        };
        let (Some(node), Some(link)) = (conn.node, conn.link.as_mut()) else {
            return;
        };
        if link.pending.is_empty() && !link.ring.has_input() {
            // The usual case on a wake-up with many co-located peers: one look at
            // each ring's indices, nothing allocated, nothing to act on.
            return;
        }
        let mut frames = Vec::new();
        let mut broken = link.flush().err().map(|e| format!("{e:?}"));
        while broken.is_none() {
            match link.ring.pop() {
                Ok(Some(f)) => frames.push(f),
                Ok(None) => break,
                Err(e) => broken = Some(format!("{e:?}")),
            }
        }
        let now = self.now_ns();
        for f in frames {
            self.deliver(node, &f, now);
        }
        if let Some(e) = broken {
            self.log
                .push(format!("shared ring with node {node} broken: {e}"));
            self.close(token);
        }
        self.act();
    }

    /// Says Goodbye to every peer and gives the sockets up to `linger` to send it.
    pub fn leave(&mut self, linger: Duration) {
        let now = self.now_ns();
        self.membership.leave(now);
        self.act();
        self.core.leave(now);
        self.act();
        let end = Instant::now() + linger;
        while Instant::now() < end && self.conns.values().any(|c| c.has_backlog()) {
            let _ = self
                .poll
                .poll(&mut self.events, Some(Duration::from_millis(5)));
            let tokens: Vec<Token> = self.conns.keys().copied().collect();
            for t in tokens {
                if let Some(c) = self.conns.get_mut(&t) {
                    let _ = c.flush();
                }
            }
        }
    }

    fn accept(&mut self) {
        loop {
            match self.listener.accept() {
                Ok((stream, _)) => {
                    let _ = self.add(stream, None);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.log.push(format!("accept: {e}"));
                    return;
                }
            }
        }
    }

    fn add(&mut self, mut stream: TcpStream, dialled: Option<u64>) -> io::Result<()> {
        let token = Token(self.next_token);
        self.next_token += 1;
        let _ = stream.set_nodelay(true);
        self.poll.registry().register(
            &mut stream,
            token,
            Interest::READABLE | Interest::WRITABLE,
        )?;
        let now = self.now_ns();
        let join_key = self.config.join_key;
        let conn = Conn::new(stream, &self.private_key, join_key.as_ref(), dialled, now)?;
        self.conns.insert(token, conn);
        Ok(())
    }

    /// Dials every smaller-id member (listed or learnt) that has no connection, at
    /// most every [`REDIAL`].
    fn dial(&mut self) {
        let now = self.now_ns();
        let mut peers: Vec<u64> = (self.config.nodes.iter().map(|n| n.id))
            .chain(self.learnt.keys().copied())
            .filter(|&p| p < self.me)
            .collect();
        peers.sort_unstable();
        peers.dedup();
        for peer in peers {
            let busy = self.by_node.contains_key(&peer)
                || self
                    .conns
                    .values()
                    .any(|c| c.dialled == Some(peer) && c.node.is_none());
            if busy || self.redial_at.get(&peer).is_some_and(|&t| now < t) {
                continue;
            }
            self.redial_at.insert(peer, now + REDIAL.as_nanos() as u64);
            let Some((addr, _)) = self.known(peer) else {
                continue;
            };
            if let Ok(stream) = TcpStream::connect(addr) {
                let _ = self.add(stream, Some(peer));
            }
        }
    }

    fn drop_slow_handshakes(&mut self, now: u64) {
        let limit = HANDSHAKE_LIMIT.as_nanos() as u64;
        let slow: Vec<Token> = (self.conns.iter())
            .filter(|(_, c)| c.node.is_none() || c.awaiting_offer || c.offer.is_some())
            .filter(|(_, c)| now.saturating_sub(c.started_ns) > limit)
            .map(|(&t, _)| t)
            .collect();
        for t in slow {
            self.log
                .push("dropped a connection whose handshake did not finish".into());
            self.close(t);
        }
    }

    fn ready(&mut self, token: Token, readable: bool, writable: bool) {
        let Some(conn) = self.conns.get_mut(&token) else {
            return;
        };
        if writable {
            if !matches!(conn.stream.take_error(), Ok(None)) {
                return self.close(token);
            }
            if conn.flush().is_err() {
                return self.close(token);
            }
        }
        if !readable {
            return;
        }
        let (events, closed) = match conn.receive() {
            Ok(r) => r,
            Err(e) if conn.link.is_some() => {
                let node = conn.node;
                self.take_ring(token);
                if let Some(n) = node {
                    self.log.push(format!("connection to node {n} broken: {e}"));
                }
                return self.close(token);
            }
            Err(e) => {
                if let Some(n) = conn.node {
                    self.log.push(format!("connection to node {n} broken: {e}"));
                } else {
                    self.log.push(format!("handshake failed: {e}"));
                }
                return self.close(token);
            }
        };
        for e in events {
            match e {
                Event::Authenticated(key) => {
                    if !self.authenticated(token, &key) {
                        return self.close(token);
                    }
                }
                Event::Frame(f) => {
                    let now = self.now_ns();
                    let Some(conn) = self.conns.get_mut(&token) else {
                        return;
                    };
                    let (node, joining) = (conn.node, conn.joining);
                    let node = match node {
                        Some(n) => n,
                        None if joining => match self.admit(token, colocated::sender(&f)) {
                            Some(n) => n,
                            None => return self.close(token),
                        },
                        None => return self.close(token),
                    };
                    if f.first() == Some(&0) {
                        if !self.transport_record(token, node, &f) {
                            return self.close(token);
                        }
                        continue;
                    }
                    let Some(conn) = self.conns.get_mut(&token) else {
                        return;
                    };
                    if conn.offer.is_some() {
                        (self.log).push(format!("node {node} sent a frame before answering"));
                        return self.close(token);
                    }
                    if std::mem::take(&mut conn.awaiting_offer) {
                        // The dialler chose TCP after all.
                        self.core.connected(node, now);
                    }
                    self.deliver(node, &f, now);
                }
            }
        }
        if closed {
            // Frames the peer put in the ring before it ended still count.
            self.take_ring(token);
            self.close(token);
        }
        self.act();
    }

    /// Stops polling a removed connection's socket and doorbell (dropping it closes
    /// them and unmaps its ring).
    fn forget(&mut self, mut conn: Conn) {
        let _ = self.poll.registry().deregister(&mut conn.stream);
        #[cfg(unix)]
        if let Some(l) = &conn.link {
            let _ = (self.poll.registry()).deregister(&mut SourceFd(&l.bell_rx.as_raw_fd()));
        }
    }

    fn close(&mut self, token: Token) {
        let Some(conn) = self.conns.remove(&token) else {
            return;
        };
        let node = conn.node;
        self.forget(conn);
        if let Some(node) = node {
            if self.by_node.get(&node) == Some(&token) {
                self.by_node.remove(&node);
                self.core.disconnected(node);
            }
        }
    }

    /// Carries out what the core and membership ask, until neither asks more.
    fn act(&mut self) {
        loop {
            self.act_core();
            let events = self.membership.take_events();
            if events.is_empty() {
                return;
            }
            for e in events {
                self.member_event(e);
            }
        }
    }

    /// Carries out what the core asks.
    fn act_core(&mut self) {
        while let Some(o) = self.core.poll_output() {
            match o {
                Output::Guest(m) => {
                    if let Some(m) = self.frame_arrived(m) {
                        self.for_guest.push(m);
                    }
                }
                Output::Peer(node, frame) => {
                    let f = &self.faults;
                    if f.is_cut(self.me, node) || (f.drop > 0.0 && self.dice.chance(f.drop)) {
                        continue; // lost
                    }
                    if !f.delay.is_zero() || !self.delayed.is_empty() {
                        // Held back (behind any frame still held, so in order).
                        let at = self.now_ns() + f.delay.as_nanos() as u64;
                        self.delayed.push_back((at, node, frame));
                        continue;
                    }
                    self.send_frame(node, &frame);
                }
                Output::PeerUp(node) => {
                    let now = self.now_ns();
                    if let Some(state) = self.directory.state() {
                        self.core.send_directory(node, state, now);
                    }
                    self.membership.announce(node, now);
                }
                Output::Swim(node, message) => {
                    let key = (self.by_node.get(&node))
                        .and_then(|t| self.conns.get(t))
                        .map(|c| c.key.clone())
                        .unwrap_or_default();
                    let now = self.now_ns();
                    if !self.membership.receive(node, &key, &message, now) {
                        (self.log).push(format!("node {node} sent a membership message refused"));
                    }
                }
                Output::Directory(node, state) => match self.directory.merge(&state) {
                    Ok(true) => self.share(Some(node)),
                    Ok(false) => {}
                    Err(e) => {
                        (self.log).push(format!("node {node} sent a directory refused: {e:?}"))
                    }
                },
                Output::Disconnect(node) => {
                    if let Some(t) = self.by_node.remove(&node) {
                        self.log
                            .push(format!("dropped node {node}: protocol error or silence"));
                        if let Some(c) = self.conns.remove(&t) {
                            self.forget(c);
                        }
                    }
                }
            }
        }
    }
}
