//! IPC scenarios through the real syscall entry: send/receive with 0, 4, 5
//! and 120 message registers, Call and ReplyRecv with one-shot reply caps,
//! NBSend/NBRecv, IPC rights, badges, cap transfer and unwrapping, a Call
//! without Grant, notifications (signal, wait, poll, binding), cancellation by
//! CancelBadgedSends, suspension and deletion, and fault delivery with replies.

use selvm_abi::args::{
    IrqIssueIrqHandler, IrqSetIrqHandler, TcbBindNotification, TcbResume, TcbSetIpcBuffer,
    TcbSetSpace, TcbSuspend,
};
use selvm_abi::{CapRights, MessageInfo, ObjectType, Syscall, Word, boot, ipc_buffer::offsets};
use selvm_kernel::BootSummary;
use selvm_kernel::arch::riscv64 as regs;
use selvm_kernel::cap::Cap;
use selvm_kernel::object::tcb::ThreadState;
use selvm_kernel::slot::SlotMemory;
use selvm_kernel_testkit::msg;
use selvm_kernel_testkit::system::largest_untyped;
use selvm_kernel_testkit::threads::{Returned, Thread, invoke, spawn, syscall};
use selvm_kernel_testkit::{TestKernel, TestMemory};

const ROOT: Word = boot::CAP_INIT_THREAD_CNODE;
const ME: Word = boot::CAP_INIT_THREAD_TCB;
const T0: Word = 40;
/// Endpoint, second endpoint, notification.
const EP: Word = 70;
const EP2: Word = 71;
const NTFN: Word = 72;
/// Scratch slots for derived caps.
const S: Word = 80;

fn ok(r: &Returned) {
    assert_eq!(r.label, 0, "expected success: {r:?}");
}

/// Fastpath hits and Call/ReplyRecv counts over the whole scenario suite.
static HITS: std::sync::Mutex<(u64, u64, u64, u64)> = std::sync::Mutex::new((0, 0, 0, 0));

