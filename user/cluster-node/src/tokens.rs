//! Tokens the home node can verify. Every endpoint a node sends to another is a new
//! export with a **Grant token**: SipHash-2-4, keyed with this node's secret (128 bits
//! its host drew from the operating system's random source, read from the network
//! device's `NET_SECRET` registers), of the object number and a serial number no other
//! export of this life shares. Nobody but this node can make one, and a dropped
//! export's number taken again gets a new token, so an old descriptor never names the
//! new object. A proxy without Grant carries the **derived token**: SipHash under a
//! fixed public key of the Grant token, which any holder can compute from the Grant
//! token and nobody can turn back into it (Amoeba's one-way rights scheme), so a node
//! given a restricted proxy cannot claim Grant.

use crate::transfer::RIGHT_GRANT;
use core::hash::Hasher;
use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use siphasher::sip::SipHasher24;

/// This node's secret key (both words 0 until [`set_secret`]).
static KEY: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];
/// Exports minted so far in this life.
static SERIAL: AtomicU64 = AtomicU64::new(0);
/// The public key of the one-way derivation (any fixed words do: it is no secret).
const PUBLIC_KEY: (u64, u64) = (0x7365_4c56_4d20_7269, 0x6768_7473_2064_6f77);

/// Keys this node's tokens with `secret` (at start, before any export).
pub fn set_secret(secret: [u64; 2]) {
    KEY[0].store(secret[0], SeqCst);
    KEY[1].store(secret[1], SeqCst);
}

fn sip(key: (u64, u64), words: &[u64]) -> u64 {
    let mut h = SipHasher24::new_with_keys(key.0, key.1);
    words.iter().for_each(|&w| h.write_u64(w));
    h.finish()
}

/// A fresh Grant token for a new export `object`.
pub fn mint(object: u64) -> u64 {
    let serial = SERIAL.fetch_add(1, SeqCst);
    let key = (KEY[0].load(SeqCst), KEY[1].load(SeqCst));
    sip(key, &[object, serial])
}

/// The token of a proxy with `rights` whose export's Grant token is `grant`.
pub fn for_rights(grant: u64, rights: u64) -> u64 {
    if rights & RIGHT_GRANT != 0 {
        grant
    } else {
        sip(PUBLIC_KEY, &[grant])
    }
}
