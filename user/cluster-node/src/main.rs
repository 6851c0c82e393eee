//! The root task of a seLVM cluster node (`selvm cluster up -n 3
//! target/user/cluster-node.sbc`, or `selvm node`). Every node maps its network
//! device, binds the device's interrupt to a notification bound to the root thread,
//! starts the objects it exports ([`servers`]: an adder and a relay), and runs the
//! network service ([`service`]) on the root thread, its worker pool ([`workers`])
//! making the calls other nodes send.
//! Node 1 also starts the demo client ([`client`]): it calls every other node's adder
//! through proxy endpoints, checks every answer, reports a node that dies as the error
//! its calls return, and finally stops the other nodes and halts (status 0 when every
//! answer was right). The other nodes halt when node 1 stops them or goes down, and
//! print the node events their network service sees.
//! With 1 in the network device's ARGUMENT register (`selvm node --argument 1`, as
//! `selvm cluster demo` starts nodes) the nodes run the key-value demo's roles instead
//! ([`demo`], [`kv`]) and never halt by themselves; with 2 a node serves and stays
//! up when node 1 goes down (the network-namespace partition test), and node 1 runs
//! no client: every node idles, serving (`selvm cluster up --argument 2`, the scale
//! measurements); with 3 node 1 spawns the first module of its store, a layout
//! ([`layout`], `selvm cluster up -n 3 system.wasm`), and every node serves spawns
//! ([`spawn`]).
//! With 5 or 6 the nodes run the distributed shared memory's test programs ([`dsm`]).
//! Build: `cargo xtask build-user user/cluster-node`.

#![no_std]
#![no_main]

mod chain;
mod churn;
mod client;
mod crosscaps;
mod demo;
mod device;
mod dsm;
mod holders;
mod kv;
mod layout;
mod names;
mod process;
mod registry;
mod servers;
mod service;
mod sharing;
mod signals;
mod spawn;
mod tokens;
mod transfer;
mod workers;

use libsel4::{BootInfo, CapRights, Error, cnode, debug_halt_status, irq, tcb};
use rt::print;
use rt::print::{Part::*, line};
use sel4rt::{Env, ROOT_CNODE, ROOT_TCB, types};
use selvm_abi::vm::device::IRQ_NETWORK;
use selvm_abi::vm::network::{
    NET_ARGUMENT, NET_INCARNATION, NET_NODE, NET_NODES, NET_SECRET, NET_SECRET_HIGH,
};

rt::main!(main);

fn main(_: &'static BootInfo) {
    let status = match start() {
        Ok(()) => 0,
        Err(e) => {
            line(&[T("cluster-node: setup failed: error "), N(e as u64)]);
            100
        }
    };
    debug_halt_status(status);
}

fn start() -> Result<(), Error> {
    let mut env = Env::from_boot_info().ok_or(Error::FailedLookup)?;
    let dev = device::map(&mut env)?;
    let (me, nodes) = (dev.net_read(NET_NODE), dev.net_read(NET_NODES));
    tokens::set_secret([dev.net_read(NET_SECRET), dev.net_read(NET_SECRET_HIGH)]);
    line(&[
        T("node "),
        N(me),
        T(" of "),
        N(nodes),
        T(", incarnation "),
        N(dev.net_read(NET_INCARNATION)),
    ]);
    if me == 0 {
        line(&[T(
            "no network device: run me with selvm node or selvm cluster up",
        )]);
        return Err(Error::IllegalOperation);
    }
    // The network service's endpoint and the device's notification, bound to the root
    // thread; the interrupt signals a badged copy so its bit tells it apart.
    let endpoint = env.retype(types::ENDPOINT, 0)?;
    let ntfn = env.retype(types::NOTIFICATION, 0)?;
    let badged = env.slots.alloc()?;
    cnode::mint(
        ROOT_CNODE,
        badged,
        64,
        ROOT_CNODE,
        ntfn,
        64,
        CapRights::ALL,
        service::IRQ_BADGE,
    )?;
    let handler = env.slots.alloc()?;
    irq::control_get(
        selvm_abi::CAP_IRQ_CONTROL,
        IRQ_NETWORK,
        ROOT_CNODE,
        handler,
        64,
    )?;
    irq::handler_set_notification(handler, badged)?;
    tcb::bind_notification(ROOT_TCB, ntfn)?;
    irq::handler_ack(handler)?;
    // The node's name cap: Write, Grant (a register sends an endpoint) and GrantReply
    // (a lookup's answer carries a cap), never Read.
    let name_cap = env.slots.alloc()?;
    let rights = CapRights::new(true, true, false, true);
    cnode::mint(
        ROOT_CNODE,
        name_cap,
        64,
        ROOT_CNODE,
        endpoint,
        64,
        rights,
        names::NAME_BADGE,
    )?;
    names::set_name_cap(name_cap);
    let objects = servers::start(&mut env, me, nodes, endpoint)?;
    let mut pool = workers::Pool::new(&mut env, &objects)?;
    // ARGUMENT 1: the roles of `selvm cluster demo`; else node 1's test client.
    let demo = dev.net_read(NET_ARGUMENT) == 1;
    // ARGUMENT 2: serve and stay up whoever goes down (a node cut off and healed).
    let stay = dev.net_read(NET_ARGUMENT) == 2;
    // ARGUMENT 5 or 6: the distributed shared memory's test programs.
    let shared_memory = matches!(
        dev.net_read(NET_ARGUMENT),
        dsm::role::TESTS | dsm::role::NODE_DOWN
    );
    let layout = dev.net_read(NET_ARGUMENT) == layout::LAYOUT;
    if demo {
        demo::start(&mut env, dev, me)?;
    } else if layout {
        if me == 1 {
            layout::start(&mut env, dev, endpoint)?;
        }
    } else if shared_memory {
        dsm::start(
            &mut env,
            dev,
            me,
            nodes,
            endpoint,
            dev.net_read(NET_ARGUMENT),
        )?;
    } else if me == 1 && !stay {
        client::start(&mut env, dev, endpoint, nodes)?;
    }
    let s = service::Service {
        dev,
        endpoint,
        irq_handler: handler,
        reply_slots: env.slots.alloc_range(service::SLOTS)?,
        probe_slot: env.slots.alloc()?,
        scratch_slot: env.slots.alloc()?,
        transfer_slot: env.slots.alloc()?,
        signals: ntfn,
        me,
        life: service::pinned_life(dev.net_read(NET_INCARNATION)),
        halt_when_down: if me == 1 || demo || stay || shared_memory {
            0
        } else {
            1
        },
        // Node 1's client prints, and the demo's roles; elsewhere the service does.
        print_events: me != 1 && !demo && !shared_memory,
    };
    service::run(&s, &mut env, &mut pool);
    Ok(())
}
