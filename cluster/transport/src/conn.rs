//! One TCP connection to a peer, non-blocking, inside Noise
//! (`Noise_XX_25519_ChaChaPoly_BLAKE2s`): records on the stream are a 2-byte big-endian
//! length and a Noise message. The XX handshake proves each side holds the private key
//! of the static public key it presents; the transport then accepts the connection only
//! if that key is a node's in the cluster configuration (and, on a connection this node
//! dialled, the node it meant to reach). A cluster with a join key runs
//! `Noise_XXpsk3_…` instead, the key as the pre-shared key: then every connection also
//! proves the peer holds the cluster's join key, which is what admits a node no
//! configuration lists.

use crate::shm::{Link, RingError};
use mio::net::TcpStream;
use snow::{HandshakeState, TransportState};
use std::io::{self, Read, Write};

/// The Noise protocol every node speaks.
pub const NOISE_PARAMS: &str = "Noise_XX_25519_ChaChaPoly_BLAKE2s";
/// The Noise protocol of a cluster with a join key (the key is the PSK).
pub const NOISE_PARAMS_PSK: &str = "Noise_XXpsk3_25519_ChaChaPoly_BLAKE2s";
/// Longest Noise message.
const MAX_RECORD: usize = 65535;
/// Bytes waiting to be written beyond which the peer counts as stuck.
const MAX_BACKLOG: usize = 16 << 20;

/// Where a connection is in its life.
enum State {
    Handshake(Box<HandshakeState>),
    Open(Box<TransportState>),
    /// Between the two (only while the handshake turns into the transport).
    Switching,
}

/// What reading a connection gave.
#[derive(Debug, PartialEq, Eq)]
pub enum Event {
    /// The handshake finished: the peer presented this static public key.
    Authenticated(Vec<u8>),
    /// A decrypted frame.
    Frame(Vec<u8>),
}

/// A connection.
pub struct Conn {
    /// The socket.
    pub stream: TcpStream,
    state: State,
    /// The node this end dialled (None: accepted).
    pub dialled: Option<u64>,
    /// The authenticated peer, once known and accepted.
    pub node: Option<u64>,
    /// When the connection started (ns), to drop handshakes that never finish.
    pub started_ns: u64,
    /// The shared-memory rings frames travel through instead, for a co-located peer
    /// (the TCP connection then carries nothing more; its end is the peer's death).
    pub link: Option<Link>,
    /// An accepted connection whose dialler's first record (a ring offer, or a frame
    /// for TCP) has not come yet.
    pub awaiting_offer: bool,
    /// A dialled connection's ring offered to the peer, until it answers.
    pub offer: Option<Link>,
    /// The static public key the peer proved it holds (once authenticated).
    pub key: Vec<u8>,
    /// An authenticated peer with the join key whose key no listed or known member
    /// has: its node id comes with its first frame.
    pub joining: bool,
    inbox: Vec<u8>,
    outbox: Vec<u8>,
    scratch: Vec<u8>,
}

fn noise_error(e: snow::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("noise: {e}"))
}

impl Conn {
    /// A connection this node dialled to `node` (it speaks first), or accepted; with
    /// the cluster's join key, if it has one.
    pub fn new(
        stream: TcpStream,
        private_key: &[u8; 32],
        join_key: Option<&[u8; 32]>,
        dialled: Option<u64>,
        now_ns: u64,
    ) -> io::Result<Conn> {
        let params = match join_key {
            Some(_) => NOISE_PARAMS_PSK,
            None => NOISE_PARAMS,
        };
        let mut builder = snow::Builder::new(params.parse().map_err(noise_error)?)
            .local_private_key(private_key)
            .map_err(noise_error)?;
        if let Some(k) = join_key {
            builder = builder.psk(3, k).map_err(noise_error)?;
        }
        let hs = if dialled.is_some() {
            builder.build_initiator()
        } else {
            builder.build_responder()
        }
        .map_err(noise_error)?;
        let mut c = Conn {
            stream,
            state: State::Handshake(Box::new(hs)),
            dialled,
            node: None,
            started_ns: now_ns,
            link: None,
            awaiting_offer: false,
            offer: None,
            key: Vec::new(),
            joining: false,
            inbox: Vec::new(),
            outbox: Vec::new(),
            scratch: vec![0; MAX_RECORD],
        };
        if dialled.is_some() {
            c.handshake_write()?;
        }
        Ok(c)
    }

    /// Whether the handshake finished.
    pub fn is_open(&self) -> bool {
        matches!(self.state, State::Open(_))
    }

