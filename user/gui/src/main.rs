//! seLVM's GUI system (docs/gui.md), run by `selvm gui`: the root task is the
//! launcher. It maps the framebuffer and the input device and hands them, with the
//! input interrupt, to the display server (a process forked from it, with a VSpace of
//! its own where only it has the devices and the window frames mapped, and a CSpace
//! holding only its endpoint, the interrupt's handler and the clients'
//! notifications, [`server`]); then starts every demo client ([`apps`]) in an address space and
//! CSpace of its own ([`launch`]) and waits on its endpoint, which is every client's
//! fault endpoint and where clients send their exit message: a client that faults or
//! exits loses its window (the launcher tells the server) and its address space, and
//! the others keep running. The system monitor also gets the statistics device's
//! frame, the timer's and its interrupt. F10 shuts the system down (the server halts the machine).
//! Build: `cargo xtask build-user user/gui`.

#![no_std]
#![no_main]

mod apps;
mod canvas;
mod client;
mod compose;
mod devices;
mod font;
mod launch;
mod layout;
mod server;

use layout::*;
use libsel4::{BootInfo, CPtr, CapRights, Error, MessageInfo, Word, cnode, ipc, irq, tcb};
use rt::print;
use rt::print::{Part::*, line};
use sel4rt::{Env, ROOT_CNODE, types};
use selvm_abi::vm::device::{IRQ_INPUT, IRQ_TIMER};
use selvm_gui_protocol::label::CLIENT_GONE;

rt::main!(main);

fn main(_: &'static BootInfo) {
    if let Err(e) = start() {
        line(&[T("gui: setup failed: error "), N(e as u64)]);
        libsel4::debug_halt_status(100);
    }
}

/// A badged copy of `cap` in a fresh root slot.
fn mint(env: &mut Env, cap: CPtr, badge: Word) -> Result<CPtr, Error> {
    let slot = env.slots.alloc()?;
    cnode::mint(
        ROOT_CNODE,
        slot,
        64,
        ROOT_CNODE,
        cap,
        64,
        CapRights::ALL,
        badge,
    )?;
    Ok(slot)
}

fn start() -> Result<(), Error> {
    let mut env = Env::from_boot_info().ok_or(Error::FailedLookup)?;
    let (dev, runs) = devices::map(&mut env)?;
    line(&[
        T("gui: screen "),
        N(dev.width.into()),
        T("x"),
        N(dev.height.into()),
    ]);
    let server_ep = env.retype(types::ENDPOINT, 0)?;
    let launcher_ep = env.retype(types::ENDPOINT, 0)?;
    let to_server = mint(&mut env, server_ep, LAUNCHER_BADGE)?;
    // The input interrupt signals a badged copy of a notification bound to the server.
    let input = env.retype(types::NOTIFICATION, 0)?;
    let input_badged = mint(&mut env, input, IRQ_BADGE)?;
    let handler = env.slots.alloc()?;
    irq::control_get(
        selvm_abi::CAP_IRQ_CONTROL,
        IRQ_INPUT,
        ROOT_CNODE,
        handler,
        64,
    )?;
    irq::handler_set_notification(handler, input_badged)?;
    // Each client's window frames: mapped into the server's VSpace below, and copies
    // into the client's when it starts.
    let mut caps = [(0usize, 0, 0); MAX_CLIENTS];
    for c in caps.iter_mut() {
        let frames = env.slots.alloc_range(WINDOW_PAGES)?;
        env.untypeds
            .retype_into(types::FRAME, 0, frames, WINDOW_PAGES)?;
        let pixels = env.alloc_vaddr(WINDOW_PAGES);
        *c = (pixels, frames, env.retype(types::NOTIFICATION, 0)?);
    }
    let notifications = caps.map(|(_, _, events)| events);
    let cspace = server_cspace(&mut env, server_ep, handler, &notifications)?;
    let server = server::Server {
        dev,
        ep: SERVER_EP_SLOT,
        irq: SERVER_IRQ_SLOT,
        clients: core::array::from_fn(|i| {
            server::Client::new(caps[i].0, SERVER_EVENTS_SLOT + i as CPtr)
        }),
        desk: Default::default(),
    };
    // The server is a process: a copy of this program with a VSpace of its own (holding
    // its copy of `server`, which this frame keeps alive until the fork) and its CSpace.
    let arg = &server as *const server::Server as Word;
    let process = env.fork(server::run, arg, SERVER_PRIORITY, 0)?;
    tcb::set_space(process.thread.tcb, 0, cspace, 0, process.vspace, 0)?;
    devices::map_runs(&mut env, process.vspace, &runs)?;
    let windows = caps.map(|(pixels, frames, _)| (frames, WINDOW_PAGES, pixels));
    devices::map_runs(&mut env, process.vspace, &windows)?;
    tcb::bind_notification(process.thread.tcb, input)?;
    irq::handler_ack(handler)?;
    tcb::resume(process.thread.tcb)?;
    let mut running: [Option<launch::Launched>; MAX_CLIENTS] = [None; MAX_CLIENTS];
    for (i, (name, _)) in apps::APPS.iter().enumerate().take(MAX_CLIENTS) {
        let (_, frames, events) = caps[i];
        let monitor = match *name {
            "monitor" => Some(monitor_caps(&mut env, &dev, events)?),
            _ => None,
        };
        let c = launch::Caps {
            server: server_ep,
            launcher: launcher_ep,
            events,
            frames,
            monitor,
        };
        running[i] = Some(launch::launch(&mut env, i, &c)?);
        line(&[
            T("gui: started "),
            T(name),
            T(" as client "),
            N(i as u64 + 1),
        ]);
    }
    loop {
        let (info, badge) = libsel4::recv(launcher_ep);
        let Some(i) = client_of(badge) else {
            continue;
        };
        let Some(client) = running[i].take() else {
            continue;
        };
        let name = apps::APPS[i].0;
        report(name, info);
        ipc::set_mr(0, badge);
        let gone = MessageInfo::new(CLIENT_GONE, 0, 0, 1).map_err(|_| Error::InvalidArgument)?;
        let answer = libsel4::call(to_server, gone);
        if answer.label() != 0 {
            line(&[
                T("gui: the server refused client-gone: "),
                N(answer.label()),
            ]);
        }
        launch::destroy(&mut env, &client)?;
        let left = running.iter().filter(|r| r.is_some()).count() as u64;
        line(&[
            T("gui: "),
            T(name),
            T(" is gone; "),
            N(left),
            T(" clients left"),
        ]);
    }
}

