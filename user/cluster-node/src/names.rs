//! The cluster-wide name service as a program uses it: a Call on the node's name cap
//! (a copy of the network service's endpoint badged [`NAME_BADGE`], with Write, Grant
//! and GrantReply but never Read). [`register`] hands the service an endpoint cap to
//! export under a name (the service keeps it as a new object of this node and the
//! node's directory replica records the name); [`lookup`] asks for a name and receives
//! a cap it can Call: a proxy (Write and GrantReply, badged with its entry in the
//! service's proxy table, which pins the exporter's life: after the exporter restarts
//! its calls fail with `ERROR_STALE`) for an object of another node, or a copy with the same rights of the registered
//! endpoint itself when the name is this node's. The directory is replicated (each
//! node's host keeps a replica, docs/cluster.md), so a name registered elsewhere a
//! moment ago may not be known here yet: the lookup answers `ERROR_NO_SUCH_NAME`,
//! and a program tries again.
//!
//! [`unregister`] removes a name this node registered (the object stays exported).
//!
//! The message: label [`REGISTER`], [`LOOKUP`] or [`UNREGISTER`], MR0 the name's length in bytes, then
//! the name packed little-endian 8 bytes a register; a register's endpoint as extra cap
//! 0. The answer: label 0 and MR0 the node, MR1 the object (a lookup's cap as extra
//! cap 0), or `REMOTE_ERROR_LABEL | code`.

use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use libsel4::ipc::{get_mr, set_cap, set_mr, set_receive_path};
use libsel4::{CPtr, MessageInfo, cnode};
use sel4rt::ROOT_CNODE;
use selvm_abi::vm::network::{ERROR_BAD_MESSAGE, NAME_MAX, REMOTE_ERROR_LABEL};

/// The badge bit of name caps (below the workers' bit 39, above every proxy badge).
pub const NAME_BADGE: u64 = 1 << 38;
/// Label: register the endpoint sent as extra cap 0 under the name.
pub const REGISTER: u64 = 1;
/// Label: look the name up.
pub const LOOKUP: u64 = 2;
/// Label: remove the name (only a name this node registered).
pub const UNREGISTER: u64 = 3;
/// Label: a copy of the proxy sent as extra cap 0 with only the rights in MR0.
pub const RESTRICT: u64 = 4;
/// Label: look a notification's name up: the answer's cap is a signal proxy
/// ([`crate::signals`]).
pub const LOOKUP_SIGNAL: u64 = 5;
/// Label: release the proxy sent as extra cap 0: every copy of it on this node is
/// emptied and its node is told ([`crate::transfer`]'s release).
pub const RELEASE: u64 = 6;
/// Registers a name takes at most: its length and the packed bytes.
pub const NAME_WORDS: usize = 1 + NAME_MAX / 8;

/// The node's name cap, for every thread of the root task.
static NAME_CAP: AtomicU64 = AtomicU64::new(0);

/// Makes `cap` the name cap the functions below Call.
pub fn set_name_cap(cap: CPtr) {
    NAME_CAP.store(cap, SeqCst);
}

/// The node's name cap (a copy goes into every process the node spawns).
pub fn name_cap() -> CPtr {
    NAME_CAP.load(SeqCst)
}

/// A name built from text and a number, as `adder@3` (at most `NAME_MAX` bytes).
pub struct Name {
    bytes: [u8; NAME_MAX],
    len: usize,
}

impl Name {
    /// `text` followed by `n` in decimal.
    pub fn numbered(text: &str, n: u64) -> Name {
        let mut name = Name {
            bytes: [0; NAME_MAX],
            len: 0,
        };
        for &b in text.as_bytes() {
            name.push(b);
        }
        let mut digits = [0u8; 20];
        let (mut k, mut n) = (0, n);
        loop {
            digits[k] = b'0' + (n % 10) as u8;
            k += 1;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        digits[..k].iter().rev().for_each(|&d| name.push(d));
        name
    }

    /// A name that is only `text`.
    pub fn plain(text: &str) -> Name {
        let mut name = Name {
            bytes: [0; NAME_MAX],
            len: 0,
        };
        text.as_bytes().iter().for_each(|&b| name.push(b));
        name
    }

    fn push(&mut self, b: u8) {
        if self.len < NAME_MAX {
            self.bytes[self.len] = b;
            self.len += 1;
        }
    }

    /// The name's text.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("?")
    }

