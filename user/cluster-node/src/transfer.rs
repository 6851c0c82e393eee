//! Capabilities across nodes: an endpoint cap a client sends through a proxy (which
//! needs Grant, seL4's rule for sending caps) arrives on the other node as a working
//! cap in the receiver's receive slot; a proxy that returns to its home node arrives
//! as the original endpoint (with the rights the proxy had, never Read).
//!
//! On the wire a carried cap is a **descriptor** of 5 words after the message
//! registers, flagged by [`CAP_CARRIED`] in the label: the node, the object, the
//! exporter's pinned life, the rights ([`RIGHT_GRANT`]) with the weight, and the
//! token the home node checks ([`crate::tokens`], [`crate::holders`]; 0 for a public
//! object, which has none). The sending service makes
//! it: a proxy it receives is unwrapped by seL4 into its badge (it is a badged copy of
//! the service's own endpoint), which names a proxy table entry; any other endpoint is
//! exported as a new object of this node. The receiving service makes the cap: its own
//! object when the descriptor names this node and life (the original), else a proxy
//! table entry and a proxy badged with it and the rights.
//!
//! A proxy's rights live in its badge (`TABLE_BADGE | rights << 8 | index`) and in
//! its seL4 rights (Grant only with [`RIGHT_GRANT`]); [`restrict`] makes a proxy with
//! fewer rights, never more.
//!
//! Revocation: the service keeps the **badged original** of every proxy it hands out
//! (one per entry and rights) and hands out copies of it, so when a call through a
//! proxy comes back `ERROR_REVOKED` (its exporter revoked or deleted the exported cap)
//! [`ProxyTable::revoke`] revokes and deletes the original: every local copy, in any
//! program's CSpace, is emptied, as seL4 does for a revoked cap.
//!
//! Release (weighted reference counting, no message when a proxy is passed on): an
//! endpoint sent is exported with [`FULL_WEIGHT`], all of it in the descriptor; the
//! entry that receives it holds that weight, and passing the proxy on sends half of
//! what its entry holds. A program releases a proxy on its name cap
//! (`names::release`): every copy on its node is emptied (the revoke above) and the
//! entry's weight goes back to the exporter, as a revoked entry's does; a descriptor
//! coming home gives its weight back too. When all of it is back the exporter drops
//! the export and frees its slot. Named objects' proxies hold no weight and are never
//! released. The home node keeps who holds the weight ([`crate::holders`]).

use crate::holders::Holders;
use crate::tokens;
use crate::workers::Pool;
use libsel4::{CPtr, CapRights, cnode};
use sel4rt::ROOT_CNODE;
use selvm_abi::vm::network::{
    ERROR_BAD_MESSAGE, ERROR_BUSY, ERROR_FORGED, ERROR_NO_SUCH_OBJECT, ERROR_STALE,
};

/// A label bit: the message's last [`CAP_WORDS`] registers describe a carried cap.
/// Clients may not set it (their label would forge a descriptor).
pub const CAP_CARRIED: u64 = 1 << 50;
/// Registers a carried cap's descriptor takes: node, object, life, rights with the
/// weight carried (`rights | weight << WEIGHT_SHIFT`), and the token.
pub const CAP_WORDS: usize = 5;
/// Right: the cap may carry caps (seL4's Grant).
pub const RIGHT_GRANT: u64 = 1;
/// Every right a proxy can have.
pub const RIGHTS_ALL: u64 = RIGHT_GRANT;
/// The badge bit of a proxy table proxy (below the name caps' bit 38, above every
/// numbered proxy's node and object).
pub const TABLE_BADGE: u64 = 1 << 37;
const RIGHTS_SHIFT: u64 = 8;
/// Where a descriptor's weight starts in its rights word.
pub const WEIGHT_SHIFT: u64 = 8;
/// The weight a sent export starts with: a proxy can be passed on 40 times before
/// its weight (halved each time) is 1, which cannot be passed on (`ERROR_BUSY`).
pub const FULL_WEIGHT: u64 = 1 << 40;
/// Entries of the proxy table: distinct (node, object, life) a node holds proxies for
/// (a lookup or an arriving cap finding it full answers `ERROR_BUSY`).
pub const TABLE: usize = 64;