/// Two threads `a` (priority 200) and `b` (100), each with an IPC buffer, an
/// endpoint pair and a notification; the root thread has stepped aside, so
/// `a` runs. The scenario runs twice, with the fastpath off and on, and both
/// runs must end in exactly the same state.
fn with_pair(f: impl Fn(&mut TestKernel<'_>, Thread, Thread, &BootSummary)) {
    let slow = run_pair(false, &f);
    let fast = run_pair(true, &f);
    assert!(slow == fast, "the fastpath changed the outcome");
}

fn run_pair(
    fast: bool,
    f: &impl Fn(&mut TestKernel<'_>, Thread, Thread, &BootSummary),
) -> (Vec<u64>, u64) {
    let mut mem = TestMemory::new(1 << 20);
    let (mut k, summary) = mem.boot_small();
    k.fastpath().enabled = fast;
    let ts = spawn(&mut k, &summary, T0, 2, 100);
    let big = largest_untyped(&summary);
    ok(&invoke(
        &mut k,
        big,
        &msg::retype(ObjectType::Endpoint, 0, EP, 2),
    ));
    ok(&invoke(
        &mut k,
        big,
        &msg::retype(ObjectType::Notification, 0, NTFN, 1),
    ));
    ok(&invoke(
        &mut k,
        big,
        &msg::retype(ObjectType::SmallPage, 0, 60, 2),
    ));
    for (i, t) in ts.iter().enumerate() {
        ok(&invoke(
            &mut k,
            t.cptr,
            &TcbSetIpcBuffer {
                buffer: 0x7000_0000,
                buffer_frame: 60 + i as Word,
            },
        ));
        // Received caps go to root slot 90 + i.
        let b = k.ipc_buffer(t.tcb, true).unwrap();
        let m = k.memory_mut_for_corruption_tests();
        m.write(b + offsets::RECEIVE_CNODE as u64, ROOT);
        m.write(b + offsets::RECEIVE_INDEX as u64, 90 + i as Word);
        m.write(b + offsets::RECEIVE_DEPTH as u64, 64);
    }
    ok(&invoke(
        &mut k,
        ts[0].cptr,
        &msg::set_sched_params(255, 200, ME),
    ));
    ok(&invoke(
        &mut k,
        ts[1].cptr,
        &msg::set_sched_params(255, 100, ME),
    ));
    for t in &ts {
        ok(&invoke(&mut k, t.cptr, &TcbResume {}));
    }
    invoke(&mut k, ME, &TcbSuspend {});
    assert_eq!(k.current_thread(), ts[0].tcb);
    f(&mut k, ts[0], ts[1], &summary);
    k.check_invariants().expect("invariants at the end");
    if fast {
        let p = *k.fastpath();
        let mut h = HITS.lock().unwrap();
        *h = (
            h.0 + p.calls,
            h.1 + p.call_hits,
            h.2 + p.reply_recvs,
            h.3 + p.reply_recv_hits,
        );
        println!(
            "fastpath so far: {}/{} calls, {}/{} reply-recvs",
            h.1, h.0, h.3, h.2
        );
    }
    let cur = k.current_thread();
    let _ = &k;
    (mem.words().to_vec(), cur)
}

/// What thread `t` last received: (label, length, caps unwrapped, extra caps, badge, MRs).
fn received(k: &TestKernel<'_>, t: &Thread) -> (Word, usize, Word, usize, Word, Vec<Word>) {
    let ctx = k.context(t.tcb);
    let info = MessageInfo::from_word_clamped(ctx[regs::A1]);
    let buf = k.ipc_buffer(t.tcb, false);
    let mrs = (0..info.length())
        .map(|i| {
            if i < 4 {
                ctx[regs::A2 + i]
            } else {
                k.memory().read(buf.unwrap() + offsets::msg(i) as u64)
            }
        })
        .collect();
    (
        info.label(),
        info.length(),
        info.caps_unwrapped(),
        info.extra_caps(),
        ctx[regs::A0],
        mrs,
    )
}

fn message(n: usize) -> Vec<Word> {
    (0..n as Word).map(|i| 0xa0 + i).collect()
}

#[test]
fn send_and_receive_with_0_4_5_and_120_message_registers() {
    for n in [0, 4, 5, 120] {
        with_pair(|k, a, b, _| {
            syscall(k, Syscall::Recv, EP, 0, &[], &[]);
            assert_eq!(k.thread_state(a.tcb), ThreadState::BlockedOnReceive);
            assert_eq!(k.current_thread(), b.tcb);
            let r = syscall(k, Syscall::Send, EP, 0x33, &message(n), &[]);
            assert_eq!(r.thread, b.tcb);
            assert_eq!(
                k.current_thread(),
                a.tcb,
                "the higher-priority receiver runs at once"
            );
            let (label, len, _, _, badge, mrs) = received(k, &a);
            assert_eq!((label, len, badge), (0x33, n, 0));
            assert_eq!(mrs, message(n));
        });
    }
}

#[test]
fn a_receiver_without_ipc_buffer_gets_only_the_register_mrs() {
    with_pair(|k, a, b, _| {
        ok(&invoke(
            k,
            a.cptr,
            &TcbSetIpcBuffer {
                buffer: 0,
                buffer_frame: 60,
            },
        ));
        syscall(k, Syscall::Recv, EP, 0, &[], &[]);
        syscall(k, Syscall::Send, EP, 1, &message(9), &[]);
        let ctx = k.context(a.tcb);
        assert_eq!(MessageInfo::from_word_clamped(ctx[regs::A1]).length(), 4);
        let _ = b;
    });
}

#[test]
fn badges_are_delivered_and_nbsend_without_a_receiver_is_dropped() {
    with_pair(|k, a, b, _| {
        ok(&invoke(k, ROOT, &msg::mint(S, EP, CapRights::ALL, 0x77)));
        // a sends without a receiver: NBSend is dropped, a keeps running.
        syscall(k, Syscall::NBSend, S, 5, &[1], &[]);
        assert_eq!(k.thread_state(a.tcb), ThreadState::Running);
        // NBRecv with nothing pending: badge 0, no blocking.
        let r = syscall(k, Syscall::NBRecv, EP, 0, &[], &[]);
        assert_eq!((r.thread, r.badge), (a.tcb, 0));
        syscall(k, Syscall::Recv, EP, 0, &[], &[]);
        syscall(k, Syscall::Send, S, 9, &[10, 11], &[]);
        let (label, len, _, _, badge, mrs) = received(k, &a);
        assert_eq!((label, len, badge, mrs), (9, 2, 0x77, vec![10, 11]));
        let _ = b;
    });
}

#[test]
fn call_and_reply_recv_use_a_one_shot_reply_cap() {
    with_pair(|k, a, b, _| {
        syscall(k, Syscall::Recv, EP, 0, &[], &[]);
        // b calls a: a wakes with the message and a reply cap in its caller slot.
        syscall(k, Syscall::Call, EP, 7, &[1, 2, 3], &[]);
        assert_eq!(k.thread_state(b.tcb), ThreadState::BlockedOnReply);
        assert_eq!(k.current_thread(), a.tcb);
        let caller = selvm_kernel::object::tcb::slot(a.tcb, 3);
        assert!(
            matches!(k.memory().cap(caller), Cap::Reply { tcb, master: false, .. } if tcb == b.tcb)
        );
        // a answers with ReplyRecv and waits again; b gets the reply.
        syscall(k, Syscall::ReplyRecv, EP, 8, &[40, 41], &[]);
        assert!(
            k.memory().cap(caller).is_null(),
            "the reply cap is consumed"
        );
        assert_eq!(k.thread_state(a.tcb), ThreadState::BlockedOnReceive);
        assert_eq!(k.current_thread(), b.tcb);
        let (label, len, _, _, badge, mrs) = received(k, &b);
        assert_eq!((label, len, badge, mrs), (8, 2, 0, vec![40, 41]));
        // A second reply has no reply cap: nothing happens.
        let r = syscall(k, Syscall::Reply, 0, 0, &[], &[]);
        assert_eq!(r.thread, b.tcb);
    });
}

#[test]
fn a_call_without_grant_is_delivered_but_leaves_the_caller_inactive() {
    with_pair(|k, a, b, _| {
        // Write and Read only: no Grant, no GrantReply.
        ok(&invoke(
            k,
            ROOT,
            &msg::mint(S, EP, CapRights::READ | CapRights::WRITE, 0),
        ));
        syscall(k, Syscall::Recv, EP, 0, &[], &[]);
        syscall(k, Syscall::Call, S, 4, &[9], &[]);
        assert_eq!(k.thread_state(b.tcb), ThreadState::Inactive);
        assert_eq!(received(k, &a).5, vec![9]);
        assert!(
            k.memory()
                .cap(selvm_kernel::object::tcb::slot(a.tcb, 3))
                .is_null(),
            "no reply cap"
        );
    });
}

#[test]
fn ipc_rights_are_enforced() {
    with_pair(|k, a, b, _| {
        // Read-only cap: sending is an invalid capability (a Call gets the error).
        ok(&invoke(k, ROOT, &msg::mint(S, EP, CapRights::READ, 0)));
        let r = syscall(k, Syscall::Call, S, 1, &[], &[]);
        assert_eq!((r.label, r.mrs.as_slice()), (2, &[0][..]));
        // Write-only cap: receiving is a cap fault (no handler: a stops).
        ok(&invoke(k, ROOT, &msg::mint(S + 1, EP, CapRights::WRITE, 0)));
        syscall(k, Syscall::Recv, S + 1, 0, &[], &[]);
        assert_eq!(k.thread_state(a.tcb), ThreadState::Inactive);
        assert_eq!(
            k.tcb(a.tcb).last_double_fault[..3],
            [1, S + 1, 1],
            "cap fault in the receive phase"
        );
        assert_eq!(k.current_thread(), b.tcb);
    });
}

#[test]
fn caps_transfer_with_grant_and_unwrap_to_the_same_endpoint() {
    with_pair(|k, a, b, _| {
        ok(&invoke(k, ROOT, &msg::mint(S, EP, CapRights::ALL, 5)));
        syscall(k, Syscall::Recv, EP, 0, &[], &[]);
        // b sends through EP passing: EP2 (a real cap) and S (a cap to EP: unwrapped).
        syscall(k, Syscall::Send, EP, 1, &[], &[S, EP2]);
        let (_, _, unwrapped, extra, _, _) = received(k, &a);
        assert_eq!((unwrapped, extra), (0b01, 2));
        let buf = k.ipc_buffer(a.tcb, false).unwrap();
        assert_eq!(
            k.memory().read(buf + offsets::cap_or_badge(0) as u64),
            5,
            "badge of the unwrapped cap"
        );
        let got = k.memory().cap(k.boot_objects().root_cnode.offset(90));
        assert!(
            matches!(got, Cap::Endpoint { .. }),
            "EP2 arrived in a's receive slot: {got:?}"
        );
        // Without Grant no caps move.
        ok(&invoke(
            k,
            ROOT,
            &msg::mint(S + 1, EP, CapRights::READ | CapRights::WRITE, 0),
        ));
        syscall(k, Syscall::Recv, EP, 0, &[], &[]);
        syscall(k, Syscall::Send, S + 1, 1, &[], &[EP2]);
        assert_eq!(received(k, &a).3, 0);
        let _ = b;
    });
}

#[test]
fn notifications_signal_wait_poll_and_binding() {
    with_pair(|k, a, b, _| {
        ok(&invoke(
            k,
            ROOT,
            &msg::mint(S, NTFN, CapRights::READ | CapRights::WRITE, 0b01),
        ));
        ok(&invoke(
            k,
            ROOT,
            &msg::mint(S + 1, NTFN, CapRights::READ | CapRights::WRITE, 0b10),
        ));
        // Two signals OR into the word; Poll takes and clears it.
        syscall(k, Syscall::Send, S, 0, &[], &[]);
        syscall(k, Syscall::Send, S + 1, 0, &[], &[]);
        assert_eq!(syscall(k, Syscall::NBRecv, NTFN, 0, &[], &[]).badge, 0b11);
        assert_eq!(syscall(k, Syscall::NBRecv, NTFN, 0, &[], &[]).badge, 0);
        // Wait blocks; a signal wakes the waiter with the badge.
        syscall(k, Syscall::Recv, NTFN, 0, &[], &[]);
        assert_eq!(k.thread_state(a.tcb), ThreadState::BlockedOnNotification);
        syscall(k, Syscall::Send, S + 1, 0, &[], &[]);
        assert_eq!(
            (k.current_thread(), k.context(a.tcb)[regs::A0]),
            (a.tcb, 0b10)
        );
        // Bound to a, the notification wakes a receive on an endpoint.
        ok(&invoke(
            k,
            a.cptr,
            &TcbBindNotification { notification: NTFN },
        ));
        syscall(k, Syscall::Recv, EP, 0, &[], &[]);
        syscall(k, Syscall::Send, S, 0, &[], &[]);
        assert_eq!(k.current_thread(), a.tcb);
        assert_eq!(k.context(a.tcb)[regs::A0], 0b01);
        // A signal pending when the bound thread receives on an endpoint is
        // taken at once, without blocking.
        syscall(k, Syscall::Send, S + 1, 0, &[], &[]);
        let r = syscall(k, Syscall::Recv, EP, 0, &[], &[]);
        assert_eq!((r.thread, r.badge), (a.tcb, 0b10));
        assert_eq!(k.thread_state(a.tcb), ThreadState::Running);
        let _ = b;
    });
}

#[test]
fn cancel_badged_sends_restarts_only_senders_with_that_badge() {
    with_pair(|k, a, b, _| {
        ok(&invoke(k, ROOT, &msg::mint(S, EP, CapRights::ALL, 9)));
        ok(&invoke(k, ROOT, &msg::mint(S + 1, EP, CapRights::ALL, 4)));
        // a blocks sending with badge 9; b runs.
        syscall(k, Syscall::Send, S, 0, &[], &[]);
        assert_eq!(k.thread_state(a.tcb), ThreadState::BlockedOnSend);
        assert_eq!(k.current_thread(), b.tcb);
        // Cancelling badge 4 leaves a queued; cancelling badge 9 restarts it.
        ok(&invoke(k, ROOT, &msg::cancel_badged_sends(S + 1)));
        assert_eq!(k.thread_state(a.tcb), ThreadState::BlockedOnSend);
        ok(&invoke(k, ROOT, &msg::cancel_badged_sends(S)));
        assert_eq!(k.current_thread(), a.tcb, "a restarted and, higher, runs");
        assert_eq!(k.thread_state(a.tcb), ThreadState::Running);
        let (head, _, _) = k.endpoint_queue(
            match k.memory().cap(k.boot_objects().root_cnode.offset(EP)) {
                Cap::Endpoint { ptr, .. } => ptr,
                other => panic!("{other:?}"),
            },
        );
        assert_eq!(head, 0, "the endpoint queue is empty");
    });
}

#[test]
fn suspending_a_caller_mid_call_removes_its_reply_cap() {
    with_pair(|k, a, b, _| {
        syscall(k, Syscall::Recv, EP, 0, &[], &[]);
        syscall(k, Syscall::Call, EP, 1, &[], &[]);
        let caller = selvm_kernel::object::tcb::slot(a.tcb, 3);
        assert!(matches!(k.memory().cap(caller), Cap::Reply { .. }));
        ok(&invoke(k, b.cptr, &TcbSuspend {}));
        assert!(
            k.memory().cap(caller).is_null(),
            "the reply cap to the suspended caller is gone"
        );
        assert_eq!(k.thread_state(b.tcb), ThreadState::Inactive);
        let r = syscall(k, Syscall::Reply, 0, 0, &[5], &[]);
        assert_eq!(r.thread, a.tcb, "replying to nobody is a no-op");
    });
}

#[test]
fn deleting_an_endpoint_restarts_its_waiters() {
    with_pair(|k, a, b, _| {
        syscall(k, Syscall::Recv, EP, 0, &[], &[]);
        assert_eq!(k.current_thread(), b.tcb);
        ok(&invoke(k, ROOT, &msg::delete(EP)));
        assert_eq!(
            k.thread_state(a.tcb),
            ThreadState::Running,
            "a restarted and, higher, runs"
        );
        assert_eq!(k.current_thread(), a.tcb);
    });
}

#[test]
fn an_unknown_syscall_is_sent_to_the_fault_handler_and_the_reply_decides() {
    with_pair(|k, a, b, _| {
        // b's fault handler: EP (all rights) at address EP in its CSpace.
        ok(&invoke(
            k,
            b.cptr,
            &TcbSetSpace {
                fault_ep: EP,
                cspace_root_data: 0,
                vspace_root_data: 0,
                cspace_root: ROOT,
                vspace_root: T0 + 2,
            },
        ));
        syscall(k, Syscall::Recv, EP, 0, &[], &[]);
        assert_eq!(k.current_thread(), b.tcb);
        let number = (-77i64) as Word;
        k.context_mut(b.tcb)[regs::A7] = number;
        k.context_mut(b.tcb)[regs::FAULT_IP] = 0x5000;
        k.handle_syscall();
        assert_eq!(k.thread_state(b.tcb), ThreadState::BlockedOnReply);
        let (label, len, _, _, _, mrs) = received(k, &a);
        assert_eq!(
            (label, len),
            (2, 11),
            "UnknownSyscall: 10 registers and the number"
        );
        assert_eq!((mrs[0], mrs[10]), (0x5000, number));
        // Reply with label 0 and a new pc: b restarts there.
        let mut reply = mrs.clone();
        reply[0] = 0x6000;
        syscall(k, Syscall::Reply, 0, 0, &reply, &[]);
        assert_eq!(k.thread_state(b.tcb), ThreadState::Restart);
        assert_eq!(k.context(b.tcb)[regs::FAULT_IP], 0x6000);
    });
}

/// Makes `b` (which must be current) have EP as its fault handler.
fn handler_is_ep(k: &mut TestKernel<'_>, b: &Thread) {
    ok(&invoke(
        k,
        b.cptr,
        &TcbSetSpace {
            fault_ep: EP,
            cspace_root_data: 0,
            vspace_root_data: 0,
            cspace_root: ROOT,
            vspace_root: T0 + 2,
        },
    ));
}

#[test]
fn vm_faults_and_user_exceptions_reach_the_handler_with_sel4_layouts() {
    with_pair(|k, a, b, _| {
        syscall(k, Syscall::Recv, EP, 0, &[], &[]);
        assert_eq!(k.current_thread(), b.tcb);
        handler_is_ep(k, &b);
        k.context_mut(b.tcb)[regs::FAULT_IP] = 0x4444;
        k.handle_vm_fault(0xdead_0000, false, 13);
        let (label, len, _, _, _, mrs) = received(k, &a);
        assert_eq!(
            (label, len, mrs),
            (5, 4, vec![0x4444, 0xdead_0000, 0, 13]),
            "VMFault: IP, addr, prefetch, FSR"
        );
        // A VMFault reply always restarts, whatever its label.
        syscall(k, Syscall::ReplyRecv, EP, 99, &[], &[]);
        assert_eq!(k.thread_state(b.tcb), ThreadState::Running);
        assert_eq!(k.current_thread(), b.tcb);
        k.context_mut(b.tcb)[regs::SP] = 0x8000;
        k.handle_user_exception(2, 7);
        let (label, len, _, _, _, mrs) = received(k, &a);
        assert_eq!(label, 3);
        assert_eq!(len, 4, "UserException (riscv64): FaultIP, SP, Number, Code");
        assert_eq!((mrs[1], mrs[2], mrs[3]), (0x8000, 2, 7));
        // A nonzero label leaves the thread stopped; registers are written back.
        syscall(k, Syscall::Reply, 0, 1, &[0x9000], &[]);
        assert_eq!(k.thread_state(b.tcb), ThreadState::Inactive);
        assert_eq!(k.context(b.tcb)[regs::FAULT_IP], 0x9000);
    });
}

#[test]
fn a_cap_fault_message_carries_the_lookup_failure() {
    with_pair(|k, a, b, _| {
        syscall(k, Syscall::Recv, EP, 0, &[], &[]);
        handler_is_ep(k, &b);
        // Invoking an address whose guard does not match (root guard is 56 zero bits).
        let bad = 1 << 60;
        syscall(k, Syscall::Call, bad, 0, &[], &[]);
        let (label, _, _, _, _, mrs) = received(k, &a);
        assert_eq!(label, 1, "CapFault");
        assert_eq!(&mrs[1..3], &[bad, 0], "address, not in the receive phase");
        assert_eq!(
            &mrs[3..],
            &[4, 64, 0, 56],
            "GuardMismatch: bits left, guard found, bits found"
        );
        let _ = b;
    });
}

#[test]
fn an_unresolvable_extra_cap_on_an_endpoint_send_is_a_cap_fault() {
    with_pair(|k, a, b, _| {
        syscall(k, Syscall::Recv, EP, 0, &[], &[]);
        handler_is_ep(k, &b);
        // seL4 looks the extra caps up before decoding any invocation: the message
        // (label 7) is not sent; a CapFault on the extra cap's address is.
        let bad = 1 << 60;
        syscall(k, Syscall::Send, EP, 7, &[], &[bad]);
        let (label, _, _, _, _, mrs) = received(k, &a);
        assert_eq!(label, 1, "CapFault, not the message");
        assert_eq!(&mrs[1..3], &[bad, 0], "the extra cap's address, send phase");
        assert_eq!(&mrs[3..], &[4, 64, 0, 56], "GuardMismatch");
        let _ = b;
    });
}

#[test]
fn a_fault_handler_without_grant_or_write_means_a_double_fault() {
    with_pair(|k, a, b, _| {
        ok(&invoke(k, ROOT, &msg::mint(S, EP, CapRights::READ, 0)));
        ok(&invoke(
            k,
            b.cptr,
            &TcbSetSpace {
                fault_ep: S,
                cspace_root_data: 0,
                vspace_root_data: 0,
                cspace_root: ROOT,
                vspace_root: T0 + 2,
            },
        ));
        syscall(k, Syscall::Recv, EP, 0, &[], &[]);
        k.handle_vm_fault(0x10, true, 12);
        assert_eq!(
            k.thread_state(b.tcb),
            ThreadState::Inactive,
            "no usable handler"
        );
        assert_eq!(
            k.thread_state(a.tcb),
            ThreadState::BlockedOnReceive,
            "nothing was sent"
        );
    });
}

#[test]
fn ipc_across_two_cspaces() {
    with_pair(|k, a, b, boot| {
        // Give b its own CSpace: a new radix-4 CNode holding a copy of EP at
        // slot 3 (guard 60 so addresses resolve in 64 bits).
        let big = largest_untyped(boot);
        ok(&invoke(k, big, &msg::retype(ObjectType::CNode, 4, S, 1)));
        ok(&invoke(k, ROOT, &msg::mutate(S + 1, S, 60)));
        ok(&invoke(k, S + 1, &msg::copy(3, EP, CapRights::ALL)));
        ok(&invoke(
            k,
            b.cptr,
            &TcbSetSpace {
                fault_ep: 0,
                cspace_root_data: 0,
                vspace_root_data: 0,
                cspace_root: S + 1,
                vspace_root: T0 + 2,
            },
        ));
        syscall(k, Syscall::Recv, EP, 0, &[], &[]);
        assert_eq!(k.current_thread(), b.tcb);
        // In b's CSpace the endpoint is cap 3.
        syscall(k, Syscall::Send, 3, 6, &[1, 2, 3, 4, 5], &[]);
        let (label, len, _, _, _, mrs) = received(k, &a);
        assert_eq!((label, len, mrs), (6, 5, vec![1, 2, 3, 4, 5]));
        let _ = b;
    });
}

#[test]
fn save_caller_moves_the_reply_cap_which_cannot_be_copied_and_still_answers() {
    with_pair(|k, a, b, _| {
        syscall(k, Syscall::Recv, EP, 0, &[], &[]);
        syscall(k, Syscall::Call, EP, 1, &[], &[]);
        assert_eq!(k.current_thread(), a.tcb);
        ok(&invoke(k, ROOT, &msg::save_caller(S)));
        let caller = selvm_kernel::object::tcb::slot(a.tcb, 3);
        assert!(k.memory().cap(caller).is_null());
        assert!(matches!(
            k.memory().cap(k.boot_objects().root_cnode.offset(S)),
            Cap::Reply { master: false, .. }
        ));
        // Reply caps cannot be copied or minted.
        assert_eq!(
            invoke(k, ROOT, &msg::copy(S + 1, S, CapRights::ALL)).label,
            3
        );
        assert_eq!(
            invoke(k, ROOT, &msg::mint(S + 1, S, CapRights::ALL, 0)).label,
            3
        );
        // A full destination is refused; with nothing to save, SaveCaller does nothing.
        assert_eq!(invoke(k, ROOT, &msg::save_caller(S)).label, 8);
        ok(&invoke(k, ROOT, &msg::save_caller(S + 2)));
        assert!(
            k.memory()
                .cap(k.boot_objects().root_cnode.offset(S + 2))
                .is_null()
        );
        // Sending on the saved reply cap answers b, once.
        syscall(k, Syscall::Send, S, 3, &[77], &[]);
        assert!(
            k.memory()
                .cap(k.boot_objects().root_cnode.offset(S))
                .is_null()
        );
        assert_eq!(k.thread_state(b.tcb), ThreadState::Running);
        assert_eq!(received(k, &b).5, vec![77]);
    });
}

#[test]
fn the_reply_caps_grant_follows_the_receivers_cap() {
    with_pair(|k, a, b, _| {
        // a receives through a cap without Grant: the reply cap it gets cannot grant,
        // so caps sent back in the reply do not move.
        ok(&invoke(
            k,
            ROOT,
            &msg::mint(
                S,
                EP,
                CapRights::GRANT_REPLY | CapRights::READ | CapRights::WRITE,
                0,
            ),
        ));
        syscall(k, Syscall::Recv, S, 0, &[], &[]);
        syscall(k, Syscall::Call, EP, 1, &[], &[]);
        let caller = selvm_kernel::object::tcb::slot(a.tcb, 3);
        assert!(matches!(
            k.memory().cap(caller),
            Cap::Reply {
                can_grant: false,
                ..
            }
        ));
        syscall(k, Syscall::Reply, 0, 0, &[], &[EP2]);
        assert_eq!(
            received(k, &b).3,
            0,
            "no cap crossed the non-granting reply"
        );
        // Through a cap with Grant the reply cap can grant and the cap moves.
        syscall(k, Syscall::Recv, EP, 0, &[], &[]);
        syscall(k, Syscall::Call, EP, 1, &[], &[]);
        assert!(matches!(
            k.memory().cap(caller),
            Cap::Reply {
                can_grant: true,
                ..
            }
        ));
        syscall(k, Syscall::Reply, 0, 0, &[], &[EP2]);
        assert_eq!(received(k, &b).3, 1);
        assert!(matches!(
            k.memory().cap(k.boot_objects().root_cnode.offset(91)),
            Cap::Endpoint { .. }
        ));
    });
}

#[test]
fn deleting_a_caller_mid_call_removes_its_reply_cap() {
    with_pair(|k, a, b, _| {
        syscall(k, Syscall::Recv, EP, 0, &[], &[]);
        syscall(k, Syscall::Call, EP, 1, &[], &[]);
        let caller = selvm_kernel::object::tcb::slot(a.tcb, 3);
        assert!(matches!(k.memory().cap(caller), Cap::Reply { .. }));
        ok(&invoke(k, ROOT, &msg::delete(b.cptr)));
        assert!(
            k.memory().cap(caller).is_null(),
            "the reply cap died with its thread"
        );
        let r = syscall(k, Syscall::Reply, 0, 0, &[1], &[]);
        assert_eq!(r.thread, a.tcb);
    });
}

#[test]
fn a_cap_fault_reply_restarts_the_thread_whatever_its_label() {
    with_pair(|k, a, b, _| {
        syscall(k, Syscall::Recv, EP, 0, &[], &[]);
        handler_is_ep(k, &b);
        syscall(k, Syscall::Call, 1 << 60, 0, &[], &[]);
        assert_eq!(k.thread_state(b.tcb), ThreadState::BlockedOnReply);
        assert_eq!(received(k, &a).0, 1);
        syscall(k, Syscall::Reply, 0, 0x55, &[1, 2], &[]);
        assert_eq!(
            k.thread_state(b.tcb),
            ThreadState::Restart,
            "restarts to retry the syscall"
        );
        assert_eq!(k.tcb(b.tcb).fault[0], 0, "the fault is cleared");
    });
}

#[test]
fn a_thread_restarted_after_a_double_fault_sends_normal_messages() {
    with_pair(|k, a, b, _| {
        // a routes interrupt 3 to the notification and waits on it; b runs
        // and takes a VM fault with no handler (a double fault).
        ok(&invoke(
            k,
            boot::CAP_IRQ_CONTROL,
            &IrqIssueIrqHandler {
                irq: 3,
                index: S,
                depth: 64,
                root: ROOT,
            },
        ));
        ok(&invoke(k, S, &IrqSetIrqHandler { notification: NTFN }));
        syscall(k, Syscall::Recv, NTFN, 0, &[], &[]);
        assert_eq!(k.current_thread(), b.tcb);
        k.handle_vm_fault(0x10, false, 13);
        assert_eq!(k.thread_state(b.tcb), ThreadState::Inactive);
        assert_eq!(
            k.tcb(b.tcb).last_double_fault[0],
            5,
            "recorded for diagnostics"
        );
        assert_eq!(k.current_thread(), k.idle_thread());
        // The interrupt wakes a, which restarts b and waits for a message.
        k.handle_interrupt(3);
        assert_eq!(k.current_thread(), a.tcb);
        ok(&invoke(k, b.cptr, &TcbResume {}));
        syscall(k, Syscall::Recv, EP, 0, &[], &[]);
        assert_eq!(k.current_thread(), b.tcb);
        // b's send is a normal message, not a stale fault.
        syscall(k, Syscall::Send, EP, 0x31, &[7], &[]);
        let (label, len, _, _, _, mrs) = received(k, &a);
        assert_eq!((label, len, mrs), (0x31, 1, vec![7]));
    });
}
