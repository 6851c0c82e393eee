//! The demo client on node 1: proxies for every other node's control object (0),
//! adder (1) and relay (2), minted from the network service's endpoint with Write
//! and GrantReply only (Read would let a client receive other clients' calls). It
//! waits until every node answered once, makes two nested calls through node 2's relay
//! (to the last node, and back to node 1), looks adders up by name (node 2's relay
//! finds node 1's, node 1 finds the last node's and its own, [`crate::names`]) and
//! calls them, Sends three numbers one way to node 2's
//! tally and reads its total, calls every node in turn for [`CALLING_NS`], checking
//! every sum, reports a node whose call fails (the documented error label) and stops
//! calling it; then calls for [`TOGETHER_NS`] with [`HELPERS`] more client threads at
//! once (many calls outstanding, workers busy on every node; `selvm bench cluster`
//! reads this count), then [`NESTED`] threads call for as long with nested calls,
//! node 1 → node 2's relay → node 1's adder, so node 2's pool holds a worker per call
//! in flight, more than the old fixed 8, and node 1's serves the way back while its
//! clients wait; asks node 2 how many workers it made, then stops the nodes still up
//! and halts: status 0 when every answer was right, 2 when one was wrong, 3 when a
//! node never answered.

use crate::crosscaps;
use crate::device::Devices;
use crate::names::{self, Name};
use crate::print::{Part::*, line};
use crate::servers::{self, ADD, ECHO, READ, READ_BELL, RELAY, RELAY_BY_NAME, REVOKE_TEMP};
use crate::service::{STOP, WORKERS, proxy_badge};
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use libsel4::{CPtr, CapRights, Error, MessageInfo, cnode, debug_halt_status, tcb};
use sel4rt::{Env, ROOT_CNODE};
use selvm_abi::vm::network::REMOTE_ERROR_LABEL;

/// How long the client calls the nodes alone once all answered (machine time).
const CALLING_NS: u64 = 2_000_000_000;
/// How long it and [`HELPERS`] more client threads then call at once.
const TOGETHER_NS: u64 = 1_000_000_000;
/// Client threads that join the client for the phase of calls at once.
const HELPERS: u64 = 3;
/// Client threads making nested calls at once in the last phase (more calls in
/// flight than the old fixed pool of 8 workers could take).
const NESTED: u64 = 12;
/// How long it waits for every node to answer once.
const STARTUP_NS: u64 = 30_000_000_000;
/// Objects of every node the client has proxies for: 0 control, 1 adder, 2 relay,
/// 3 tally.
const OBJECTS: usize = 4;
/// Most nodes the client keeps track of.
const MAX_NODES: usize = 64;

static PROXIES: AtomicU64 = AtomicU64::new(0);
/// The root slot where the client receives the caps of names it looks up.
static LOOKED_UP: AtomicU64 = AtomicU64::new(0);
static NODES: AtomicU64 = AtomicU64::new(0);
static TIMER: AtomicUsize = AtomicUsize::new(0);
static NET: AtomicUsize = AtomicUsize::new(0);
/// The endpoints the helpers are started and finish on.
static GO: AtomicU64 = AtomicU64::new(0);
static DONE: AtomicU64 = AtomicU64::new(0);
/// The endpoints the nested callers are started and finish on.
static GO_NESTED: AtomicU64 = AtomicU64::new(0);
static DONE_NESTED: AtomicU64 = AtomicU64::new(0);
static NESTED_CALLS: AtomicU64 = AtomicU64::new(0);
/// Machine time the helpers stop at, and what they count.
static UNTIL: AtomicU64 = AtomicU64::new(0);
static HELPER_CALLS: AtomicU64 = AtomicU64::new(0);
static HELPER_WRONG: AtomicU64 = AtomicU64::new(0);
static HELPER_REFUSED: AtomicU64 = AtomicU64::new(0);

