//! The node's pager: the fault handler of every thread that uses the shared region
//! (their TCBs' fault endpoint is a copy of its endpoint badged with the thread's
//! number). A VMFault on the region asks the page's manager for a read copy (a load)
//! or for ownership (a store); when the manager answers, this node's keeper has mapped
//! the page, and the pager replies to the fault, which restarts the access. A fault it
//! cannot serve is a defined failure ([`Failure`]): the thread is suspended (it never
//! runs past the access) and its failure recorded for its supervisor ([`failure`]).

use super::{FAILED, HELD_READ, HELD_WRITE, PRIORITY, held, manager_cap, manager_of, me, page_of};
use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use libsel4::ipc::{get_mr, set_mr};
use libsel4::{CPtr, CapRights, Error, MessageInfo, cnode, tcb};
use sel4rt::{Entry, Env, ROOT_CNODE, Thread, types};
use selvm_abi::vm::fault::VM_FAULT_FSR_STORE;
use selvm_abi::vm::network::{ERROR_BUSY, REMOTE_ERROR_LABEL};
use selvm_abi::{VM_FAULT, VM_FAULT_ADDR, VM_FAULT_FSR};

/// Label of a request to a manager: MR0 the page, MR1 1 for ownership (0 for a read
/// copy), MR2 the requesting node.
pub const ACQUIRE: u64 = 1;
/// Most threads the pager serves.
pub const MAX_THREADS: usize = 16;
/// Times a request refused as busy (the serving node's workers all occupied) is made
/// again before it counts as failed.
const BUSY_RETRIES: usize = 1000;

/// Why an access to the region failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The page's only current copy was on `node`, which is down: its contents are
    /// lost, and every later access to it fails the same way.
    PageLost { node: u64 },
    /// The page's manager, `node`, is down (or answered with the remote error `code`).
    ManagerDown { node: u64, code: u64 },
    /// The fault was not a VMFault on the region (an access elsewhere, or another fault).
    NotShared { address: u64 },
}

impl Failure {
    /// The failure as a manager's [`FAILED`] answer codes it: MR0 1 = page lost.
    pub const LOST: u64 = 1;

    /// A line's text for it.
    pub fn describe(&self) -> (&'static str, u64) {
        match *self {
            Failure::PageLost { node } => ("page lost: the node holding it is down: node ", node),
            Failure::ManagerDown { node, .. } => ("its manager is down: node ", node),
            Failure::NotShared { address } => ("not a shared page: address ", address),
        }
    }
}

#[allow(clippy::declare_interior_mutable_const)]
const ZERO: AtomicU64 = AtomicU64::new(0);
static ENDPOINT: AtomicU64 = ZERO;
/// The TCB of each thread served (by number - 1) and how many there are.
static TCBS: [AtomicU64; MAX_THREADS] = [ZERO; MAX_THREADS];
static THREADS: AtomicU64 = ZERO;
/// Each thread's failure (0: none): kind (1 lost, 2 manager down, 3 not shared) in
/// bits 0-7, the page in 8-15, the node or address from bit 16.
static FAILURES: [AtomicU64; MAX_THREADS] = [ZERO; MAX_THREADS];
/// Faults served: read, write, already mapped (a thread that faulted before another's
/// fault on the same page was served).
pub static SERVED: [AtomicU64; 3] = [ZERO; 3];

/// Starts the pager thread; returns its endpoint.
pub fn start(env: &mut Env) -> Result<CPtr, Error> {
    let ep = env.retype(types::ENDPOINT, 0)?;
    ENDPOINT.store(ep, SeqCst);
    let t = env.create_thread(serve, 0, PRIORITY, 0)?;
    tcb::resume(t.tcb)?;
    Ok(ep)
}

