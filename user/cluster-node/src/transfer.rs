//! Capabilities across nodes: an endpoint cap a client sends through a proxy (which
//! needs Grant, seL4's rule for sending caps) arrives on the other node as a working
//! cap in the receiver's receive slot; a proxy that returns to its home node arrives
//! as the original endpoint (with the rights the proxy had, never Read).
//!
//! On the wire a carried cap is a **descriptor** of 4 words after the message
//! registers, flagged by [`CAP_CARRIED`] in the label: the node, the object, the
//! exporter's pinned life and the rights ([`RIGHT_GRANT`]). The sending service makes
//! it: a proxy it receives is unwrapped by seL4 into its badge (it is a badged copy of
//! the service's own endpoint), which names a proxy table entry; any other endpoint is
//! exported as a new object of this node. The receiving service makes the cap: its own
//! object when the descriptor names this node and life (the original), else a proxy
//! table entry and a proxy badged with it and the rights.
//!
//! A proxy's rights live in its badge (`TABLE_BADGE | rights << 8 | index`) and in
//! its seL4 rights (Grant only with [`RIGHT_GRANT`]); [`restrict`] makes a proxy with
//! fewer rights, never more.

use crate::workers::Pool;
use libsel4::{CPtr, CapRights, cnode};
use sel4rt::ROOT_CNODE;
use selvm_abi::vm::network::{ERROR_BAD_MESSAGE, ERROR_BUSY, ERROR_NO_SUCH_OBJECT, ERROR_STALE};

/// A label bit: the message's last [`CAP_WORDS`] registers describe a carried cap.
/// Clients may not set it (their label would forge a descriptor).
pub const CAP_CARRIED: u64 = 1 << 50;
/// Registers a carried cap's descriptor takes: node, object, life, rights.
pub const CAP_WORDS: usize = 4;
/// Right: the cap may carry caps (seL4's Grant).
pub const RIGHT_GRANT: u64 = 1;
/// Every right a proxy can have.
pub const RIGHTS_ALL: u64 = RIGHT_GRANT;
/// The badge bit of a proxy table proxy (below the name caps' bit 38, above every
/// numbered proxy's node and object).
pub const TABLE_BADGE: u64 = 1 << 37;
const RIGHTS_SHIFT: u64 = 8;
/// Entries of the proxy table: distinct (node, object, life) a node holds proxies for
/// (a lookup or an arriving cap finding it full answers `ERROR_BUSY`).
pub const TABLE: usize = 64;

/// The proxies this node's service made: (node, object, pinned life); node 0 when free.
pub struct ProxyTable([(u64, u64, u64); TABLE]);

impl ProxyTable {
    /// An empty table.
    pub const fn new() -> ProxyTable {
        ProxyTable([(0, 0, 0); TABLE])
    }

    /// The badge of a proxy for `object` on `node` in its life `life` with `rights`
    /// (an entry found or made), or `ERROR_BUSY` when the table is full.
    pub fn badge(&mut self, node: u64, object: u64, life: u64, rights: u64) -> Result<u64, u64> {
        let entry = (node, object, life);
        let i = (self.0.iter().position(|&e| e == entry))
            .or_else(|| self.0.iter().position(|&(n, _, _)| n == 0))
            .ok_or(ERROR_BUSY)?;
        self.0[i] = entry;
        Ok(TABLE_BADGE | (rights & RIGHTS_ALL) << RIGHTS_SHIFT | i as u64)
    }

    /// What a proxy badge names: (node, object, life, rights).
    pub fn entry(&self, badge: u64) -> Option<[u64; CAP_WORDS]> {
        if badge & TABLE_BADGE == 0 {
            return None;
        }
        let (node, object, life) = *self.0.get(badge as usize & 0xff)?;
        let rights = (badge >> RIGHTS_SHIFT) & RIGHTS_ALL;
        (node != 0).then_some([node, object, life, rights])
    }
}

/// The seL4 rights of a proxy with `rights`: Write and GrantReply, Grant with
/// [`RIGHT_GRANT`], never Read.
pub fn proxy_rights(rights: u64) -> CapRights {
    CapRights::new(true, rights & RIGHT_GRANT != 0, false, true)
}

/// The descriptor of the cap a client sent with a call: a proxy unwrapped to
/// `unwrapped` (its badge), or the endpoint it sent in `received` (exported here as a
/// new object of `me` in its life `life`).
pub fn describe(
    table: &ProxyTable,
    unwrapped: Option<u64>,
    received: CPtr,
    me: u64,
    life: u64,
) -> Result<[u64; CAP_WORDS], u64> {
    match unwrapped {
        Some(badge) if badge & TABLE_BADGE != 0 => table.entry(badge).ok_or(ERROR_BAD_MESSAGE),
        // A numbered proxy: any life, no rights beyond Write.
        Some(badge) if badge >> 16 != 0 && badge < 1 << 32 => {
            Ok([badge >> 16, badge & 0xffff, 0, 0])
        }
        Some(_) => Err(ERROR_BAD_MESSAGE),
        None => {
            let object = Pool::add_object(received).ok_or(ERROR_BUSY)?;
            Ok([me, object, life, RIGHT_GRANT])
        }
    }
}

/// Makes in `into` the cap a descriptor names: this node's object when it names this
/// node (in this life, or any), else a proxy minted from `endpoint`.
pub fn make(
    table: &mut ProxyTable,
    d: &[u64],
    me: u64,
    life: u64,
    endpoint: CPtr,
    into: CPtr,
) -> Result<(), u64> {
    let &[node, object, pinned, rights] = d else {
        return Err(ERROR_BAD_MESSAGE);
    };
    let _ = cnode::delete(ROOT_CNODE, into, 64);
    let made = if node == me {
        if pinned != 0 && pinned != life {
            return Err(ERROR_STALE);
        }
        let original = Pool::object_cap(object).ok_or(ERROR_NO_SUCH_OBJECT)?;
        cnode::copy(
            ROOT_CNODE,
            into,
            64,
            ROOT_CNODE,
            original,
            64,
            proxy_rights(rights),
        )
    } else {
        if object >= 1 << 16 || node >= 1 << 16 || node == 0 {
            return Err(ERROR_BAD_MESSAGE);
        }
        let badge = table.badge(node, object, pinned, rights)?;
        let r = proxy_rights(rights);
        cnode::mint(ROOT_CNODE, into, 64, ROOT_CNODE, endpoint, 64, r, badge)
    };
    made.map_err(|_| ERROR_BAD_MESSAGE)
}

/// A proxy with the rights of the proxy `badge` that are also in `keep`, minted from
/// `endpoint` into `into` (never more rights than it had).
pub fn restrict(
    table: &ProxyTable,
    badge: u64,
    keep: u64,
    endpoint: CPtr,
    into: CPtr,
) -> Result<(), u64> {
    let [_, _, _, rights] = table.entry(badge).ok_or(ERROR_BAD_MESSAGE)?;
    let rights = rights & keep;
    let badge = badge & !(RIGHTS_ALL << RIGHTS_SHIFT) | rights << RIGHTS_SHIFT;
    let _ = cnode::delete(ROOT_CNODE, into, 64);
    let r = proxy_rights(rights);
    cnode::mint(ROOT_CNODE, into, 64, ROOT_CNODE, endpoint, 64, r, badge)
        .map_err(|_| ERROR_BAD_MESSAGE)
}
