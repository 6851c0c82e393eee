//! Shared-memory rings where the host has none of the Unix calls they are built on
//! (Windows): the same names as `shm.rs`, but no link can ever be made, so every peer
//! talks over TCP. `Link::create` and `Link::open` say why; nothing else can run.

use std::io;
use std::path::{Path, PathBuf};

/// Why a ring refused or failed (the same variants as on Unix).
#[derive(Debug, PartialEq, Eq)]
pub enum RingError {
    /// No room now.
    Full,
    /// The message is too long.
    TooLong,
    /// The peer broke the ring's rules.
    Corrupt,
}

/// No value of it exists: a link cannot be made on this host.
#[derive(Debug)]
pub enum Never {}

/// One end of a pair of rings (never made here).
#[derive(Debug)]
pub struct Ring(Never);

impl Ring {
    /// Never runs (no ring exists).
    pub fn pop(&self) -> Result<Option<Vec<u8>>, RingError> {
        match self.0 {}
    }

    /// Never runs (no ring exists).
    pub fn has_input(&self) -> bool {
        match self.0 {}
    }

    /// Never runs (no ring exists).
    pub fn sleep_or_input(&self) -> bool {
        match self.0 {}
    }

    /// Never runs (no ring exists).
    pub fn awake(&self) {
        match self.0 {}
    }
}

/// A link to a co-located peer (never made here).
#[derive(Debug)]
pub struct Link {
    /// The rings.
    pub ring: Ring,
    /// Messages waiting for room.
    pub pending: std::collections::VecDeque<Vec<u8>>,
}

fn unsupported() -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        "shared-memory rings need a Unix host (mmap, named pipes); this node uses TCP",
    )
}

/// Bytes of a region's nonce.
pub const NONCE_BYTES: usize = 16;

/// Where rings would live.
pub fn folder() -> PathBuf {
    std::env::temp_dir()
}

impl Link {
    /// Refuses: no shared-memory rings on this host.
    pub fn create(_dir: &Path, _tag: &str) -> io::Result<(Link, PathBuf)> {
        Err(unsupported())
    }

    /// Refuses: no shared-memory rings on this host.
    pub fn open(_dir: &Path, _path: &Path, _nonce: &[u8; NONCE_BYTES]) -> io::Result<Link> {
        Err(unsupported())
    }

    /// Never runs (no link exists).
    pub fn nonce(&self) -> [u8; NONCE_BYTES] {
        match self.ring.0 {}
    }

    /// Never runs (no link exists).
    pub fn send(&mut self, _message: &[u8]) -> Result<(), RingError> {
        match self.ring.0 {}
    }

    /// Never runs (no link exists).
    pub fn flush(&mut self) -> Result<(), RingError> {
        match self.ring.0 {}
    }

    /// Never runs (no link exists).
    pub fn drain_bell(&mut self) {
        match self.ring.0 {}
    }
}
