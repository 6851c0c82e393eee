//! The DSM's NODE_DOWN program ([`super::role::NODE_DOWN`]): node 2 writes a page
//! (owned by it, managed by node 3) and waits to be killed; nodes 1 and 3 wait until it
//! is down, then read a page only node 2 held (node 1) and a page node 2 managed (node
//! 3): each read must fail with the defined fault ([`super::pager::Failure`]) within a
//! bound; then node 3 writes a page node 1 manages and node 1 must read it.

use super::pager::{self, failure};
use super::role::{CONTROL, OWNED, SECOND_NS, resume, wait_until};
use super::{keeper, me, now_ns, read, write};
use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use libsel4::ipc::set_mr;
use libsel4::{Error, MessageInfo};
use rt::print::{Part::*, line};
use sel4rt::Env;
use selvm_abi::vm::network::REMOTE_ERROR_LABEL;

/// NODE_DOWN's pages: owned by node 2 and managed by node 3; managed by node 2; managed
/// by node 1 and written after node 2 is gone.
const LOST_PAGE: usize = 20;
const ORPHAN_PAGE: usize = 22;
const SURVIVOR_PAGE: usize = 21;

#[allow(clippy::declare_interior_mutable_const)]
const ZERO: AtomicU64 = AtomicU64::new(0);
/// The probe's TCB, its pager number, its end and what it read.
static PROBE: AtomicU64 = ZERO;
static PROBE_N: AtomicU64 = ZERO;
static PROBE_DONE: AtomicU64 = ZERO;
static PROBE_VALUE: AtomicU64 = ZERO;

/// Makes the probe thread (not started): it reads the page this node tries.
pub fn make_probe(env: &mut Env) -> Result<(), Error> {
    let page = if me() == 1 { LOST_PAGE } else { ORPHAN_PAGE };
    let (n, probe) = pager::adopt(env, probe, page as u64)?;
    PROBE.store(probe.tcb, SeqCst);
    PROBE_N.store(n as u64, SeqCst);
    Ok(())
}

extern "C" fn probe(page: u64) {
    PROBE_VALUE.store(read(page as usize, 0), SeqCst);
    PROBE_DONE.store(1, SeqCst);
}

/// Whether node 2 is down: a call to its reader fails with a remote error.
pub fn node_2_down() -> bool {
    set_mr(0, 0);
    set_mr(1, 0);
    let info = MessageInfo::new(keeper::READ_WORDS, 0, 0, 2).unwrap_or_default();
    libsel4::call(super::reader_cap(2), info).label() & REMOTE_ERROR_LABEL != 0
}

/// NODE_DOWN: node 2 writes the doomed page and waits to be killed; nodes 1 and 3 wait
/// for it to go, then read a page only node 2 held (node 1) and a page node 2 managed
/// (node 3): each read must fail with the defined fault; then node 3 writes a page node
/// 1 manages and node 1 must read it. Node 1's status: 0 when all was so.
pub fn run() -> u64 {
    let soon = || now_ns() + 60 * SECOND_NS;
    if me() == 2 {
        write(LOST_PAGE, 0, 0xd5);
        write(CONTROL, OWNED, 1);
        // Until both others have written the control page after this, node 2 is its
        // last writer, and its death would lose it too.
        let acknowledged = || read(CONTROL, OWNED + 1) == 1 && read(CONTROL, OWNED + 3) == 1;
        if wait_until("the others to see it", soon(), acknowledged) {
            line(&[T("dsm: node 2 owns page "), N(LOST_PAGE as u64)]);
        }
        return 0;
    }
    if !wait_until("node 2's page", soon(), || read(CONTROL, OWNED) == 1) {
        return 3;
    }
    write(CONTROL, OWNED + me() as usize, 1);
    if !wait_until("node 2 to go down", soon(), node_2_down) {
        return 3;
    }
    let page = if me() == 1 { LOST_PAGE } else { ORPHAN_PAGE };
    let t0 = now_ns();
    resume(&PROBE);
    let n = PROBE_N.load(SeqCst) as usize;
    let ended = || PROBE_DONE.load(SeqCst) == 1 || failure(n).is_some();
    let in_time = wait_until("the probe", t0 + 15 * SECOND_NS, ended);
    let ms = (now_ns() - t0) / 1_000_000;
    let failed = match failure(n) {
        Some((why, _)) => {
            let (text, at) = why.describe();
            line(&[
                T("dsm: node "),
                N(me()),
                T("'s read of page "),
                N(page as u64),
                T(" failed after "),
                N(ms),
                T(" ms: "),
                T(text),
                N(at),
            ]);
            true
        }
        None => {
            let v = PROBE_VALUE.load(SeqCst);
            line(&[
                T("dsm: node "),
                N(me()),
                T("'s read of page "),
                N(page as u64),
                T(" did not fail: "),
                N(v),
            ]);
            false
        }
    };
    if me() == 3 {
        write(SURVIVOR_PAGE, 0, 0x33);
        return 0;
    }
    let shared = wait_until("node 3's write", soon(), || read(SURVIVOR_PAGE, 0) == 0x33);
    if shared {
        line(&[T(
            "dsm: page 21 is still shared after node 2 went down: node 1 read node 3's 51",
        )]);
    }
    u64::from(!(in_time && failed && shared)) * 2
}
