//! The serving side's worker pool: a Call from another node is made by a worker
//! thread, never by the network service itself, so the service keeps receiving while
//! local servers work, and a server that calls through a proxy while serving (A → B →
//! A, or on to C) cannot deadlock its node. The pool grows on demand: a call that finds
//! no idle worker gets a new one, up to [`MAX_WORKERS`] (a TCB, a stack and a job
//! slot each; made once, then kept idle for later calls); a call arriving when that
//! many are busy is answered `REMOTE_ERROR_LABEL | ERROR_BUSY`, MR0 the node. So a
//! chain of nested calls deadlocks only past 64 calls in flight on one node, and
//! fails then with that error instead of hanging.
//!
//! The hand-off: a worker Calls the service's endpoint with its own badge
//! ([`WORKER_BADGE`] | index) to say it is ready (and, after a job, that its answer is
//! in its job slot); the service saves that Call's reply cap in the worker's slot, and
//! a job is given by writing it into the worker's slot of [`JOBS`] and replying with an
//! empty message. A job slot holds the cluster header and the message registers, both
//! ways (so all 120 registers fit).

use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use libsel4::{CPtr, CapRights, Error, MessageInfo, cnode, tcb};
use sel4rt::{Env, ROOT_CNODE};
use selvm_abi::vm::network::{
    ERROR_REVOKED, MSG_KIND, MSG_LABEL, MSG_LENGTH, MSG_MAX_MRS, MSG_MRS, MSG_OBJECT, MSG_SEND,
    REMOTE_ERROR_LABEL,
};

/// Whether root slot `cap` holds a cap: a copy into the empty `probe` slot succeeds
/// (then deleted) or fails with FailedLookup for an empty source.
fn holds_cap(probe: CPtr, cap: CPtr) -> bool {
    let copied = cnode::copy(ROOT_CNODE, probe, 64, ROOT_CNODE, cap, 64, CapRights::ALL);
    let _ = cnode::delete(ROOT_CNODE, probe, 64);
    copied != Err(Error::FailedLookup)
}

/// Most worker threads a node makes (the pool's bound; it was a fixed 8).
pub const MAX_WORKERS: usize = 64;
/// Badge bit of a worker's cap to the service endpoint (below the interrupt's bit 40,
/// above every proxy badge).
pub const WORKER_BADGE: u64 = 1 << 39;
const WORDS: usize = MSG_MRS + MSG_MAX_MRS;

#[allow(clippy::declare_interior_mutable_const)]
const ZERO: AtomicU64 = AtomicU64::new(0);
#[allow(clippy::declare_interior_mutable_const)]
const SLOT: [AtomicU64; WORDS] = [ZERO; WORDS];
/// Each worker's job: the cluster header then the registers (the answer comes back in
/// the same words: label in `MSG_LABEL`, count in `MSG_LENGTH`).
static JOBS: [[AtomicU64; WORDS]; MAX_WORKERS] = [SLOT; MAX_WORKERS];
/// The service endpoint's cap each worker Calls (badged), by worker.
static WORKER_CAPS: [AtomicU64; MAX_WORKERS] = [ZERO; MAX_WORKERS];
/// The root slot of a cap that came with a worker's job (0: none), by worker; the
/// worker gives it with the call and then deletes it.
static JOB_CAPS: [AtomicU64; MAX_WORKERS] = [ZERO; MAX_WORKERS];
/// Each worker's empty root slot for probing its object's cap before using it.
static PROBES: [AtomicU64; MAX_WORKERS] = [ZERO; MAX_WORKERS];
/// Set by a worker whose job's object cap was gone (revoked or deleted by its
/// exporter): the job is answered `ERROR_REVOKED`.
static REVOKED: [AtomicU64; MAX_WORKERS] = [ZERO; MAX_WORKERS];
/// Most objects a node exports: its fixed ones and those registered by name.
pub const MAX_OBJECTS: usize = 16;
/// The local objects callable from other nodes, by object number - 1.
static OBJECTS: [AtomicU64; MAX_OBJECTS] = [ZERO; MAX_OBJECTS];

/// The pool as the service keeps it.
pub struct Pool {
    made: usize,
    /// The worker waits in its ready Call (its reply cap is saved).
    idle: [bool; MAX_WORKERS],
    /// The caller (node, call id, kind) of the job a worker has or will get.
    job: [Option<(u64, u64, u64)>; MAX_WORKERS],
    /// First of MAX_WORKERS root slots for the workers' saved reply caps.
    reply_slots: CPtr,
    /// First of MAX_WORKERS root slots for the caps that come with jobs.
    cap_slots: CPtr,
}

