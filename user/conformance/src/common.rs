//! The suite's harness: failures, checks, the shared test endpoint and helpers to start
//! child threads and processes that report back.

use core::sync::atomic::{AtomicU64, Ordering::SeqCst};

use libsel4::{
    CPtr, CapRights, Error, MessageInfo, Word, cnode, debug_put_char, debug_put_str, ipc, tcb,
};
use sel4rt::{Env, Process, ROOT_CNODE, Thread, types};

/// Why a test failed: what was checked, what came, what was expected.
#[derive(Clone, Copy, Debug)]
pub struct Fail {
    /// What was checked.
    pub what: &'static str,
    /// The value seen.
    pub got: u64,
    /// The value expected.
    pub want: u64,
}

/// A test's result.
pub type R = Result<(), Fail>;

/// A test entry `(name, function)` that only makes sense on the vm architecture: the
/// test itself there. On riscv64 the function and what it uses are compiled out, and
/// the entry's name carries the reason after a NUL (`skipped` splits it off): the
/// suite lists it as skipped without running anything.
#[cfg(not(target_arch = "riscv64"))]
macro_rules! vm_only {
    ($name:expr, $f:path, $reason:literal) => {
        ($name, $f)
    };
}
/// A test entry `(name, function)` that only makes sense on the vm architecture: the
/// test itself there. On riscv64 the function and what it uses are compiled out, and
/// the entry's name carries the reason after a NUL (`skipped` splits it off): the
/// suite lists it as skipped without running anything.
#[cfg(target_arch = "riscv64")]
macro_rules! vm_only {
    ($name:expr, $f:path, $reason:literal) => {
        (concat!($name, "\0", $reason), |_: &mut sel4rt::Env| Ok(()))
    };
}
pub(crate) use vm_only;

/// The name and reason of a test entry this architecture skips (see `vm_only!`).
pub fn skipped(entry_name: &'static str) -> Option<(&'static str, &'static str)> {
    entry_name.split_once('\0')
}

