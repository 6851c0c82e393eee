//! A layout for a seLVM cluster (docs/cluster.md, "Remote process creation"):
//! `selvm cluster up -n 3 target/user/cluster-system.sbc` gives this module to every
//! node's store and node 1's root task spawns it there with argument [`LAYOUT`]. The
//! layout spawns this same module (the store's first) on node 2 as an adder and on
//! node 3 as a relay, calls the adder through the endpoint its spawn answered, sends
//! that endpoint to the relay, which calls it, and checks every answer; then it asks
//! for processes that cannot be made (a module no store has, one that does not verify
//! if the cluster was given one named `bad`, a node that does not exist, node 3's
//! relay charging the pool node 1 claimed on node 2, adders in pool 1 of node 3 until
//! it is out of memory) and checks each error. It halts node 1 with 0 when all was right, else with [`WRONG`].
//!
//! Every process starts at [`cluster_start`] with its argument; `_start` is only for
//! `selvm run`, which cannot spawn anything and says so.

#![no_std]
#![no_main]

use libsel4::ipc::{get_mr, set_cap, set_mr, set_receive_path};
use libsel4::{BootInfo, MessageInfo, cnode, debug_halt_status};
use rt::print::{Part::*, line};
use selvm_abi::vm::network::*;
use selvm_abi::vm::spawn::*;

rt::main!(main);

/// The argument of the layout.
const LAYOUT: u64 = 0;
/// The argument of an adder: label [`ADD`] answers MR0 + MR1 and its node.
const ADDER: u64 = 1;
/// The argument of a relay: label [`VIA`] with a cap calls it with [`ADD`].
const RELAY: u64 = 2;
/// Labels of the workers' calls.
const ADD: u64 = 1;
const VIA: u64 = 2;
/// Label of a relay's call: spawn on node MR0 in pool [`POOL`], answer the label.
const CLAIM: u64 = 3;
/// The pool on each node the layout's processes are charged to.
const POOL: u64 = 0;
/// The pool the layout fills on node 3 until it is out of memory.
const FILLED: u64 = 1;
/// The layout's exit status when an answer was wrong.
const WRONG: u64 = 1;
/// Times a call or spawn is made again while its node is not up yet (the layout may
/// start before every node has connected to every other; a process has no timer, so
/// it yields between tries: some seconds in all).
const TRIES: u32 = 200_000;

/// Makes `attempt` again while it answers `ERROR_PEER_DOWN` (at most [`TRIES`] times).
fn until_up<T>(mut attempt: impl FnMut() -> (u64, T)) -> (u64, T) {
    let mut got = attempt();
    for _ in 1..TRIES {
        if got.0 != REMOTE_ERROR_LABEL | ERROR_PEER_DOWN {
            break;
        }
        libsel4::yield_now();
        got = attempt();
    }
    got
}

fn main(_: &'static BootInfo) {
    line(&[T(
        "cluster-system is a cluster layout: run it with selvm cluster up -n 3 FILE",
    )]);
    debug_halt_status(WRONG);
}

/// The spawn information the node wrote at the start of the last page of memory.
fn info(word: usize) -> u64 {
    let pages = core::arch::wasm32::memory_size(0);
    let at = (pages - 1) * 64 * 1024 + word * 8;
    // SAFETY: the spawning node mapped the whole memory (memory.size pages) and wrote
    // the spawn information's words at the start of its last page.
    unsafe { (at as *const u64).read() }
}

/// Every process's entry.
#[unsafe(no_mangle)]
pub extern "C" fn cluster_start(argument: u64) {
    if info(0) != INFO_MAGIC {
        line(&[T("cluster-system: no spawn information")]);
        debug_halt_status(WRONG);
    }
    match argument {
        LAYOUT => {
            let status = match layout() {
                Ok(()) => 0,
                Err(what) => {
                    line(&[T("layout: wrong: "), T(what)]);
                    WRONG
                }
            };
            debug_halt_status(status);
        }
        ADDER | RELAY => serve(argument),
        _ => line(&[T("cluster-system: no role "), N(argument)]),
    }
}

/// A worker: answers calls on its endpoint for ever.
fn serve(role: u64) {
    let me = info(INFO_NODE);
    let received = SLOT_FREE;
    loop {
        set_receive_path(SLOT_CNODE, received, 64);
        let (got, _) = libsel4::recv(SLOT_ENDPOINT);
        let (a, b) = (get_mr(0), get_mr(1));
        let answer = match (role, got.label()) {
            (ADDER, ADD) => [a + b, me, 0],
            (RELAY, VIA) if got.extra_caps() == 1 => {
                let (label, sum, node) = call(received, ADD, &[a, b], None);
                let _ = cnode::delete(SLOT_CNODE, received, 64);
                [if label == 0 { sum } else { label }, node, me]
            }
            (RELAY, CLAIM) => [spawn(a, POOL, "", ADDER, received).0, me, 0],
            _ => [u64::MAX, me, 0],
        };
        answer.iter().enumerate().for_each(|(i, w)| set_mr(i, *w));
        libsel4::reply(MessageInfo::new(0, 0, 0, 3).unwrap_or_default());
    }
}

/// Calls `cap` with `label`, `mrs` and maybe a cap: the answer's label, MR0 and MR1.
fn call(cap: u64, label: u64, mrs: &[u64], send: Option<u64>) -> (u64, u64, u64) {
    let (label, (a, b)) = until_up(|| {
        let (l, a, b) = call_once(cap, label, mrs, send);
        (l, (a, b))
    });
    (label, a, b)
}