impl Pool {
    /// An empty pool serving `objects` (object 1, 2, …).
    pub fn new(env: &mut Env, objects: &[CPtr]) -> Result<Pool, Error> {
        for (o, cap) in OBJECTS.iter().zip(objects) {
            o.store(*cap, SeqCst);
        }
        Ok(Pool {
            made: 0,
            idle: [false; MAX_WORKERS],
            job: [None; MAX_WORKERS],
            reply_slots: env.slots.alloc_range(MAX_WORKERS)?,
            cap_slots: env.slots.alloc_range(MAX_WORKERS)?,
        })
    }

    /// Workers made so far (the most that were ever busy at once: one is made only
    /// when every one made is busy).
    pub fn made(&self) -> usize {
        self.made
    }

    /// Exports the endpoint `cap` as a new object; its number, or None when
    /// [`MAX_OBJECTS`] exist.
    pub fn add_object(cap: CPtr) -> Option<u64> {
        let i = OBJECTS.iter().position(|o| o.load(SeqCst) == 0)?;
        OBJECTS[i].store(cap, SeqCst);
        Some(i as u64 + 1)
    }

    /// Stops exporting `object` (a sent export no node holds any more,
    /// [`crate::holders`]); the slot of its cap (to delete and free), None when there
    /// is no such object.
    pub fn remove_object(object: u64) -> Option<CPtr> {
        let i = (object as usize).checked_sub(1)?;
        let cap = OBJECTS.get(i)?.swap(0, SeqCst);
        (cap != 0).then_some(cap)
    }

    /// Objects this node exports now.
    pub fn objects_used() -> u64 {
        OBJECTS.iter().filter(|o| o.load(SeqCst) != 0).count() as u64
    }

    /// The endpoint of object `object`, if it exists.
    pub fn object_cap(object: u64) -> Option<CPtr> {
        (object as usize)
            .checked_sub(1)
            .and_then(|i| OBJECTS.get(i))
            .map(|o| o.load(SeqCst))
            .filter(|&c| c != 0)
    }

    /// Whether object `object` exists here.
    pub fn has_object(object: u64) -> bool {
        (object as usize)
            .checked_sub(1)
            .and_then(|i| OBJECTS.get(i))
            .is_some_and(|o| o.load(SeqCst) != 0)
    }

    /// Gives a job (header and registers, and the cap in slot `cap` if any, moved to
    /// the worker) from `node`'s call `call_id` to an idle worker, or to a new one;
    /// false when every worker is busy and none can be made.
    pub fn start(
        &mut self,
        env: &mut Env,
        endpoint: CPtr,
        header: &[u64; MSG_MRS],
        mrs: &[u64],
        cap: Option<CPtr>,
    ) -> bool {
        let (node, call_id, kind) = (header[1], header[2], header[0]);
        let i = match self.idle.iter().position(|&b| b) {
            Some(i) => i,
            None if self.made < MAX_WORKERS && self.make(env, endpoint).is_ok() => self.made - 1,
            None => return false,
        };
        for (w, v) in JOBS[i].iter().zip(header.iter().chain(mrs)) {
            w.store(*v, SeqCst);
        }
        let slot = self.cap_slots + i as u64;
        let moved =
            cap.is_some_and(|c| cnode::move_(ROOT_CNODE, slot, 64, ROOT_CNODE, c, 64).is_ok());
        JOB_CAPS[i].store(if moved { slot } else { 0 }, SeqCst);
        self.job[i] = Some((node, call_id, kind));
        if self.idle[i] {
            self.idle[i] = false;
            self.wake(i);
        }
        true
    }

    /// A worker's Call arrived (badge `WORKER_BADGE | i`): saves its reply cap; returns
    /// the finished job's caller and answer (label, registers into `out`), if it had
    /// one, and whether its object's cap was gone (revoked: the label is then
    /// `REMOTE_ERROR_LABEL | ERROR_REVOKED`, the service's, not a server's). A worker
    /// made for a job gets that job at once.
    pub fn ready(
        &mut self,
        i: usize,
        out: &mut [u64; MSG_MAX_MRS],
    ) -> Option<(u64, u64, u64, usize, bool)> {
        if i >= self.made
            || cnode::save_caller(ROOT_CNODE, self.reply_slots + i as u64, 64).is_err()
        {
            return None;
        }
        let done = match self.job[i] {
            // A worker answers by zeroing its job's kind word; a fresh worker's first
            // ready Call finds its job still unanswered (it starts it below).
            Some((_, _, MSG_SEND)) if JOBS[i][0].load(SeqCst) == 0 => {
                self.job[i] = None;
                None // a Send has no answer to transmit
            }
            Some((node, call_id, _)) if JOBS[i][0].load(SeqCst) == 0 => {
                self.job[i] = None;
                let n = (JOBS[i][MSG_LENGTH].load(SeqCst) as usize).min(MSG_MAX_MRS);
                for (o, w) in out.iter_mut().zip(&JOBS[i][MSG_MRS..MSG_MRS + n]) {
                    *o = w.load(SeqCst);
                }
                let revoked = REVOKED[i].swap(0, SeqCst) != 0;
                let label = match revoked {
                    false => JOBS[i][MSG_LABEL].load(SeqCst),
                    true => REMOTE_ERROR_LABEL | ERROR_REVOKED,
                };
                Some((node, call_id, label, n, revoked))
            }
            _ => None,
        };
        if self.job[i].is_some() {
            self.wake(i);
        } else {
            self.idle[i] = true;
        }
        done
    }