/// The proxies this node's service made: (node, object, pinned life); node 0 when free.
/// And where their badged originals are kept.
pub struct ProxyTable {
    entries: [(u64, u64, u64); TABLE],
    /// First of `2 × TABLE` empty root slots: entry i's original with rights r is at
    /// `originals + 2i + r`.
    originals: CPtr,
    /// Which originals were made (bit r of entry i).
    made: [u8; TABLE],
    /// The weight each entry holds of its export (0: a named object, never released).
    weight: [u64; TABLE],
    /// Each entry's token (0: a public object's) and the rights it is the token for.
    token: [(u64, u64); TABLE],
}

/// What a freed entry gives back to its home node: node, object, life, the weight it
/// held, its token and the rights of that token.
pub type Held = [u64; 6];

impl ProxyTable {
    /// An empty table keeping its originals in the `2 × TABLE` root slots from
    /// `originals`.
    pub const fn new(originals: CPtr) -> ProxyTable {
        ProxyTable {
            entries: [(0, 0, 0); TABLE],
            originals,
            made: [0; TABLE],
            weight: [0; TABLE],
            token: [(0, 0); TABLE],
        }
    }

    /// The badged original of the proxy `badge` (minted from `endpoint` the first time):
    /// what the service copies proxies from.
    pub fn original(&mut self, badge: u64, endpoint: CPtr) -> Result<CPtr, u64> {
        let [_, _, _, rights] = self.entry(badge).ok_or(ERROR_BAD_MESSAGE)?;
        let i = badge as usize & 0xff;
        let slot = self.originals + 2 * i as u64 + rights;
        if self.made[i] & (1 << rights) == 0 {
            let r = proxy_rights(rights);
            cnode::mint(ROOT_CNODE, slot, 64, ROOT_CNODE, endpoint, 64, r, badge)
                .map_err(|_| ERROR_BAD_MESSAGE)?;
            self.made[i] |= 1 << rights;
        }
        Ok(slot)
    }

    /// Makes in `into` (emptied first) a copy of the proxy `badge`'s original.
    pub fn copy(&mut self, badge: u64, endpoint: CPtr, into: CPtr) -> Result<(), u64> {
        let original = self.original(badge, endpoint)?;
        let _ = cnode::delete(ROOT_CNODE, into, 64);
        cnode::copy(
            ROOT_CNODE,
            into,
            64,
            ROOT_CNODE,
            original,
            64,
            CapRights::ALL,
        )
        .map_err(|_| ERROR_BAD_MESSAGE)
    }

    /// The object the proxy `badge` names is revoked at its node, or this node
    /// releases it: empties every copy of its originals (seL4's revoke), deletes them
    /// and frees the entry. What to give back to its node ([`Held`]), None for no
    /// entry.
    pub fn revoke(&mut self, badge: u64) -> Option<Held> {
        let i = badge as usize & 0xff;
        if badge & TABLE_BADGE == 0 || i >= TABLE || self.entries[i].0 == 0 {
            return None;
        }
        let (node, object, life) = self.entries[i];
        let weight = core::mem::take(&mut self.weight[i]);
        for rights in 0..2 {
            if self.made[i] & (1 << rights) != 0 {
                let slot = self.originals + 2 * i as u64 + rights;
                let _ = cnode::revoke(ROOT_CNODE, slot, 64);
                let _ = cnode::delete(ROOT_CNODE, slot, 64);
            }
        }
        self.made[i] = 0;
        self.entries[i] = (0, 0, 0);
        let (token, rights) = core::mem::take(&mut self.token[i]);
        Some([node, object, life, weight, token, rights])
    }

