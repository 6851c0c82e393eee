//! Thread scenarios through the real syscall entry: suspend and resume,
//! priorities and MCP authority, round robin on timer ticks, preemption by a
//! raised priority, yield order, thread configuration with bad arguments,
//! register transfer, debug syscalls, unknown syscalls and thread deletion.

use selvm_abi::args::{
    DomainSetSet, TcbBindNotification, TcbConfigure, TcbCopyRegisters, TcbReadRegisters, TcbResume,
    TcbSetIpcBuffer, TcbSetMcPriority, TcbSetTlsBase, TcbSuspend, TcbUnbindNotification,
    TcbWriteRegisters,
};
use selvm_abi::{InvocationLabel as L, ObjectType, Syscall, Word, boot};
use selvm_kernel::arch::riscv64 as regs;
use selvm_kernel::object::tcb::ThreadState;
use selvm_kernel::sched::Action;
use selvm_kernel::syscall::SyscallExit;
use selvm_kernel::{BootSummary, Outcome};
use selvm_kernel_testkit::TestMemory;
use selvm_kernel_testkit::msg;
use selvm_kernel_testkit::system::largest_untyped;
use selvm_kernel_testkit::threads::{Returned, Thread, call, invoke, spawn, syscall};

const ROOT: Word = boot::CAP_INIT_THREAD_CNODE;
const ME: Word = boot::CAP_INIT_THREAD_TCB;
/// First free slot the tests use for threads (the page table follows them).
const T0: Word = 40;

fn ok(r: &Returned) {
    assert_eq!(r.label, 0, "expected success: {r:?}");
}

/// The current thread suspends itself: it stops, gets no reply, and the
/// scheduler picks the next thread.
fn suspend_self(k: &mut selvm_kernel_testkit::TestKernel<'_>) {
    let me = k.current_thread();
    let r = invoke(k, ME, &TcbSuspend {});
    assert_eq!(r.thread, me);
    assert_eq!(
        r.label,
        L::TcbSuspend.word(),
        "no reply: the registers keep the request"
    );
    assert_eq!(k.thread_state(me), ThreadState::Inactive);
    assert_ne!(k.current_thread(), me);
}

fn err(r: &Returned, code: u64, mrs: &[Word]) {
    assert_eq!((r.label, r.mrs.as_slice()), (code, mrs), "{r:?}");
}

