//! One fuzz input through everything that reads bytes from outside: the decoders
//! (a decoded value must encode back to exactly its bytes) and a node's core fed the
//! input, cut into pieces, as peer frames and guest messages, with time moving on
//! (every message it gives the guest must decode). A panic is a finding. The
//! cargo-fuzz target `cluster_wire` (fuzz/) and this crate's property test run it.

use crate::core::{Core, Output, Timeouts};
use crate::guest::{Message, NameRequest};
use crate::wire::Frame;

/// Runs one input.
pub fn run(data: &[u8]) {
    if let Ok(f) = Frame::decode(data) {
        assert_eq!(f.encode(), data, "a frame re-encodes to its bytes");
    }
    if let Ok(m) = Message::decode(data) {
        assert_eq!(m.encode(), data, "a message re-encodes to its bytes");
    }
    if let Some(Ok(r)) = NameRequest::decode(data) {
        assert!(!r.name.is_empty() && r.name.len() <= selvm_abi::vm::network::NAME_MAX);
    }
    let mut core = Core::new(1, 7, 3, Timeouts::default());
    core.connected(2, 0);
    let mut rest = data;
    let mut now = 0;
    // Each piece: a length byte, a selector byte, then that many bytes.
    while let [len, select, tail @ ..] = rest {
        let n = (*len as usize).min(tail.len());
        let (piece, after) = tail.split_at(n);
        now += 1_000_000 * u64::from(*select >> 2);
        match select & 3 {
            0 => core.from_peer(2, piece, now),
            1 => core.from_guest(piece, now),
            2 => core.connected(2 + u64::from(*len % 2), now),
            _ => core.disconnected(2),
        }
        core.tick(now);
        while let Some(o) = core.poll_output() {
            if let Output::Guest(bytes) = o {
                assert!(
                    Message::decode(&bytes).is_ok(),
                    "the core gives the guest only good messages"
                );
            }
        }
        rest = after;
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arbitrary_inputs_find_nothing(data in proptest::collection::vec(any::<u8>(), 0..2000)) {
            super::run(&data);
        }
    }

    #[test]
    fn a_valid_exchange_goes_through() {
        use crate::wire::{Body, Frame};
        let hello = Frame {
            from: 2,
            incarnation: 9,
            seq: 0,
            body: Body::Hello { nodes: 3 },
        }
        .encode();
        let mut data = alloc::vec![hello.len() as u8, 0];
        data.extend_from_slice(&hello);
        super::run(&data);
    }
}