/// Mints the proxies and starts the client thread.
pub fn start(env: &mut Env, dev: Devices, endpoint: CPtr, nodes: u64) -> Result<(), Error> {
    let nodes = nodes.min(MAX_NODES as u64);
    let base = env.slots.alloc_range(OBJECTS * (nodes as usize + 1))?;
    let rights = CapRights::new(true, false, false, true); // GrantReply + Write
    for p in 2..=nodes {
        for object in 0..OBJECTS as u64 {
            let slot = base + object * (nodes + 1) + p;
            let badge = proxy_badge(p, object);
            cnode::mint(
                ROOT_CNODE, slot, 64, ROOT_CNODE, endpoint, 64, rights, badge,
            )?;
        }
    }
    PROXIES.store(base, SeqCst);
    LOOKED_UP.store(env.slots.alloc()?, SeqCst);
    crate::crosscaps::prepare(env)?;
    NODES.store(nodes, SeqCst);
    let (timer, net) = dev.addresses();
    TIMER.store(timer, SeqCst);
    NET.store(net, SeqCst);
    GO.store(env.retype(sel4rt::types::ENDPOINT, 0)?, SeqCst);
    DONE.store(env.retype(sel4rt::types::ENDPOINT, 0)?, SeqCst);
    GO_NESTED.store(env.retype(sel4rt::types::ENDPOINT, 0)?, SeqCst);
    DONE_NESTED.store(env.retype(sel4rt::types::ENDPOINT, 0)?, SeqCst);
    for k in 0..HELPERS {
        let t = env.create_thread(help, k, 100, 0)?;
        tcb::resume(t.tcb)?;
    }
    for k in 0..NESTED {
        let t = env.create_thread(help_nested, k, 100, 0)?;
        tcb::resume(t.tcb)?;
    }
    let t = env.create_thread(run, 0, 100, 0)?;
    tcb::resume(t.tcb)
}

/// A helper client: once started, calls one node's adder until [`UNTIL`] (or its first
/// error), counting answers and wrong ones, then says it is done. It prints nothing
/// (only the client prints, so lines never mix).
extern "C" fn help(k: u64) {
    let nodes = NODES.load(SeqCst);
    let dev = Devices::at(TIMER.load(SeqCst), NET.load(SeqCst));
    libsel4::recv(GO.load(SeqCst));
    let p = 2 + k % (nodes - 1).max(1);
    let mut i = 0;
    while nodes >= 2 && dev.now_ns() < UNTIL.load(SeqCst) {
        i += 1;
        match call(p, 1, ADD, &[i, k]) {
            Ok((sum, by)) => {
                HELPER_CALLS.fetch_add(1, SeqCst);
                HELPER_WRONG.fetch_add(u64::from(sum != i + k || by != p), SeqCst);
            }
            Err(_) => break,
        }
    }
    libsel4::send(DONE.load(SeqCst), MessageInfo::default());
}

/// A nested caller: once started, calls node 1's own adder through node 2's relay
/// (A → B → A) until [`UNTIL`] (or its first error, counted as refused), counting
/// answers and wrong ones, then says it is done.
extern "C" fn help_nested(k: u64) {
    let nodes = NODES.load(SeqCst);
    let dev = Devices::at(TIMER.load(SeqCst), NET.load(SeqCst));
    libsel4::recv(GO_NESTED.load(SeqCst));
    let mut i = 0;
    while nodes >= 2 && dev.now_ns() < UNTIL.load(SeqCst) {
        i += 1;
        match call(2, 2, RELAY, &[1, i, k]) {
            Ok((sum, by)) => {
                NESTED_CALLS.fetch_add(1, SeqCst);
                HELPER_WRONG.fetch_add(u64::from(sum != i + k || by != 1), SeqCst);
            }
            Err(_) => {
                HELPER_REFUSED.fetch_add(1, SeqCst);
                break;
            }
        }
    }
    libsel4::send(DONE_NESTED.load(SeqCst), MessageInfo::default());
}

/// Calls `object` on node `p` through its proxy with `mrs`; Ok(MR0, MR1) for label
/// 0, else Err(label, MR0).
fn call(p: u64, object: u64, label: u64, mrs: &[u64]) -> Result<(u64, u64), (u64, u64)> {
    let nodes = NODES.load(SeqCst);
    let proxy = PROXIES.load(SeqCst) + object * (nodes + 1) + p;
    for (i, m) in mrs.iter().enumerate() {
        libsel4::ipc::set_mr(i, *m);
    }
    let length = mrs.len() as u64;
    let info = libsel4::call(
        proxy,
        MessageInfo::new(label, 0, 0, length).unwrap_or_default(),
    );
    let (r0, r1) = (libsel4::ipc::get_mr(0), libsel4::ipc::get_mr(1));
    if info.label() == 0 {
        Ok((r0, r1))
    } else {
        Err((info.label(), r0))
    }
}