/// Boots, spawns `n` threads at `prio`, runs `f`, then checks invariants.
fn with_threads(
    n: Word,
    prio: Word,
    f: impl FnOnce(&mut selvm_kernel_testkit::TestKernel<'_>, &[Thread], &BootSummary),
) {
    let mut mem = TestMemory::new(1 << 20);
    let (mut k, summary) = mem.boot_small();
    let threads = spawn(&mut k, &summary, T0, n, prio);
    k.check_invariants().expect("invariants after spawning");
    f(&mut k, &threads, &summary);
    k.check_invariants().expect("invariants at the end");
}

fn state(k: &selvm_kernel_testkit::TestKernel<'_>, t: &Thread) -> ThreadState {
    k.thread_state(t.tcb)
}

#[test]
fn spawned_threads_are_inactive_with_the_given_priority() {
    with_threads(3, 77, |k, ts, _| {
        for t in ts {
            assert_eq!(state(k, t), ThreadState::Inactive);
            assert_eq!(k.tcb(t.tcb).priority, 77);
        }
        assert_eq!(k.current_thread(), k.boot_objects().root_tcb);
    });
}

#[test]
fn resume_queues_a_lower_priority_thread_and_suspend_removes_it() {
    with_threads(1, 100, |k, ts, _| {
        ok(&invoke(k, ts[0].cptr, &TcbResume {}));
        assert_eq!(state(k, &ts[0]), ThreadState::Restart);
        assert_eq!(k.tcb(ts[0].tcb).queued, 1);
        assert_eq!(
            k.current_thread(),
            k.boot_objects().root_tcb,
            "root (255) keeps running"
        );
        ok(&invoke(k, ts[0].cptr, &TcbSuspend {}));
        assert_eq!(state(k, &ts[0]), ThreadState::Inactive);
        assert_eq!(k.tcb(ts[0].tcb).queued, 0);
    });
}

#[test]
fn resuming_a_running_thread_or_oneself_changes_nothing() {
    with_threads(1, 100, |k, ts, _| {
        ok(&invoke(k, ME, &TcbResume {}));
        assert_eq!(k.thread_state(k.current_thread()), ThreadState::Running);
        ok(&invoke(k, ts[0].cptr, &TcbResume {}));
        ok(&invoke(k, ts[0].cptr, &TcbResume {}));
        assert_eq!(state(k, &ts[0]), ThreadState::Restart);
    });
}

#[test]
fn suspending_oneself_runs_the_highest_ready_thread_and_sends_no_reply() {
    with_threads(3, 10, |k, ts, _| {
        for (t, p) in ts.iter().zip([10, 200, 50]) {
            ok(&invoke(k, t.cptr, &msg::set_priority(p, ME)));
            ok(&invoke(k, t.cptr, &TcbResume {}));
        }
        suspend_self(k);
        assert_eq!(k.current_thread(), ts[1].tcb, "priority 200 runs");
        // The restarted thread re-executes from its restart pc.
        assert_eq!(state(k, &ts[1]), ThreadState::Running);
    });
}

#[test]
fn every_priority_is_scheduled_highest_first() {
    let mut mem = TestMemory::new(1 << 21);
    let (mut k, summary) = mem.boot_small();
    let ts = spawn(&mut k, &summary, T0, 32, 0);
    // Priorities spread over all four bitmap words, resumed in a scrambled order.
    let prios: Vec<Word> = (0..32).map(|i| (i * 37 + 5) % 255).collect();
    for (t, &p) in ts.iter().zip(&prios) {
        ok(&invoke(&mut k, t.cptr, &msg::set_priority(p, ME)));
        ok(&invoke(&mut k, t.cptr, &TcbResume {}));
    }
    suspend_self(&mut k);
    let mut order = Vec::new();
    for _ in 0..32 {
        let cur = k.current_thread();
        order.push(k.tcb(cur).priority);
        // Each thread suspends itself in turn.
        let r = syscall(
            &mut k,
            Syscall::Call,
            T0 + ts.iter().position(|t| t.tcb == cur).unwrap() as Word,
            L::TcbSuspend.word(),
            &[],
            &[],
        );
        assert_eq!(r.thread, cur);
        k.check_invariants().unwrap();
    }
    let mut sorted = prios.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(order, sorted);
    assert_eq!(k.current_thread(), k.idle_thread());
}

#[test]
fn set_priority_needs_mcp_authority() {
    with_threads(2, 50, |k, ts, _| {
        ok(&invoke(k, ts[0].cptr, &msg::set_priority(200, ME)));
        assert_eq!(k.tcb(ts[0].tcb).priority, 200);
        // Thread 1 has MCP 0: as authority it allows nothing above 0.
        err(
            &invoke(k, ts[0].cptr, &msg::set_priority(1, ts[1].cptr)),
            4,
            &[0, 0],
        );
        ok(&invoke(k, ts[0].cptr, &msg::set_priority(0, ts[1].cptr)));
        // MCP 120 lets thread 1 grant up to 120.
        ok(&invoke(
            k,
            ts[1].cptr,
            &TcbSetMcPriority {
                mcp: 120,
                authority: ME,
            },
        ));
        err(
            &invoke(k, ts[0].cptr, &msg::set_priority(121, ts[1].cptr)),
            4,
            &[0, 120],
        );
        ok(&invoke(k, ts[0].cptr, &msg::set_priority(120, ts[1].cptr)));
        // The authority must be a thread cap; the message needs the extra cap.
        err(&invoke(k, ts[0].cptr, &msg::set_priority(1, ROOT)), 2, &[1]);
        err(&call(k, ts[0].cptr, L::TcbSetPriority, &[1], &[]), 7, &[]);
        err(
            &invoke(k, ts[0].cptr, &msg::set_sched_params(300, 1, ME)),
            4,
            &[0, 255],
        );
        err(
            &invoke(k, ts[0].cptr, &msg::set_sched_params(1, 256, ME)),
            4,
            &[0, 255],
        );
        ok(&invoke(k, ts[0].cptr, &msg::set_sched_params(9, 8, ME)));
        assert_eq!((k.tcb(ts[0].tcb).mcp, k.tcb(ts[0].tcb).priority), (9, 8));
    });
}

#[test]
fn equal_priorities_share_the_cpu_in_five_tick_slices() {
    with_threads(2, 100, |k, ts, _| {
        for t in ts {
            ok(&invoke(k, t.cptr, &TcbResume {}));
        }
        suspend_self(k);
        let first = k.current_thread();
        let other = if first == ts[0].tcb {
            ts[1].tcb
        } else {
            ts[0].tcb
        };
        for _ in 0..4 {
            k.timer_tick();
            assert_eq!(k.current_thread(), first);
        }
        k.timer_tick();
        assert_eq!(k.current_thread(), other, "fifth tick ends the slice");
        for _ in 0..5 {
            k.timer_tick();
        }
        assert_eq!(k.current_thread(), first, "and back after five more");
        k.check_invariants().unwrap();
    });
}

/// Gives thread `t` an IPC buffer: a new 4 KiB frame in root slot `slot`.
fn give_buffer(
    k: &mut selvm_kernel_testkit::TestKernel<'_>,
    boot: &BootSummary,
    t: &Thread,
    slot: Word,
) {
    let big = largest_untyped(boot);
    ok(&invoke(
        k,
        big,
        &msg::retype(ObjectType::SmallPage, 0, slot, 1),
    ));
    ok(&invoke(
        k,
        t.cptr,
        &TcbSetIpcBuffer {
            buffer: 0x7000_0400,
            buffer_frame: slot,
        },
    ));
}

#[test]
fn raising_a_threads_priority_above_the_caller_preempts_it() {
    with_threads(2, 100, |k, ts, boot| {
        give_buffer(k, boot, &ts[0], T0 + 5);
        ok(&invoke(k, ts[0].cptr, &msg::set_sched_params(255, 110, ME)));
        for t in ts {
            ok(&invoke(k, t.cptr, &TcbResume {}));
        }
        suspend_self(k);
        assert_eq!(k.current_thread(), ts[0].tcb, "110 runs before 100");
        // Thread 0 (MCP 255) raises thread 1 above itself, on its own authority.
        let r = invoke(k, ts[1].cptr, &msg::set_priority(150, ts[0].cptr));
        assert_eq!(r.thread, ts[0].tcb);
        ok(&r);
        assert_eq!(
            k.current_thread(),
            ts[1].tcb,
            "the raised thread runs at once"
        );
        assert_eq!(state(k, &ts[0]), ThreadState::Running);
        assert_eq!(
            k.tcb(ts[0].tcb).queued,
            1,
            "the preempted thread waits in its queue"
        );
    });
}

#[test]
fn a_thread_without_an_ipc_buffer_cannot_pass_extra_caps() {
    with_threads(1, 200, |k, ts, _| {
        ok(&invoke(k, ts[0].cptr, &TcbResume {}));
        suspend_self(k);
        let r = invoke(k, ts[0].cptr, &msg::set_priority(1, ME));
        assert_eq!(r.thread, ts[0].tcb);
        err(&r, 7, &[]);
    });
}

#[test]
fn yield_moves_the_caller_behind_its_equals() {
    with_threads(3, 60, |k, ts, _| {
        for t in ts {
            ok(&invoke(k, t.cptr, &TcbResume {}));
        }
        suspend_self(k);
        let mut order = Vec::new();
        for _ in 0..6 {
            order.push(k.current_thread());
            let r = syscall(k, Syscall::Yield, 0, 0, &[], &[]);
            assert_eq!(r.exit, SyscallExit::Resume);
        }
        assert_eq!(&order[..3], &order[3..], "round robin in a stable order");
        let mut distinct = order[..3].to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), 3);
    });
}