    /// The token of the proxy `badge` for its rights (0: a public object's).
    fn token_of(&self, badge: u64) -> u64 {
        let (token, top) = self.token[badge as usize & 0xff];
        let rights = (badge >> RIGHTS_SHIFT) & RIGHTS_ALL;
        match token {
            0 => 0,
            _ if rights == top => token,
            _ => tokens::for_rights(token, rights),
        }
    }

    /// The weight the proxy `badge`'s entry holds (0: a named object's, or none).
    pub fn weight(&self, badge: u64) -> u64 {
        let i = badge as usize & 0xff;
        if badge & TABLE_BADGE == 0 || i >= TABLE {
            return 0;
        }
        self.weight[i]
    }

    /// Entries in use.
    pub fn used(&self) -> u64 {
        self.entries.iter().filter(|e| e.0 != 0).count() as u64
    }

    /// Half the weight the proxy `badge`'s entry holds, taken to pass the proxy on:
    /// 0 for a named object's, `ERROR_BUSY` when only 1 is left.
    fn split(&mut self, badge: u64) -> Result<u64, u64> {
        let w = &mut self.weight[badge as usize & 0xff];
        let half = *w / 2;
        if *w == 1 {
            return Err(ERROR_BUSY);
        }
        *w -= half;
        Ok(half)
    }

    /// The badge of a proxy for `object` on `node` in its life `life` with `rights`
    /// (an entry found or made), or `ERROR_BUSY` when the table is full.
    pub fn badge(&mut self, node: u64, object: u64, life: u64, rights: u64) -> Result<u64, u64> {
        let entry = (node, object, life);
        let found = self.entries.iter().position(|&e| e == entry);
        let i = found
            .or_else(|| self.entries.iter().position(|&(n, _, _)| n == 0))
            .ok_or(ERROR_BUSY)?;
        if found.is_none() {
            self.weight[i] = 0;
            self.token[i] = (0, 0);
        }
        self.entries[i] = entry;
        Ok(TABLE_BADGE | (rights & RIGHTS_ALL) << RIGHTS_SHIFT | i as u64)
    }

    /// What a proxy badge names: (node, object, life, rights).
    pub fn entry(&self, badge: u64) -> Option<[u64; 4]> {
        if badge & TABLE_BADGE == 0 {
            return None;
        }
        let (node, object, life) = *self.entries.get(badge as usize & 0xff)?;
        let rights = (badge >> RIGHTS_SHIFT) & RIGHTS_ALL;
        (node != 0).then_some([node, object, life, rights])
    }
}

/// The seL4 rights of a proxy with `rights`: Write and GrantReply, Grant with
/// [`RIGHT_GRANT`], never Read.
pub fn proxy_rights(rights: u64) -> CapRights {
    CapRights::new(true, rights & RIGHT_GRANT != 0, false, true)
}

/// The descriptor of the cap a client sent with a call to node `to`: a proxy
/// unwrapped to `unwrapped` (its badge), or the endpoint it sent in `received`
/// (exported here as a new object of `me` in its life `life`, held by `to`).
pub fn describe(
    (table, holders): (&mut ProxyTable, &mut Holders),
    unwrapped: Option<u64>,
    received: CPtr,
    (me, life, to): (u64, u64, u64),
) -> Result<[u64; CAP_WORDS], u64> {
    match unwrapped {
        Some(badge) if badge & TABLE_BADGE != 0 => {
            let [node, object, life, rights] = table.entry(badge).ok_or(ERROR_BAD_MESSAGE)?;
            let weight = table.split(badge)?;
            let token = table.token_of(badge);
            Ok([node, object, life, rights | weight << WEIGHT_SHIFT, token])
        }
        // A numbered proxy: any life, no rights beyond Write.
        Some(badge) if badge >> 16 != 0 && badge < 1 << 32 => {
            Ok([badge >> 16, badge & 0xffff, 0, 0, 0])
        }
        Some(_) => Err(ERROR_BAD_MESSAGE),
        None => {
            let object = Pool::add_object(received).ok_or(ERROR_BUSY)?;
            let token = holders.export(object, to);
            let carried = RIGHT_GRANT | FULL_WEIGHT << WEIGHT_SHIFT;
            Ok([me, object, life, carried, token])
        }
    }
}

