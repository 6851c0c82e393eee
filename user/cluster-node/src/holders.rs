//! The home node's record of holders: for every endpoint this node sent to another
//! node (a **sent export**), its Grant token ([`crate::tokens`]) and which nodes hold
//! how much of its weight, with which rights. The weights are those of
//! [`crate::transfer`]'s reference counting, kept per holder: a holder's record is
//! the weight its proxy table entry holds plus what it passed on that has not yet been
//! registered by the receiver. So the record changes only by messages from the node
//! it charges (the transport authenticates the sending node):
//!
//! - sending an export to node N records N with the full weight and Grant;
//! - node C given a proxy by node B (neither this node) **registers** before it makes
//!   the proxy: its token checked, weight moved from B's record to C's (never more
//!   than B's record holds), so C's calls, which follow on the same connection, find it
//!   recorded; weight B passed on and released meanwhile is still in B's record;
//! - a release, a proxy coming home, or a send that failed takes weight from its
//!   sender's record only (a forged release can drop nobody else's);
//! - a holder whose node goes down (dead, restarted, cut off) loses its records: its
//!   lease is its node's membership.
//!
//! When an export has no holder left it is dropped and its slot freed. Objects never
//! sent (the fixed ones and those registered by name) are **public**: any node may call
//! them, they have no token and no record.

use crate::tokens;
use crate::transfer::{FULL_WEIGHT, RIGHT_GRANT, RIGHTS_ALL};
use crate::workers::MAX_OBJECTS;
use selvm_abi::vm::network::{ERROR_BUSY, ERROR_FORGED, ERROR_NO_SUCH_OBJECT};

/// Nodes a sent export may have as holders at once (a registration beyond: `ERROR_BUSY`).
pub const HOLDERS: usize = 8;

/// One holder: its node (0: a free record), the weight charged to it, its rights.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub struct Holder {
    pub node: u64,
    pub weight: u64,
    pub rights: u64,
}

/// The holders of every sent export of this node, by object number - 1.
pub struct Holders {
    /// The export's Grant token (0: a public object, never sent).
    token: [u64; MAX_OBJECTS],
    held: [[Holder; HOLDERS]; MAX_OBJECTS],
}

impl Default for Holders {
    fn default() -> Self {
        Holders::new()
    }
}

impl Holders {
    /// No sent exports.
    pub const fn new() -> Holders {
        const NONE: Holder = Holder {
            node: 0,
            weight: 0,
            rights: 0,
        };
        Holders {
            token: [0; MAX_OBJECTS],
            held: [[NONE; HOLDERS]; MAX_OBJECTS],
        }
    }

    fn index(object: u64) -> Option<usize> {
        (object as usize)
            .checked_sub(1)
            .filter(|&i| i < MAX_OBJECTS)
    }

    /// Makes `object` a sent export held by node `to` with the full weight and Grant;
    /// its Grant token.
    pub fn export(&mut self, object: u64, to: u64) -> u64 {
        let Some(i) = Holders::index(object) else {
            return 0;
        };
        self.token[i] = tokens::mint(object) | 1; // never 0, which means public
        self.held[i] = [Holder::default(); HOLDERS];
        self.held[i][0] = Holder {
            node: to,
            weight: FULL_WEIGHT,
            rights: RIGHTS_ALL,
        };
        self.token[i]
    }

    /// Whether `object` is a sent export (not public).
    pub fn is_sent(&self, object: u64) -> bool {
        Holders::index(object).is_some_and(|i| self.token[i] != 0)
    }

    /// Whether `token` is `object`'s token for `rights` (a sent export's).
    pub fn verify(&self, object: u64, token: u64, rights: u64) -> bool {
        Holders::index(object).is_some_and(|i| {
            self.token[i] != 0 && tokens::for_rights(self.token[i], rights) == token
        })
    }

    /// Whether node `node` may call `object` (carrying a cap: needs Grant): any node a
    /// public object, a holder a sent one.
    pub fn may_call(&self, object: u64, node: u64, carries_cap: bool) -> bool {
        if !self.is_sent(object) {
            return true;
        }
        let need = if carries_cap { RIGHT_GRANT } else { 0 };
        self.holders(object)
            .any(|h| h.node == node && h.rights & need == need)
    }