#[test]
fn configure_rejects_bad_spaces_and_buffers() {
    with_threads(1, 10, |k, ts, _| {
        let t = ts[0].cptr;
        let pt = T0 + 1;
        let buf = boot::CAP_INIT_THREAD_IPC_BUFFER;
        // Too few arguments or caps.
        err(
            &call(k, t, L::TcbConfigure, &[0, 0, 0], &[ROOT, pt, buf]),
            7,
            &[],
        );
        err(
            &call(k, t, L::TcbConfigure, &[0, 0, 0, 0], &[ROOT, pt]),
            7,
            &[],
        );
        // A null or non-CNode CSpace root.
        err(
            &invoke(
                k,
                t,
                &TcbConfigure {
                    fault_ep: 0,
                    cspace_root_data: 0,
                    vspace_root_data: 0,
                    buffer: 0,
                    cspace_root: 200,
                    vspace_root: pt,
                    buffer_frame: buf,
                },
            ),
            3,
            &[],
        );
        err(
            &invoke(
                k,
                t,
                &TcbConfigure {
                    fault_ep: 0,
                    cspace_root_data: 0,
                    vspace_root_data: 0,
                    buffer: 0,
                    cspace_root: pt,
                    vspace_root: pt,
                    buffer_frame: buf,
                },
            ),
            3,
            &[],
        );
        // A VSpace root that is no page table.
        err(
            &invoke(
                k,
                t,
                &TcbConfigure {
                    fault_ep: 0,
                    cspace_root_data: 0,
                    vspace_root_data: 0,
                    buffer: 0,
                    cspace_root: ROOT,
                    vspace_root: ROOT,
                    buffer_frame: buf,
                },
            ),
            3,
            &[],
        );
        // An IPC buffer that is not a frame, or misaligned.
        err(
            &invoke(
                k,
                t,
                &TcbConfigure {
                    fault_ep: 0,
                    cspace_root_data: 0,
                    vspace_root_data: 0,
                    buffer: 0x2000,
                    cspace_root: ROOT,
                    vspace_root: pt,
                    buffer_frame: ROOT,
                },
            ),
            3,
            &[],
        );
        err(
            &invoke(
                k,
                t,
                &TcbConfigure {
                    fault_ep: 0,
                    cspace_root_data: 0,
                    vspace_root_data: 0,
                    buffer: 0x2008,
                    cspace_root: ROOT,
                    vspace_root: pt,
                    buffer_frame: buf,
                },
            ),
            5,
            &[],
        );
        err(
            &invoke(
                k,
                t,
                &TcbSetIpcBuffer {
                    buffer: 0x10,
                    buffer_frame: buf,
                },
            ),
            5,
            &[],
        );
        // A CSpace guard that does not fit (radix 8 + guard size 57 > 64).
        err(
            &invoke(
                k,
                t,
                &TcbConfigure {
                    fault_ep: 0,
                    cspace_root_data: 57,
                    vspace_root_data: 0,
                    buffer: 0,
                    cspace_root: ROOT,
                    vspace_root: pt,
                    buffer_frame: buf,
                },
            ),
            3,
            &[],
        );
        // The good configuration, with a buffer.
        ok(&invoke(
            k,
            t,
            &TcbConfigure {
                fault_ep: 7,
                cspace_root_data: 0,
                vspace_root_data: 0,
                buffer: 0x2400,
                cspace_root: ROOT,
                vspace_root: pt,
                buffer_frame: buf,
            },
        ));
        assert_eq!(k.tcb(ts[0].tcb).ipc_buffer, 0x2400);
        assert_eq!(k.tcb(ts[0].tcb).fault_handler, 7);
        assert!(k.ipc_buffer(ts[0].tcb, true).is_some());
    });
}

