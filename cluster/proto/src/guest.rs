//! The cluster messages between a node's guest (its network service) and the device:
//! little-endian words laid out as `selvm_abi::vm::network` says (kind, node, call id,
//! object, label, length, then the message registers). Decoding checks everything the
//! guest could get wrong, since the guest is not trusted by the host.

use alloc::string::String;
use alloc::vec::Vec;
use selvm_abi::vm::network::{
    MSG_CALL, MSG_ERROR, MSG_LOOKUP, MSG_MAX_MRS, MSG_MRS, MSG_NODE_DOWN, MSG_NODE_UP,
    MSG_REGISTER, MSG_REPLY, MSG_SEND, MSG_UNREGISTER, NAME_MAX,
};

/// One cluster message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// `MSG_*`.
    pub kind: u64,
    /// The peer node: the destination (from the guest) or the source (to the guest).
    pub node: u64,
    /// The call it belongs to.
    pub call_id: u64,
    /// The object on the destination node.
    pub object: u64,
    /// The seL4 label (an error's code).
    pub label: u64,
    /// The message registers (at most 120).
    pub mrs: Vec<u64>,
}

/// Why bytes from the guest are not a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadMessage {
    /// Shorter than the header, not whole words, or not as long as its length word says.
    Length,
    /// The length word is above 120.
    TooManyRegisters,
    /// An unknown kind, or one the guest may not send.
    Kind,
    /// A directory request's name: empty, longer than `NAME_MAX` bytes or than its
    /// registers, or not UTF-8.
    Name,
}

/// A directory request from the guest (`MSG_REGISTER`, `MSG_LOOKUP`,
/// `MSG_UNREGISTER`), which the node's host answers from its replica.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameRequest {
    /// `MSG_REGISTER`, `MSG_LOOKUP` or `MSG_UNREGISTER`.
    pub kind: u64,
    /// The guest's call id, which the answer carries.
    pub call_id: u64,
    /// The object registered (a register's).
    pub object: u64,
    /// The name.
    pub name: String,
}

impl NameRequest {
    /// The request in a transmit slot: None when the kind is not a directory request's,
    /// else the request or why it is malformed.
    pub fn decode(bytes: &[u8]) -> Option<Result<NameRequest, BadMessage>> {
        let kind = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?);
        if !matches!(kind, MSG_REGISTER | MSG_LOOKUP | MSG_UNREGISTER) {
            return None;
        }
        Some(Message::decode_words(bytes).and_then(|m| {
            let len = m.label as usize;
            let packed: alloc::vec::Vec<u8> = m.mrs.iter().flat_map(|w| w.to_le_bytes()).collect();
            if len == 0 || len > NAME_MAX || len > packed.len() {
                return Err(BadMessage::Name);
            }
            let name = String::from_utf8(packed[..len].to_vec()).map_err(|_| BadMessage::Name)?;
            Ok(NameRequest {
                kind,
                call_id: m.call_id,
                object: m.object,
                name,
            })
        }))
    }

    /// The registers of a request for `name` (packed little-endian; the label is its
    /// length), as a guest writes them.
    pub fn pack(name: &str) -> alloc::vec::Vec<u64> {
        (name.as_bytes().chunks(8))
            .map(|c| {
                let mut w = [0u8; 8];
                w[..c.len()].copy_from_slice(c);
                u64::from_le_bytes(w)
            })
            .collect()
    }
}

impl Message {
    /// A message of `kind` with no registers.
    pub fn event(kind: u64, node: u64) -> Message {
        Message {
            kind,
            node,
            call_id: 0,
            object: 0,
            label: 0,
            mrs: Vec::new(),
        }
    }