/// Sends (one way) to `object` on node `p` through its proxy.
fn send(p: u64, object: u64, label: u64, mrs: &[u64]) {
    let nodes = NODES.load(SeqCst);
    let proxy = PROXIES.load(SeqCst) + object * (nodes + 1) + p;
    for (i, m) in mrs.iter().enumerate() {
        libsel4::ipc::set_mr(i, *m);
    }
    let length = mrs.len() as u64;
    libsel4::send(
        proxy,
        MessageInfo::new(label, 0, 0, length).unwrap_or_default(),
    );
}

/// The name of a remote error label's code.
fn why(label: u64) -> &'static str {
    if label & REMOTE_ERROR_LABEL == 0 {
        return "the server's own label";
    }
    match label & !REMOTE_ERROR_LABEL {
        1 => "peer down",
        2 => "timeout",
        3 => "no such node",
        4 => "bad message",
        5 => "no such object",
        6 => "busy",
        7 => "no such name",
        _ => "unknown error",
    }
}

/// Remote notifications: Signals node 2's bell three times through a signal proxy
/// and reads node 2's tally until its waiter woke (Signals coalesce: one to three
/// wake-ups), with the badge node 2 exported the bell with. Wrong outcomes.
fn ring_bell(dev: &Devices, start: u64) -> u64 {
    if !crosscaps::ring(2, 3, || dev.now_ns() - start > STARTUP_NS) {
        line(&[T("bell@2 never came")]);
        return 1;
    }
    let (mut rings, mut badge) = (0, 0);
    while rings == 0 && dev.now_ns() - start < STARTUP_NS {
        (rings, badge) = call(2, 3, READ_BELL, &[]).unwrap_or((0, 0));
    }
    line(&[
        T("node 2's bell, signalled 3 times from node 1, woke "),
        T(if (1..=3).contains(&rings) {
            "1 to 3 times"
        } else {
            "a wrong number of times"
        }),
        T(" with badge "),
        N(badge),
    ]);
    u64::from(!(1..=3).contains(&rings) || badge != servers::bell_badge(2))
}

/// Names: node 2's relay looks up `adder@1` (registered on this node) and calls it;
/// this client looks up the last node's adder and its own and calls them. The number
/// of wrong answers.
fn by_name(dev: &Devices, start: u64, nodes: u64) -> u64 {
    let mut wrong = 0;
    // A name registered elsewhere reaches a replica when the nodes exchange state:
    // until then the lookup answers no such name, so each is tried again meanwhile.
    let mut relayed = call(2, 2, RELAY_BY_NAME, &[1, 7, 8]);
    while relayed.is_err() && dev.now_ns() - start < STARTUP_NS {
        libsel4::yield_now();
        relayed = call(2, 2, RELAY_BY_NAME, &[1, 7, 8]);
    }
    match relayed {
        Ok((sum, by)) => {
            line(&[
                T("node 2 looked up adder@1 by name and called it: 7 + 8 = "),
                N(sum),
                T(" (from node "),
                N(by),
                T(")"),
            ]);
            wrong += u64::from(sum != 15 || by != 1);
        }
        Err((label, _)) => {
            line(&[T("node 2 found no adder@1: "), T(why(label))]);
            wrong += 1;
        }
    }
    let slot = LOOKED_UP.load(SeqCst);
    for p in [nodes, 1] {
        let name = Name::numbered("adder@", p);
        let mut found = names::lookup(&name, slot);
        while found.is_err() && dev.now_ns() - start < STARTUP_NS {
            libsel4::yield_now();
            found = names::lookup(&name, slot);
        }
        let Ok((node, object)) = found else {
            line(&[T("no "), T(name.as_str()), T(" in the directory")]);
            wrong += 1;
            continue;
        };
        libsel4::ipc::set_mr(0, 40);
        libsel4::ipc::set_mr(1, p);
        let got = libsel4::call(slot, MessageInfo::new(ADD, 0, 0, 2).unwrap_or_default());
        let (sum, by) = (libsel4::ipc::get_mr(0), libsel4::ipc::get_mr(1));
        line(&[
            T("node 1 looked up "),
            T(name.as_str()),
            T(": node "),
            N(node),
            T(" object "),
            N(object),
            T("; 40 + "),
            N(p),
            T(" = "),
            N(sum),
            T(" (from node "),
            N(by),
            T(")"),
        ]);
        wrong += u64::from(got.label() != 0 || sum != 40 + p || by != p || node != p);
    }
    // Removed, the name is gone here at once (and from the other replicas soon).
    let mine = Name::numbered("adder@", 1);
    let removed = names::unregister(&mine).is_ok();
    let gone = names::lookup(&mine, slot).err();
    line(&[
        T(if removed {
            "node 1 removed adder@1: a lookup now answers "
        } else {
            "node 1 could not remove adder@1; a lookup answers "
        }),
        T(gone.map_or("the name", why)),
    ]);
    wrong += u64::from(!removed || gone != Some(REMOTE_ERROR_LABEL | 7));
    wrong
}

