//! Who a peer is: a listed node, a member learnt through SWIM, or a node joining with
//! the cluster's join key (its id from its first frame); binding an authenticated
//! connection to its node; and what SWIM's events ask of the transport.

use super::{Token, Transport, key_hex};
use crate::membership::{self, Member};

impl Transport {
    /// The address and key of node `id`: listed, else learnt through SWIM.
    pub(super) fn known(&self, id: u64) -> Option<(std::net::SocketAddr, [u8; 32])> {
        match self.config.node(id) {
            Some(n) => Some((n.address, n.public_key)),
            None => self.learnt.get(&id).map(|m| (m.address, m.public_key)),
        }
    }

    /// The node whose key is `key`: listed, else learnt.
    pub(super) fn node_with_key(&self, key: &[u8]) -> Option<u64> {
        let learnt = || (self.learnt.values()).find(|m| m.public_key[..] == *key);
        (self.config.node_with_key(key)).or_else(|| learnt().map(|m| m.id))
    }

    /// The handshake on `token` proved the peer holds `key`: accept it if the key is a
    /// member's (the one dialled, if this end dialled), or, with a join key, as a
    /// joining node whose id its first frame gives; else log and refuse.
    pub(super) fn authenticated(&mut self, token: Token, key: &[u8]) -> bool {
        let node = match self.node_with_key(key) {
            Some(n) if n == self.me => None,
            other => other,
        };
        let Some(conn) = self.conns.get_mut(&token) else {
            return false;
        };
        conn.key = key.to_vec();
        let addr = conn
            .stream
            .peer_addr()
            .map_or_else(|_| "?".to_string(), |a| a.to_string());
        if node.is_none() && conn.dialled.is_none() && self.config.join_key.is_some() {
            // It proved the join key too (the handshake's PSK): a node joining.
            conn.joining = true;
            return true;
        }
        let Some(node) = node.filter(|&n| conn.dialled.is_none_or(|d| d == n)) else {
            self.log.push(format!(
                "rejected a peer at {addr}: its static key {} is not {}",
                key_hex(key),
                match conn.dialled {
                    Some(d) => format!("node {d}'s"),
                    None => "another node's in the cluster configuration".into(),
                }
            ));
            return false;
        };
        self.attach_peer(token, node)
    }

    /// A joining peer's first record gave `id`: its id, if it may have it (not this node's, not
    /// a listed or known node's, whose key it does not hold).
    pub(super) fn admit(&mut self, token: Token, id: Option<u64>) -> Option<u64> {
        let conn = self.conns.get(&token)?;
        let addr = (conn.stream.peer_addr()).map_or_else(|_| "?".into(), |a| a.to_string());
        let why = match id {
            None => "its first frame is not one".to_string(),
            Some(id) if id == 0 || id > selvm_cluster_proto::core::MAX_NODE_ID => {
                format!("node {id} is no node id")
            }
            Some(id) if id == self.me || self.known(id).is_some() => {
                format!("node {id} is a member with another key")
            }
            Some(id) => {
                let key = conn.key.clone();
                self.log.push(format!(
                    "node {id} joined from {addr} (not in the configuration; it holds the join key)"
                ));
                if let Ok(public_key) = key.try_into() {
                    let address = self.learnt_address(id, &addr);
                    let m = Member {
                        id,
                        incarnation: 0,
                        rejoin: 0,
                        address,
                        public_key,
                    };
                    self.learnt.insert(id, m);
                }
                return self.attach_peer(token, id).then_some(id);
            }
        };
        self.log.push(format!(
            "rejected a peer at {addr} holding the join key: {why}"
        ));
        None
    }

    /// Where a node that joined here listens, until SWIM says (its connection's
    /// address is its dialling port, so this only keeps the host).
    fn learnt_address(&self, id: u64, seen: &str) -> std::net::SocketAddr {
        let host = seen.parse::<std::net::SocketAddr>().map(|a| a.ip());
        let ip = host.unwrap_or(std::net::Ipv4Addr::UNSPECIFIED.into());
        self.learnt
            .get(&id)
            .map_or(std::net::SocketAddr::new(ip, 0), |m| m.address)
    }

    /// `token` is now the connection to `node`.
    fn attach_peer(&mut self, token: Token, node: u64) -> bool {
        let Some(conn) = self.conns.get_mut(&token) else {
            return false;
        };
        conn.node = Some(node);
        conn.joining = false;
        let dialled = conn.dialled.is_some();
        if let Some(old) = self.by_node.insert(node, token) {
            // The peer reconnected (restarted, or its old connection is half dead).
            if let Some(c) = self.conns.remove(&old) {
                self.forget(c);
            }
            self.core.disconnected(node);
        }
        self.redial_at.remove(&node);
        if !dialled {
            // Connected once the dialler's first record (a ring offer or a frame) comes.
            if let Some(c) = self.conns.get_mut(&token) {
                c.awaiting_offer = true;
            }
            return true;
        }
        if self.may_share_ring(token) {
            match self.offer(token, node) {
                Ok(()) => return true, // connected once the peer answers
                Err(e) => {
                    (self.log).push(format!("no shared ring with node {node} ({e}): using TCP"))
                }
            }
        }
        let now = self.now_ns();
        self.core.connected(node, now);
        true
    }

    /// Does what SWIM asks: sends its messages, learns joined members, drops the
    /// members it declares down.
    pub(super) fn member_event(&mut self, e: membership::Event) {
        let now = self.now_ns();
        match e {
            membership::Event::Send(id, message) => self.core.send_swim(id, message, now),
            membership::Event::Up(m) => {
                if m.id == self.me || self.config.node(m.id).is_some() {
                    return;
                }
                let new = self
                    .learnt
                    .get(&m.id)
                    .is_none_or(|old| old.address != m.address);
                if new {
                    self.log.push(format!(
                        "member {} is up at {} (learnt through SWIM)",
                        m.id, m.address
                    ));
                }
                self.learnt.insert(m.id, m);
            }
            membership::Event::Down(m) => {
                self.log.push(format!("member {} is down (SWIM)", m.id));
                // Only the life SWIM gave up on (a new one may be up already).
                let life = self.core.incarnation_of(m.id);
                if life.is_none_or(|i| i == m.incarnation) {
                    self.core.member_down(m.id);
                    if self
                        .learnt
                        .get(&m.id)
                        .is_some_and(|l| l.incarnation == m.incarnation)
                    {
                        self.learnt.remove(&m.id);
                    }
                }
            }
        }
    }
}
