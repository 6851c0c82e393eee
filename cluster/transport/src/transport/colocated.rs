//! Choosing shared rings for a peer on this host, automatically: after the Noise
//! handshake the dialling side, if the peer looks local (its address is a loopback one,
//! or the connection's own local address, so the same host and network namespace) and
//! its configuration does not say `shm = false`, makes a region ([`crate::shm`]) and
//! offers it in one record: [`OFFER`], its node id, the region's random nonce and its
//! path. The accepting side opens the region and checks the nonce: finding it proves
//! the peer can open what the dialler made (the same host's `/dev/shm`, the same user),
//! whatever the addresses say. It answers [`YES`] (frames go through the rings from
//! then on, both ways) or [`NO`] (its own `shm = false`, or the region was not there:
//! TCP). A dialler that offers nothing sends its first frame instead, and the acceptor
//! follows with TCP. Nothing here depends on the two configurations agreeing, so a
//! node that joined with the join key gets rings as a listed one does.

use super::{Token, Transport};
use crate::shm::{self, Link, NONCE_BYTES};
use mio::net::TcpStream;
#[cfg(unix)]
use mio::{Interest, unix::SourceFd};
use selvm_abi::vm::device::{ERROR_NOT_CO_LOCATED, FRAME_CARRIED};
use selvm_abi::vm::network::{
    MSG_CALL, MSG_ERROR, MSG_LABEL, MSG_REPLY, MSG_SEND, REMOTE_ERROR_LABEL,
};
use selvm_cluster_proto::guest::Message;
use std::io;
#[cfg(unix)]
use std::os::fd::AsRawFd;

/// The first byte of a transport record that is not a frame (frames start with their
/// version, 1), and the ring offer's tag after it.
pub(super) const OFFER: &[u8] = b"\0shm ";
/// The acceptor's answer: it opened the region; frames go through the rings.
const YES: &[u8] = b"\0shm-yes";
/// The acceptor's answer: TCP.
const NO: &[u8] = b"\0shm-no";

/// What becomes of a guest message ([`Transport::frame_check`]).
pub(super) enum FrameCheck {
    /// It goes as it is.
    Pass,
    /// It goes no further.
    Drop,
    /// This goes instead.
    Replace(Vec<u8>),
}

/// The sender's node id in a peer's first record: a ring offer's, or a frame's.
pub(super) fn sender(record: &[u8]) -> Option<u64> {
    let word = match record.strip_prefix(OFFER) {
        Some(rest) => rest.get(..8),
        None => record.get(2..10),
    };
    word.map(|w| u64::from_le_bytes(w.try_into().unwrap_or_default()))
}

/// Whether the peer at the other end of `stream` looks like this host: a loopback
/// address, or the same address as this end (a node dialling its own host's address).
/// A peer in another network namespace of the host has another address and keeps TCP
/// (a partition of that namespace's link must cut it).
fn looks_local(stream: &TcpStream) -> bool {
    match (stream.peer_addr(), stream.local_addr()) {
        (Ok(p), Ok(l)) => p.ip().is_loopback() || p.ip() == l.ip(),
        _ => false,
    }
}

impl Transport {
    /// A guest message that names a shared frame (label [`FRAME_CARRIED`]) for a node
    /// not on a shared ring with this one: the frame would be other memory there, so
    /// it never leaves. A Call fails at once with [`ERROR_NOT_CO_LOCATED`], a Send is
    /// dropped, and a Reply goes as that error instead. What to send on, if anything.
    pub(super) fn frame_check(&mut self, message: &[u8]) -> FrameCheck {
        // The label word (MSG_LABEL) first, so other messages cost no decoding.
        let label = (message.get(8 * MSG_LABEL..8 * MSG_LABEL + 8))
            .map_or(0, |w| u64::from_le_bytes(w.try_into().unwrap_or_default()));
        if label & FRAME_CARRIED == 0 {
            return FrameCheck::Pass;
        }
        let Ok(m) = Message::decode(message) else {
            return FrameCheck::Pass; // the core refuses it
        };
        let carries = matches!(m.kind, MSG_CALL | MSG_SEND | MSG_REPLY);
        if !carries || m.node == self.me || self.shared_ring_with(m.node) {
            return FrameCheck::Pass;
        }
        (self.log).push(format!(
            "a shared frame for node {} refused: not on this host",
            m.node
        ));
        match m.kind {
            MSG_CALL => {
                let e = Message {
                    call_id: m.call_id,
                    label: ERROR_NOT_CO_LOCATED,
                    ..Message::event(MSG_ERROR, m.node)
                };
                self.for_guest.push(e.encode());
                FrameCheck::Drop
            }
            MSG_REPLY => FrameCheck::Replace(
                Message {
                    label: REMOTE_ERROR_LABEL | ERROR_NOT_CO_LOCATED,
                    mrs: Vec::new(),
                    ..m
                }
                .encode(),
            ),
            _ => FrameCheck::Drop,
        }
    }

