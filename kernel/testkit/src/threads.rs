//! Driving threads through the real syscall entry: the harness plays the code
//! of whichever thread is current, putting a syscall's arguments in its
//! registers (and IPC buffer) and reading back the kernel's reply.

use crate::msg;
use crate::system::{TestKernel, largest_untyped};
use selvm_abi::args::AsidPoolAssign;
use selvm_abi::{
    CPtr, CapRights, Invocation, InvocationLabel as L, MessageInfo, ObjectType, Syscall, Word,
    boot, ipc_buffer::offsets,
};
use selvm_kernel::BootSummary;
use selvm_kernel::arch::riscv64 as regs;
use selvm_kernel::slot::SlotMemory;
use selvm_kernel::syscall::SyscallExit;

/// The pc the harness pretends each syscall traps from.
pub const SYSCALL_PC: Word = 0x1_0000;

/// What a syscall returned to the thread that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Returned {
    /// The thread that made the call.
    pub thread: u64,
    /// What the kernel told the platform.
    pub exit: SyscallExit,
    /// The reply's label (the error code, 0 on success).
    pub label: Word,
    /// The reply's message registers that fitted.
    pub mrs: Vec<Word>,
    /// The badge register.
    pub badge: Word,
}

/// Makes syscall `number` as the current thread: `cap` in the cap register,
/// the message `(label, mrs, extra caps)`; message registers beyond the
/// fourth and the extra caps go through the thread's IPC buffer (if any).
pub fn syscall(
    k: &mut TestKernel<'_>,
    number: Syscall,
    cap: Word,
    label: Word,
    mrs: &[Word],
    extra: &[CPtr],
) -> Returned {
    let t = k.current_thread();
    let buffer = k.ipc_buffer(t, false);
    let info = MessageInfo::new(label, 0, extra.len() as Word, mrs.len() as Word)
        .expect("harness messages respect the limits");
    if let Some(b) = buffer {
        for (i, &w) in mrs.iter().enumerate().skip(4) {
            k.memory_mut_for_corruption_tests()
                .write(b + offsets::msg(i) as u64, w);
        }
        for (i, &c) in extra.iter().enumerate() {
            k.memory_mut_for_corruption_tests()
                .write(b + offsets::cap_or_badge(i) as u64, c);
        }
    }
    {
        let ctx = k.context_mut(t);
        ctx[regs::A7] = number.word();
        ctx[regs::A0] = cap;
        ctx[regs::A1] = info.word();
        for (i, &w) in mrs.iter().take(4).enumerate() {
            ctx[regs::A2 + i] = w;
        }
        ctx[regs::FAULT_IP] = SYSCALL_PC;
        ctx[regs::NEXT_IP] = SYSCALL_PC + 4;
    }
    let exit = k.handle_syscall();
    let ctx = k.context(t);
    let reply = MessageInfo::from_word_clamped(ctx[regs::A1]);
    let mut out = Vec::new();
    for i in 0..reply.length() {
        out.push(match i {
            0..4 => ctx[regs::A2 + i],
            _ => buffer.map_or(0, |b| k.memory().read(b + offsets::msg(i) as u64)),
        });
    }
    Returned {
        thread: t,
        exit,
        label: reply.label(),
        mrs: out,
        badge: ctx[regs::A0],
    }
}

/// Calls (seL4_Call) a typed invocation of the table as the current thread.
pub fn invoke<M: Invocation>(k: &mut TestKernel<'_>, cap: CPtr, msg: &M) -> Returned {
    let (mrs, caps) = (msg.mrs(), msg.caps());
    syscall(k, Syscall::Call, cap, M::LABEL, mrs.as_ref(), caps.as_ref())
}

/// Calls `label` with registers and extra caps as written, for messages of another
/// shape than the table's (too few registers or caps, any label of a random run).
pub fn call(k: &mut TestKernel<'_>, cap: CPtr, label: L, mrs: &[Word], extra: &[CPtr]) -> Returned {
    syscall(k, Syscall::Call, cap, label.word(), mrs, extra)
}

/// A thread the harness created: its TCB cap's slot (= cptr in the root CNode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thread {
    /// The root-CNode slot of its thread cap.
    pub cptr: CPtr,
    /// Its TCB.
    pub tcb: u64,
}

/// Creates `n` threads from the largest boot untyped as the root task:
/// TCBs in root slots `first..first+n`, each configured with the root CSpace,
/// a page table at `first+n` as VSpace and no IPC buffer, at `priority`.
/// Threads start Inactive.
pub fn spawn(
    k: &mut TestKernel<'_>,
    summary: &BootSummary,
    first: CPtr,
    n: Word,
    priority: Word,
) -> Vec<Thread> {
    let ut = largest_untyped(summary);
    let retype = |k: &mut TestKernel<'_>, ty: ObjectType, at: Word, count: Word| {
        let r = invoke(k, ut, &msg::retype(ty, 0, at, count));
        assert_eq!(r.label, 0, "retype {ty:?}: {r:?}");
    };
    let vspace = first + n;
    retype(k, ObjectType::PageTable, vspace, 1);
    // A VSpace root must be a page table assigned an ASID.
    let pool = boot::CAP_INIT_THREAD_ASID_POOL;
    let r = invoke(k, pool, &AsidPoolAssign { vspace });
    assert_eq!(r.label, 0, "assign an ASID: {r:?}");
    retype(k, ObjectType::Tcb, first, n);
    let me = boot::CAP_INIT_THREAD_TCB;
    (0..n)
        .map(|i| {
            let cptr = first + i;
            let r = invoke(k, cptr, &msg::configure(vspace));
            assert_eq!(r.label, 0, "configure: {r:?}");
            let r = invoke(k, cptr, &msg::set_priority(priority, me));
            assert_eq!(r.label, 0, "set priority: {r:?}");
            let tcb = match k.memory().cap(k.boot_objects().root_cnode.offset(cptr)) {
                selvm_kernel::cap::Cap::Thread { tcb } => tcb,
                other => panic!("not a thread cap: {other:?}"),
            };
            Thread { cptr, tcb }
        })
        .collect()
}

/// Rights word with every right.
pub const ALL_RIGHTS: Word = CapRights::ALL.word();
