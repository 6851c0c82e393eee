//! The network device: whole messages between this node and its cluster's transport.
//! A register frame (node id, incarnation, ring counts) and two rings of 16 slots of
//! 1 KiB in plain-memory frames: the guest fills transmit slots and writes TX_HEAD (the
//! doorbell), and the device takes those messages at once into its output queue; the
//! embedder pushes received messages, which enter the receive ring while it has room
//! (the rest wait here) and raise the line while the ring holds any (level-triggered).
//!
//! The embedder's side: [`Device::push_input`] takes one message; [`Device::take_output`]
//! appends every transmitted message as a 4-byte little-endian length and its bytes
//! ([`split_output`] reads that back).

use super::{Device, IdleNeed, Now, WouldBlock};
use alloc::collections::VecDeque;
use alloc::vec;
use alloc::vec::Vec;
use selvm_abi::vm::device::{IRQ_NETWORK, NETWORK_BASE, NETWORK_BITS};
use selvm_abi::vm::network::{
    NET_ARGUMENT, NET_INCARNATION, NET_MESSAGE_MAX, NET_NODE, NET_NODES, NET_RING_SLOTS,
    NET_RX_HEAD, NET_RX_RING, NET_RX_TAIL, NET_SECRET, NET_SECRET_HIGH, NET_SLOT_BYTES, NET_SLOTS,
    NET_TX_HEAD, NET_TX_RING, NET_TX_TAIL,
};

const LINE: u64 = 1 << IRQ_NETWORK;
const FRAME: u64 = 4096;
const RING_BYTES: usize = (NET_RING_SLOTS * NET_SLOT_BYTES) as usize;
/// Messages received beyond the ring's room that wait here; more are dropped (the
/// transport's calls then time out), so a flood cannot exhaust the host.
const QUEUE_LIMIT: usize = 4096;

/// Who this node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeIdentity {
    /// Node id, 1 ..= `nodes`.
    pub node: u64,
    /// New at every start of the node.
    pub incarnation: u64,
    /// Nodes in the cluster.
    pub nodes: u64,
    /// The operator's word for the node's program (`NET_ARGUMENT`).
    pub argument: u64,
    /// The node's secret (`NET_SECRET`, `NET_SECRET_HIGH`): random words its host drew
    /// at start, which key the tokens of the caps the node sends.
    pub secret: [u64; 2],
}

/// The network device.
#[derive(Debug)]
pub struct Network {
    identity: NodeIdentity,
    tx: Vec<u8>,
    rx: Vec<u8>,
    tx_count: u64,
    rx_head: u64,
    rx_tail: u64,
    /// Received messages waiting for room in the receive ring.
    queued: VecDeque<Vec<u8>>,
    /// Transmitted messages, not yet taken by the embedder.
    output: VecDeque<Vec<u8>>,
    /// Messages dropped because the queue was full.
    pub dropped: u64,
}

impl Network {
    /// A device for the node `identity`.
    pub fn new(identity: NodeIdentity) -> Network {
        Network {
            identity,
            tx: vec![0; RING_BYTES],
            rx: vec![0; RING_BYTES],
            tx_count: 0,
            rx_head: 0,
            rx_tail: 0,
            queued: VecDeque::new(),
            output: VecDeque::new(),
            dropped: 0,
        }
    }

    /// Takes the transmit slots up to the guest's count `head`.
    fn transmit(&mut self, head: u64) {
        let n = head.wrapping_sub(self.tx_count).min(NET_RING_SLOTS);
        for _ in 0..n {
            let at = ((self.tx_count % NET_RING_SLOTS) * NET_SLOT_BYTES) as usize;
            let slot = &self.tx[at..at + NET_SLOT_BYTES as usize];
            let len = u64::from_le_bytes(slot[..8].try_into().unwrap_or_default());
            let len = len.min(NET_MESSAGE_MAX) as usize;
            self.output.push_back(slot[8..8 + len].to_vec());
            self.tx_count = self.tx_count.wrapping_add(1);
        }
    }

    /// Moves queued messages into the receive ring while it has room.
    fn fill(&mut self) {
        while self.rx_head.wrapping_sub(self.rx_tail) < NET_RING_SLOTS {
            let Some(m) = self.queued.pop_front() else {
                return;
            };
            let at = ((self.rx_head % NET_RING_SLOTS) * NET_SLOT_BYTES) as usize;
            let slot = &mut self.rx[at..at + NET_SLOT_BYTES as usize];
            slot[..8].copy_from_slice(&(m.len() as u64).to_le_bytes());
            slot[8..8 + m.len()].copy_from_slice(&m);
            self.rx_head = self.rx_head.wrapping_add(1);
        }
    }
}