fn write_regs(
    k: &mut selvm_kernel_testkit::TestKernel<'_>,
    t: &Thread,
    resume: bool,
    values: &[Word],
) -> Returned {
    let msg = TcbWriteRegisters {
        flags: TcbWriteRegisters::flags(resume, 0),
        count: values.len() as Word,
        regs: values,
    };
    invoke(k, t.cptr, &msg)
}

#[test]
fn write_then_read_registers_round_trips_all_32() {
    with_threads(1, 10, |k, ts, _| {
        let values: Vec<Word> = (0..32).map(|i| 0x1000 + i * 8).collect();
        ok(&write_regs(k, &ts[0], false, &values));
        let r = invoke(
            k,
            ts[0].cptr,
            &TcbReadRegisters {
                flags: 0,
                count: 32,
            },
        );
        ok(&r);
        assert_eq!(r.mrs, values);
        // The pc written is where the thread restarts.
        assert_eq!(k.context(ts[0].tcb)[regs::NEXT_IP], values[0]);
        // Fewer registers: a prefix.
        let r = invoke(k, ts[0].cptr, &TcbReadRegisters { flags: 0, count: 5 });
        assert_eq!(r.mrs, values[..5]);
        // Range and self checks.
        err(
            &invoke(k, ts[0].cptr, &TcbReadRegisters { flags: 0, count: 0 }),
            4,
            &[1, 32],
        );
        err(
            &invoke(
                k,
                ts[0].cptr,
                &TcbReadRegisters {
                    flags: 0,
                    count: 33,
                },
            ),
            4,
            &[1, 32],
        );
        err(
            &invoke(k, ME, &TcbReadRegisters { flags: 0, count: 1 }),
            3,
            &[],
        );
        err(
            &call(k, ts[0].cptr, L::TcbWriteRegisters, &[0, 3, 1], &[]),
            7,
            &[],
        );
        let none = TcbWriteRegisters {
            flags: 0,
            count: 0,
            regs: &[],
        };
        err(&invoke(k, ME, &none), 3, &[]);
    });
}