    /// Puts the name in MR0 (length) and the registers after it; how many.
    fn to_registers(&self) -> usize {
        set_mr(0, self.len as u64);
        let chunks = self.bytes[..self.len].chunks(8);
        let n = chunks.len();
        for (i, c) in chunks.enumerate() {
            let mut w = [0u8; 8];
            w[..c.len()].copy_from_slice(c);
            set_mr(1 + i, u64::from_le_bytes(w));
        }
        1 + n
    }
}

fn answer(info: MessageInfo) -> Result<(u64, u64), u64> {
    match info.label() {
        0 => Ok((get_mr(0), get_mr(1))),
        label => Err(label),
    }
}

/// Registers `endpoint` under `name`: Ok(node, object) or Err(label).
pub fn register(name: &Name, endpoint: CPtr) -> Result<(u64, u64), u64> {
    let n = name.to_registers();
    set_cap(0, endpoint);
    let info = MessageInfo::new(REGISTER, 0, 1, n as u64).unwrap_or_default();
    answer(libsel4::call(NAME_CAP.load(SeqCst), info))
}

/// Removes `name`, registered on this node: Ok or Err(label).
pub fn unregister(name: &Name) -> Result<(), u64> {
    let n = name.to_registers();
    let info = MessageInfo::new(UNREGISTER, 0, 0, n as u64).unwrap_or_default();
    answer(libsel4::call(NAME_CAP.load(SeqCst), info)).map(drop)
}

/// Looks `name` up; its cap lands in `into` (an empty slot of the root CNode, which
/// this empties first). Ok(node, object) or Err(label).
pub fn lookup(name: &Name, into: CPtr) -> Result<(u64, u64), u64> {
    lookup_as(LOOKUP, name, into)
}

/// Looks the name of a notification up; a cap to Signal it lands in `into` (as
/// [`lookup`]).
pub fn lookup_signal(name: &Name, into: CPtr) -> Result<(u64, u64), u64> {
    lookup_as(LOOKUP_SIGNAL, name, into)
}

fn lookup_as(label: u64, name: &Name, into: CPtr) -> Result<(u64, u64), u64> {
    let _ = cnode::delete(ROOT_CNODE, into, 64);
    let n = name.to_registers();
    set_receive_path(ROOT_CNODE, into, 64);
    let info = MessageInfo::new(label, 0, 0, n as u64).unwrap_or_default();
    let got = libsel4::call(NAME_CAP.load(SeqCst), info);
    set_receive_path(0, 0, 0);
    match answer(got) {
        Ok(_) if got.extra_caps() != 1 => Err(REMOTE_ERROR_LABEL | ERROR_BAD_MESSAGE),
        other => other,
    }
}

/// Makes in `into` (emptied first) a proxy like `proxy` (one a lookup made) with only
/// the rights it has that are also in `keep` ([`crate::transfer::RIGHT_GRANT`]): never
/// more. Ok or Err(label).
pub fn restrict(proxy: CPtr, keep: u64, into: CPtr) -> Result<(), u64> {
    let _ = cnode::delete(ROOT_CNODE, into, 64);
    set_receive_path(ROOT_CNODE, into, 64);
    set_mr(0, keep);
    set_cap(0, proxy);
    let info = MessageInfo::new(RESTRICT, 0, 1, 1).unwrap_or_default();
    let got = libsel4::call(NAME_CAP.load(SeqCst), info);
    set_receive_path(0, 0, 0);
    match got.label() {
        0 if got.extra_caps() == 1 => Ok(()),
        0 => Err(REMOTE_ERROR_LABEL | ERROR_BAD_MESSAGE),
        label => Err(label),
    }
}

/// Releases `proxy` (a proxy made by this node's service): every copy of it on this
/// node is emptied and its node may drop the export. Err(label) when `proxy` was not
/// such a proxy (an original endpoint, a numbered proxy: nothing to release).
pub fn release(proxy: CPtr) -> Result<(), u64> {
    set_cap(0, proxy);
    let info = MessageInfo::new(RELEASE, 0, 1, 0).unwrap_or_default();
    match libsel4::call(NAME_CAP.load(SeqCst), info).label() {
        0 => Ok(()),
        label => Err(label),
    }
}