    /// Answers worker `i`'s ready Call: its job is in its slot.
    fn wake(&self, i: usize) {
        let slot = self.reply_slots + i as u64;
        libsel4::send(slot, MessageInfo::default());
        let _ = cnode::delete(ROOT_CNODE, slot, 64);
    }

    fn make(&mut self, env: &mut Env, endpoint: CPtr) -> Result<(), Error> {
        let i = self.made;
        let cap = env.slots.alloc()?;
        let rights = CapRights::new(true, false, false, true);
        cnode::mint(
            ROOT_CNODE,
            cap,
            64,
            ROOT_CNODE,
            endpoint,
            64,
            rights,
            WORKER_BADGE | i as u64,
        )?;
        WORKER_CAPS[i].store(cap, SeqCst);
        PROBES[i].store(env.slots.alloc()?, SeqCst);
        let t = env.create_thread(work, i as u64, 150, 0)?;
        tcb::resume(t.tcb)?;
        self.made += 1;
        Ok(())
    }
}

/// A worker: says it is ready, then runs each job it is given (a Call, whose answer
/// it hands back in the same words, or a one-way Send) and says it is ready again.
extern "C" fn work(i: u64) {
    let i = i as usize;
    let me = WORKER_CAPS[i].load(SeqCst);
    let job = &JOBS[i];
    loop {
        libsel4::call(me, MessageInfo::default());
        let object = job[MSG_OBJECT].load(SeqCst);
        let cap = OBJECTS[(object as usize).saturating_sub(1).min(OBJECTS.len() - 1)].load(SeqCst);
        let n = (job[MSG_LENGTH].load(SeqCst) as usize).min(MSG_MAX_MRS);
        let label = job[MSG_LABEL].load(SeqCst) & ((1 << 52) - 1);
        let carried = JOB_CAPS[i].swap(0, SeqCst);
        // (Before the registers are written: the probe's invocations use them.)
        if !holds_cap(PROBES[i].load(SeqCst), cap) {
            // Revoked or deleted by the exporter: nothing to call (a Call on an empty
            // slot would fault this worker).
            if carried != 0 {
                let _ = cnode::delete(ROOT_CNODE, carried, 64);
            }
            if job[MSG_KIND].load(SeqCst) != MSG_SEND {
                REVOKED[i].store(1, SeqCst); // (a Send is dropped: nobody to tell)
            }
            job[MSG_LENGTH].store(0, SeqCst);
            job[0].store(0, SeqCst);
            continue;
        }
        for j in 0..n {
            libsel4::ipc::set_mr(j, job[MSG_MRS + j].load(SeqCst));
        }
        if carried != 0 {
            libsel4::ipc::set_cap(0, carried);
        }
        let extra = u64::from(carried != 0);
        let info = MessageInfo::new(label, 0, extra, n as u64).unwrap_or_default();
        if job[MSG_KIND].load(SeqCst) == MSG_SEND {
            libsel4::send(cap, info);
            if carried != 0 {
                let _ = cnode::delete(ROOT_CNODE, carried, 64);
            }
            job[0].store(0, SeqCst); // delivered
            continue;
        }
        let answer = libsel4::call(cap, info);
        let n = answer.length();
        for j in 0..n {
            job[MSG_MRS + j].store(libsel4::ipc::get_mr(j), SeqCst);
        }
        if carried != 0 {
            // After the answer's registers are read: an invocation writes them.
            let _ = cnode::delete(ROOT_CNODE, carried, 64);
        }
        job[MSG_LABEL].store(answer.label(), SeqCst);
        job[MSG_LENGTH].store(n as u64, SeqCst);
        job[0].store(0, SeqCst); // answered
    }
}
