//! A layout's start: with [`LAYOUT`] in the network device's ARGUMENT register (as
//! `selvm cluster up -n N system.wasm` starts nodes), node 1's root task spawns the
//! node store's first module (the layout program) on node 1, charged to pool 0, with
//! argument 0, as any program would: a Call on the name cap with label `SPAWN`. The
//! layout then places its parts on the other nodes itself. A layout that cannot be
//! spawned (a module that does not verify, say) stops the other nodes (their control
//! object's `STOP`: they may never have seen node 1 up, so would not see it go down)
//! and halts the node with [`FAILED`].

use crate::device::Devices;
use crate::names;
use crate::print::{Part::*, line};
use crate::service::{STOP, proxy_badge};
use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use libsel4::ipc::{set_mr, set_receive_path};
use libsel4::{CapRights, Error, MessageInfo, cnode, debug_halt_status, tcb};
use sel4rt::{Env, ROOT_CNODE};
use selvm_abi::vm::network::{NET_NODES, REMOTE_ERROR_LABEL};
use selvm_abi::vm::spawn::SPAWN;

/// The ARGUMENT that makes node 1 spawn the layout.
pub const LAYOUT: u64 = 3;
/// The node's exit status when the layout could not be spawned.
pub const FAILED: u64 = 1;

/// The root slot the layout's endpoint arrives in.
static ENDPOINT: AtomicU64 = AtomicU64::new(0);
/// The service's endpoint (numbered proxies to other nodes' control objects are
/// minted from it) and a root slot for one.
static SERVICE: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];
/// How long a failed layout tries to stop each other node.
const STOP_NS: u64 = 10_000_000_000;
/// Where the devices are mapped (the timer measures the spawn).
static DEVICES: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];

/// Starts a thread that spawns the layout (the service, on the root thread, makes it).
pub fn start(env: &mut Env, dev: Devices, endpoint: u64) -> Result<(), Error> {
    ENDPOINT.store(env.slots.alloc()?, SeqCst);
    SERVICE[0].store(endpoint, SeqCst);
    SERVICE[1].store(env.slots.alloc()?, SeqCst);
    let (timer, net) = dev.addresses();
    DEVICES[0].store(timer as u64, SeqCst);
    DEVICES[1].store(net as u64, SeqCst);
    let t = env.create_thread(spawn_layout, 0, 100, 0)?;
    tcb::resume(t.tcb)
}

extern "C" fn spawn_layout(_: u64) {
    set_receive_path(ROOT_CNODE, ENDPOINT.load(SeqCst), 64);
    // This node, pool 0, argument 0, the store's first module (name length 0).
    (0..4).for_each(|i| set_mr(i, 0));
    let info = MessageInfo::new(SPAWN, 0, 0, 4).unwrap_or_default();
    let dev = Devices::at(
        DEVICES[0].load(SeqCst) as usize,
        DEVICES[1].load(SeqCst) as usize,
    );
    let started = dev.now_ns();
    let got = libsel4::call(names::name_cap(), info);
    let took = dev.now_ns().saturating_sub(started) / 1000;
    if got.label() & REMOTE_ERROR_LABEL != 0 {
        let code = got.label() & !REMOTE_ERROR_LABEL;
        line(&[
            T("layout: the store's first module was not spawned: error "),
            N(code),
        ]);
        stop_others(&dev);
        debug_halt_status(FAILED);
    }
    line(&[
        T("layout: spawned on node 1 as object "),
        N(libsel4::ipc::get_mr(1)),
        T(" in "),
        N(took),
        T(" us (store read, build, start)"),
    ]);
}

/// Stops every other node through its control object, trying each for [`STOP_NS`]
/// while it is not up yet.
fn stop_others(dev: &Devices) {
    let [endpoint, proxy] = [SERVICE[0].load(SeqCst), SERVICE[1].load(SeqCst)];
    let rights = CapRights::new(true, false, false, true); // Write + GrantReply
    for node in 2..=dev.net_read(NET_NODES) {
        let _ = cnode::delete(ROOT_CNODE, proxy, 64);
        let badge = proxy_badge(node, 0);
        if cnode::mint(
            ROOT_CNODE, proxy, 64, ROOT_CNODE, endpoint, 64, rights, badge,
        )
        .is_err()
        {
            continue;
        }
        let started = dev.now_ns();
        let stop = MessageInfo::new(STOP, 0, 0, 0).unwrap_or_default();
        while libsel4::call(proxy, stop).label() & REMOTE_ERROR_LABEL != 0
            && dev.now_ns().saturating_sub(started) < STOP_NS
        {
            libsel4::yield_now();
        }
    }
}
