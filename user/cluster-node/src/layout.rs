//! A layout's start: with [`LAYOUT`] in the network device's ARGUMENT register (as
//! `selvm cluster up -n N system.wasm` starts nodes), node 1's root task spawns the
//! node store's first module (the layout program) on node 1, charged to pool 0, with
//! argument 0, as any program would: a Call on the name cap with label `SPAWN`. The
//! layout then places its parts on the other nodes itself. A layout that cannot be
//! spawned (a module that does not verify, say) halts the node with [`FAILED`].

use crate::device::Devices;
use crate::names;
use crate::print::{Part::*, line};
use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use libsel4::ipc::{set_mr, set_receive_path};
use libsel4::{Error, MessageInfo, debug_halt_status, tcb};
use sel4rt::{Env, ROOT_CNODE};
use selvm_abi::vm::network::REMOTE_ERROR_LABEL;
use selvm_abi::vm::spawn::SPAWN;

/// The ARGUMENT that makes node 1 spawn the layout.
pub const LAYOUT: u64 = 3;
/// The node's exit status when the layout could not be spawned.
pub const FAILED: u64 = 1;

/// The root slot the layout's endpoint arrives in.
static ENDPOINT: AtomicU64 = AtomicU64::new(0);
/// Where the devices are mapped (the timer measures the spawn).
static DEVICES: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];

/// Starts a thread that spawns the layout (the service, on the root thread, makes it).
pub fn start(env: &mut Env, dev: Devices) -> Result<(), Error> {
    ENDPOINT.store(env.slots.alloc()?, SeqCst);
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