/// Makes a thread running `entry(arg)` whose faults this pager serves (not started:
/// `tcb::resume` starts it); its number is returned with it.
pub fn adopt(env: &mut Env, entry: Entry, arg: u64) -> Result<(usize, Thread), Error> {
    let n = THREADS.load(SeqCst) as usize;
    if n >= MAX_THREADS {
        return Err(Error::NotEnoughMemory);
    }
    let fault_ep = env.slots.alloc()?;
    let rights = CapRights::new(true, false, false, true);
    let ep = ENDPOINT.load(SeqCst);
    cnode::mint(
        ROOT_CNODE,
        fault_ep,
        64,
        ROOT_CNODE,
        ep,
        64,
        rights,
        n as u64 + 1,
    )?;
    let t = env.create_thread(entry, arg, PRIORITY, fault_ep)?;
    TCBS[n].store(t.tcb, SeqCst);
    THREADS.store(n as u64 + 1, SeqCst);
    Ok((n, t))
}

/// Thread `n`'s failure, if its access failed: why, and the page.
pub fn failure(n: usize) -> Option<(Failure, u64)> {
    let f = FAILURES.get(n)?.load(SeqCst);
    let (kind, page, at) = (f & 0xff, (f >> 8) & 0xff, f >> 16);
    match kind {
        1 => Some((Failure::PageLost { node: at }, page)),
        2 => Some((Failure::ManagerDown { node: at, code: 0 }, page)),
        3 => Some((Failure::NotShared { address: at }, page)),
        _ => None,
    }
}

extern "C" fn serve(_: u64) {
    let ep = ENDPOINT.load(SeqCst);
    loop {
        let (info, badge) = libsel4::recv(ep);
        let n = (badge as usize).wrapping_sub(1);
        let page = page_of(get_mr(VM_FAULT_ADDR));
        match handle(info) {
            Ok(()) => libsel4::reply(MessageInfo::default()),
            Err((why, page)) => fail(n, why, page),
        }
        if let Some(page) = page.filter(|&p| super::restart(p) == super::RESTART_PENDING) {
            super::set_restart(page, super::RESTART_QUEUED);
        }
    }
}

/// Serves one fault (its message just received).
fn handle(info: MessageInfo) -> Result<(), (Failure, u64)> {
    let address = get_mr(VM_FAULT_ADDR);
    let not_shared = (Failure::NotShared { address }, 0);
    if info.label() != VM_FAULT {
        return Err(not_shared);
    }
    let write = get_mr(VM_FAULT_FSR) == VM_FAULT_FSR_STORE;
    let page = page_of(address).ok_or(not_shared)?;
    let need = if write { HELD_WRITE } else { HELD_READ };
    if held(page) >= need {
        SERVED[2].fetch_add(1, SeqCst);
        return Ok(());
    }
    acquire(page, write).map_err(|f| (f, page as u64))?;
    SERVED[usize::from(write)].fetch_add(1, SeqCst);
    Ok(())
}

/// Asks `page`'s manager for it; Ok once this node's keeper has mapped it.
fn acquire(page: usize, write: bool) -> Result<(), Failure> {
    let manager = manager_of(page);
    for _ in 0..BUSY_RETRIES {
        set_mr(0, page as u64);
        set_mr(1, u64::from(write));
        set_mr(2, me());
        let info = MessageInfo::new(ACQUIRE, 0, 0, 3).unwrap_or_default();
        let answer = libsel4::call(manager_cap(manager), info);
        match answer.label() {
            0 => return Ok(()),
            FAILED => return Err(Failure::PageLost { node: get_mr(1) }),
            l if l == REMOTE_ERROR_LABEL | ERROR_BUSY => libsel4::yield_now(),
            l => {
                let code = l & !REMOTE_ERROR_LABEL;
                return Err(Failure::ManagerDown {
                    node: manager,
                    code,
                });
            }
        }
    }
    Err(Failure::ManagerDown {
        node: manager,
        code: ERROR_BUSY,
    })
}

/// Thread `n`'s access failed: it is suspended and the failure recorded.
fn fail(n: usize, why: Failure, page: u64) {
    let (kind, at) = match why {
        Failure::PageLost { node } => (1, node),
        Failure::ManagerDown { node, .. } => (2, node),
        Failure::NotShared { address } => (3, address),
    };
    if let (Some(f), Some(t)) = (FAILURES.get(n), TCBS.get(n)) {
        f.store(kind | (page & 0xff) << 8 | at << 16, SeqCst);
        let _ = tcb::suspend(t.load(SeqCst));
    }
}