/// The display server's CSpace: a CNode holding only its endpoint, the input
/// interrupt's handler and every client's event notification (layout's SERVER_*_SLOT);
/// the root slot of the guarded cap to it.
fn server_cspace(
    env: &mut Env,
    endpoint: CPtr,
    irq_handler: CPtr,
    notifications: &[CPtr; MAX_CLIENTS],
) -> Result<CPtr, Error> {
    let cnode = env.retype(types::CNODE, CLIENT_RADIX)?;
    let cspace = env.slots.alloc()?;
    let guard = 64 - CLIENT_RADIX; // guard 0 of this size: CPtrs below 16 resolve
    cnode::mutate(ROOT_CNODE, cspace, 64, ROOT_CNODE, cnode, 64, guard)?;
    env.slots.free(cnode);
    let copies = [(SERVER_EP_SLOT, endpoint), (SERVER_IRQ_SLOT, irq_handler)];
    let events = (0..MAX_CLIENTS).map(|i| (SERVER_EVENTS_SLOT + i as CPtr, notifications[i]));
    for (slot, cap) in copies.into_iter().chain(events) {
        cnode::copy(cspace, slot, 64, ROOT_CNODE, cap, 64, CapRights::ALL)?;
    }
    Ok(cspace)
}

/// The system monitor's extra caps: the timer interrupt signals its event
/// notification `events` with TIMER_BADGE.
fn monitor_caps(
    env: &mut Env,
    dev: &devices::Devices,
    events: CPtr,
) -> Result<launch::MonitorCaps, Error> {
    let timer_irq = env.slots.alloc()?;
    irq::control_get(
        selvm_abi::CAP_IRQ_CONTROL,
        IRQ_TIMER,
        ROOT_CNODE,
        timer_irq,
        64,
    )?;
    let badged = mint(env, events, TIMER_BADGE)?;
    irq::handler_set_notification(timer_irq, badged)?;
    Ok(launch::MonitorCaps {
        stats: dev.stats_frame,
        timer: dev.timer_frame,
        timer_irq,
    })
}

/// Prints why client `name` stops: its exit message or its fault.
fn report(name: &'static str, info: MessageInfo) {
    let (mr0, mr1) = (ipc::get_mr(0), ipc::get_mr(1));
    match info.label() {
        EXIT_LABEL => line(&[T("gui: "), T(name), T(" exited with status "), N(mr0)]),
        selvm_abi::VM_FAULT => line(&[
            T("gui: "),
            T(name),
            T(" faulted: VMFault at address "),
            N(mr1),
            T(", pc "),
            N(mr0),
        ]),
        other => line(&[T("gui: "), T(name), T(" faulted: fault label "), N(other)]),
    }
}