    /// A peer's message for the guest naming a shared frame, from a node not on a
    /// shared ring with this one (whose transport should have refused it: a hostile
    /// or broken member): a Call is answered `REMOTE_ERROR_LABEL |
    /// ERROR_NOT_CO_LOCATED` here, a Send dropped, a Reply given to the guest as that
    /// error. What the guest gets, if anything.
    pub(super) fn frame_arrived(&mut self, message: Vec<u8>) -> Option<Vec<u8>> {
        let label = (message.get(8 * MSG_LABEL..8 * MSG_LABEL + 8))
            .map_or(0, |w| u64::from_le_bytes(w.try_into().unwrap_or_default()));
        if label & FRAME_CARRIED == 0 {
            return Some(message);
        }
        let Ok(m) = Message::decode(&message) else {
            return Some(message);
        };
        let carries = matches!(m.kind, MSG_CALL | MSG_SEND | MSG_REPLY);
        if !carries || m.node == self.me || self.shared_ring_with(m.node) {
            return Some(message);
        }
        (self.log).push(format!(
            "node {} named a shared frame: not on this host",
            m.node
        ));
        let error = Message {
            label: REMOTE_ERROR_LABEL | ERROR_NOT_CO_LOCATED,
            mrs: Vec::new(),
            ..m
        };
        match m.kind {
            MSG_CALL => {
                let now = self.now_ns();
                let reply = Message {
                    kind: MSG_REPLY,
                    object: 0,
                    ..error
                };
                self.core.from_guest(&reply.encode(), now);
                None
            }
            MSG_REPLY => Some(error.encode()),
            _ => None,
        }
    }

    /// Whether to offer a ring on the dialled connection `token`.
    pub(super) fn may_share_ring(&self, token: Token) -> bool {
        self.config.shm && (self.conns.get(&token)).is_some_and(|c| looks_local(&c.stream))
    }

    /// The dialling side: makes a shared region for `node` and offers it.
    pub(super) fn offer(&mut self, token: Token, node: u64) -> io::Result<()> {
        let tag = format!("{}-{}-{}-{}", self.me, node, token.0, self.now_ns());
        let (link, path) = Link::create(&shm::folder(), &tag)?;
        let conn = (self.conns.get_mut(&token)).ok_or_else(|| io::Error::other("gone"))?;
        let mut record = OFFER.to_vec();
        record.extend_from_slice(&self.me.to_le_bytes());
        record.extend_from_slice(&link.nonce());
        record.extend_from_slice(path.as_os_str().as_encoded_bytes());
        conn.send_record(&record)?;
        conn.offer = Some(link);
        Ok(())
    }

    /// A record from `node` that is not a frame: a ring offer (accepting side) or the
    /// answer to ours (dialling side). False when it has no place here.
    pub(super) fn transport_record(&mut self, token: Token, node: u64, record: &[u8]) -> bool {
        let Some(conn) = self.conns.get_mut(&token) else {
            return false;
        };
        let answered = conn.offer.is_some() && (record == YES || record == NO);
        if answered {
            let link = conn.offer.take();
            if record == YES {
                if let Some(Err(e)) = link.map(|l| self.attach(token, l)) {
                    (self.log).push(format!("shared ring with node {node} failed: {e}"));
                    return false;
                }
            } else {
                (self.log).push(format!("node {node} took no shared ring: using TCP"));
            }
            let now = self.now_ns();
            self.core.connected(node, now);
            self.take_ring(token);
            return true;
        }
        match record.strip_prefix(OFFER) {
            Some(offer) if conn.awaiting_offer => self.offered(token, node, offer),
            _ => {
                (self.log).push(format!("node {node} sent an unexpected transport record"));
                false
            }
        }
    }

    /// The accepting side: `node` offered a region (`offer`: its id, nonce and path);
    /// open it and answer, then count the peer connected. False when the offer is
    /// malformed or the answer cannot be sent.
    fn offered(&mut self, token: Token, node: u64, offer: &[u8]) -> bool {
        let (Some(nonce), Some(path)) =
            (offer.get(8..8 + NONCE_BYTES), offer.get(8 + NONCE_BYTES..))
        else {
            (self.log).push(format!("node {node} sent a malformed ring offer"));
            return false;
        };
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().unwrap_or_default();
        let path = std::path::Path::new(std::str::from_utf8(path).unwrap_or(""));
        let opened = match self.config.shm {
            true => Link::open(&shm::folder(), path, &nonce).map_err(|e| e.to_string()),
            false => Err(String::new()),
        };
        let Some(conn) = self.conns.get_mut(&token) else {
            return false;
        };
        conn.awaiting_offer = false;
        let sent = match opened {
            // The answer goes on TCP before any frame enters the ring.
            Ok(link) => conn
                .send_record(YES)
                .and_then(|()| self.attach(token, link)),
            Err(why) => {
                if !why.is_empty() {
                    (self.log).push(format!(
                        "shared ring offered by node {node} not taken ({why}): using TCP"
                    ));
                }
                conn.send_record(NO)
            }
        };
        if let Err(e) = sent {
            (self.log).push(format!("answering node {node}'s ring offer: {e}"));
            return false;
        }
        let now = self.now_ns();
        self.core.connected(node, now);
        self.take_ring(token);
        true
    }

    /// Frames on `token` go through `link` from now on; its doorbell is polled.
    fn attach(&mut self, token: Token, link: Link) -> io::Result<()> {
        #[cfg(unix)]
        self.poll.registry().register(
            &mut SourceFd(&link.bell_rx.as_raw_fd()),
            Token(token.0 | super::BELL),
            Interest::READABLE,
        )?;
        if let Some(c) = self.conns.get_mut(&token) {
            c.link = Some(link);
            if let Some(n) = c.node {
                self.log.push(format!(
                    "node {n} is on this host: frames through a shared ring"
                ));
            }
        }
        Ok(())
    }
}
