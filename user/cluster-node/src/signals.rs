//! Remote notifications: Signal on a notification of another node. A Signal on an
//! endpoint proxy would be a blocking Send, so a looked-up remote notification is a
//! badged copy of the network service's own bound notification instead (Write only,
//! never Read, which would let its holder take the service's interrupts): a Signal
//! through it sets the badge's bits in the service's notification word, waking the
//! service's Recv at once; the service sends each signalled entry a one-way cluster
//! Send, which the exporting node's worker delivers with seL4_Send on the registered
//! notification cap, a Signal with the exporter's badge. Signals coalesce as seL4's
//! do: several Signals before the service looks are one.
//!
//! Badge of a signal proxy: [`SIGNAL_BADGE`] and one bit of 32, the entry's index.

use selvm_abi::vm::network::ERROR_BUSY;

/// The badge bit of a signal proxy (above the interrupt's bit 40, so the service's
/// notification word tells the two apart; no endpoint badge has it).
pub const SIGNAL_BADGE: u64 = 1 << 41;
/// Remote notifications a node's programs can hold proxies for.
pub const SIGNALS: usize = 32;

/// The remote notifications looked up here: (node, object, pinned life); node 0 free.
pub struct SignalTable([(u64, u64, u64); SIGNALS]);

impl SignalTable {
    /// An empty table.
    pub const fn new() -> SignalTable {
        SignalTable([(0, 0, 0); SIGNALS])
    }

    /// The badge of a signal proxy for `object` on `node` in its life `life` (an entry
    /// found or made), or `ERROR_BUSY` when the table is full.
    pub fn badge(&mut self, node: u64, object: u64, life: u64) -> Result<u64, u64> {
        let entry = (node, object, life);
        let i = (self.0.iter().position(|&e| e == entry))
            .or_else(|| self.0.iter().position(|&(n, _, _)| n == 0))
            .ok_or(ERROR_BUSY)?;
        self.0[i] = entry;
        Ok(SIGNAL_BADGE | 1 << i)
    }

    /// The entries whose bits are set in the notification word `word`.
    pub fn signalled(&self, word: u64) -> impl Iterator<Item = (u64, u64, u64)> + '_ {
        let bits = if word & SIGNAL_BADGE != 0 { word } else { 0 };
        (0..SIGNALS)
            .filter(move |&i| bits & (1 << i) != 0)
            .map(|i| self.0[i])
            .filter(|&(n, _, _)| n != 0)
    }
}
