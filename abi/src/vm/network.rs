//! The network device of the hosted machine and the cluster messages it carries: a
//! register frame and two rings of fixed slots (transmit, receive) in the device's
//! 64 KiB at [`NETWORK_BASE`](super::NETWORK_BASE), and an interrupt line raised while
//! the receive ring holds messages. The device moves whole messages; its host side is
//! the cluster transport, which reads the cluster message words below (a remote Call,
//! its reply, a one-way Send, an error, a node event).

use crate::Word;

/// Register (read): this node's id in its cluster (1 ..= [`NET_NODES`]).
pub const NET_NODE: Word = 0x00;
/// Register (read): this node's incarnation, new at every start of the node.
pub const NET_INCARNATION: Word = 0x08;
/// Register (read/write): the guest's transmit count. Writing it hands the slots from
/// [`NET_TX_TAIL`] up to it (at most [`NET_RING_SLOTS`]) to the device, which takes
/// them at once: [`NET_TX_TAIL`] then reads the written value.
pub const NET_TX_HEAD: Word = 0x10;
/// Register (read): the device's transmit count (messages taken).
pub const NET_TX_TAIL: Word = 0x18;
/// Register (read): the device's receive count (messages put in the receive ring).
pub const NET_RX_HEAD: Word = 0x20;
/// Register (read/write): the guest's receive count; writing it frees the slots up to
/// it for the device (at most up to [`NET_RX_HEAD`]).
pub const NET_RX_TAIL: Word = 0x28;
/// Register (read): slots per ring ([`NET_RING_SLOTS`]).
pub const NET_SLOTS: Word = 0x30;
/// Register (read): nodes in the cluster (ids 1 ..= this).
pub const NET_NODES: Word = 0x38;
/// Register (read): a word the node's operator gave (`selvm node --argument`; 0 when
/// none), for the node's program to choose what it runs.
pub const NET_ARGUMENT: Word = 0x40;
/// Register (read): the low word of this node's secret, 128 bits its host drew from the
/// operating system's random source at start (0 when the host gave none); the node's
/// network service keys the tokens of the caps it sends with it.
pub const NET_SECRET: Word = 0x48;
/// Register (read): the high word of this node's secret ([`NET_SECRET`]).
pub const NET_SECRET_HIGH: Word = 0x50;

/// Byte offset of the transmit ring from the device's base (frame 1).
pub const NET_TX_RING: Word = 0x1000;
/// Byte offset of the receive ring from the device's base (frame 8).
pub const NET_RX_RING: Word = 0x8000;
/// Slots in each ring; a count's slot is `count % NET_RING_SLOTS`.
pub const NET_RING_SLOTS: Word = 16;
/// Bytes of a slot: word 0 the message's length in bytes, then the message.
pub const NET_SLOT_BYTES: Word = 1024;
/// Longest message a slot holds, in bytes.
pub const NET_MESSAGE_MAX: Word = NET_SLOT_BYTES - 8;

/// Cluster message word: the kind (`MSG_*`).
pub const MSG_KIND: usize = 0;
/// Cluster message word: the peer node (transmit: the destination; receive: the source).
pub const MSG_NODE: usize = 1;
/// Cluster message word: the call id (chosen by the caller's node; a reply or error
/// carries its call's id).
pub const MSG_CALL_ID: usize = 2;
/// Cluster message word: the object on the destination node (what it exported).
pub const MSG_OBJECT: usize = 3;
/// Cluster message word: the seL4 message label (an error's: its `ERROR_*` code).
pub const MSG_LABEL: usize = 4;
/// Cluster message word: how many message registers follow (at most 120).
pub const MSG_LENGTH: usize = 5;
/// Cluster message word: the first message register.
pub const MSG_MRS: usize = 6;
/// Message registers a cluster message carries at most (seL4's `seL4_MsgMaxLength`).
pub const MSG_MAX_MRS: usize = 120;

