//! Run-loop behaviour seen through the IPC benchmark's helpers: a thread moved
//! into another VSpace after it ran runs there.

use selvm_machine::{Config, Exit, Machine};
use selvm_programs::ipc_bench::{PRELUDE, spawn_at};

/// A machine of 16 MiB booted with `source` assembled as its root task.
fn boot(source: &str) -> Machine {
    let image = selvm_programs::assemble(source).expect("assembles");
    let ram = vec![0u64; (16 << 20) / 8];
    Machine::boot(ram, &image, Config::default()).expect("boots")
}

/// The run loop caches a thread's VSpace between stops; a TCB_SetSpace
/// that moves a thread which has already run into another VSpace must
/// take effect. The client runs in its own, empty address space and
/// Calls; the root then gives it the root's VSpace and replies; the
/// client reads a word of the root's memory and sends it back. A stale
/// VSpace would end in an unhandled load fault instead of halt 0.
#[test]
fn a_thread_given_another_vspace_after_running_runs_in_it() {
    let source = format!(
        "{PRELUDE}
.func main () -> () frame 40
    i64.const r20, 2             ; the endpoint in 4000
    i64.const r21, 0
    i64.const r22, 4000
    call r20, retype
{spawn}    ldc r13, 0x5eed              ; the word the client will read
    ldc r14, 0x2000
    store64 r13, r14, 0
    i64.const r3, 4000           ; seL4_Recv: the client's Call
    i64.const r4, 0
    syscall r3, 6, 0xfffb
    global.get r15, g0
    i64.const r14, 3             ; TCB_SetSpace(client, root CNode, the root's VSpace)
    store64 r14, r15, 984
    i64.const r14, 2
    store64 r14, r15, 976
    i64.const r3, 4001
    ldc r4, 0xa103
    i64.const r5, 0
    i64.const r6, 0
    i64.const r7, 0
    syscall r3, 6, 0xffff
    i64.const r3, 0              ; seL4_Reply
    i64.const r4, 0
    syscall r3, 6, 0xfffa
    i64.const r3, 4000           ; seL4_Recv: what the client read
    i64.const r4, 0
    syscall r3, 6, 0xfffb
    ldc r13, 0x5eed
    i64.const r0, 0
    i64.br_eq r5, r13, done
    i64.const r0, 1
done:
    syscall r0, 6, 0xfff5        ; halt(0 if the client read 0x5eed)
    return r0, 0
.end

.func client (i64) -> () frame 8
    i64.const r0, 4000           ; seL4_Call in its own (empty) address space
    i64.const r1, 0
    syscall r0, 6, 0xffff
    ldc r6, 0x2000               ; now in the root's
    load64 r7, r6, 0
    i64.const r0, 4000           ; seL4_Send(MR0 = the word)
    i64.const r1, 1
    mov r2, r7
    syscall r0, 6, 0xfffd
    return r0, 0
.end
",
        spawn = spawn_at(2, 0, true, 254)
    );
    let mut m = boot(&source);
    assert_eq!(m.run_to_exit(|_| {}), Exit::Halted(0));
}

/// The run loop keeps a thread's interpreter state between its stops while only
/// the fastpath (or Yield) entered the kernel; any other kernel entry must make
/// it read the TCB again. The client Calls the root (the fastpath: its state is
/// kept); the root then suspends it, gives it a new entry with TCB_SetEntry
/// (which clears the interpreter state in the TCB) and resumes it. The client
/// must start at its new entry and halt with 0; continuing from the kept state
/// after its Call would halt with 1.
#[test]
fn a_thread_given_a_new_entry_while_blocked_starts_there() {
    let source = format!(
        "{PRELUDE}
.func main () -> () frame 40
    i64.const r20, seL4_EndpointObject ; the endpoint in 4000
    i64.const r21, 0
    i64.const r22, 4000
    call r20, retype
{spawn}    i64.const r3, 4000           ; seL4_Recv: the client's Call (fastpath)
    i64.const r4, 0
    syscall r3, 6, seL4_SysRecv
    i64.const r3, 4001           ; TCB_Suspend(client)
    ldc r4, TcbSuspend.info
    syscall r3, 6, seL4_SysCall
    i64.const r3, 4001           ; TCB_SetEntry(client, restarted, 0, sp 0)
    ldc r4, TcbSetEntry.info
    i64.const r5, 3
    i64.const r6, 0
    i64.const r7, 0
    syscall r3, 6, seL4_SysCall
    i64.const r3, 4001           ; TCB_Resume(client)
    ldc r4, TcbResume.info
    syscall r3, 6, seL4_SysCall
    i64.const r3, 4000           ; wait for good
    i64.const r4, 0
    syscall r3, 6, seL4_SysRecv
    return r0, 0
.end

.func client (i64) -> () frame 8
    i64.const r0, 4000           ; seL4_Call
    i64.const r1, 0
    syscall r0, 6, seL4_SysCall
    i64.const r0, 1              ; the old entry continued: halt(1)
    syscall r0, 6, seL4_SysDebugHalt
    return r0, 0
.end

.func restarted (i64) -> () frame 8
    i64.const r0, 0              ; the new entry: halt(0)
    syscall r0, 6, seL4_SysDebugHalt
    return r0, 0
.end
",
        spawn = spawn_at(2, 0, true, 254)
    );
    let mut m = boot(&source);
    assert_eq!(m.run_to_exit(|_| {}), Exit::Halted(0));
    let (_, call_hits, _, _) = m.fastpath_counts();
    assert_eq!(call_hits, 1, "the client's Call took the fastpath");
}
