//! Random multi-thread syscall sequences over two address spaces (half the
//! workers get their own CSpace and VSpace): whichever thread is current makes
//! the next syscall (TCB invocations on any of the threads, yield, unknown
//! syscalls, deleting and re-creating threads), interleaved with timer ticks,
//! with the invariant checker after every step.

use crate::histogram::Histogram;
use crate::msg;
use crate::system::{TestKernel, largest_untyped};
use crate::threads::{Thread, call, invoke, spawn, syscall};
use arbitrary::{Arbitrary, Unstructured};
use selvm_abi::args::{
    AsidPoolAssign, TcbBindNotification, TcbCopyRegisters, TcbReadRegisters, TcbResume,
    TcbSetIpcBuffer, TcbSetSpace, TcbSetTlsBase, TcbSuspend, TcbUnbindNotification,
    TcbWriteRegisters,
};
use selvm_abi::{CapRights, InvocationLabel as L, InvokedObject, ObjectType, Syscall, Word, boot};
use selvm_kernel::BootSummary;
use selvm_kernel::cap::Cap;
use selvm_kernel::invariants::Violation;
use selvm_kernel::slot::SlotMemory;

/// Worker threads per run.
pub const WORKERS: usize = 4;
/// Root slot of the first worker's thread cap.
const FIRST: Word = 40;
/// Root slots of the workers' IPC buffer frames.
const BUFFERS: Word = 60;
/// Root slots of the IPC objects: endpoint, endpoint, notification, then the
/// first endpoint badged 7 and the first endpoint without Grant/GrantReply.
const IPC: Word = 70;
/// First root slot of the receive slots (four per worker).
const RECEIVE: Word = 100;
/// Root slots of the second address space: its CNode, guarded copy, VSpace.
const SPACE: Word = 120;

/// The thread cap slot an operand names: a worker, or the root thread.
fn thread(sel: u8) -> Word {
    match sel as usize % (WORKERS + 1) {
        WORKERS => boot::CAP_INIT_THREAD_TCB,
        i => FIRST + i as Word,
    }
}

/// One step of a multi-thread run.
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub enum ThreadOp {
    /// A timer interrupt.
    Tick,
    /// Yield.
    Yield,
    /// Resume a thread.
    Resume(u8),
    /// Suspend a thread (possibly the caller).
    Suspend(u8),
    /// Set a thread's priority (authority: the caller itself).
    SetPriority(u8, u8),
    /// Set a thread's MCP and priority (authority: the root thread).
    SetSchedParams(u8, u8, u8),
    /// Write `n` registers (pc first) and maybe resume.
    WriteRegisters(u8, u8, bool),
    /// Read `n` registers.
    ReadRegisters(u8, u8),
    /// Copy registers between two threads with flags.
    CopyRegisters(u8, u8, u8),
    /// Set the TLS base.
    SetTlsBase(u8, u64),
    /// A syscall number that does not exist.
    UnknownSyscall(u8),
    /// Delete a worker's thread cap (the last one: the thread dies).
    Delete(u8),
    /// Re-create a deleted worker, configured and resumed.
    Respawn(u8),
    /// Any TCB label with small arguments.
    Raw(u8, u8, [u8; 3]),
    /// Send, NBSend or Call (by `kind % 3`) on an endpoint cap with `len`
    /// message registers, maybe passing the first endpoint as an extra cap.
    Send(u8, u8, u8, bool),
    /// Recv, NBRecv or ReplyRecv (by `kind % 3`) on an endpoint cap.
    Recv(u8, u8),
    /// Reply to the last caller.
    Reply(u8),
    /// Signal the notification.
    Signal,
    /// Wait or poll (by the flag) on the notification.
    Wait(bool),
    /// Bind the notification to a thread, or unbind (by the flag).
    Bind(u8, bool),
}

