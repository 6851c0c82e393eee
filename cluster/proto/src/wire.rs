//! Frames between nodes, inside the transport's encrypted channel. Little-endian:
//!
//! ```text
//! version u8 (1) | kind u8 | from u64 | incarnation u64 | seq u64 | body
//! body of Call, Send, Reply: call_id u64 | object u64 | label u64 | count u8 | count x u64
//! body of Hello: nodes u64; of Heartbeat and Goodbye: nothing
//! body of Directory: length u32 | length bytes (at most DIRECTORY_MAX)
//! body of Swim: length u32 | length bytes (at most SWIM_MAX)
//! ```
//!
//! `from` and `incarnation` name the sender's node and its current life; `seq` counts
//! the frames of one connection from 0 (a gap or repeat is a protocol error). The
//! decoder accepts exactly these layouts and nothing longer: any other byte string is
//! an error, never a panic (`tests` fuzz it with arbitrary bytes).

use alloc::vec::Vec;
use selvm_abi::vm::network::MSG_MAX_MRS;

/// The wire format's version.
pub const VERSION: u8 = 1;
/// Bytes of the header.
pub const HEADER: usize = 2 + 3 * 8;
/// Longest frame: a header and a payload of 120 registers.
pub const MAX_FRAME: usize = HEADER + 3 * 8 + 1 + MSG_MAX_MRS * 8;

/// Longest Directory body: a replica's state, which the core carries without reading
/// (it fits a shared ring's record and a Noise message).
pub const DIRECTORY_MAX: usize = 30_000;

/// Longest Swim body: one message of the membership protocol (`foca`, in the
/// transport), which the core carries without reading.
pub const SWIM_MAX: usize = 4096;

/// A remote call's, send's or reply's contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    /// The caller's call id (0 for a Send).
    pub call_id: u64,
    /// The object on the receiving node (a reply's is 0).
    pub object: u64,
    /// seL4 message label.
    pub label: u64,
    /// Message registers (at most 120).
    pub mrs: Vec<u64>,
}

/// What a frame says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// First frame of a connection, each way: the sender's view of the cluster size.
    Hello {
        /// Nodes the sender's configuration lists.
        nodes: u64,
    },
    /// Nothing to say; keeps the peer from declaring this node down.
    Heartbeat,
    /// Call an object; a Reply with the same call id answers.
    Call(Payload),
    /// One-way message to an object.
    Send(Payload),
    /// Answer to a Call.
    Reply(Payload),
    /// The sender leaves the cluster (a clean stop).
    Goodbye,
    /// The sender's replica of the name directory (opaque to the core).
    Directory(Vec<u8>),
    /// A message of the membership protocol (SWIM; opaque to the core).
    Swim(Vec<u8>),
}

/// One frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Sender's node id.
    pub from: u64,
    /// Sender's incarnation.
    pub incarnation: u64,
    /// Position in the connection's frames.
    pub seq: u64,
    /// Contents.
    pub body: Body,
}

/// Why bytes are not a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireError {
    /// Too short for its kind, or bytes left over.
    Length,
    /// Another version of the format.
    Version(u8),
    /// An unknown kind.
    Kind(u8),
    /// More than 120 registers.
    TooManyRegisters,
    /// A Directory or Swim body longer than its limit.
    TooLong,
}

const HELLO: u8 = 1;
const HEARTBEAT: u8 = 2;
const CALL: u8 = 3;
const SEND: u8 = 4;
const REPLY: u8 = 5;
const GOODBYE: u8 = 6;
const DIRECTORY: u8 = 7;
const SWIM: u8 = 8;

impl Frame {
    /// The frame's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(MAX_FRAME);
        let (kind, payload) = match &self.body {
            Body::Hello { .. } => (HELLO, None),
            Body::Heartbeat => (HEARTBEAT, None),
            Body::Call(p) => (CALL, Some(p)),
            Body::Send(p) => (SEND, Some(p)),
            Body::Reply(p) => (REPLY, Some(p)),
            Body::Goodbye => (GOODBYE, None),
            Body::Directory(_) => (DIRECTORY, None),
            Body::Swim(_) => (SWIM, None),
        };
        out.extend_from_slice(&[VERSION, kind]);
        for w in [self.from, self.incarnation, self.seq] {
            out.extend_from_slice(&w.to_le_bytes());
        }
        if let Body::Hello { nodes } = self.body {
            out.extend_from_slice(&nodes.to_le_bytes());
        }
        let opaque = match &self.body {
            Body::Directory(state) => Some((state, DIRECTORY_MAX)),
            Body::Swim(message) => Some((message, SWIM_MAX)),
            _ => None,
        };
        if let Some((bytes, max)) = opaque {
            let n = bytes.len().min(max);
            out.extend_from_slice(&(n as u32).to_le_bytes());
            out.extend_from_slice(&bytes[..n]);
        }
        if let Some(p) = payload {
            for w in [p.call_id, p.object, p.label] {
                out.extend_from_slice(&w.to_le_bytes());
            }
            let n = p.mrs.len().min(MSG_MAX_MRS);
            out.push(n as u8);
            for w in &p.mrs[..n] {
                out.extend_from_slice(&w.to_le_bytes());
            }
        }
        out
    }

    /// Reads a frame; anything but exactly one well-formed frame is an error.
    pub fn decode(bytes: &[u8]) -> Result<Frame, WireError> {
        let mut r = Reader(bytes);
        let version = r.byte()?;
        if version != VERSION {
            return Err(WireError::Version(version));
        }
        let kind = r.byte()?;
        let (from, incarnation, seq) = (r.word()?, r.word()?, r.word()?);
        let body = match kind {
            HELLO => Body::Hello { nodes: r.word()? },
            HEARTBEAT => Body::Heartbeat,
            GOODBYE => Body::Goodbye,
            CALL => Body::Call(r.payload()?),
            SEND => Body::Send(r.payload()?),
            REPLY => Body::Reply(r.payload()?),
            DIRECTORY => Body::Directory(r.opaque(DIRECTORY_MAX)?),
            SWIM => Body::Swim(r.opaque(SWIM_MAX)?),
            other => return Err(WireError::Kind(other)),
        };
        if !r.0.is_empty() {
            return Err(WireError::Length);
        }
        Ok(Frame {
            from,
            incarnation,
            seq,
            body,
        })
    }
}

