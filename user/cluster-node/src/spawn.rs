//! Remote process creation, the serving side: a spawn request (a program's Call on its
//! name cap with label `SPAWN` naming this node, or another node's Call of object 0
//! with label [`SPAWN_PROCESS`]) names a module of this node's store, an untyped pool
//! and an argument. The service reads the module from the store through the network
//! device (`MSG_MODULE_READ`; the pieces come as `MSG_MODULE_DATA` into a buffer of
//! [`BUFFER_PAGES`] pages), then [`crate::process`] builds the process out of the pool,
//! its endpoint is exported as an object of this node, and the requester is answered
//! (node, object, incarnation), which its node turns into a proxy as for a lookup.
//!
//! Pools: [`POOLS`] untypeds of 2^[`POOL_BITS`] bytes, each made on first use and
//! claimed by the first node whose spawn names it (this node's programs count as
//! this node); another node naming a claimed pool is refused `ERROR_NO_SUCH_OBJECT`. A
//! pool with too little memory left answers `ERROR_NO_MEMORY`. One spawn is read at a
//! time; a request while one is being read answers `ERROR_BUSY`.

use crate::device::Devices;
use crate::process::{self, Request, TEMPS, Workspace};
use crate::workers::Pool;
use libsel4::{CPtr, CapRights, cnode, irq, vspace::page};
use sel4rt::{Env, PAGE_SIZE, ROOT_CNODE, ROOT_VSPACE, types};
use selvm_abi::CAP_IRQ_CONTROL;
use selvm_abi::vm::device::IRQ_TIMER;
use selvm_abi::vm::network::*;
use selvm_abi::vm::spawn::*;

/// Label of a Call to a node's control object (object 0): spawn a process. MR0 the
/// pool, MR1 the argument, MR2 the name's length, the name packed after it.
pub const SPAWN_PROCESS: u64 = 5;
/// Pages of the buffer a module is read into: the largest module a node spawns.
pub const BUFFER_PAGES: usize = 64;
/// A read older than this (its pieces lost: the device's queue was full) is abandoned,
/// its requester answered `ERROR_TIMEOUT`: by the next request, or when the timer the
/// service armed for it fires ([`TIMER_BADGE`]).
const READ_DEADLINE_NS: u64 = 5_000_000_000;
/// The badge bit of the timer's interrupt on the service's notification (above the
/// signals' bit 41).
pub const TIMER_BADGE: u64 = 1 << 42;

/// Who asked: another node's call, or a program of this node whose reply cap the
/// service saved (its call id).
#[derive(Clone, Copy)]
pub enum Caller {
    Remote { node: u64, call_id: u64 },
    Local { call_id: u64 },
}

/// The spawn being read.
struct Job {
    caller: Caller,
    requester: u64,
    pool: usize,
    argument: u64,
    read: u64,
    received: usize,
    started: u64,
}

/// The spawner's state.
pub struct Spawner {
    job: Option<Job>,
    reads: u64,
    /// The buffer (address, first frame) and the window, made at the first spawn.
    buffer: Option<(usize, CPtr, usize)>,
    temps: CPtr,
    /// Each pool's untyped and the node that claimed it.
    pools: [Option<(CPtr, u64)>; POOLS as usize],
    /// The timer interrupt's handler (0: none, reads are then abandoned only by the
    /// next request).
    timer: CPtr,
}

/// The timer's interrupt handler, its notification a copy of `notification` badged
/// [`TIMER_BADGE`].
fn timer_interrupt(env: &mut Env, notification: CPtr) -> Result<CPtr, libsel4::Error> {
    let (badged, handler) = (env.slots.alloc()?, env.slots.alloc()?);
    let all = CapRights::ALL;
    cnode::mint(
        ROOT_CNODE,
        badged,
        64,
        ROOT_CNODE,
        notification,
        64,
        all,
        TIMER_BADGE,
    )?;
    irq::control_get(CAP_IRQ_CONTROL, IRQ_TIMER, ROOT_CNODE, handler, 64)?;
    irq::handler_set_notification(handler, badged)?;
    irq::handler_ack(handler)?;
    Ok(handler)
}