/// One try of [`call`].
fn call_once(cap: u64, label: u64, mrs: &[u64], send: Option<u64>) -> (u64, u64, u64) {
    mrs.iter().enumerate().for_each(|(i, w)| set_mr(i, *w));
    if let Some(c) = send {
        set_cap(0, c);
    }
    let caps = u64::from(send.is_some());
    let info = MessageInfo::new(label, 0, caps, mrs.len() as u64).unwrap_or_default();
    let got = libsel4::call(cap, info);
    (got.label(), get_mr(0), get_mr(1))
}

/// Asks `node` for a process of the store's module `name` ("" the first) with
/// `argument`, charged to `pool`, its endpoint to arrive in slot `into`: the answer's label and object.
fn spawn(node: u64, pool: u64, name: &str, argument: u64, into: u64) -> (u64, u64) {
    until_up(|| spawn_once(node, pool, name, argument, into))
}

/// One try of [`spawn`].
fn spawn_once(node: u64, pool: u64, name: &str, argument: u64, into: u64) -> (u64, u64) {
    set_receive_path(SLOT_CNODE, into, 64);
    let words = [node, pool, argument, name.len() as u64];
    words.iter().enumerate().for_each(|(i, w)| set_mr(i, *w));
    for (i, chunk) in name.as_bytes().chunks(8).enumerate() {
        let mut word = [0u8; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        set_mr(4 + i, u64::from_le_bytes(word));
    }
    let length = 4 + name.len().div_ceil(8) as u64;
    let got = libsel4::call(
        SLOT_NAME_CAP,
        MessageInfo::new(SPAWN, 0, 0, length).unwrap_or_default(),
    );
    (got.label(), get_mr(1))
}

/// Checks that `got` is true, else fails with `what`.
fn check(got: bool, what: &'static str) -> Result<(), &'static str> {
    got.then_some(()).ok_or(what)
}

/// The layout: two workers placed, connected and checked, then the refusals.
fn layout() -> Result<(), &'static str> {
    let nodes = info(INFO_NODES);
    line(&[
        T("layout: running on node "),
        N(info(INFO_NODE)),
        T(" of "),
        N(nodes),
    ]);
    check(nodes >= 3, "the layout needs three nodes")?;
    let (adder, relay) = (SLOT_FREE, SLOT_FREE + 1);
    let (label, object) = spawn(2, POOL, "", ADDER, adder);
    check(label == 0, "spawning the adder on node 2")?;
    line(&[T("layout: adder spawned on node 2 as object "), N(object)]);
    let (label, object) = spawn(3, POOL, "", RELAY, relay);
    check(label == 0, "spawning the relay on node 3")?;
    line(&[T("layout: relay spawned on node 3 as object "), N(object)]);
    let (label, sum, node) = call(adder, ADD, &[2, 3], None);
    check((label, sum, node) == (0, 5, 2), "the adder's answer")?;
    line(&[
        T("layout: the adder on node "),
        N(node),
        T(" answers 2 + 3 = "),
        N(sum),
    ]);
    let (label, sum, node) = call(relay, VIA, &[20, 22], Some(adder));
    check(
        (label, sum, node) == (0, 42, 2),
        "the relay's answer through the adder",
    )?;
    line(&[
        T("layout: the relay on node 3 called the adder it was sent: 20 + 22 = "),
        N(sum),
        T(" from node "),
        N(node),
    ]);
    let spare = SLOT_FREE + 2;
    let (label, _) = spawn(2, POOL, "no-such-module", ADDER, spare);
    check(
        label == REMOTE_ERROR_LABEL | ERROR_NO_SUCH_NAME,
        "no-such-module",
    )?;
    line(&[
        T("layout: no-such-module on node 2 answers error "),
        N(ERROR_NO_SUCH_NAME),
    ]);
    let (label, _) = spawn(3, POOL, "bad", ADDER, spare);
    check(
        label & REMOTE_ERROR_LABEL != 0,
        "a module named bad was spawned",
    )?;
    line(&[
        T("layout: bad on node 3 answers error "),
        N(label & !REMOTE_ERROR_LABEL),
    ]);
    let (label, _) = spawn(nodes + 1, POOL, "", ADDER, spare);
    check(
        label == REMOTE_ERROR_LABEL | ERROR_NO_SUCH_NODE,
        "a node beyond the cluster",
    )?;
    line(&[
        T("layout: node "),
        N(nodes + 1),
        T(" answers error "),
        N(ERROR_NO_SUCH_NODE),
    ]);
    // Node 1 claimed pool 0 of node 2: node 3's relay may not charge it.
    let (label, refused, _) = call(relay, CLAIM, &[2], None);
    check(label == 0, "the relay's claim answer")?;
    check(
        refused == REMOTE_ERROR_LABEL | ERROR_NO_SUCH_OBJECT,
        "node 3 in node 1's pool",
    )?;
    line(&[
        T("layout: node 3 spawning in node 1's pool on node 2 answers error "),
        N(ERROR_NO_SUCH_OBJECT),
    ]);
    // Adders in another pool of node 3 until it has no memory left.
    let mut made = 0;
    let label = loop {
        let (label, _) = spawn(3, FILLED, "", ADDER, spare);
        if label != 0 || made == 8 {
            break label;
        }
        let _ = cnode::delete(SLOT_CNODE, spare, 64);
        made += 1;
    };
    check(
        label == REMOTE_ERROR_LABEL | ERROR_NO_MEMORY,
        "filling a pool",
    )?;
    check(made > 0, "no process fitted the pool")?;
    line(&[
        T("layout: pool 1 on node 3 held "),
        N(made),
        T(" processes, then answered error "),
        N(ERROR_NO_MEMORY),
    ]);
    line(&[T("layout: every answer was right")]);
    Ok(())
}
