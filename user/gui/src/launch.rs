//! Starting a client and taking it away: a client is a process forked from the root
//! task (its own VSpace holding a copy of the program) with a CSpace of its own that
//! holds exactly three caps (the server endpoint and the launcher's endpoint, both
//! badged with its client number, and its event notification), and its window frames
//! (shared with the server, which has them mapped too) at layout::WINDOW_VADDR. Its
//! fault endpoint is its launcher cap, so the launcher hears of a fault as of an exit.
//! The system monitor also gets the statistics device's frame (read-only), the timer's
//! frame and the timer interrupt's handler (slot 4).

use crate::layout::{
    CLIENT_PRIORITY, CLIENT_RADIX, EVENTS, LAUNCHER, SERVER, STATS_VADDR, TIMER_IRQ, TIMER_VADDR,
    WINDOW_PAGES, WINDOW_VADDR,
};
use libsel4::vspace::{page, page_table};
use libsel4::{CPtr, CapRights, Error, Word, cnode, tcb};
use sel4rt::{Env, PAGE_SIZE, Process, ROOT_CNODE, types};

/// The caps a client's CSpace gets copies of.
pub struct Caps {
    /// The server endpoint.
    pub server: CPtr,
    /// The launcher's endpoint.
    pub launcher: CPtr,
    /// The client's event notification.
    pub events: CPtr,
    /// The first of its WINDOW_PAGES window frames (consecutive root slots), mapped in
    /// the server's VSpace.
    pub frames: CPtr,
    /// For the system monitor only: the statistics and timer frames and the timer
    /// interrupt's handler.
    pub monitor: Option<MonitorCaps>,
}

/// What the system monitor gets beyond every client's caps.
#[derive(Clone, Copy)]
pub struct MonitorCaps {
    /// The statistics device's frame (mapped read-only at STATS_VADDR).
    pub stats: CPtr,
    /// The timer's frame (mapped at TIMER_VADDR).
    pub timer: CPtr,
    /// The timer interrupt's handler (copied to slot TIMER_IRQ).
    pub timer_irq: CPtr,
}

/// A running client and what the launcher made for it.
#[derive(Clone, Copy)]
pub struct Launched {
    process: Process,
    cspace: CPtr,
    copies: CPtr,
    tables: [CPtr; 3],
    table_count: usize,
    /// Copies of the monitor's device frames (0: none).
    device_copies: [CPtr; 2],
}

/// Starts client number `index` (its badge is `index + 1`) running app `index`.
pub fn launch(env: &mut Env, index: usize, caps: &Caps) -> Result<Launched, Error> {
    let badge = index as Word + 1;
    let cnode = env.retype(types::CNODE, CLIENT_RADIX)?;
    let cspace = env.slots.alloc()?;
    let guard = 64 - CLIENT_RADIX; // guard 0 of this size: CPtrs below 16 resolve
    cnode::mutate(ROOT_CNODE, cspace, 64, ROOT_CNODE, cnode, 64, guard)?;
    env.slots.free(cnode);
    let all = CapRights::ALL;
    cnode::mint(cspace, SERVER, 64, ROOT_CNODE, caps.server, 64, all, badge)?;
    cnode::mint(
        cspace,
        LAUNCHER,
        64,
        ROOT_CNODE,
        caps.launcher,
        64,
        all,
        badge,
    )?;
    cnode::copy(cspace, EVENTS, 64, ROOT_CNODE, caps.events, 64, all)?;
    let process = env.fork(crate::apps::entry, index as Word, CLIENT_PRIORITY, 0)?;
    tcb::set_space(process.thread.tcb, LAUNCHER, cspace, 0, process.vspace, 0)?;
    let mut l = Launched {
        process,
        cspace,
        copies: env.slots.alloc_range(WINDOW_PAGES)?,
        tables: [0; 3],
        table_count: 0,
        device_copies: [0; 2],
    };
    for k in 0..WINDOW_PAGES as Word {
        let copy = l.copies + k;
        cnode::copy(ROOT_CNODE, copy, 64, ROOT_CNODE, caps.frames + k, 64, all)?;
        map(
            env,
            &mut l,
            copy,
            WINDOW_VADDR + k as usize * PAGE_SIZE,
            all,
        )?;
    }
    if let Some(m) = caps.monitor {
        cnode::copy(cspace, TIMER_IRQ, 64, ROOT_CNODE, m.timer_irq, 64, all)?;
        let devices = [
            (m.stats, STATS_VADDR, CapRights::READ),
            (m.timer, TIMER_VADDR, all),
        ];
        for (i, (frame, vaddr, rights)) in devices.into_iter().enumerate() {
            let copy = env.slots.alloc()?;
            cnode::copy(ROOT_CNODE, copy, 64, ROOT_CNODE, frame, 64, all)?;
            l.device_copies[i] = copy;
            map(env, &mut l, copy, vaddr, rights)?;
        }
    }
    tcb::resume(process.thread.tcb)?;
    Ok(l)
}

/// Maps `frame` at `vaddr` of the client's VSpace, with the page tables it lacks
/// (recorded, to be deleted with the client).
fn map(
    env: &mut Env,
    l: &mut Launched,
    frame: CPtr,
    vaddr: usize,
    rights: CapRights,
) -> Result<(), Error> {
    loop {
        match page::map(frame, l.process.vspace, vaddr as Word, rights, 0) {
            Err(Error::FailedLookup) if l.table_count < l.tables.len() => {
                let pt = env.retype(types::PAGE_TABLE, 0)?;
                l.tables[l.table_count] = pt;
                l.table_count += 1;
                page_table::map(pt, l.process.vspace, vaddr as Word, 0)?;
            }
            other => return other,
        }
    }
}

/// Takes a client away: its window frame copies and page tables, then its process
/// (every object of it at once), then its CSpace. The server's frames stay, mapped.
pub fn destroy(env: &mut Env, l: &Launched) -> Result<(), Error> {
    for k in 0..WINDOW_PAGES as Word {
        page::unmap(l.copies + k)?;
        env.delete(l.copies + k)?;
    }
    for &copy in l.device_copies.iter().filter(|&&c| c != 0) {
        page::unmap(copy)?;
        env.delete(copy)?;
    }
    for &pt in &l.tables[..l.table_count] {
        env.delete(pt)?;
    }
    env.destroy_process(&l.process)?;
    env.delete(l.cspace)
}
