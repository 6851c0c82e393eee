//! The churn driver of the leak test: the relay's label [`CHURN`] (MR0 a node, MR1 a
//! count) sends this node's adder endpoint to that node's relay ([`CALL_SENT`]) that
//! many times. Each send exports the endpoint anew ([`crate::transfer`]); the other
//! relay calls it back through the proxy it arrived as and releases the proxy, which
//! gives the export's weight back, so this node drops the export and frees its slot.
//! Answers how many of the sends were answered right (the sum, from this node).

use crate::names::{self, Name};
use crate::servers::CALL_SENT;
use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use libsel4::ipc::{get_mr, set_cap, set_mr};
use libsel4::{CPtr, Error, MessageInfo};
use sel4rt::Env;

/// Label of a call to a relay: churn (above).
pub const CHURN: u64 = 12;

/// The root slot of the other relay's proxy, and the node it is for (0: none).
static PROXY: AtomicU64 = AtomicU64::new(0);
static FOR: AtomicU64 = AtomicU64::new(0);

/// Takes the slot the driver keeps its proxy in.
pub fn prepare(env: &mut Env) -> Result<(), Error> {
    PROXY.store(env.slots.alloc()?, SeqCst);
    Ok(())
}

/// Sends `endpoint` (this node's adder, `me`) `count` times to `node`'s relay; how
/// many were answered right, or the label of a failed lookup.
pub fn run(endpoint: CPtr, me: u64, node: u64, count: u64) -> Result<u64, u64> {
    let proxy = PROXY.load(SeqCst);
    if FOR.load(SeqCst) != node {
        names::lookup(&Name::numbered("relay@", node), proxy)?;
        FOR.store(node, SeqCst);
    }
    let mut right = 0;
    for k in 0..count {
        set_mr(0, k);
        set_mr(1, 1);
        set_cap(0, endpoint);
        let got = libsel4::call(
            proxy,
            MessageInfo::new(CALL_SENT, 0, 1, 2).unwrap_or_default(),
        );
        right += u64::from(got.label() == 0 && get_mr(0) == k + 1 && get_mr(1) == me);
    }
    Ok(right)
}