/// How a spawn ended: for whom, and the answer (node, object, incarnation) or an
/// error code.
pub type Finished = (Caller, Result<[u64; 3], u64>);

impl Spawner {
    /// A spawner with its root slots, the timer's interrupt signalling `notification`
    /// (the service's) with [`TIMER_BADGE`].
    pub fn new(env: &mut Env, notification: CPtr) -> Spawner {
        Spawner {
            job: None,
            reads: 0,
            buffer: None,
            temps: env.slots.alloc_range(TEMPS).unwrap_or(0),
            pools: [None; POOLS as usize],
            timer: timer_interrupt(env, notification).unwrap_or(0),
        }
    }

    /// The timer fired: a read past its deadline is abandoned (its end returned).
    pub fn expired(&mut self, dev: &Devices) -> Option<Finished> {
        let _ = irq::handler_ack(self.timer);
        let job = self.job.as_ref()?;
        if dev.now_ns().saturating_sub(job.started) < READ_DEADLINE_NS {
            dev.arm_timer(job.started + READ_DEADLINE_NS); // (fired early: again)
            return None;
        }
        self.job.take().map(|j| (j.caller, Err(ERROR_TIMEOUT)))
    }

    /// A spawn request from `requester` (`mrs`: pool, argument, name length, name):
    /// starts reading the module (and ends a read it abandoned), or answers an error
    /// code at once.
    pub fn request(
        &mut self,
        env: &mut Env,
        dev: &Devices,
        caller: Caller,
        requester: u64,
        mrs: &[u64],
    ) -> Result<Option<Finished>, u64> {
        let &[pool, argument, length, ..] = mrs else {
            return Err(ERROR_BAD_MESSAGE);
        };
        let name = &mrs[3..];
        if pool >= POOLS || length as usize > NAME_MAX || name.len() * 8 < length as usize {
            return Err(ERROR_BAD_MESSAGE);
        }
        let now = dev.now_ns();
        let stale = |j: &Job| now.saturating_sub(j.started) >= READ_DEADLINE_NS;
        if self.job.as_ref().is_some_and(|j| !stale(j)) || self.temps == 0 {
            return Err(ERROR_BUSY);
        }
        match self.pools[pool as usize] {
            Some((_, owner)) if owner != requester => return Err(ERROR_NO_SUCH_OBJECT),
            Some(_) => {}
            None => {
                let ut = env
                    .retype(types::UNTYPED, POOL_BITS)
                    .map_err(|_| ERROR_NO_MEMORY)?;
                self.pools[pool as usize] = Some((ut, requester));
            }
        }
        if self.buffer.is_none() {
            let (at, frames) = env
                .alloc_memory(BUFFER_PAGES)
                .map_err(|_| ERROR_NO_MEMORY)?;
            // The window: its page tables made now (a frame mapped once, then unmapped).
            let window = env.alloc_vaddr(1);
            let frame = env.retype(types::FRAME, 0).map_err(|_| ERROR_NO_MEMORY)?;
            env.map_frame(ROOT_VSPACE, frame, window, CapRights::ALL)
                .map_err(|_| ERROR_NO_MEMORY)?;
            let _ = page::unmap(frame);
            let _ = env.delete(frame);
            self.buffer = Some((at, frames, window));
        }
        let abandoned = self.job.take().map(|j| (j.caller, Err(ERROR_TIMEOUT)));
        self.reads += 1;
        let words = (length as usize).div_ceil(8);
        let header = [MSG_MODULE_READ, 0, self.reads, 0, length, words as u64];
        dev.transmit(header, &name[..words]);
        self.job = Some(Job {
            caller,
            requester,
            pool: pool as usize,
            argument,
            read: self.reads,
            received: 0,
            started: now,
        });
        if self.timer != 0 {
            dev.arm_timer(now + READ_DEADLINE_NS);
        }
        Ok(abandoned)
    }