    /// The bytes of a receive-ring message.
    pub fn encode(&self) -> Vec<u8> {
        let header = [
            self.kind,
            self.node,
            self.call_id,
            self.object,
            self.label,
            self.mrs.len() as u64,
        ];
        let mut out = Vec::with_capacity((MSG_MRS + self.mrs.len()) * 8);
        for w in header.iter().chain(&self.mrs) {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out
    }

    /// Reads what the guest put in a transmit slot; only the kinds a guest sends
    /// (Call, Send, Reply) are accepted.
    pub fn decode_from_guest(bytes: &[u8]) -> Result<Message, BadMessage> {
        let m = Message::decode(bytes)?;
        match m.kind {
            MSG_CALL | MSG_SEND | MSG_REPLY => Ok(m),
            _ => Err(BadMessage::Kind),
        }
    }

    /// Reads any message (the guest side's decoder, and tests).
    pub fn decode(bytes: &[u8]) -> Result<Message, BadMessage> {
        let m = Message::decode_words(bytes)?;
        if !(MSG_CALL..=MSG_NODE_DOWN).contains(&m.kind) {
            return Err(BadMessage::Kind);
        }
        debug_assert!(matches!(
            m.kind,
            MSG_CALL | MSG_SEND | MSG_REPLY | MSG_ERROR | MSG_NODE_UP | MSG_NODE_DOWN
        ));
        Ok(m)
    }

    /// Reads the header and registers of a message of any kind.
    fn decode_words(bytes: &[u8]) -> Result<Message, BadMessage> {
        if bytes.len() % 8 != 0 || bytes.len() < MSG_MRS * 8 {
            return Err(BadMessage::Length);
        }
        let word = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&bytes[i * 8..i * 8 + 8]);
            u64::from_le_bytes(w)
        };
        let n = word(5);
        if n > MSG_MAX_MRS as u64 {
            return Err(BadMessage::TooManyRegisters);
        }
        if bytes.len() != (MSG_MRS + n as usize) * 8 {
            return Err(BadMessage::Length);
        }
        Ok(Message {
            kind: word(0),
            node: word(1),
            call_id: word(2),
            object: word(3),
            label: word(4),
            mrs: (0..n as usize).map(|i| word(MSG_MRS + i)).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use proptest::prelude::*;

    fn call(mrs: Vec<u64>) -> Message {
        Message {
            kind: MSG_CALL,
            node: 2,
            call_id: 9,
            object: 1,
            label: 7,
            mrs,
        }
    }

    #[test]
    fn a_message_survives_encoding() {
        let m = call(vec![40, 2]);
        assert_eq!(m.encode().len(), 8 * 8);
        assert_eq!(Message::decode_from_guest(&m.encode()), Ok(m));
    }

    #[test]
    fn bad_guest_bytes_are_refused() {
        let mut bytes = call(vec![1]).encode();
        assert_eq!(Message::decode(&bytes[..47]), Err(BadMessage::Length));
        bytes.push(0);
        assert_eq!(Message::decode(&bytes), Err(BadMessage::Length));
        let too_many = call(vec![0; 121]).encode();
        assert_eq!(
            Message::decode(&too_many),
            Err(BadMessage::TooManyRegisters)
        );
        let error = Message::event(MSG_ERROR, 3).encode();
        assert!(Message::decode(&error).is_ok());
        assert_eq!(
            Message::decode_from_guest(&error),
            Err(BadMessage::Kind),
            "only the host sends errors"
        );
        let unknown = Message::event(99, 3).encode();
        assert_eq!(Message::decode(&unknown), Err(BadMessage::Kind));
    }

    #[test]
    fn directory_requests_are_read_strictly() {
        let request = |kind, label, mrs| {
            let m = Message {
                kind,
                node: 0,
                call_id: 3,
                object: 4,
                label,
                mrs,
            };
            NameRequest::decode(&m.encode())
        };
        let name = "kv-standby";
        assert_eq!(
            request(MSG_REGISTER, name.len() as u64, NameRequest::pack(name)),
            Some(Ok(NameRequest {
                kind: MSG_REGISTER,
                call_id: 3,
                object: 4,
                name: name.into()
            }))
        );
        assert_eq!(
            request(MSG_CALL, 1, vec![0x61]),
            None,
            "not a directory request"
        );
        for (label, mrs) in [
            (0, vec![0x61]),
            (9, vec![0x61]),
            (65, vec![0x6161_6161_6161_6161; 9]),
            (1, vec![0xff]),
        ] {
            let got = request(MSG_LOOKUP, label, mrs.clone());
            assert_eq!(got, Some(Err(BadMessage::Name)), "{label} {mrs:?}");
        }
        assert_eq!(
            NameRequest::decode(&Message::event(MSG_UNREGISTER, 0).encode()[..40]),
            Some(Err(BadMessage::Length))
        );
    }

    proptest! {
        #[test]
        fn any_bytes_decode_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..1100)) {
            if let Ok(m) = Message::decode(&bytes) {
                prop_assert_eq!(m.encode(), bytes);
            }
        }

        #[test]
        fn any_message_round_trips(kind in 1u64..=6, node: u64, call_id: u64, label: u64,
                                   mrs in proptest::collection::vec(any::<u64>(), 0..=120)) {
            let m = Message { kind, node, call_id, object: 3, label, mrs };
            prop_assert_eq!(Message::decode(&m.encode()), Ok(m));
        }
    }
}