#[test]
fn copy_registers_moves_frame_and_integer_sets_separately() {
    with_threads(2, 10, |k, ts, _| {
        let values: Vec<Word> = (0..32).map(|i| 0xa000 + i).collect();
        ok(&write_regs(k, &ts[0], false, &values));
        // Frame registers only (flag 4).
        ok(&invoke(
            k,
            ts[1].cptr,
            &TcbCopyRegisters {
                flags: 4,
                source: ts[0].cptr,
            },
        ));
        let r = invoke(
            k,
            ts[1].cptr,
            &TcbReadRegisters {
                flags: 0,
                count: 32,
            },
        );
        assert_eq!(&r.mrs[..16], &values[..16]);
        assert!(r.mrs[16..].iter().all(|&w| w == 0));
        // Integer registers too (flag 8), suspending the source (1) and resuming the target (2).
        ok(&invoke(k, ts[0].cptr, &TcbResume {}));
        ok(&invoke(
            k,
            ts[1].cptr,
            &TcbCopyRegisters {
                flags: 1 | 2 | 8,
                source: ts[0].cptr,
            },
        ));
        let r = invoke(
            k,
            ts[1].cptr,
            &TcbReadRegisters {
                flags: 0,
                count: 32,
            },
        );
        assert_eq!(r.mrs, values);
        assert_eq!(
            (state(k, &ts[0]), state(k, &ts[1])),
            (ThreadState::Inactive, ThreadState::Restart)
        );
        err(
            &invoke(
                k,
                ts[1].cptr,
                &TcbCopyRegisters {
                    flags: 4,
                    source: ROOT,
                },
            ),
            2,
            &[1],
        );
    });
}

#[test]
fn set_tls_base_writes_the_thread_pointer() {
    with_threads(1, 10, |k, ts, _| {
        ok(&invoke(
            k,
            ts[0].cptr,
            &TcbSetTlsBase {
                tls_base: 0xdead_b000,
            },
        ));
        assert_eq!(k.context(ts[0].tcb)[regs::TP], 0xdead_b000);
        err(&call(k, ts[0].cptr, L::TcbSetTlsBase, &[], &[]), 7, &[]);
    });
}

#[test]
fn bind_and_unbind_a_notification() {
    with_threads(1, 10, |k, ts, boot| {
        let n = T0 + 3;
        let big = largest_untyped(boot);
        ok(&invoke(
            k,
            big,
            &msg::retype(ObjectType::Notification, 0, n, 1),
        ));
        ok(&invoke(
            k,
            ts[0].cptr,
            &TcbBindNotification { notification: n },
        ));
        assert_ne!(k.tcb(ts[0].tcb).bound_notification, 0);
        err(
            &invoke(k, ts[0].cptr, &TcbBindNotification { notification: n }),
            3,
            &[],
        );
        err(
            &invoke(k, ME, &TcbBindNotification { notification: n }),
            3,
            &[],
        );
        ok(&invoke(k, ts[0].cptr, &TcbUnbindNotification {}));
        err(&invoke(k, ts[0].cptr, &TcbUnbindNotification {}), 3, &[]);
        err(
            &invoke(k, ts[0].cptr, &TcbBindNotification { notification: ROOT }),
            3,
            &[],
        );
        err(
            &call(k, ts[0].cptr, L::TcbBindNotification, &[], &[]),
            7,
            &[],
        );
        // Deleting the notification unbinds it.
        ok(&invoke(
            k,
            ts[0].cptr,
            &TcbBindNotification { notification: n },
        ));
        ok(&invoke(k, ROOT, &msg::delete(n)));
        assert_eq!(k.tcb(ts[0].tcb).bound_notification, 0);
    });
}

#[test]
fn domain_set_set_is_validated() {
    with_threads(1, 10, |k, ts, _| {
        let d = boot::CAP_DOMAIN;
        ok(&invoke(
            k,
            d,
            &DomainSetSet {
                domain: 0,
                thread: ts[0].cptr,
            },
        ));
        err(
            &invoke(
                k,
                d,
                &DomainSetSet {
                    domain: 1,
                    thread: ts[0].cptr,
                },
            ),
            1,
            &[0],
        );
        err(&call(k, d, L::DomainSetSet, &[], &[ts[0].cptr]), 7, &[]);
        err(&call(k, d, L::DomainSetSet, &[0], &[]), 7, &[]);
        err(
            &invoke(
                k,
                d,
                &DomainSetSet {
                    domain: 0,
                    thread: ROOT,
                },
            ),
            1,
            &[1],
        );
        err(&call(k, d, L::TcbSuspend, &[0], &[ts[0].cptr]), 3, &[]);
    });
}