extern "C" fn run(_: u64) {
    let dev = Devices::at(TIMER.load(SeqCst), NET.load(SeqCst));
    let nodes = NODES.load(SeqCst);
    let start = dev.now_ns();
    // Every node answers once (calls to a node not yet connected fail at once).
    for p in 2..=nodes {
        loop {
            match call(p, 1, ADD, &[40, p]) {
                Ok((sum, by)) => {
                    line(&[
                        T("node "),
                        N(p),
                        T(" answered: 40 + "),
                        N(p),
                        T(" = "),
                        N(sum),
                        T(" (from node "),
                        N(by),
                        T(")"),
                    ]);
                    break;
                }
                Err(_) if dev.now_ns() - start < STARTUP_NS => libsel4::yield_now(),
                Err((label, _)) => {
                    line(&[T("node "), N(p), T(" never answered: "), T(why(label))]);
                    debug_halt_status(3);
                }
            }
        }
    }
    // Nested calls through node 2's relay, which a worker there makes: on to the last
    // node, and back to this one (served by this node's own worker pool).
    let mut wrong = 0u64;
    if nodes >= 2 {
        // (With two nodes the "last node" is node 2 itself: only the way back is made.)
        let onward = [(nodes, 5, 6)].into_iter().filter(|_| nodes >= 3);
        for (target, a, b) in onward.chain([(1, 7, 8)]) {
            // Node 2 may not have reached the last node yet: its relay then answers
            // with the error it got (sent on as a bad message); try again meanwhile.
            let mut answer = call(2, 2, RELAY, &[target, a, b]);
            while answer.is_err() && dev.now_ns() - start < STARTUP_NS {
                libsel4::yield_now();
                answer = call(2, 2, RELAY, &[target, a, b]);
            }
            match answer {
                Ok((sum, by)) => {
                    line(&[
                        T("node 1 -> node 2 -> node "),
                        N(target),
                        T(": "),
                        N(a),
                        T(" + "),
                        N(b),
                        T(" = "),
                        N(sum),
                        T(" (from node "),
                        N(by),
                        T(")"),
                    ]);
                    wrong += u64::from(sum != a + b || by != target);
                }
                Err((label, _)) => {
                    line(&[
                        T("relay through node 2 to node "),
                        N(target),
                        T(" failed: "),
                        T(why(label)),
                    ]);
                    wrong += 1;
                }
            }
        }
    }
    if nodes >= 2 {
        // Caps across nodes: sent to node 2's relay, back home, restricted (before
        // by_name removes adder@1).
        let late = || dev.now_ns() - start > STARTUP_NS;
        wrong += crosscaps::check(|t, n, into| crosscaps::look_up(t, n, into, late));
        wrong += ring_bell(&dev, start);
        let revoke = || call(2, 2, REVOKE_TEMP, &[]).is_ok();
        wrong += crosscaps::revocation(revoke, late);
        wrong += by_name(&dev, start, nodes);
    }
    // One-way Sends: three to node 2's tally, then Calls reading it until it counted
    // all three (each Send is delivered by a worker there, in order).
    if nodes >= 2 {
        for amount in [10, 20, 12] {
            send(2, 3, ADD, &[amount]);
        }
        let mut total = 0;
        let read_from = dev.now_ns();
        while total != 42 && dev.now_ns() - read_from < STARTUP_NS {
            total = call(2, 3, READ, &[]).map_or(0, |(t, _)| t);
        }
        line(&[T("node 2's tally after Sends of 10, 20 and 12: "), N(total)]);
        wrong += u64::from(total != 42);
        // A message as long as seL4's: 120 registers there and back.
        let words: [u64; 120] = core::array::from_fn(|i| (i as u64 + 1) * 0x0101_0101);
        let echoed = call(2, 1, ECHO, &words).map_or(0, |_| {
            let back = (0..120).filter(|&i| libsel4::ipc::get_mr(i) == words[i]);
            back.count() as u64
        });
        line(&[
            T("node 2 echoed "),
            N(echoed),
            T(" of 120 message registers"),
        ]);
        wrong += u64::from(echoed != 120);
    }
    line(&[T("every node answered; calling them for 2 s")]);
    let mut alive = [true; MAX_NODES + 1];
    let mut last_answer = [dev.now_ns(); MAX_NODES + 1];
    let (mut calls, mut i) = (0u64, 0u64);
    let calling_from = dev.now_ns();
    while dev.now_ns() - calling_from < CALLING_NS {
        for p in 2..=nodes {
            if !alive[p as usize] {
                continue;
            }
            i += 1;
            match call(p, 1, ADD, &[i, p * 1000]) {
                Ok((sum, by)) => {
                    calls += 1;
                    last_answer[p as usize] = dev.now_ns();
                    if sum != i + p * 1000 || by != p {
                        wrong += 1;
                        line(&[T("wrong answer from node "), N(p), T(": "), N(sum)]);
                    }
                }
                Err((label, node)) => {
                    alive[p as usize] = false;
                    let ms = (dev.now_ns() - last_answer[p as usize]) / 1_000_000;
                    line(&[
                        T("call to node "),
                        N(p),
                        T(" failed: "),
                        T(why(label)),
                        T(" (label REMOTE_ERROR_LABEL | "),
                        N(label & !REMOTE_ERROR_LABEL),
                        T(", MR0 node "),
                        N(node),
                        T("), "),
                        N(ms),
                        T(" ms after its last answer"),
                    ]);
                }
            }
        }
    }
    line(&[T("one client: "), N(calls), T(" calls answered in 2 s")]);
    // Then with the helpers: several calls outstanding at once, on several nodes.
    let together_from = dev.now_ns();
    UNTIL.store(together_from + TOGETHER_NS, SeqCst);
    for _ in 0..HELPERS {
        libsel4::send(GO.load(SeqCst), MessageInfo::default());
    }
    let mut mine = 0u64;
    while nodes >= 2 && dev.now_ns() - together_from < TOGETHER_NS {
        let p = 2 + mine % (nodes - 1).max(1);
        if !alive[p as usize] {
            mine += 1;
            continue;
        }
        i += 1;
        match call(p, 1, ADD, &[i, 1]) {
            Ok((sum, by)) => wrong += u64::from(sum != i + 1 || by != p),
            Err(_) => alive[p as usize] = false,
        }
        mine += 1;
    }
    for _ in 0..HELPERS {
        libsel4::recv(DONE.load(SeqCst));
    }
    let together = mine + HELPER_CALLS.load(SeqCst);
    line(&[
        N(HELPERS + 1),
        T(" clients at once: "),
        N(together),
        T(" calls answered in 1 s"),
    ]);
    // Then nested calls at once, more in flight than the old fixed pool of 8 took.
    UNTIL.store(dev.now_ns() + TOGETHER_NS, SeqCst);
    for _ in 0..NESTED {
        libsel4::send(GO_NESTED.load(SeqCst), MessageInfo::default());
    }
    for _ in 0..NESTED {
        libsel4::recv(DONE_NESTED.load(SeqCst));
    }
    let nested = NESTED_CALLS.load(SeqCst);
    wrong += HELPER_WRONG.load(SeqCst);
    line(&[
        N(NESTED),
        T(" clients at once: "),
        N(nested),
        T(" calls answered in 1 s (all nested through node 2 and back, "),
        N(HELPER_REFUSED.load(SeqCst)),
        T(" refused)"),
    ]);
    if nodes >= 2 && alive[2] {
        if let Ok((made, _)) = call(2, 0, WORKERS, &[]) {
            line(&[T("node 2's worker pool grew to "), N(made), T(" workers")]);
        }
    }
    line(&[
        N(calls + together + nested),
        T(" calls answered, "),
        N(wrong),
        T(" wrong"),
    ]);
    for p in (2..=nodes).filter(|&p| alive[p as usize]) {
        let stopped = call(p, 0, STOP, &[]).is_ok();
        line(&[
            T("stopping node "),
            N(p),
            T(if stopped {
                ": done"
            } else {
                ": it did not answer"
            }),
        ]);
    }
    debug_halt_status(if wrong == 0 { 0 } else { 2 });
}
