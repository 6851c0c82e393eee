//! The node's manager: for each page it manages (page `p` with `p % nodes + 1` this
//! node), who owns it, which nodes hold read copies and whether the owner may write;
//! it serves one request at a time, so every change to a page is ordered. A read
//! request has a writing owner downgraded to read-only first; a write request has
//! every other copy unmapped first; then the requester's keeper fetches the page from
//! a node holding it current (none when the requester's own copy is current) and maps
//! it, and only then is the requester answered. A node whose keeper does not answer
//! (down, restarted: its calls fail with a remote error) counts as down for good: its
//! copies are dropped, and a page whose every current copy was on down nodes is lost.

use super::keeper::{DOWNGRADE, INSTALL, INVALIDATE};
use super::pager::{ACQUIRE, Failure};
use super::{FAILED, MAX_NODES, PAGES, PRIORITY, keeper_cap, manager_of, me};
use libsel4::ipc::{get_mr, set_mr};
use libsel4::{CPtr, Error, MessageInfo};
use sel4rt::Env;
use selvm_abi::vm::network::{ERROR_BUSY, REMOTE_ERROR_LABEL};

/// A managed page's state.
#[derive(Clone, Copy, Default)]
struct Page {
    /// The node that last wrote it (0: nobody yet, every node's frame holds zeros).
    owner: u64,
    /// Nodes holding a read copy (bit n: node n).
    copies: u64,
    /// Whether the owner holds it read-write.
    writable: bool,
    /// The node its last current copy was on, when that node went down (0: not lost).
    lost: u64,
}

/// Makes the manager's thread, serving `endpoint` once resumed (after the names are
/// looked up: a request served before would find no cap for the keepers); its TCB.
pub fn make(env: &mut Env, endpoint: CPtr) -> Result<CPtr, Error> {
    Ok(env.create_thread(serve, endpoint, PRIORITY, 0)?.tcb)
}

fn bit(node: u64) -> u64 {
    1 << node
}

/// The nodes in `set`, lowest first.
fn members(set: u64) -> impl Iterator<Item = u64> {
    (1..MAX_NODES as u64).filter(move |&n| set & bit(n) != 0)
}

/// Calls node `node`'s keeper: Ok, or Err(label, MR1).
fn keeper(node: u64, label: u64, page: usize, write: bool, source: u64) -> Result<(), (u64, u64)> {
    loop {
        set_mr(0, page as u64);
        set_mr(1, u64::from(write));
        set_mr(2, source);
        let info = MessageInfo::new(label, 0, 0, 3).unwrap_or_default();
        match libsel4::call(keeper_cap(node), info).label() {
            0 => return Ok(()),
            l if l == REMOTE_ERROR_LABEL | ERROR_BUSY => libsel4::yield_now(),
            l => return Err((l, get_mr(1))),
        }
    }
}

/// Serves `from`'s request for `page` (ownership if `write`); Err(the node the page
/// was lost with).
fn acquire(s: &mut Page, page: usize, write: bool, from: u64, dead: &mut u64) -> Result<(), u64> {
    if s.lost != 0 {
        return Err(s.lost);
    }
    // Who holds it current, before anything changes (their frames stay current after
    // a downgrade or an unmapping: nobody writes it until the requester does).
    let mut current = match (s.owner, s.writable) {
        (0, _) => 0,
        (o, true) => bit(o),
        (o, false) => s.copies | bit(o),
    };
    if write {
        let holders = s.copies | if s.owner != 0 { bit(s.owner) } else { 0 };
        for n in members(holders & !bit(from)) {
            if keeper(n, INVALIDATE, page, false, 0).is_err() {
                *dead |= bit(n);
            }
        }
    } else if s.writable && s.owner != from {
        match keeper(s.owner, DOWNGRADE, page, false, 0) {
            Ok(()) => s.copies |= bit(s.owner),
            Err(_) => *dead |= bit(s.owner),
        }
        s.writable = false;
    }
    current &= !*dead;
    s.copies &= !*dead;
    if s.owner != 0 && current == 0 {
        s.lost = s.owner;
        return Err(s.lost);
    }
    let keep_writing = !write && s.writable && s.owner == from;
    loop {
        let source = match members(current).next() {
            _ if s.owner == 0 || current & bit(from) != 0 => 0,
            Some(n) => n,
            None => {
                s.lost = s.owner;
                return Err(s.lost);
            }
        };
        match keeper(from, INSTALL, page, write || keep_writing, source) {
            Ok(()) => break,
            Err((FAILED, n)) if n == source && source != 0 => {
                *dead |= bit(n);
                current &= !bit(n);
                s.copies &= !bit(n);
            }
            // The requester itself does not answer: nothing changes for it.
            Err(_) => return Err(from),
        }
    }
    if write {
        (s.owner, s.copies, s.writable) = (from, 0, true);
    } else if !keep_writing {
        s.copies |= bit(from);
    }
    Ok(())
}

extern "C" fn serve(endpoint: u64) {
    let mut pages = [Page::default(); PAGES];
    let mut dead = 0u64;
    let (mut info, _) = libsel4::recv(endpoint);
    loop {
        let (page, write, from) = (get_mr(0) as usize, get_mr(1) == 1, get_mr(2));
        let valid = info.label() == ACQUIRE
            && page < PAGES
            && manager_of(page) == me()
            && (1..MAX_NODES as u64).contains(&from);
        let result = match valid {
            true => acquire(&mut pages[page], page, write, from, &mut dead),
            false => Err(0),
        };
        let answer = match result {
            Ok(()) => MessageInfo::new(0, 0, 0, 0).unwrap_or_default(),
            Err(node) => {
                set_mr(0, Failure::LOST);
                set_mr(1, node);
                MessageInfo::new(FAILED, 0, 0, 2).unwrap_or_default()
            }
        };
        info = libsel4::reply_recv(endpoint, answer).0;
    }
}