    /// A piece of the module being read (`h`, `mrs`); when it was the last, or the
    /// store has no such module, the spawn is made and its end returned.
    pub fn piece(
        &mut self,
        env: &mut Env,
        ctx: (&Devices, CPtr),
        h: &[u64; MSG_MRS],
        mrs: &[u64],
    ) -> Option<Finished> {
        let job = self.job.as_mut().filter(|j| j.read == h[MSG_CALL_ID])?;
        let (at, frames, window) = self.buffer?;
        let total = h[MSG_LABEL];
        let caller = job.caller;
        if total & REMOTE_ERROR_LABEL != 0 {
            self.job = None;
            return Some((caller, Err(ERROR_NO_SUCH_NAME)));
        }
        if total as usize > BUFFER_PAGES * PAGE_SIZE {
            self.job = None;
            return Some((caller, Err(ERROR_BAD_MODULE)));
        }
        let offset = h[MSG_OBJECT] as usize;
        if offset % 8 != 0 || offset > total as usize {
            self.job = None;
            return Some((caller, Err(ERROR_BAD_MODULE)));
        }
        // Whole words: pieces start at multiples of 960 bytes, the buffer's size is a
        // multiple of 8, and a module's last word is padded with zeros.
        let words = mrs
            .iter()
            .take(total.saturating_sub(offset as u64).div_ceil(8) as usize);
        for (i, w) in words.enumerate() {
            // SAFETY: the buffer's BUFFER_PAGES frames are mapped read-write at `at`;
            // `offset` is a multiple of 8 and `offset + 8 * i` is below the total
            // rounded up to 8, which is at most their size.
            unsafe { ((at + offset) as *mut u64).add(i).write(*w) };
        }
        job.received = (offset + mrs.len() * 8).min(total as usize);
        if job.received < total as usize {
            return None;
        }
        let job = self.job.take()?;
        Some((
            caller,
            self.make(env, ctx, &job, (at, total as usize, frames), window),
        ))
    }

    /// Builds the process of `job` from the image and exports its endpoint.
    fn make(
        &mut self,
        env: &mut Env,
        (dev, name_cap): (&Devices, CPtr),
        job: &Job,
        image: (usize, usize, CPtr),
        window: usize,
    ) -> Result<[u64; 3], u64> {
        let (pool, _) = self.pools[job.pool].ok_or(ERROR_NO_MEMORY)?;
        if Pool::objects_used() >= crate::workers::MAX_OBJECTS as u64 {
            return Err(ERROR_BUSY);
        }
        let endpoint = env.slots.alloc().map_err(|_| ERROR_NO_MEMORY)?;
        let me = dev.net_read(NET_NODE);
        let mut info = [0; INFO_WORDS];
        info[INFO_NODE] = me;
        info[INFO_ARGUMENT] = job.argument;
        info[INFO_REQUESTER] = job.requester;
        info[INFO_NODES] = dev.net_read(NET_NODES);
        let w = Workspace {
            temps: self.temps,
            window,
            image,
        };
        let r = Request {
            pool,
            info,
            name_cap,
            endpoint,
        };
        if let Err(code) = process::spawn(&w, &r) {
            env.slots.free(endpoint);
            return Err(code);
        }
        // (Checked above: the service alone adds objects, and it is here.)
        let object = Pool::add_object(endpoint).ok_or(ERROR_BUSY)?;
        // The process's CNode cap stays in a root slot of its own (the first temp);
        // without slots for new temps the node spawns no more (ERROR_BUSY).
        let kept = self.temps;
        self.temps = env.slots.alloc_range(TEMPS).unwrap_or(0);
        (1..TEMPS as u64).for_each(|i| env.slots.free(kept + i));
        Ok([me, object, dev.net_read(NET_INCARNATION)])
    }
}