impl ThreadOp {
    /// Name for the histogram.
    pub fn name(&self) -> &'static str {
        match self {
            ThreadOp::Tick => "tick",
            ThreadOp::Yield => "yield",
            ThreadOp::Resume(_) => "resume",
            ThreadOp::Suspend(_) => "suspend",
            ThreadOp::SetPriority(..) => "set_priority",
            ThreadOp::SetSchedParams(..) => "set_sched_params",
            ThreadOp::WriteRegisters(..) => "write_registers",
            ThreadOp::ReadRegisters(..) => "read_registers",
            ThreadOp::CopyRegisters(..) => "copy_registers",
            ThreadOp::SetTlsBase(..) => "set_tls_base",
            ThreadOp::UnknownSyscall(_) => "unknown_syscall",
            ThreadOp::Delete(_) => "delete_thread",
            ThreadOp::Respawn(_) => "respawn_thread",
            ThreadOp::Raw(..) => "raw_tcb",
            ThreadOp::Send(kind, ..) => ["send", "nbsend", "call"][*kind as usize % 3],
            ThreadOp::Recv(kind, _) => ["recv", "nbrecv", "reply_recv"][*kind as usize % 3],
            ThreadOp::Reply(_) => "reply",
            ThreadOp::Signal => "signal",
            ThreadOp::Wait(poll) => {
                if *poll {
                    "poll"
                } else {
                    "wait"
                }
            }
            ThreadOp::Bind(_, unbind) => {
                if *unbind {
                    "unbind"
                } else {
                    "bind"
                }
            }
        }
    }

    /// Decodes operations from bytes until they run out.
    pub fn sequence(bytes: &[u8], max: usize) -> Vec<ThreadOp> {
        let mut u = Unstructured::new(bytes);
        let mut ops = Vec::new();
        while ops.len() < max && !u.is_empty() {
            match ThreadOp::arbitrary(&mut u) {
                Ok(op) => ops.push(op),
                Err(_) => break,
            }
        }
        ops
    }
}

/// Runs thread operations on one kernel.
pub struct ThreadRun<'k, 'm> {
    /// The kernel.
    pub kernel: &'k mut TestKernel<'m>,
    /// Outcomes per operation.
    pub histogram: Histogram,
    summary: BootSummary,
}

impl<'k, 'm> ThreadRun<'k, 'm> {
    /// Boots the workers (priority 100, MCP 255, each with an IPC buffer)
    /// and resumes them; the root thread keeps running.
    pub fn new(kernel: &'k mut TestKernel<'m>, summary: &BootSummary) -> Self {
        let workers = spawn(kernel, summary, FIRST, WORKERS as Word, 100);
        let mut run = ThreadRun {
            kernel,
            histogram: Histogram::default(),
            summary: *summary,
        };
        let big = run.big_untyped();
        let k = &mut *run.kernel;
        let root = boot::CAP_INIT_THREAD_CNODE;
        invoke(k, big, &msg::retype(ObjectType::Endpoint, 0, IPC, 2));
        invoke(
            k,
            big,
            &msg::retype(ObjectType::Notification, 0, IPC + 2, 1),
        );
        let rw = CapRights::new(false, false, true, true);
        invoke(k, root, &msg::mint(IPC + 3, IPC, CapRights::ALL, 7));
        invoke(k, root, &msg::mint(IPC + 4, IPC, rw, 0));
        for (i, w) in workers.iter().enumerate() {
            run.setup_worker(w, i as Word);
        }
        run.second_address_space(&workers[WORKERS / 2..]);
        run
    }

    /// Moves `workers` into a second address space: their own CSpace (a
    /// radix-8 CNode holding copies of the thread, IPC and root caps at the
    /// same addresses) and their own VSpace root.
    fn second_address_space(&mut self, workers: &[Thread]) {
        let big = self.big_untyped();
        let k = &mut *self.kernel;
        let root = boot::CAP_INIT_THREAD_CNODE;
        invoke(k, big, &msg::retype(ObjectType::CNode, 8, SPACE, 1));
        // A guard of 56 bits (guard size in bits 0..6 of the data) over radix 8.
        invoke(k, root, &msg::mutate(SPACE + 1, SPACE, 56));
        invoke(k, big, &msg::retype(ObjectType::PageTable, 0, SPACE + 2, 1));
        let pool = boot::CAP_INIT_THREAD_ASID_POOL;
        invoke(k, pool, &AsidPoolAssign { vspace: SPACE + 2 });
        let shared = [boot::CAP_INIT_THREAD_TCB, root]
            .into_iter()
            .chain(FIRST..FIRST + WORKERS as Word)
            .chain(IPC..IPC + 5);
        for idx in shared {
            invoke(k, SPACE + 1, &msg::copy(idx, idx, CapRights::ALL));
        }
        for w in workers {
            let space = TcbSetSpace {
                fault_ep: 0,
                cspace_root_data: 0,
                vspace_root_data: 0,
                cspace_root: SPACE + 1,
                vspace_root: SPACE + 2,
            };
            invoke(k, w.cptr, &space);
        }
    }

