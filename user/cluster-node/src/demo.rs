//! The roles of `selvm cluster demo` (the node's ARGUMENT register is 1): node 1 runs
//! the key-value primary ([`crate::kv`]), node 2 the standby and a client, node 3 a
//! client. A client finds `kv` by name and writes and reads back its own key (its node
//! id) until a call fails; it then says how (the error label), looks up `kv-standby`,
//! checks the standby holds the last value it wrote, and goes on there; meanwhile it
//! looks `kv` up again every [`PROBE_NS`] and goes back once the primary answers with
//! the last value written; after [`AFTER`] more writes there it says it is done (with
//! how many answers were wrong) and waits. A call refused as busy (every worker of the
//! serving node occupied) is made again. `selvm cluster demo` kills and restarts
//! node 1 between these steps and stops the nodes at the end.

use crate::device::Devices;
use crate::names::{self, Name};
use crate::print::{Part::*, line};
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use libsel4::ipc::{get_mr, set_mr};
use libsel4::{Error, MessageInfo, tcb};
use sel4rt::{Env, types};
use selvm_abi::vm::network::{ERROR_BUSY, REMOTE_ERROR_LABEL};

/// How often a client on the standby looks for the primary again (machine time).
const PROBE_NS: u64 = 300_000_000;
/// Writes a client makes on the primary once it is back, before it is done.
const AFTER: u64 = 20;

static TIMER: AtomicUsize = AtomicUsize::new(0);
static NET: AtomicUsize = AtomicUsize::new(0);
static SLOT: AtomicU64 = AtomicU64::new(0);
static PARK: AtomicU64 = AtomicU64::new(0);

/// The devices, for the demo's threads.
pub fn devices() -> Devices {
    Devices::at(TIMER.load(SeqCst), NET.load(SeqCst))
}

/// Starts node `me`'s roles.
pub fn start(env: &mut Env, dev: Devices, me: u64) -> Result<(), Error> {
    let (timer, net) = dev.addresses();
    TIMER.store(timer, SeqCst);
    NET.store(net, SeqCst);
    if me <= 2 {
        crate::kv::start(env, me)?;
    }
    if me >= 2 {
        SLOT.store(env.slots.alloc()?, SeqCst);
        PARK.store(env.retype(types::ENDPOINT, 0)?, SeqCst);
        let t = env.create_thread(client, me, 100, 0)?;
        tcb::resume(t.tcb)?;
    }
    Ok(())
}

/// The name of a remote error code.
fn why(label: u64) -> &'static str {
    match label & !REMOTE_ERROR_LABEL {
        _ if label & REMOTE_ERROR_LABEL == 0 => "the server's own label",
        1 => "peer down",
        2 => "timeout",
        5 => "no such object",
        7 => "no such name",
        _ => "another error",
    }
}

/// Looks `name` up into the client's slot, trying until it is known; its node.
fn find(name: &Name) -> u64 {
    loop {
        match names::lookup(name, SLOT.load(SeqCst)) {
            Ok((node, _)) => return node,
            Err(_) => libsel4::yield_now(),
        }
    }
}

/// Calls the looked-up service with `label` and `mrs`: Ok(MR0) or Err(label).
fn kv(label: u64, mrs: &[u64]) -> Result<u64, u64> {
    for (i, &m) in mrs.iter().enumerate() {
        set_mr(i, m);
    }
    let info = MessageInfo::new(label, 0, 0, mrs.len() as u64).unwrap_or_default();
    match libsel4::call(SLOT.load(SeqCst), info).label() {
        0 => Ok(get_mr(0)),
        l => Err(l),
    }
}

/// Writes `value` under `key` (once acknowledged, it is `last`) and reads it back:
/// Ok(what was read) or Err(label).
fn write_read(key: u64, value: u64, last: &mut u64) -> Result<u64, u64> {
    kv(crate::kv::PUT, &[key, value])?;
    *last = value;
    kv(crate::kv::GET, &[key])
}

extern "C" fn client(me: u64) {
    let dev = devices();
    let (primary, standby) = (Name::plain("kv"), Name::plain("kv-standby"));
    let (mut value, mut last, mut wrong) = (0u64, 0u64, 0u64);
    let node = find(&primary);
    line(&[T("client: found kv on node "), N(node)]);
    // On the primary until a call fails.
    let mut first = true;
    loop {
        value += 1;
        match write_read(me, value, &mut last) {
            Ok(read) => {
                wrong += u64::from(read != value);
                if core::mem::take(&mut first) {
                    line(&[
                        T("client: wrote key "),
                        N(me),
                        T(" = "),
                        N(value),
                        T(" on node "),
                        N(node),
                        T(" and read it back"),
                    ]);
                }
            }
            // Refused (busy: node 1's workers are all delivering): try again.
            Err(label) if label & !REMOTE_ERROR_LABEL == ERROR_BUSY => libsel4::yield_now(),
            Err(label) => {
                line(&[
                    T("client: call to node "),
                    N(node),
                    T(" failed: "),
                    T(why(label)),
                    T(" (label REMOTE_ERROR_LABEL | "),
                    N(label & !REMOTE_ERROR_LABEL),
                    T("); looking up kv-standby"),
                ]);
                break;
            }
        }
    }
    // On the standby, looking for the primary now and then. It holds every write the
    // primary acknowledged (and perhaps the one in flight when the call failed).
    let node = find(&standby);
    let held = kv(crate::kv::GET, &[me]).unwrap_or(0);
    let kept = held == last || held == value;
    line(&[
        T("client: failed over to kv-standby on node "),
        N(node),
        T(": key "),
        N(me),
        T(" = "),
        N(held),
        T(if kept {
            ", the last value written"
        } else {
            ", NOT the last value written"
        }),
    ]);
    wrong += u64::from(!kept);
    last = held;
    let mut probed = dev.now_ns();
    loop {
        value += 1;
        match write_read(me, value, &mut last) {
            Ok(read) => wrong += u64::from(read != value),
            Err(_) => {
                libsel4::yield_now();
                find(&standby);
            }
        }
        if dev.now_ns() - probed < PROBE_NS {
            continue;
        }
        probed = dev.now_ns();
        let back = names::lookup(&primary, SLOT.load(SeqCst));
        if let Ok((node, _)) = back {
            if kv(crate::kv::GET, &[me]) == Ok(last) {
                line(&[
                    T("client: kv on node "),
                    N(node),
                    T(" is back with key "),
                    N(me),
                    T(" = "),
                    N(last),
                    T(", the last value written"),
                ]);
                break;
            }
        }
        find(&standby);
    }
    // Back on the primary. A refused call (busy) is tried again, and counted.
    let mut refused = 0;
    for _ in 0..AFTER {
        value += 1;
        loop {
            match write_read(me, value, &mut last) {
                Ok(read) => wrong += u64::from(read != value),
                Err(_) if refused < 1000 => {
                    refused += 1;
                    libsel4::yield_now();
                    continue;
                }
                Err(_) => wrong += 1,
            }
            break;
        }
    }
    line(&[
        T("client: done: "),
        N(value),
        T(" writes, "),
        N(refused),
        T(" calls refused and made again, "),
        N(wrong),
        T(" wrong"),
    ]);
    libsel4::recv(PARK.load(SeqCst));
}
