//! The simulation's network: every message reaches its node after a random latency
//! drawn from a seeded generator, in virtual time (so runs repeat exactly).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A message's delay, drawn uniformly between two bounds, in ns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Latency {
    /// Shortest.
    pub min_ns: u64,
    /// Longest.
    pub max_ns: u64,
}

impl Latency {
    /// A LAN's: 0.1 to 1 ms.
    pub const LAN: Latency = Latency {
        min_ns: 100_000,
        max_ns: 1_000_000,
    };
}

/// A message in flight.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Packet {
    pub from: u64,
    pub to: u64,
    /// A membership message (else a directory state).
    pub swim: bool,
    pub bytes: Vec<u8>,
}

/// Messages in flight, earliest first (ties in the order sent).
pub struct Net {
    pub seed: u64,
    rng: u64,
    latency: Latency,
    queue: BinaryHeap<Reverse<(u64, u64, Packet)>>,
    sent: u64,
}

impl Net {
    pub fn new(seed: u64, latency: Latency) -> Net {
        Net {
            seed,
            rng: seed ^ 0x9e37_79b9_7f4a_7c15,
            latency,
            queue: BinaryHeap::new(),
            sent: 0,
        }
    }

    /// A pseudo-random word (splitmix64).
    fn next(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Sends `bytes` from `from` to `to` at `now`.
    pub fn send(&mut self, from: u64, to: u64, swim: bool, bytes: Vec<u8>, now: u64) {
        let span = self.latency.max_ns.saturating_sub(self.latency.min_ns) + 1;
        let at = now + self.latency.min_ns + self.next() % span;
        self.sent += 1;
        let p = Packet {
            from,
            to,
            swim,
            bytes,
        };
        self.queue.push(Reverse((at, self.sent, p)));
    }

    /// When the next message arrives.
    pub fn next_time(&self) -> Option<u64> {
        self.queue.peek().map(|r| r.0.0)
    }

    /// The next message to arrive.
    pub fn pop(&mut self) -> Option<Packet> {
        self.queue.pop().map(|r| r.0.2)
    }
}