#[test]
fn debug_syscalls() {
    with_threads(1, 10, |k, ts, _| {
        for c in b"hi\n" {
            syscall(k, Syscall::DebugPutChar, Word::from(*c), 0, &[], &[]);
        }
        assert_eq!(k.arch().console(), b"hi\n");
        let tag = |k: &mut selvm_kernel_testkit::TestKernel<'_>, cptr| {
            syscall(k, Syscall::DebugCapIdentify, cptr, 0, &[], &[]).badge
        };
        assert_eq!(tag(k, ROOT), 10, "cnode");
        assert_eq!(tag(k, ME), 12, "thread");
        assert_eq!(tag(k, 16), 2, "untyped");
        assert_eq!(tag(k, 0), 0, "null");
        assert_eq!(tag(k, 1 << 60), 0, "unresolvable");
        // Name a thread: the NUL-terminated name is in the caller's IPC buffer.
        let name = u64::from_le_bytes(*b"worker\0\0");
        let buffer = k
            .ipc_buffer(k.current_thread(), true)
            .expect("root has an IPC buffer");
        k.memory_mut_for_corruption_tests().write(buffer + 8, name);
        syscall(k, Syscall::DebugNameThread, ts[0].cptr, 0, &[], &[]);
        assert_eq!(k.thread_name(ts[0].tcb)[0], name);
        assert_eq!(
            syscall(k, Syscall::DebugHalt, 0, 0, &[], &[]).exit,
            SyscallExit::Halt
        );
    });
}

#[test]
fn an_unknown_syscall_or_unresolvable_cap_stops_the_thread_without_a_handler() {
    with_threads(1, 10, |k, ts, _| {
        ok(&invoke(k, ts[0].cptr, &msg::set_priority(255, ME)));
        ok(&invoke(k, ts[0].cptr, &TcbResume {}));
        suspend_self(k);
        assert_eq!(k.current_thread(), ts[0].tcb);
        let r = syscall(k, Syscall::Call, 0, 0, &[], &[]);
        let _ = r;
        // An empty slot is an invalid capability (a reply), not a fault.
        assert_eq!(k.thread_state(ts[0].tcb), ThreadState::Running);
        let number = (-42i64) as Word;
        let ctx = k.context_mut(ts[0].tcb);
        ctx[regs::A7] = number;
        k.handle_syscall();
        assert_eq!(k.thread_state(ts[0].tcb), ThreadState::Inactive);
        assert_eq!(k.tcb(ts[0].tcb).last_double_fault[..2], [2, number]);
        assert_eq!(k.current_thread(), k.idle_thread());
    });
}

#[test]
fn a_cap_fault_on_send_is_silent_only_for_nbsend() {
    with_threads(1, 10, |k, _, _| {
        let root = k.current_thread();
        syscall(k, Syscall::NBSend, 1 << 60, 0, &[], &[]);
        assert_eq!(k.thread_state(root), ThreadState::Running);
        syscall(k, Syscall::Send, 1 << 60, 0, &[], &[]);
        assert_eq!(k.thread_state(root), ThreadState::Inactive, "double fault");
        assert_eq!(k.tcb(root).last_double_fault[0], 1, "cap fault");
    });
}

#[test]
fn deleting_a_queued_thread_removes_it_from_the_scheduler() {
    with_threads(2, 100, |k, ts, _| {
        for t in ts {
            ok(&invoke(k, t.cptr, &TcbResume {}));
        }
        assert_eq!(k.tcb(ts[0].tcb).queued, 1);
        ok(&invoke(k, ROOT, &msg::delete(ts[0].cptr)));
        assert_eq!(k.scheduler_action(), Action::ResumeCurrent);
        suspend_self(k);
        assert_eq!(k.current_thread(), ts[1].tcb, "only the survivor runs");
    });
}

#[test]
fn a_thread_deleting_its_own_last_cap_stops_and_the_next_runs() {
    with_threads(1, 10, |k, _, _| {
        let root = k.current_thread();
        let r = invoke(k, ROOT, &msg::delete(ME));
        assert_eq!(r.thread, root);
        assert_eq!(k.current_thread(), k.idle_thread());
        let _ = Outcome::NoReply;
    });
}