    fn big_untyped(&self) -> Word {
        largest_untyped(&self.summary)
    }

    fn setup_worker(&mut self, w: &Thread, i: Word) {
        let big = self.big_untyped();
        let k = &mut *self.kernel;
        let root = boot::CAP_INIT_THREAD_CNODE;
        let me = boot::CAP_INIT_THREAD_TCB;
        let frame = BUFFERS + i;
        if k.memory()
            .cap(k.boot_objects().root_cnode.offset(frame))
            .is_null()
        {
            invoke(k, big, &msg::retype(ObjectType::SmallPage, 0, frame, 1));
        }
        let buffer = TcbSetIpcBuffer {
            buffer: 0x7000_0000,
            buffer_frame: frame,
        };
        invoke(k, w.cptr, &buffer);
        // Caps received go to one of this worker's slots.
        if let Some(b) = k.ipc_buffer(w.tcb, true) {
            use selvm_abi::ipc_buffer::offsets;
            let m = k.memory_mut_for_corruption_tests();
            m.write(b + offsets::RECEIVE_CNODE as u64, root);
            m.write(b + offsets::RECEIVE_INDEX as u64, RECEIVE + 4 * i);
            m.write(b + offsets::RECEIVE_DEPTH as u64, 64);
        }
        invoke(k, w.cptr, &msg::set_sched_params(255, 100, me));
        invoke(k, w.cptr, &TcbResume {});
    }

    /// Whether no thread can run any more (every thread suspended, faulted or
    /// deleted): a run ends there, as nothing could make another syscall.
    pub fn is_idle(&self) -> bool {
        self.kernel.current_thread() == self.kernel.idle_thread()
    }

    /// Performs one step; `Err` when an invariant broke.
    pub fn run(&mut self, op: &ThreadOp) -> Result<(), Violation> {
        let outcome = self.perform(op);
        self.histogram.record(op.name(), outcome);
        self.kernel.check_invariants().map(|_| ())
    }

