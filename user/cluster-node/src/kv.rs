//! The demo's key-value service (`selvm cluster demo`): a primary on node 1 registered
//! as `kv`, a standby on node 2 registered as `kv-standby`. Its state is a CRDT: a
//! last-writer-wins map of [`KEYS`] keys, each a value and a stamp (a Lamport counter
//! above the writing node's id), merged key by key by the greater stamp — a join, so
//! replicas that exchange states in any order agree.
//!
//! Replication: the primary answers a Put only after the standby merged the new state
//! (a Call), so a write acknowledged by the primary is on both while both are up. The
//! standby (serving while the primary is down) sends its state one way (a Send, which
//! is dropped while the primary is down): it never waits for the primary, so the two
//! never wait for each other. A primary that starts fetches the standby's state before
//! it registers its name, so a restarted node 1 serves what was written meanwhile.
//!
//! Labels: [`PUT`] (MR0 key, MR1 value; answers the value and this node), [`GET`]
//! (MR0 key; the value and this node), [`MERGE`] (the 2 × [`KEYS`] words of a state;
//! answers nothing but label 0), [`STATE`] (answers this replica's state).

use crate::names::{self, Name};
use crate::print::{Part::*, line};
use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use libsel4::ipc::{get_mr, set_mr};
use libsel4::{Error, MessageInfo, tcb};
use sel4rt::{Env, types};

/// Keys of the map (0 .. KEYS).
pub const KEYS: usize = 8;
/// Label: write a key.
pub const PUT: u64 = 1;
/// Label: read a key.
pub const GET: u64 = 2;
/// Label: merge the state in the registers.
pub const MERGE: u64 = 3;
/// Label: answer the state.
pub const STATE: u64 = 4;
/// The answer to a message it does not understand.
const UNKNOWN: u64 = 99;
/// How long a starting primary tries to fetch the standby's state (machine time).
const FETCH_NS: u64 = 5_000_000_000;

static EP: AtomicU64 = AtomicU64::new(0);
static PEER_SLOT: AtomicU64 = AtomicU64::new(0);
static NODE: AtomicU64 = AtomicU64::new(0);

/// The replicated map: per key, (value, stamp); stamp 0 is never written.
struct State([(u64, u64); KEYS]);

impl State {
    fn merge(&mut self, words: &[u64]) {
        for (k, pair) in words.chunks_exact(2).take(KEYS).enumerate() {
            if pair[1] > self.0[k].1 {
                self.0[k] = (pair[0], pair[1]);
            }
        }
    }

    fn put(&mut self, key: usize, value: u64, node: u64) {
        let counter = self.0.iter().map(|&(_, s)| s >> 8).max().unwrap_or(0) + 1;
        self.0[key] = (value, counter << 8 | node);
    }

    fn to_registers(&self) -> u64 {
        for (k, &(v, s)) in self.0.iter().enumerate() {
            set_mr(2 * k, v);
            set_mr(2 * k + 1, s);
        }
        2 * KEYS as u64
    }

    fn from_registers(&mut self, n: usize) {
        let mut words = [0u64; 2 * KEYS];
        for (i, w) in words.iter_mut().enumerate().take(n) {
            *w = get_mr(i);
        }
        self.merge(&words[..n.min(2 * KEYS)]);
    }
}

fn info(label: u64, length: u64) -> MessageInfo {
    MessageInfo::new(label, 0, 0, length).unwrap_or_default()
}

/// Starts node `me`'s replica: the primary on node 1, the standby elsewhere.
pub fn start(env: &mut Env, me: u64) -> Result<(), Error> {
    NODE.store(me, SeqCst);
    EP.store(env.retype(types::ENDPOINT, 0)?, SeqCst);
    PEER_SLOT.store(env.slots.alloc()?, SeqCst);
    let t = env.create_thread(serve, me, 100, 0)?;
    tcb::resume(t.tcb)
}

/// Gives the peer replica (`peer` by name) this state to merge: a Call that waits for
/// it when `wait`, else a one-way Send.
fn push(state: &State, peer: &Name, wait: bool) {
    let slot = PEER_SLOT.load(SeqCst);
    if names::lookup(peer, slot).is_err() {
        return;
    }
    let n = state.to_registers();
    if wait {
        libsel4::call(slot, info(MERGE, n));
    } else {
        libsel4::send(slot, info(MERGE, n));
    }
}

/// Fetches the peer's state into `state` (a starting primary); whether it did.
fn fetch(state: &mut State, peer: &Name) -> bool {
    let slot = PEER_SLOT.load(SeqCst);
    if names::lookup(peer, slot).is_err() {
        return false;
    }
    let got = libsel4::call(slot, info(STATE, 0));
    if got.label() != 0 {
        return false;
    }
    state.from_registers(got.length());
    true
}

extern "C" fn serve(me: u64) {
    let ep = EP.load(SeqCst);
    let primary = me == 1;
    let (mine, peer) = if primary {
        (Name::plain("kv"), Name::plain("kv-standby"))
    } else {
        (Name::plain("kv-standby"), Name::plain("kv"))
    };
    let mut state = State([(0, 0); KEYS]);
    if primary {
        // A restarted primary takes what the standby holds before clients find it.
        let dev = crate::demo::devices();
        let from = dev.now_ns();
        let mut fetched = fetch(&mut state, &peer);
        while !fetched && dev.now_ns() - from < FETCH_NS {
            libsel4::yield_now();
            fetched = fetch(&mut state, &peer);
        }
        let keys = state.0.iter().filter(|&&(_, s)| s != 0).count() as u64;
        line(&[
            T("kv primary: "),
            T(if fetched {
                "merged the standby's state, keys written: "
            } else {
                "no standby reached; keys written: "
            }),
            N(keys),
        ]);
    }
    let registered = names::register(&mine, ep).is_ok();
    if primary {
        line(&[
            T("kv primary: "),
            T(if registered {
                "serving, registered as kv"
            } else {
                "serving, but registering kv failed"
            }),
        ]);
    }
    let (mut got, _) = libsel4::recv(ep);
    loop {
        let key = get_mr(0) as usize;
        let answer = match got.label() {
            PUT if got.length() >= 2 && key < KEYS => {
                state.put(key, get_mr(1), me);
                // The primary's write is acknowledged once the standby has it too.
                push(&state, &peer, primary);
                set_mr(0, state.0[key].0);
                set_mr(1, me);
                info(0, 2)
            }
            GET if got.length() >= 1 && key < KEYS => {
                set_mr(0, state.0[key].0);
                set_mr(1, me);
                info(0, 2)
            }
            MERGE => {
                state.from_registers(got.length());
                info(0, 0)
            }
            STATE => info(0, state.to_registers()),
            _ => info(UNKNOWN, 0),
        };
        (got, _) = libsel4::reply_recv(ep, answer);
    }
}