/// The messages in what [`Device::take_output`] gave: each a 4-byte little-endian
/// length and its bytes (a truncated tail is ignored).
pub fn split_output(mut bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while bytes.len() >= 4 {
        let len = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
        let Some(m) = bytes.get(4..4 + len) else {
            break;
        };
        out.push(m);
        bytes = &bytes[4 + len..];
    }
    out
}

impl Device for Network {
    fn name(&self) -> &'static str {
        "network"
    }

    fn base(&self) -> u64 {
        NETWORK_BASE
    }

    fn frames(&self) -> u64 {
        (1 << NETWORK_BITS) / FRAME
    }

    fn read(&mut self, offset: u64, _now: Now) -> Result<u64, WouldBlock> {
        Ok(match offset {
            NET_NODE => self.identity.node,
            NET_INCARNATION => self.identity.incarnation,
            NET_TX_HEAD | NET_TX_TAIL => self.tx_count,
            NET_RX_HEAD => self.rx_head,
            NET_RX_TAIL => self.rx_tail,
            NET_SLOTS => NET_RING_SLOTS,
            NET_NODES => self.identity.nodes,
            NET_ARGUMENT => self.identity.argument,
            NET_SECRET => self.identity.secret[0],
            NET_SECRET_HIGH => self.identity.secret[1],
            _ => 0,
        })
    }

    fn write(&mut self, offset: u64, value: u64, _now: Now) {
        match offset {
            NET_TX_HEAD => self.transmit(value),
            NET_RX_TAIL => {
                // Never past what the device put there, never backwards.
                let ahead = value.wrapping_sub(self.rx_tail);
                if ahead <= self.rx_head.wrapping_sub(self.rx_tail) {
                    self.rx_tail = value;
                    self.fill();
                }
            }
            _ => {}
        }
    }

    fn memory_frame(&mut self, frame: u64) -> Option<&mut [u8]> {
        let ring_frames = RING_BYTES as u64 / FRAME;
        let (tx, rx) = (NET_TX_RING / FRAME, NET_RX_RING / FRAME);
        let at = |f: u64| (f * FRAME) as usize..((f + 1) * FRAME) as usize;
        if (tx..tx + ring_frames).contains(&frame) {
            Some(&mut self.tx[at(frame - tx)])
        } else if (rx..rx + ring_frames).contains(&frame) {
            Some(&mut self.rx[at(frame - rx)])
        } else {
            None
        }
    }

    fn raised(&self) -> u64 {
        if self.rx_head != self.rx_tail {
            LINE
        } else {
            0
        }
    }

    fn idle(&mut self, unmasked: u64, _now: Now) -> IdleNeed {
        if self.rx_head != self.rx_tail || unmasked & LINE == 0 {
            IdleNeed::Nothing
        } else {
            // Messages may arrive from the cluster at any time.
            IdleNeed::Input
        }
    }

    fn push_input(&mut self, bytes: &[u8], _now: Now) {
        if bytes.len() as u64 > NET_MESSAGE_MAX || self.queued.len() >= QUEUE_LIMIT {
            self.dropped += 1;
            return;
        }
        self.queued.push_back(bytes.to_vec());
        self.fill();
    }

    fn take_output(&mut self, out: &mut Vec<u8>) {
        for m in self.output.drain(..) {
            out.extend_from_slice(&(m.len() as u32).to_le_bytes());
            out.extend_from_slice(&m);
        }
    }

    fn has_output(&self) -> bool {
        !self.output.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Now = Now {
        ns: 0,
        deterministic: false,
    };
    const ME: NodeIdentity = NodeIdentity {
        node: 2,
        incarnation: 77,
        nodes: 3,
        argument: 5,
        secret: [0x5ec7, 0x5ec8],
    };

    /// Writes `msg` into transmit slot `slot` as a guest would.
    fn put_tx(n: &mut Network, slot: u64, msg: &[u8]) {
        let at = NET_TX_RING + slot * NET_SLOT_BYTES;
        let frame = n.memory_frame(at / FRAME).unwrap();
        let o = (at % FRAME) as usize;
        frame[o..o + 8].copy_from_slice(&(msg.len() as u64).to_le_bytes());
        frame[o + 8..o + 8 + msg.len()].copy_from_slice(msg);
    }

    /// Reads receive slot `slot` as a guest would.
    fn get_rx(n: &mut Network, slot: u64) -> Vec<u8> {
        let at = NET_RX_RING + slot * NET_SLOT_BYTES;
        let frame = n.memory_frame(at / FRAME).unwrap();
        let o = (at % FRAME) as usize;
        let len = u64::from_le_bytes(frame[o..o + 8].try_into().unwrap()) as usize;
        frame[o + 8..o + 8 + len].to_vec()
    }

    #[test]
    fn registers_name_the_node_and_the_rings() {
        let mut n = Network::new(ME);
        assert_eq!(n.read(NET_NODE, NOW), Ok(2));
        assert_eq!(n.read(NET_INCARNATION, NOW), Ok(77));
        assert_eq!(n.read(NET_NODES, NOW), Ok(3));
        assert_eq!(n.read(NET_ARGUMENT, NOW), Ok(5));
        assert_eq!(n.read(NET_SECRET, NOW), Ok(0x5ec7));
        assert_eq!(n.read(NET_SECRET_HIGH, NOW), Ok(0x5ec8));
        assert_eq!(n.read(NET_SLOTS, NOW), Ok(NET_RING_SLOTS));
        assert_eq!(n.read(0x800, NOW), Ok(0), "no register there");
        assert!(n.memory_frame(0).is_none(), "frame 0 holds registers");
        assert!(n.memory_frame(5).is_none() && n.memory_frame(15).is_none());
        assert!(n.memory_frame(1).is_some() && n.memory_frame(11).is_some());
    }

    #[test]
    fn the_doorbell_takes_every_filled_slot_in_order() {
        let mut n = Network::new(ME);
        put_tx(&mut n, 0, b"first");
        put_tx(&mut n, 1, b"second");
        assert!(!n.has_output());
        n.write(NET_TX_HEAD, 2, NOW);
        assert_eq!(n.read(NET_TX_TAIL, NOW), Ok(2));
        let mut out = Vec::new();
        n.take_output(&mut out);
        assert_eq!(split_output(&out), [&b"first"[..], &b"second"[..]]);
        assert!(!n.has_output());
        // A count far ahead takes at most one ring's worth; lengths are clamped.
        put_tx(&mut n, 2, &[7; 3]);
        let at = (NET_TX_RING + 3 * NET_SLOT_BYTES) as usize;
        n.tx[at - NET_TX_RING as usize..][..8].copy_from_slice(&u64::MAX.to_le_bytes());
        n.write(NET_TX_HEAD, 1000, NOW);
        assert_eq!(n.read(NET_TX_TAIL, NOW), Ok(2 + NET_RING_SLOTS));
        let mut out = Vec::new();
        n.take_output(&mut out);
        let msgs = split_output(&out);
        assert_eq!(msgs.len(), NET_RING_SLOTS as usize);
        assert_eq!(msgs[0], &[7; 3]);
        assert_eq!(msgs[1].len() as u64, NET_MESSAGE_MAX, "clamped");
    }

    #[test]
    fn received_messages_fill_the_ring_and_wait_for_room() {
        let mut n = Network::new(ME);
        assert_eq!(n.raised(), 0);
        assert_eq!(n.idle(LINE, NOW), IdleNeed::Input, "messages may come");
        assert_eq!(n.idle(0, NOW), IdleNeed::Nothing, "line masked");
        for i in 0..NET_RING_SLOTS + 2 {
            n.push_input(&[i as u8; 5], NOW);
        }
        assert_eq!(n.raised(), LINE);
        assert_eq!(n.read(NET_RX_HEAD, NOW), Ok(NET_RING_SLOTS), "ring full");
        assert_eq!(get_rx(&mut n, 0), [0; 5]);
        n.write(NET_RX_TAIL, 1000, NOW);
        assert_eq!(n.read(NET_RX_TAIL, NOW), Ok(0), "beyond the head: ignored");
        n.write(NET_RX_TAIL, 2, NOW);
        assert_eq!(n.read(NET_RX_HEAD, NOW), Ok(NET_RING_SLOTS + 2), "refilled");
        assert_eq!(get_rx(&mut n, 0), [16; 5], "slot 0 reused for message 16");
        n.write(NET_RX_TAIL, NET_RING_SLOTS + 2, NOW);
        assert_eq!(n.raised(), 0, "all read");
        n.push_input(&vec![0; NET_MESSAGE_MAX as usize + 1], NOW);
        assert_eq!((n.raised(), n.dropped), (0, 1), "too long: dropped");
    }

    #[test]
    fn split_output_ignores_a_truncated_tail() {
        assert_eq!(split_output(&[1, 0, 0, 0, 9, 5, 0, 0, 0, 1]), [&[9][..]]);
        assert!(split_output(&[]).is_empty());
    }
}