    fn perform(&mut self, op: &ThreadOp) -> &'static str {
        let caller_cap = self.current_cap();
        let k = &mut *self.kernel;
        if matches!(op, ThreadOp::Tick) {
            k.timer_tick();
            return "ok";
        }
        if k.current_thread() == k.idle_thread() {
            // Nothing runs to make the syscall: time passes instead.
            k.timer_tick();
            return "idle";
        }
        let me = boot::CAP_INIT_THREAD_TCB;
        let r = match *op {
            ThreadOp::Tick => unreachable!("handled above"),
            ThreadOp::Yield => syscall(k, Syscall::Yield, 0, 0, &[], &[]),
            ThreadOp::Resume(t) => invoke(k, thread(t), &TcbResume {}),
            ThreadOp::Suspend(t) => invoke(k, thread(t), &TcbSuspend {}),
            ThreadOp::SetPriority(t, p) => {
                invoke(k, thread(t), &msg::set_priority(p.into(), caller_cap))
            }
            ThreadOp::SetSchedParams(t, m, p) => {
                invoke(k, thread(t), &msg::set_sched_params(m.into(), p.into(), me))
            }
            ThreadOp::WriteRegisters(t, n, resume) => {
                let n = Word::from(n % 34);
                let regs: Vec<Word> = (0..n).map(|i| 0x4000 + i * 4).collect();
                let msg = TcbWriteRegisters {
                    flags: TcbWriteRegisters::flags(resume, 0),
                    count: n,
                    regs: &regs,
                };
                invoke(k, thread(t), &msg)
            }
            ThreadOp::ReadRegisters(t, n) => {
                let count = Word::from(n % 34);
                invoke(k, thread(t), &TcbReadRegisters { flags: 0, count })
            }
            ThreadOp::CopyRegisters(t, s, flags) => {
                let (flags, source) = (Word::from(flags % 16), thread(s));
                invoke(k, thread(t), &TcbCopyRegisters { flags, source })
            }
            ThreadOp::SetTlsBase(t, v) => invoke(k, thread(t), &TcbSetTlsBase { tls_base: v }),
            ThreadOp::UnknownSyscall(n) => {
                // Numbers below the debug syscalls: no syscall has them.
                let t = k.current_thread();
                k.context_mut(t)[selvm_kernel::arch::riscv64::A7] = (-15i64 - i64::from(n)) as Word;
                k.handle_syscall();
                return "fault";
            }
            ThreadOp::Delete(t) => {
                let slot = FIRST + Word::from(t) % WORKERS as Word;
                invoke(k, boot::CAP_INIT_THREAD_CNODE, &msg::delete(slot))
            }
            ThreadOp::Respawn(t) => return self.respawn(t),
            ThreadOp::Send(kind, ep, len, pass_cap) => {
                let number = [Syscall::Send, Syscall::NBSend, Syscall::Call][kind as usize % 3];
                let mrs: Vec<Word> = (0..Word::from(len % 7)).map(|i| 0x100 + i).collect();
                let extra: &[Word] = if pass_cap { &[IPC] } else { &[] };
                syscall(k, number, IPC + Word::from(ep) % 5, 0x42, &mrs, extra)
            }
            ThreadOp::Recv(kind, ep) => {
                let number =
                    [Syscall::Recv, Syscall::NBRecv, Syscall::ReplyRecv][kind as usize % 3];
                let ep = [IPC, IPC + 1, IPC + 3][ep as usize % 3];
                syscall(k, number, ep, 0, &[], &[])
            }
            ThreadOp::Reply(len) => {
                let mrs: Vec<Word> = (0..Word::from(len % 6)).collect();
                syscall(k, Syscall::Reply, 0, 0, &mrs, &[])
            }
            ThreadOp::Signal => syscall(k, Syscall::Send, IPC + 2, 0, &[], &[]),
            ThreadOp::Wait(poll) => {
                let number = if poll { Syscall::NBRecv } else { Syscall::Recv };
                syscall(k, number, IPC + 2, 0, &[], &[])
            }
            ThreadOp::Bind(t, unbind) => {
                if unbind {
                    invoke(k, thread(t), &TcbUnbindNotification {})
                } else {
                    let notification = IPC + 2;
                    invoke(k, thread(t), &TcbBindNotification { notification })
                }
            }
            ThreadOp::Raw(t, label, args) => {
                // Any TCB label with any three registers: deliberately not the
                // table's shape.
                let mrs: Vec<Word> = args.iter().map(|&a| Word::from(a)).collect();
                call(k, thread(t), Self::tcb_label(label), &mrs, &[me])
            }
        };
        if k.thread_state(r.thread) != selvm_kernel::object::tcb::ThreadState::Running {
            return "blocked_or_stopped";
        }
        let ipc = matches!(
            op,
            ThreadOp::Send(..)
                | ThreadOp::Recv(..)
                | ThreadOp::Reply(_)
                | ThreadOp::Signal
                | ThreadOp::Wait(_)
        );
        if ipc {
            // The reply registers carry a message, not an error code.
            return "ok";
        }
        match r.label {
            0 => "ok",
            code => selvm_abi::Error::from_word(code).map_or("no_reply", |e| e.name()),
        }
    }

    /// The `sel`th TCB label of the table, modulo their number.
    fn tcb_label(sel: u8) -> L {
        let tcb = || {
            L::ALL
                .into_iter()
                .filter(|l| l.spec().is_some_and(|s| s.object == InvokedObject::Tcb))
        };
        tcb()
            .nth(usize::from(sel) % tcb().count())
            .unwrap_or(L::TcbSuspend)
    }

    fn current_cap(&self) -> Word {
        let cur = self.kernel.current_thread();
        (0..WORKERS as Word)
            .map(|i| FIRST + i)
            .find(|&c| {
                self.kernel
                    .memory()
                    .cap(self.kernel.boot_objects().root_cnode.offset(c))
                    == Cap::Thread { tcb: cur }
            })
            .unwrap_or(boot::CAP_INIT_THREAD_TCB)
    }

    fn respawn(&mut self, t: u8) -> &'static str {
        let i = Word::from(t) % WORKERS as Word;
        let slot = FIRST + i;
        let big = self.big_untyped();
        let k = &mut *self.kernel;
        if !k
            .memory()
            .cap(k.boot_objects().root_cnode.offset(slot))
            .is_null()
        {
            return "occupied";
        }
        let r = invoke(k, big, &msg::retype(ObjectType::Tcb, 0, slot, 1));
        if r.label != 0 {
            return "retype_failed";
        }
        let vspace = FIRST + WORKERS as Word;
        invoke(k, slot, &msg::configure(vspace));
        let tcb = match k.memory().cap(k.boot_objects().root_cnode.offset(slot)) {
            Cap::Thread { tcb } => tcb,
            _ => return "retype_failed",
        };
        self.setup_worker(&Thread { cptr: slot, tcb }, i);
        "ok"
    }
}