/// The unread rest of a frame.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, WireError> {
        let (&b, rest) = self.0.split_first().ok_or(WireError::Length)?;
        self.0 = rest;
        Ok(b)
    }

    fn word(&mut self) -> Result<u64, WireError> {
        let (w, rest) = self.0.split_first_chunk::<8>().ok_or(WireError::Length)?;
        self.0 = rest;
        Ok(u64::from_le_bytes(*w))
    }

    fn opaque(&mut self, max: usize) -> Result<Vec<u8>, WireError> {
        let (n, rest) = self.0.split_first_chunk::<4>().ok_or(WireError::Length)?;
        let n = u32::from_le_bytes(*n) as usize;
        if n > max {
            return Err(WireError::TooLong);
        }
        let state = rest.get(..n).ok_or(WireError::Length)?;
        self.0 = &rest[n..];
        Ok(state.to_vec())
    }

    fn payload(&mut self) -> Result<Payload, WireError> {
        let (call_id, object, label) = (self.word()?, self.word()?, self.word()?);
        let n = self.byte()? as usize;
        if n > MSG_MAX_MRS {
            return Err(WireError::TooManyRegisters);
        }
        if self.0.len() < n * 8 {
            return Err(WireError::Length);
        }
        let mrs = (0..n).map(|_| self.word()).collect::<Result<_, _>>()?;
        Ok(Payload {
            call_id,
            object,
            label,
            mrs,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use proptest::prelude::*;

    fn frame(body: Body) -> Frame {
        Frame {
            from: 3,
            incarnation: 0xfeed,
            seq: 12,
            body,
        }
    }

    #[test]
    fn every_kind_round_trips() {
        let p = Payload {
            call_id: 5,
            object: 1,
            label: 9,
            mrs: vec![1, 2, 3],
        };
        for body in [
            Body::Hello { nodes: 3 },
            Body::Heartbeat,
            Body::Goodbye,
            Body::Call(p.clone()),
            Body::Send(p.clone()),
            Body::Reply(p),
            Body::Directory(vec![1, 2, 3]),
            Body::Directory(vec![7; DIRECTORY_MAX]),
            Body::Swim(vec![]),
            Body::Swim(vec![9; SWIM_MAX]),
        ] {
            let f = frame(body);
            assert_eq!(Frame::decode(&f.encode()), Ok(f));
        }
        let full = frame(Body::Call(Payload {
            call_id: 1,
            object: 1,
            label: 1,
            mrs: vec![7; MSG_MAX_MRS],
        }));
        assert_eq!(full.encode().len(), MAX_FRAME);
    }

    #[test]
    fn malformed_frames_are_errors() {
        let good = frame(Body::Reply(Payload {
            call_id: 5,
            object: 0,
            label: 0,
            mrs: vec![4],
        }))
        .encode();
        assert_eq!(
            Frame::decode(&good[..good.len() - 1]),
            Err(WireError::Length)
        );
        let mut long = good.clone();
        long.push(0);
        assert_eq!(Frame::decode(&long), Err(WireError::Length));
        let mut version = good.clone();
        version[0] = 2;
        assert_eq!(Frame::decode(&version), Err(WireError::Version(2)));
        let mut kind = good.clone();
        kind[1] = 77;
        assert_eq!(Frame::decode(&kind), Err(WireError::Kind(77)));
        let mut count = good;
        count[HEADER + 24] = 121;
        assert_eq!(Frame::decode(&count), Err(WireError::TooManyRegisters));
        assert_eq!(Frame::decode(&[]), Err(WireError::Length));
        let mut directory = frame(Body::Directory(vec![5; 10])).encode();
        assert_eq!(
            Frame::decode(&directory[..directory.len() - 1]),
            Err(WireError::Length)
        );
        directory[HEADER..HEADER + 4].copy_from_slice(&(DIRECTORY_MAX as u32 + 1).to_le_bytes());
        assert_eq!(Frame::decode(&directory), Err(WireError::TooLong));
        let mut swim = frame(Body::Swim(vec![5; 10])).encode();
        swim[HEADER..HEADER + 4].copy_from_slice(&(SWIM_MAX as u32 + 1).to_le_bytes());
        assert_eq!(Frame::decode(&swim), Err(WireError::TooLong));
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1200)) {
            if let Ok(f) = Frame::decode(&bytes) {
                prop_assert_eq!(f.encode(), bytes, "a decoded frame is exactly its bytes");
            }
        }

        #[test]
        fn mutated_frames_never_panic(flip in 0usize..200, value: u8,
                                      mrs in proptest::collection::vec(any::<u64>(), 0..20)) {
            let mut bytes = frame(Body::Call(Payload { call_id: 1, object: 2, label: 3, mrs })).encode();
            let i = flip % bytes.len();
            bytes[i] = value;
            let _ = Frame::decode(&bytes);
        }
    }
}