    /// Whether bytes wait to be written.
    pub fn has_backlog(&self) -> bool {
        !self.outbox.is_empty() || self.link.as_ref().is_some_and(|l| !l.pending.is_empty())
    }

    /// Sends `frame`: into the shared ring when the peer is co-located, else encrypted
    /// on the socket.
    pub fn send(&mut self, frame: &[u8]) -> io::Result<()> {
        if let Some(link) = &mut self.link {
            link.send(frame).map_err(ring_error)?;
            if link.pending.len() > MAX_BACKLOG / 1024 {
                return Err(io::Error::other("peer does not read"));
            }
            return Ok(());
        }
        self.send_record(frame)
    }

    /// Encrypts `frame` and queues it on the socket; writes what the socket takes now.
    pub fn send_record(&mut self, frame: &[u8]) -> io::Result<()> {
        let State::Open(t) = &mut self.state else {
            return Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "handshake unfinished",
            ));
        };
        let n = t
            .write_message(frame, &mut self.scratch)
            .map_err(noise_error)?;
        self.outbox.extend_from_slice(&(n as u16).to_be_bytes());
        self.outbox.extend_from_slice(&self.scratch[..n]);
        if self.outbox.len() > MAX_BACKLOG {
            return Err(io::Error::other("peer does not read"));
        }
        self.flush()
    }

    /// Writes queued bytes until the socket would block (and queued frames into the
    /// ring while it has room).
    pub fn flush(&mut self) -> io::Result<()> {
        if let Some(link) = &mut self.link {
            link.flush().map_err(ring_error)?;
        }
        while !self.outbox.is_empty() {
            match self.stream.write(&self.outbox) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.outbox.drain(..n);
                }
                Err(e) if would_block(&e) => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Reads what the socket has and returns the events it completes and whether the
    /// peer closed its end; `Err` when the stream broke or a record failed Noise's
    /// checks (a wrong key, a forged or replayed record).
    pub fn receive(&mut self) -> io::Result<(Vec<Event>, bool)> {
        let mut buf = [0u8; 16 << 10];
        let mut closed = false;
        loop {
            match self.stream.read(&mut buf) {
                Ok(0) => {
                    closed = true;
                    break;
                }
                Ok(n) => self.inbox.extend_from_slice(&buf[..n]),
                Err(e) if would_block(&e) => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let mut events = Vec::new();
        while self.inbox.len() >= 2 {
            let len = u16::from_be_bytes([self.inbox[0], self.inbox[1]]) as usize;
            if self.inbox.len() < 2 + len {
                break;
            }
            let record: Vec<u8> = self.inbox.drain(..2 + len).skip(2).collect();
            if let Some(e) = self.record(&record)? {
                events.push(e);
            }
        }
        Ok((events, closed))
    }

    fn record(&mut self, record: &[u8]) -> io::Result<Option<Event>> {
        match &mut self.state {
            State::Open(t) => {
                let n = t
                    .read_message(record, &mut self.scratch)
                    .map_err(noise_error)?;
                Ok(Some(Event::Frame(self.scratch[..n].to_vec())))
            }
            State::Switching => Err(io::ErrorKind::InvalidData.into()),
            State::Handshake(hs) => {
                hs.read_message(record, &mut self.scratch)
                    .map_err(noise_error)?;
                if !hs.is_handshake_finished() {
                    self.handshake_write()?;
                }
                self.finish_handshake()
            }
        }
    }

    fn handshake_write(&mut self) -> io::Result<()> {
        let State::Handshake(hs) = &mut self.state else {
            return Ok(());
        };
        let n = hs
            .write_message(&[], &mut self.scratch)
            .map_err(noise_error)?;
        self.outbox.extend_from_slice(&(n as u16).to_be_bytes());
        self.outbox.extend_from_slice(&self.scratch[..n]);
        self.flush()
    }

    fn finish_handshake(&mut self) -> io::Result<Option<Event>> {
        let State::Handshake(hs) = &self.state else {
            return Ok(None);
        };
        if !hs.is_handshake_finished() {
            return Ok(None);
        }
        let key = hs
            .get_remote_static()
            .map(<[u8]>::to_vec)
            .unwrap_or_default();
        let State::Handshake(hs) = std::mem::replace(&mut self.state, State::Switching) else {
            return Ok(None);
        };
        self.state = State::Open(Box::new(hs.into_transport_mode().map_err(noise_error)?));
        Ok(Some(Event::Authenticated(key)))
    }
}

fn ring_error(e: RingError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("shared ring: {e:?}"))
}

/// A non-blocking socket's "try again" (a connect still in progress counts too).
fn would_block(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::NotConnected
    )
}