/// Kind: a Call of an object on another node (transmit), or from another node
/// (receive); answered by one [`MSG_REPLY`] or [`MSG_ERROR`] with the same call id.
pub const MSG_CALL: Word = 1;
/// Kind: a one-way Send; nothing answers it.
pub const MSG_SEND: Word = 2;
/// Kind: the reply to a [`MSG_CALL`] (transmit: to the caller's node; receive: the
/// answer to this node's call).
pub const MSG_REPLY: Word = 3;
/// Kind (receive only): this node's call failed; the label is an `ERROR_*` code.
pub const MSG_ERROR: Word = 4;
/// Kind (receive only): a node joined or came back (a new incarnation).
pub const MSG_NODE_UP: Word = 5;
/// Kind (receive only): a node left, died or was cut off.
pub const MSG_NODE_DOWN: Word = 6;
/// Kind (transmit): register a name in the cluster-wide directory: the name's bytes
/// packed little-endian in the registers (label: its length), the object this node
/// exports under it; answered by a [`MSG_REPLY`] with the same call id (registers:
/// this node, the object) or a [`MSG_ERROR`].
pub const MSG_REGISTER: Word = 7;
/// Kind (transmit): look a name up in this node's replica of the directory (name as
/// for [`MSG_REGISTER`]); answered by a [`MSG_REPLY`] (registers: the node, the object,
/// the incarnation of the node's life that registered it)
/// or a [`MSG_ERROR`] with [`ERROR_NO_SUCH_NAME`].
pub const MSG_LOOKUP: Word = 8;
/// Kind (transmit): remove a name this node registered (name as for
/// [`MSG_REGISTER`]); answered by a [`MSG_REPLY`] (registers: this node, 0) or a
/// [`MSG_ERROR`] with [`ERROR_NO_SUCH_NAME`] when this node has no such name.
pub const MSG_UNREGISTER: Word = 9;
/// Longest name in the directory, in bytes.
pub const NAME_MAX: usize = 64;
/// Kind (transmit): read a module of this node's store (the modules its host was
/// given, `selvm node --module NAME=FILE`), named as for [`MSG_REGISTER`] (length 0:
/// the store's first module); answered by [`MSG_MODULE_DATA`] messages with the same
/// call id.
pub const MSG_MODULE_READ: Word = 10;
/// Kind (receive only): a piece of a module [`MSG_MODULE_READ`] asked for: the object
/// word is the piece's byte offset, the label the module's length in bytes, the
/// registers the bytes (little-endian, at most 960 a message, the last word padded
/// with zeros); every piece comes, in order. A store without that name answers one
/// with label `REMOTE_ERROR_LABEL | ERROR_NO_SUCH_NAME` and no registers.
pub const MSG_MODULE_DATA: Word = 11;

/// Error code: the destination node is down: it died, left or was cut off before it
/// replied, or was not up when the call was made.
pub const ERROR_PEER_DOWN: Word = 1;
/// Error code: no reply came within the call deadline.
pub const ERROR_TIMEOUT: Word = 2;
/// Error code: the destination is not another node of this cluster.
pub const ERROR_NO_SUCH_NODE: Word = 3;
/// Error code: the message was malformed (a kind, node or length out of range).
pub const ERROR_BAD_MESSAGE: Word = 4;
/// Error code: the destination has no such object.
pub const ERROR_NO_SUCH_OBJECT: Word = 5;
/// Error code: the caller's network service has too many calls outstanding.
pub const ERROR_BUSY: Word = 6;
/// Error code: the directory has no such name (yet: a name registered on another
/// node reaches this node's replica when the nodes next exchange state), or the
/// directory is full.
pub const ERROR_NO_SUCH_NAME: Word = 7;
/// Error code: the call names a life of its node that has ended (the exporter
/// restarted since the proxy was made): the object it meant is gone; look the name up
/// again.
pub const ERROR_STALE: Word = 8;
/// Error code: the exported cap the call names was revoked or deleted on its node (the
/// caller's node then empties every local copy of the proxy).
pub const ERROR_REVOKED: Word = 9;
/// Error code: a spawn's module does not verify (the kernel refused to seal it), has
/// no `cluster_start` export, or is larger than the node's spawn buffer.
pub const ERROR_BAD_MODULE: Word = 10;
/// Error code: the untyped a spawn named has too little memory left for the process
/// (or the node has too little to set it up).
pub const ERROR_NO_MEMORY: Word = 11;
/// Error code: a carried cap's token, a release or a call does not match the home
/// node's record: a token it never minted, or a node that holds no weight of the
/// export (or no Grant, for a call carrying a cap); nothing was changed.
pub const ERROR_FORGED: Word = 12;
/// A Call's or Send's object word (transmit) may pin the exporter's life: bits from
/// this one up hold the low 48 bits of the destination's incarnation (0: any life), the
/// object number is below them; a pinned call to another life fails with
/// [`ERROR_STALE`].
pub const OBJECT_LIFE_SHIFT: Word = 16;

/// The seL4 label a client's remote Call returns with when it failed:
/// `REMOTE_ERROR_LABEL | ERROR_*`, MR0 the destination node. A server's own labels
/// are below it (labels are 52 bits; the network service refuses replies carrying
/// this bit).
pub const REMOTE_ERROR_LABEL: Word = 1 << 51;

// The rings lie apart, after the register frame and inside the device's 64 KiB; a
// slot holds the header and 120 registers; the error label fits seL4's 52-bit label.
const _: () = {
    let ring = NET_RING_SLOTS * NET_SLOT_BYTES;
    assert!(NET_TX_RING >= 0x1000 && NET_TX_RING + ring <= NET_RX_RING);
    assert!(NET_RX_RING + ring <= 1 << super::device::NETWORK_BITS);
    assert!(((MSG_MRS + MSG_MAX_MRS) * 8) as Word <= NET_MESSAGE_MAX);
    assert!(REMOTE_ERROR_LABEL < 1 << 52);
};