    /// The holders of `object` (none for a public object).
    pub fn holders(&self, object: u64) -> impl Iterator<Item = Holder> + '_ {
        let held = Holders::index(object).map_or(&[][..], |i| &self.held[i][..]);
        held.iter().copied().filter(|h| h.node != 0)
    }

    fn record(&mut self, i: usize, node: u64) -> Option<&mut Holder> {
        self.held[i].iter_mut().find(|h| h.node == node)
    }

    /// Takes `weight` from node `node`'s record of `object` (its release, its proxy
    /// coming home, its send that failed), `token` its token for `rights`; the record
    /// goes at 0 (a record holds at most what it was given: more taken empties it).
    /// Ok(true) when the export has no holder left (the caller drops it); a bad token
    /// or a node holding nothing: `ERROR_FORGED`, nothing changed.
    pub fn take(
        &mut self,
        object: u64,
        node: u64,
        token: u64,
        rights: u64,
        weight: u64,
    ) -> Result<bool, u64> {
        if !self.verify(object, token, rights) {
            return Err(ERROR_FORGED);
        }
        let i = Holders::index(object).ok_or(ERROR_FORGED)?;
        let h = self.record(i, node).ok_or(ERROR_FORGED)?;
        h.weight = h.weight.saturating_sub(weight);
        if h.weight == 0 {
            *h = Holder::default();
        }
        Ok(self.holders(object).next().is_none())
    }

    /// Node `to` registers `weight` of `object` with `rights` (`token` its token for
    /// them) given by node `from`: moved from `from`'s record to `to`'s (at most what
    /// `from`'s holds). Weight 0: a public object's proxy, which only has to exist.
    pub fn register(&mut self, object: u64, d: Registration) -> Result<(), u64> {
        let Registration {
            token,
            rights,
            weight,
            from,
            to,
        } = d;
        if weight == 0 {
            return match self.is_sent(object) {
                false => Ok(()),
                true => Err(ERROR_FORGED),
            };
        }
        let i = Holders::index(object).ok_or(ERROR_NO_SUCH_OBJECT)?;
        if !self.verify(object, token, rights) || from == to {
            return Err(ERROR_FORGED);
        }
        let given = self.record(i, from).ok_or(ERROR_FORGED)?.weight.min(weight);
        let free = self.held[i].iter().position(|h| h.node == 0);
        let at = (self.held[i].iter().position(|h| h.node == to))
            .or(free)
            .ok_or(ERROR_BUSY)?;
        let rights = self.held[i][at].rights | rights & RIGHTS_ALL;
        let weight = self.held[i][at].weight.saturating_add(given);
        self.held[i][at] = Holder {
            node: to,
            weight,
            rights,
        };
        if let Some(h) = self.record(i, from) {
            h.weight -= given;
            if h.weight == 0 {
                *h = Holder::default();
            }
        }
        Ok(())
    }

    /// Node `node`'s life ended (it went down): its records go; calls `dropped` with
    /// every export left without a holder.
    pub fn node_down(&mut self, node: u64, mut dropped: impl FnMut(u64)) {
        for i in 0..MAX_OBJECTS {
            if self.token[i] == 0 || !self.held[i].iter().any(|h| h.node == node) {
                continue;
            }
            self.held[i]
                .iter_mut()
                .filter(|h| h.node == node)
                .for_each(|h| *h = Holder::default());
            if self.held[i].iter().all(|h| h.node == 0) {
                dropped(i as u64 + 1);
            }
        }
    }

    /// Forgets `object` (dropped: its number may be taken again, public or sent).
    pub fn forget(&mut self, object: u64) {
        if let Some(i) = Holders::index(object) {
            self.token[i] = 0;
            self.held[i] = [Holder::default(); HOLDERS];
        }
    }
}

/// A registration's claim: the token for `rights`, the weight, who gave it to whom.
#[derive(Clone, Copy, Debug)]
pub struct Registration {
    pub token: u64,
    pub rights: u64,
    pub weight: u64,
    pub from: u64,
    pub to: u64,
}