/// Whether the descriptor `d` is whole and names a node and an object that can be
/// (node 1 to 65535, object below 65536).
pub fn in_range(d: &[u64]) -> bool {
    d.len() == CAP_WORDS && (1..1 << 16).contains(&d[0]) && d[1] < 1 << 16
}

/// Whether the descriptor `d`, arriving from node `from`, must be checked by its home
/// node before its cap is made: it names a third node (not this one, not the sender,
/// which recorded this node as a holder when it sent its own export).
pub fn names_third_node(d: &[u64], me: u64, from: u64) -> bool {
    d.first().is_some_and(|&node| node != me && node != from)
}

/// Makes in `into` the cap a descriptor from node `from` names: this node's object
/// when it names this node (in this life, or any; a sent export's weight comes home
/// from `from`'s record, its token checked), else a proxy minted from `endpoint`,
/// whose entry takes the weight and token carried (checked by their home node before,
/// [`names_third_node`]). Some(object) when the weight that came home was the last
/// held of that export (to drop), else None.
pub fn make(
    (table, holders): (&mut ProxyTable, &mut Holders),
    d: &[u64],
    (me, life, from): (u64, u64, u64),
    endpoint: CPtr,
    into: CPtr,
) -> Result<Option<u64>, u64> {
    let &[node, object, pinned, carried, token] = d else {
        return Err(ERROR_BAD_MESSAGE);
    };
    let (rights, weight) = (carried & RIGHTS_ALL, carried >> WEIGHT_SHIFT);
    let _ = cnode::delete(ROOT_CNODE, into, 64);
    if node == me {
        if pinned != 0 && pinned != life {
            return Err(ERROR_STALE);
        }
        let original = Pool::object_cap(object).ok_or(ERROR_NO_SUCH_OBJECT)?;
        // Validate fully, then act: a sent export's token and its sender's record.
        let last = match holders.is_sent(object) {
            true => holders.take(object, from, token, rights, weight)?,
            false if weight != 0 => return Err(ERROR_FORGED),
            false => false,
        };
        let r = proxy_rights(rights);
        cnode::copy(ROOT_CNODE, into, 64, ROOT_CNODE, original, 64, r)
            .map_err(|_| ERROR_BAD_MESSAGE)?;
        return Ok(last.then_some(object));
    }
    if object >= 1 << 16 || node >= 1 << 16 || node == 0 {
        return Err(ERROR_BAD_MESSAGE);
    }
    let badge = table.badge(node, object, pinned, rights)?;
    let i = badge as usize & 0xff;
    table.weight[i] = table.weight[i].saturating_add(weight);
    let (held, top) = table.token[i];
    if token != 0 && (held == 0 || rights & !top != 0) {
        table.token[i] = (token, rights);
    }
    table.copy(badge, endpoint, into)?;
    Ok(None)
}

/// A proxy with the rights of the proxy `badge` that are also in `keep`, minted from
/// `endpoint` into `into` (never more rights than it had).
pub fn restrict(
    table: &mut ProxyTable,
    badge: u64,
    keep: u64,
    endpoint: CPtr,
    into: CPtr,
) -> Result<(), u64> {
    let [_, _, _, rights] = table.entry(badge).ok_or(ERROR_BAD_MESSAGE)?;
    let rights = rights & keep;
    let badge = badge & !(RIGHTS_ALL << RIGHTS_SHIFT) | rights << RIGHTS_SHIFT;
    table.copy(badge, endpoint, into)
}