/// Prints `n` in decimal.
pub fn put_dec(mut n: u64) {
    let mut d = [0u8; 20];
    let mut len = 0;
    loop {
        d[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    d[..len].iter().rev().for_each(|&c| debug_put_char(c));
}

/// Prints a failure.
pub fn put_fail(f: &Fail) {
    debug_put_str(f.what);
    debug_put_str(": got ");
    put_dec(f.got);
    debug_put_str(", want ");
    put_dec(f.want);
}

/// Fails unless `got == want`.
pub fn eq(got: u64, want: u64, what: &'static str) -> R {
    if got == want {
        Ok(())
    } else {
        Err(Fail { what, got, want })
    }
}

/// Fails unless `cond`.
pub fn check(cond: bool, what: &'static str) -> R {
    eq(cond as u64, 1, what)
}

/// The value of an invocation that must succeed.
pub fn ok<T>(r: Result<T, Error>, what: &'static str) -> Result<T, Fail> {
    r.map_err(|e| Fail {
        what,
        got: e.word(),
        want: 0,
    })
}

/// Fails unless `r` is the error `want`.
pub fn err<T>(r: Result<T, Error>, want: Error, what: &'static str) -> R {
    match r {
        Ok(_) => Err(Fail {
            what,
            got: 0,
            want: want.word(),
        }),
        Err(e) => eq(e.word(), want.word(), what),
    }
}

/// Fails unless `r` is the error `want` with the reply MRs `mrs` (MR0, MR1, ...).
pub fn err_mrs<T>(r: Result<T, Error>, want: Error, mrs: &[Word], what: &'static str) -> R {
    err(r, want, what)?;
    for (i, &m) in mrs.iter().enumerate() {
        eq(mr(i), m, what)?;
    }
    Ok(())
}

/// Message register `i` of the IPC buffer.
pub fn mr(i: usize) -> Word {
    ipc::get_mr(i)
}

/// A MessageInfo with `label` and `length` MRs.
pub fn info(label: Word, length: usize) -> MessageInfo {
    MessageInfo::default()
        .with_label(label)
        .with_length(length as Word)
}

/// The shared endpoint every child reports to; `FAULT` is its badge-1 copy (the
/// children's fault endpoint), `DONE` its badge-2 copy (their reports).
pub static TEST_EP: AtomicU64 = AtomicU64::new(0);
/// Badge-1 copy of the test endpoint: children's fault endpoint.
pub static FAULT: AtomicU64 = AtomicU64::new(0);
/// Badge-2 copy of the test endpoint: children's reports.
pub static DONE: AtomicU64 = AtomicU64::new(0);
/// Badge of fault messages.
pub const FAULT_BADGE: Word = 1;
/// Badge of children's reports.
pub const DONE_BADGE: Word = 2;
/// Words tests share with the threads they start (same address space).
pub static SHARED: [AtomicU64; 8] = [const { AtomicU64::new(0) }; 8];
/// Scratch slots a test may use (reset to empty after every test).
pub static SCRATCH: AtomicU64 = AtomicU64::new(0);
/// How many scratch slots there are.
pub const SCRATCH_SLOTS: usize = 16;

static THREADS: [AtomicU64; 16] = [const { AtomicU64::new(0) }; 16];
static STACKS: [AtomicU64; 16] = [const { AtomicU64::new(0) }; 16];
static PROCS: [AtomicU64; 4] = [const { AtomicU64::new(0) }; 4];
static mut PROCESSES: [Option<Process>; 4] = [None; 4];

/// Shared word `i`.
pub fn shared(i: usize) -> Word {
    SHARED[i].load(SeqCst)
}

/// Sets shared word `i`.
pub fn set_shared(i: usize, v: Word) {
    SHARED[i].store(v, SeqCst)
}

/// Scratch slot `i` of the root CNode (empty at the start of each test).
pub fn scratch(i: usize) -> CPtr {
    SCRATCH.load(SeqCst) + i as CPtr
}

/// CNode_Mint within the root CNode, both CPtrs resolved at depth 64.
pub fn root_mint(dest: CPtr, src: CPtr, rights: CapRights, badge: Word) -> Result<(), Error> {
    cnode::mint(ROOT_CNODE, dest, 64, ROOT_CNODE, src, 64, rights, badge)
}

/// CNode_Copy within the root CNode, both CPtrs resolved at depth 64.
pub fn root_copy(dest: CPtr, src: CPtr, rights: CapRights) -> Result<(), Error> {
    cnode::copy(ROOT_CNODE, dest, 64, ROOT_CNODE, src, 64, rights)
}

/// The test endpoint (unbadged, all rights).
pub fn test_ep() -> CPtr {
    TEST_EP.load(SeqCst)
}

/// Makes the test endpoint and its badged copies, and reserves the scratch slots.
pub fn setup(env: &mut Env) -> R {
    let ep = ok(env.retype(types::ENDPOINT, 0), "retype test endpoint")?;
    TEST_EP.store(ep, SeqCst);
    for (cell, badge) in [(&FAULT, FAULT_BADGE), (&DONE, DONE_BADGE)] {
        let s = ok(env.slots.alloc(), "slot")?;
        ok(
            cnode::mint(ROOT_CNODE, s, 64, ROOT_CNODE, ep, 64, CapRights::ALL, badge),
            "mint badged test endpoint",
        )?;
        cell.store(s, SeqCst);
    }
    let first = ok(env.slots.alloc_range(SCRATCH_SLOTS), "scratch slots")?;
    SCRATCH.store(first, SeqCst);
    Ok(())
}

/// After each test: delete the threads and processes it started, empty the scratch
/// slots, clear the shared words.
pub fn cleanup(env: &mut Env) {
    for (t, s) in THREADS.iter().zip(&STACKS) {
        let tcb = t.swap(0, SeqCst);
        if tcb != 0 {
            let _ = env.destroy_thread(&Thread {
                tcb,
                register_stack: s.swap(0, SeqCst),
                ipc_buffer: 0,
                ipc_frame: 0,
                stack_top: 0,
            });
        }
    }
    end_processes(env);
    for i in 0..SCRATCH_SLOTS {
        let _ = cnode::revoke(ROOT_CNODE, scratch(i), 64);
        let _ = cnode::delete(ROOT_CNODE, scratch(i), 64);
    }
    SHARED.iter().for_each(|w| w.store(0, SeqCst));
    let _ = tcb::unbind_notification(sel4rt::ROOT_TCB);
}

/// Destroys the processes the test started (their memory is reused by the next).
pub fn end_processes(env: &mut Env) {
    for (i, p) in PROCS.iter().enumerate() {
        if p.swap(0, SeqCst) != 0 {
            // SAFETY: single-threaded root task; only the root touches PROCESSES.
            let proc = unsafe { (*core::ptr::addr_of_mut!(PROCESSES))[i].take() };
            if let Some(proc) = proc {
                let _ = env.destroy_process(&proc);
            }
        }
    }
}

fn remember(t: &Thread) {
    if let Some(i) = THREADS.iter().position(|x| x.load(SeqCst) == 0) {
        THREADS[i].store(t.tcb, SeqCst);
        STACKS[i].store(t.register_stack, SeqCst);
    }
}

/// Creates (not started) a thread of `entry(arg)` at `prio` whose fault endpoint is
/// the test endpoint's badge-1 copy; it is deleted after the test.
pub fn thread(env: &mut Env, entry: sel4rt::Entry, arg: Word, prio: Word) -> Result<Thread, Fail> {
    let r = env.create_thread(entry, arg, prio, FAULT.load(SeqCst));
    if r.is_err() {
        debug_put_str("[create_thread: MR0 ");
        put_dec(mr(0));
        debug_put_str(" MR1 ");
        put_dec(mr(1));
        debug_put_str(" fn ");
        put_dec(entry as usize as u64);
        debug_put_str("] ");
    }
    let t = ok(r, "create thread")?;
    remember(&t);
    Ok(t)
}

/// [`thread`], started.
pub fn spawn(env: &mut Env, entry: sel4rt::Entry, arg: Word, prio: Word) -> Result<Thread, Fail> {
    let t = thread(env, entry, arg, prio)?;
    ok(tcb::resume(t.tcb), "resume")?;
    Ok(t)
}

/// Forks `entry(arg)` into a new address space (fault endpoint: the root's) and
/// remembers the process so the cleanup after the test destroys it; not started.
fn fork(env: &mut Env, entry: sel4rt::Entry, arg: Word, prio: Word) -> Result<Process, Fail> {
    let p = ok(
        env.fork(entry, arg, prio, FAULT.load(SeqCst)),
        "fork process",
    )?;
    if let Some(i) = PROCS.iter().position(|x| x.load(SeqCst) == 0) {
        PROCS[i].store(1, SeqCst);
        // SAFETY: single-threaded root task; only the root touches PROCESSES.
        unsafe { (*core::ptr::addr_of_mut!(PROCESSES))[i] = Some(p) };
    }
    Ok(p)
}

/// Starts `entry(arg)` in a new address space (a fork of the root task's memory).
pub fn spawn_process(
    env: &mut Env,
    entry: sel4rt::Entry,
    arg: Word,
    prio: Word,
) -> Result<Process, Fail> {
    let p = fork(env, entry, arg, prio)?;
    ok(tcb::resume(p.thread.tcb), "resume process")?;
    Ok(p)
}

/// A message the root received.
#[derive(Clone, Copy, Debug)]
pub struct Msg {
    /// Its label.
    pub label: Word,
    /// The badge it came with.
    pub badge: Word,
    /// Its length.
    pub len: usize,
    /// Extra caps received.
    pub extra: usize,
    /// capsUnwrapped.
    pub unwrapped: Word,
}

/// Receives on `ep` (blocking).
pub fn recv_on(ep: CPtr) -> Msg {
    let (i, badge) = libsel4::recv(ep);
    Msg {
        label: i.label(),
        badge,
        len: i.length(),
        extra: i.extra_caps(),
        unwrapped: i.caps_unwrapped(),
    }
}

/// Receives the next report or fault on the test endpoint. Native threads whose entry
/// returned send one fault to say so (`sel4rt::is_exit`); those are passed over, since
/// on the vm such a thread ends silently.
pub fn collect() -> Msg {
    loop {
        let (i, badge) = libsel4::recv(test_ep());
        if badge == FAULT_BADGE && sel4rt::is_exit(i) {
            continue;
        }
        return Msg {
            label: i.label(),
            badge,
            len: i.length(),
            extra: i.extra_caps(),
            unwrapped: i.caps_unwrapped(),
        };
    }
}

/// Receives a child's report (badge 2), failing on anything else; returns its label.
pub fn report() -> Result<Msg, Fail> {
    let m = collect();
    if m.badge == FAULT_BADGE {
        return Err(Fail {
            what: "child faulted (fault label)",
            got: m.label,
            want: 0,
        });
    }
    eq(m.badge, DONE_BADGE, "report badge")?;
    Ok(m)
}

/// Receives a fault (badge 1) with `label`, failing on anything else.
pub fn fault(label: Word) -> Result<Msg, Fail> {
    let m = collect();
    eq(m.badge, FAULT_BADGE, "fault badge (2 = no fault, a report)")?;
    eq(m.label, label, "fault label")?;
    Ok(m)
}

/// From a child: reports `label` and MRs to the root (Send on the badge-2 cap).
pub fn done(label: Word, mrs: &[Word]) {
    for (i, &m) in mrs.iter().enumerate() {
        ipc::set_mr(i, m);
    }
    libsel4::send(DONE.load(SeqCst), info(label, mrs.len()));
}

/// An error's word (0 for success), for children's reports.
pub fn code<T>(r: Result<T, Error>) -> Word {
    match r {
        Ok(_) => 0,
        Err(e) => e.word(),
    }
}

/// Yields `n` times.
pub fn yields(n: usize) {
    (0..n).for_each(|_| libsel4::yield_now());
}

/// A child CSpace's slot holding the test endpoint's badge-1 copy (fault endpoint).
pub const C_FAULT: CPtr = 4;
/// A child CSpace's slot holding the test endpoint's badge-2 copy (reports).
pub const C_DONE: CPtr = 5;
/// A child CSpace's slot holding a cap to the child CNode itself.
pub const C_SELF: CPtr = 6;
/// The first child CSpace slot [`child_cspace`] leaves empty for the test (slots 1, 2
/// and 3, the root task's TCB, CNode and VSpace, are empty too).
pub const C_FREE: CPtr = 7;
/// Radix of a child CSpace's CNode; its guard size is `64 - C_RADIX`, so a child CPtr
/// below `1 << C_RADIX` resolves in exactly 64 bits.
pub const C_RADIX: Word = 8;

/// A CSpace for a child: a new radix-8 CNode, guard 0 of size 56, holding only the
/// fault endpoint at [`C_FAULT`], the report endpoint at [`C_DONE`] and itself at
/// [`C_SELF`]. Returns the root slot of the guarded cap to it.
pub fn child_cspace(env: &mut Env) -> Result<CPtr, Fail> {
    let cn = ok(env.retype(types::CNODE, C_RADIX), "retype child CNode")?;
    let guarded = ok(env.slots.alloc(), "slot")?;
    ok(
        cnode::mutate(ROOT_CNODE, guarded, 64, ROOT_CNODE, cn, 64, 64 - C_RADIX),
        "guard the child CNode",
    )?;
    env.slots.free(cn);
    for (slot, src) in [
        (C_FAULT, FAULT.load(SeqCst)),
        (C_DONE, DONE.load(SeqCst)),
        (C_SELF, guarded),
    ] {
        ok(
            cnode::copy(guarded, slot, 64, ROOT_CNODE, src, 64, CapRights::ALL),
            "fill the child CSpace",
        )?;
    }
    Ok(guarded)
}

/// [`spawn`] with the CSpace `cspace` (from [`child_cspace`]): the thread shares the
/// root task's VSpace, its fault endpoint is [`C_FAULT`] of its own CSpace.
pub fn spawn_in(
    env: &mut Env,
    entry: sel4rt::Entry,
    arg: Word,
    prio: Word,
    cspace: CPtr,
) -> Result<Thread, Fail> {
    let t = ok(
        env.create_thread_in(entry, arg, prio, C_FAULT, cspace, 0),
        "create thread in a child CSpace",
    )?;
    remember(&t);
    ok(tcb::resume(t.tcb), "resume")?;
    Ok(t)
}

/// [`spawn_process`] with the CSpace `cspace` (from [`child_cspace`]) instead of the
/// root's: fault endpoint [`C_FAULT`] there.
pub fn spawn_process_in(
    env: &mut Env,
    entry: sel4rt::Entry,
    arg: Word,
    prio: Word,
    cspace: CPtr,
) -> Result<Process, Fail> {
    let p = fork(env, entry, arg, prio)?;
    ok(
        tcb::set_space(p.thread.tcb, C_FAULT, cspace, 0, p.vspace, 0),
        "give the process the child CSpace",
    )?;
    ok(tcb::resume(p.thread.tcb), "resume process")?;
    Ok(p)
}

/// From a child in a child CSpace: reports `label` and MRs through [`C_DONE`].
pub fn done_in_child(label: Word, mrs: &[Word]) {
    for (i, &m) in mrs.iter().enumerate() {
        ipc::set_mr(i, m);
    }
    libsel4::send(C_DONE, info(label, mrs.len()));
}

/// [`thread`] in another CSpace: `cspace` (a root CPtr to a CNode cap, `data` its guard
/// data, 0 for unchanged) with `fault_ep` a CPtr of that CSpace; deleted after the test.
pub fn thread_in(
    env: &mut Env,
    entry: sel4rt::Entry,
    arg: Word,
    prio: Word,
    fault_ep: CPtr,
    cspace: CPtr,
    data: Word,
) -> Result<Thread, Fail> {
    let t = ok(
        env.create_thread_in(entry, arg, prio, fault_ep, cspace, data),
        "create thread in another CSpace",
    )?;
    remember(&t);
    Ok(t)
}

/// CNode cap data (Mint, Mutate, a thread's CSpace root data): guard size in bits
/// 0..6, the guard above.
pub const fn guard_data(guard: Word, guard_size: Word) -> Word {
    guard << 6 | guard_size
}
