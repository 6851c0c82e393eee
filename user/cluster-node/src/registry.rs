//! Registration of arriving caps with their home node. A call from node B carrying a
//! cap of a third node E (a proxy B passes on) waits here, **parked**, while this
//! node asks E (a Call to E's control object, label [`HOLD`]: object, life, rights
//! with weight, token, B): E checks the token and moves the weight from B's record to
//! this node's ([`crate::holders`]). Only when E agrees is the proxy made and the call
//! delivered; else the call is refused with E's answer (`ERROR_FORGED` for a bad
//! token, or `ERROR_PEER_DOWN` when E cannot be asked), and nothing was made here, so
//! forged descriptors never take a proxy table entry. A descriptor of a public object
//! (weight 0) is checked too: E answers whether it exists. Since the registration
//! goes before any call this node makes through the proxy, on the same connection,
//! E has recorded this node by the time such a call arrives.
//!
//! The home side answers [`HOLD`] and [`HOLDERS_OF`] (who holds an export: the tests'
//! view of the record).

use crate::holders::{Holders, Registration};
use crate::service::SLOTS;
use crate::transfer::{RIGHTS_ALL, WEIGHT_SHIFT};
use crate::workers::Pool;
use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use selvm_abi::vm::network::{
    ERROR_BAD_MESSAGE, ERROR_NO_SUCH_OBJECT, ERROR_STALE, MSG_CALL, MSG_MAX_MRS, MSG_MRS,
    OBJECT_LIFE_SHIFT,
};

/// Label of a Call to a node's control object: register a cap given to the caller
/// (MR0 object, MR1 life, MR2 rights and weight, MR3 token, MR4 the giver).
pub const HOLD: u64 = 20;
/// Label of a Call to a node's control object: MR0 an object; answers its holders,
/// three words each: node, weight, rights (none for a public object).
pub const HOLDERS_OF: u64 = 21;
/// Calls parked at once (more: refused `ERROR_BUSY`).
pub const PARKED: usize = 4;

const WORDS: usize = MSG_MRS + MSG_MAX_MRS;
#[allow(clippy::declare_interior_mutable_const)]
const ZERO: AtomicU64 = AtomicU64::new(0);
#[allow(clippy::declare_interior_mutable_const)]
const MESSAGE: [AtomicU64; WORDS] = [ZERO; WORDS];
/// The parked calls: header, then registers.
static MESSAGES: [[AtomicU64; WORDS]; PARKED] = [MESSAGE; PARKED];

/// Which reply slot's registration each parked call waits for.
pub struct Parked {
    by_slot: [Option<usize>; SLOTS],
    length: [usize; PARKED],
}

impl Default for Parked {
    fn default() -> Self {
        Parked::new()
    }
}

impl Parked {
    /// None parked.
    pub const fn new() -> Parked {
        Parked {
            by_slot: [None; SLOTS],
            length: [0; PARKED],
        }
    }

    /// Whether a call waits for reply slot `slot`'s answer.
    pub fn is_parked(&self, slot: usize) -> bool {
        self.by_slot.get(slot).is_some_and(|p| p.is_some())
    }

    /// Keeps the call `h` with `mrs` until reply slot `slot`'s answer; false when full.
    pub fn park(&mut self, slot: usize, h: &[u64; MSG_MRS], mrs: &[u64]) -> bool {
        let used = |p: usize| self.by_slot.contains(&Some(p));
        let Some(p) = (0..PARKED).find(|&p| !used(p)) else {
            return false;
        };
        for (w, v) in MESSAGES[p].iter().zip(h.iter().chain(mrs)) {
            w.store(*v, SeqCst);
        }
        self.length[p] = mrs.len().min(MSG_MAX_MRS);
        self.by_slot[slot] = Some(p);
        true
    }

    /// The call parked for reply slot `slot`, if any: its header, and its registers
    /// written into `mrs` (how many).
    pub fn take(
        &mut self,
        slot: usize,
        mrs: &mut [u64; MSG_MAX_MRS],
    ) -> Option<([u64; MSG_MRS], usize)> {
        let p = self.by_slot.get_mut(slot)?.take()?;
        let mut h = [0; MSG_MRS];
        for (v, w) in h.iter_mut().zip(&MESSAGES[p]) {
            *v = w.load(SeqCst);
        }
        let n = self.length[p];
        for (v, w) in mrs.iter_mut().zip(&MESSAGES[p][MSG_MRS..MSG_MRS + n]) {
            *v = w.load(SeqCst);
        }
        Some((h, n))
    }
}

/// The registration of descriptor `d` (given by node `from`) as call `call_id` to its
/// home node: the header and registers (pinned to the life it names, so a home that
/// restarted fails it `ERROR_STALE` at once).
pub fn registration(d: &[u64], from: u64, call_id: u64) -> ([u64; MSG_MRS], [u64; 5]) {
    let [node, object, life, carried, token] =
        [0, 1, 2, 3, 4].map(|i| d.get(i).copied().unwrap_or(0));
    let header = [MSG_CALL, node, call_id, life << OBJECT_LIFE_SHIFT, HOLD, 5];
    (header, [object, life, carried, token, from])
}

/// The home side of [`HOLD`]: node `to` registers what `mrs` says; Err(code) refuses
/// it (nothing changed).
pub fn register(holders: &mut Holders, mrs: &[u64], to: u64, life: u64) -> Result<(), u64> {
    let &[object, pinned, carried, token, from] = mrs else {
        return Err(ERROR_BAD_MESSAGE);
    };
    if pinned != 0 && pinned != life {
        return Err(ERROR_STALE);
    }
    if !Pool::has_object(object) {
        return Err(ERROR_NO_SUCH_OBJECT);
    }
    let claim = Registration {
        token,
        rights: carried & RIGHTS_ALL,
        weight: carried >> WEIGHT_SHIFT,
        from,
        to,
    };
    holders.register(object, claim)
}

/// The answer to [`HOLDERS_OF`] `object`: node, weight, rights of each holder, in
/// `out`; how many words.
pub fn holders_of(holders: &Holders, object: u64, out: &mut [u64]) -> usize {
    let mut n = 0;
    for h in holders.holders(object) {
        if let Some(w) = out.get_mut(n..n + 3) {
            w.copy_from_slice(&[h.node, h.weight, h.rights]);
            n += 3;
        }
    }
    n
}
