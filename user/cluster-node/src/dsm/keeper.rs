//! The node's keeper and reader. The keeper changes what this node holds of a page,
//! only when the page's manager says so (one manager per page, serving one request at
//! a time, so a page's changes are never concurrent): it unmaps a copy
//! ([`INVALIDATE`]), maps it read-only ([`DOWNGRADE`]), or fetches it from the node
//! holding it current and maps it ([`INSTALL`]). The reader answers other keepers'
//! fetches from this node's frame, mapped or not, with the page's nonzero words as
//! (index, value) pairs, 59 a message (a message carries at most 120 words, a page is
//! 512: sent whole it took 5 calls, and a fault cost about 8 round trips instead of 4). The reader calls nothing and
//! the keeper calls only readers, so no cycle of calls can deadlock.

use super::{
    FAILED, HELD_NONE, HELD_READ, HELD_WRITE, PAGES, PRIORITY, RESTART_NONE, RESTART_PENDING,
    WORDS, frame, frame_word, granted_at, me, now_ns, reader_cap, restart, set_held, set_restart,
    shared,
};
use crate::dsm::pager::Failure;
use libsel4::ipc::{get_mr, set_mr};
use libsel4::vspace::page;
use libsel4::{CPtr, CapRights, Error, MessageInfo};
use sel4rt::{Env, ROOT_VSPACE};

/// Keeper label: unmap the page (MR0).
pub const INVALIDATE: u64 = 1;
/// Keeper label: map the page (MR0) read-only.
pub const DOWNGRADE: u64 = 2;
/// Keeper label: map the page (MR0) read-write if MR1 is 1, else read-only, after
/// fetching it from node MR2 (0 or this node: this node's frame is current).
pub const INSTALL: u64 = 3;
/// Reader label: answer the nonzero words of the page MR0 from word MR1 on, as
/// (index, value) pairs after MR0, the word to go on from ([`WORDS`]: the page is done).
pub const READ_WORDS: u64 = 1;
/// Pairs a fetch message carries (a message holds at most 120 words).
pub const PAIRS: usize = 59;
/// A page just installed is not taken away before the thread whose fault it served
/// has run its access (else two nodes taking a page from each other could both keep
/// faulting for ever, which the tests' first runs did: Mirage's window, here made of
/// an event instead of a time): the keeper yields until the pager has restarted that
/// thread, then once more, which lets the restarted thread (queued before it, at the
/// same priority) run first; at most this long (machine time), for a thread that is
/// never restarted.
const HOLD_NS: u64 = 1_000_000_000;

/// Makes the keeper's thread on `keeper` and the reader's on `reader` (endpoints),
/// serving once resumed (after the names are looked up); their TCBs.
pub fn make(env: &mut Env, keeper: CPtr, reader: CPtr) -> Result<[CPtr; 2], Error> {
    let k = env.create_thread(keep, keeper, PRIORITY, 0)?;
    let r = env.create_thread(read, reader, PRIORITY, 0)?;
    Ok([k.tcb, r.tcb])
}

fn rights(write: bool) -> CapRights {
    CapRights::new(false, false, true, write)
}

/// Maps this node's frame of `page` into the region with `write` or read-only.
fn map(page: usize, write: bool) -> Result<(), Error> {
    let _ = page::unmap(frame(page));
    page::map(
        frame(page),
        ROOT_VSPACE,
        shared(page, 0) as u64,
        rights(write),
        0,
    )?;
    set_held(page, if write { HELD_WRITE } else { HELD_READ });
    Ok(())
}

fn hold(page: usize) {
    if restart(page) == RESTART_NONE {
        return;
    }
    while restart(page) == RESTART_PENDING && now_ns().saturating_sub(granted_at(page)) < HOLD_NS {
        libsel4::yield_now();
    }
    libsel4::yield_now();
    set_restart(page, RESTART_NONE);
}

/// Copies `page` from node `source`'s reader into this node's frame, as its nonzero
/// words ([`PAIRS`] a message: the tests' pages take one); Err(label).
fn fetch(page: usize, source: u64) -> Result<(), u64> {
    for i in 0..WORDS {
        // SAFETY: the frame's alias mapping is this module's, read-write, and
        // `frame_word` keeps the index inside the page.
        unsafe { frame_word(page, i).write_volatile(0) };
    }
    let mut from = 0;
    while from < WORDS {
        set_mr(0, page as u64);
        set_mr(1, from as u64);
        let info = MessageInfo::new(READ_WORDS, 0, 0, 2).unwrap_or_default();
        let answer = libsel4::call(reader_cap(source), info);
        let n = answer.length();
        let next = get_mr(0) as usize;
        if answer.label() != 0 || n == 0 || n % 2 == 0 || next <= from {
            return Err(answer.label().max(1));
        }
        for k in 0..(n - 1) / 2 {
            let (index, value) = (get_mr(1 + 2 * k) as usize, get_mr(2 + 2 * k));
            // SAFETY: as above.
            unsafe { frame_word(page, index).write_volatile(value) };
        }
        from = next;
    }
    Ok(())
}

/// The nonzero words of this node's `page` from word `from` on, into the message
/// registers ([`READ_WORDS`]'s answer); the answer's length.
fn nonzero_words(page: usize, from: usize) -> usize {
    let (mut pairs, mut i) = (0, from);
    while i < WORDS && pairs < PAIRS {
        // SAFETY: as in `fetch`; only read here.
        let value = unsafe { frame_word(page, i).read_volatile() };
        if value != 0 {
            set_mr(1 + 2 * pairs, i as u64);
            set_mr(2 + 2 * pairs, value);
            pairs += 1;
        }
        i += 1;
    }
    set_mr(0, i as u64);
    1 + 2 * pairs
}

/// Serves one keeper request (its registers just received); the answer.
fn serve_keeper(label: u64) -> MessageInfo {
    let (page, write, source) = (get_mr(0) as usize, get_mr(1) == 1, get_mr(2));
    let done = MessageInfo::new(0, 0, 0, 0).unwrap_or_default();
    let failed = |node: u64| {
        set_mr(0, Failure::LOST);
        set_mr(1, node);
        MessageInfo::new(FAILED, 0, 0, 2).unwrap_or_default()
    };
    if page >= PAGES {
        return failed(0);
    }
    match label {
        INVALIDATE => {
            hold(page);
            let _ = page::unmap(frame(page));
            set_held(page, HELD_NONE);
            done
        }
        DOWNGRADE => {
            hold(page);
            map(page, false).map_or_else(|_| failed(me()), |()| done)
        }
        INSTALL => {
            if source != 0 && source != me() && fetch(page, source).is_err() {
                return failed(source);
            }
            set_restart(page, RESTART_PENDING);
            map(page, write).map_or_else(|_| failed(me()), |()| done)
        }
        _ => failed(0),
    }
}

extern "C" fn keep(endpoint: u64) {
    let (mut info, _) = libsel4::recv(endpoint);
    loop {
        let answer = serve_keeper(info.label());
        info = libsel4::reply_recv(endpoint, answer).0;
    }
}

extern "C" fn read(endpoint: u64) {
    let (mut info, _) = libsel4::recv(endpoint);
    loop {
        let (page, from) = (get_mr(0) as usize, get_mr(1) as usize);
        let answer = if info.label() == READ_WORDS && page < PAGES && from < WORDS {
            let n = nonzero_words(page, from);
            MessageInfo::new(0, 0, 0, n as u64).unwrap_or_default()
        } else {
            MessageInfo::new(FAILED, 0, 0, 0).unwrap_or_default()
        };
        info = libsel4::reply_recv(endpoint, answer).0;
    }
}
