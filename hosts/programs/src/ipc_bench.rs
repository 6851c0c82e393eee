//! Root-task programs (assembly text) for the hosted machine's IPC benchmark
//! and its tests: a Call/ReplyRecv round trip between two address spaces (one
//! MR, and 20 MRs, which cannot take the fastpath), a Signal/Wait ping-pong,
//! and a null syscall. Each runs `rounds` iterations
//! and halts with DebugHalt(0); the round count is written into the text.

use alloc::format;
use alloc::string::String;

/// The prologue every benchmark shares: a `retype` helper that tries the boot
/// untypeds from slot 16 until one has room, and the reserved globals.
pub const PRELUDE: &str = "
.memory 1 1
.global i64 const 0              ; g0: the IPC buffer
.global i64 const 0              ; g1: BootInfo
.global i64 mut 0                ; g2: the stack pointer
.entry main

; retype(type, size, dest) -> the label of the last reply (0: done).
.func retype (i64 i64 i64) -> (i64) frame 16
    global.get r15, g0
    store64 r2, r15, IPCBuffer.mr4          ; MR4: the destination slot
    i64.const r14, 1
    store64 r14, r15, IPCBuffer.mr5         ; MR5: count
    i64.const r14, seL4_CapInitThreadCNode
    store64 r14, r15, IPCBuffer.cap0        ; extra cap 0: the root CNode
    i64.const r9, 16
again:
    mov r3, r9
    ldc r4, UntypedRetype.info
    mov r5, r0
    mov r6, r1
    i64.const r7, 0
    i64.const r8, 0
    syscall r3, 6, seL4_SysCall
    i64.shr_u_imm r10, r4, 12
    i64.br_eq_imm r10, 0, done
    i64.add_imm r9, r9, 1
    i64.br_ne_imm r9, 64, again
done:
    return r10, 1
.end
";

/// Creates a thread of function `entry` (slot 4001) at priority 255 with its
/// own register stack (4002) and, if `own_vspace`, its own VSpace: a page
/// table (4003) given ASID 2 from the boot pool; passes `rounds` as its
/// argument and resumes it. Uses r14–r25 of `main`.
fn spawn(entry: u32, rounds: u64, own_vspace: bool) -> String {
    spawn_at(entry, rounds, own_vspace, 255)
}

/// [`spawn`] at `priority`.
pub fn spawn_at(entry: u32, rounds: u64, own_vspace: bool, priority: u32) -> String {
    let vspace = if own_vspace {
        "    i64.const r20, seL4_RISCV_PageTableObject ; in 4003 ...
    i64.const r21, 0
    i64.const r22, 4003
    call r20, retype
    i64.const r14, 4003          ; ... made a VSpace root: ASIDPool_Assign
    store64 r14, r15, IPCBuffer.cap0
    i64.const r3, seL4_CapInitThreadASIDPool
    ldc r4, AsidPoolAssign.info
    syscall r3, 6, seL4_SysCall
    i64.const r14, 4003
"
    } else {
        "    i64.const r14, seL4_CapInitThreadVSpace
"
    };
    format!(
        "    i64.const r20, seL4_TCBObject ; in 4001
    i64.const r21, 0
    i64.const r22, 4001
    call r20, retype
    i64.const r20, seLVM_RegisterStackObject ; 64 KiB, in 4002
    i64.const r21, 16
    i64.const r22, 4002
    call r20, retype
    global.get r15, g0
{vspace}    store64 r14, r15, IPCBuffer.cap1        ; TCB_SetSpace: extra cap 1 the VSpace,
    i64.const r14, seL4_CapInitThreadCNode ; extra cap 0
    store64 r14, r15, IPCBuffer.cap0
    i64.const r3, 4001
    ldc r4, TcbSetSpace.info
    i64.const r5, 0
    i64.const r6, 0
    i64.const r7, 0
    syscall r3, 6, seL4_SysCall
    i64.const r14, seLVM_CapInitThreadModule  ; TcbBindModule: the root task's module
    store64 r14, r15, IPCBuffer.cap0
    i64.const r3, 4001
    ldc r4, TcbBindModule.info
    syscall r3, 6, seL4_SysCall
    i64.const r14, 4002          ; TcbBindRegisterStack, depth 64
    store64 r14, r15, IPCBuffer.cap0
    i64.const r3, 4001
    ldc r4, TcbBindRegisterStack.info
    i64.const r5, 64
    syscall r3, 6, seL4_SysCall
    i64.const r3, 4001           ; TcbSetEntry(entry, rounds, sp 0)
    ldc r4, TcbSetEntry.info
    i64.const r5, {entry}
    ldc r6, {rounds}
    i64.const r7, 0
    syscall r3, 6, seL4_SysCall
    i64.const r14, seL4_CapInitThreadTCB ; TCB_SetPriority (authority: the root, MCP 255)
    store64 r14, r15, IPCBuffer.cap0
    i64.const r3, 4001
    ldc r4, TcbSetPriority.info
    i64.const r5, {priority}
    syscall r3, 6, seL4_SysCall
    i64.const r3, 4001           ; TCB_Resume
    ldc r4, TcbResume.info
    syscall r3, 6, seL4_SysCall
"
    )
}

/// Call/ReplyRecv: a client in its own address space Calls the root task's
/// endpoint `rounds` times with one MR; the root answers each with
/// ReplyRecv. The client halts the machine when done.
pub fn call_reply_recv(rounds: u64) -> String {
    format!(
        "{PRELUDE}
.func main () -> () frame 40
    i64.const r20, seL4_EndpointObject ; the endpoint, in 4000
    i64.const r21, 0
    i64.const r22, 4000
    call r20, retype
{spawn}    i64.const r3, 4000           ; seL4_Recv, then ReplyRecv forever
    i64.const r4, 0
    syscall r3, 6, seL4_SysRecv
serve:
    i64.const r3, 4000
    i64.const r4, 1              ; reply: one MR (MR0 comes back as it came)
    syscall r3, 6, seL4_SysReplyRecv
    jump serve
.end

{client}",
        spawn = spawn(2, rounds, true),
        client = caller(1),
    )
}

/// The client of the Call/ReplyRecv cases: Calls endpoint 4000 with `mrs` message
/// registers as many times as its argument says, then halts the machine with 0.
fn caller(mrs: u64) -> String {
    format!(
        ".func client (i64) -> () frame 8
    mov r7, r0                   ; rounds left
again:
    i64.const r0, 4000
    i64.const r1, {mrs}             ; the message length
    mov r2, r7
    syscall r0, 6, seL4_SysCall
    i64.add_imm r7, r7, -1
    i64.br_ne_imm r7, 0, again
    i64.const r0, 0
    syscall r0, 6, seL4_SysDebugHalt        ; halt
    return r0, 0
.end
"
    )
}

/// Assembly that gives the client (TCB 4001, VSpace 4003) an IPC buffer: two
/// page tables (4006, 4007) and a frame (4008) retyped, mapped read-write at
/// 0x1000 of its VSpace, and TCB_SetIPCBuffer. Leaves g0 (the root's IPC
/// buffer) in r15.
pub const CLIENT_IPC_BUFFER: &str =
    "    i64.const r20, seL4_RISCV_PageTableObject ; two page tables (4006, 4007) and a frame (4008)
    i64.const r21, 0
    i64.const r22, 4006
    call r20, retype
    i64.const r20, 8
    i64.const r21, 0
    i64.const r22, 4007
    call r20, retype
    i64.const r20, 6
    i64.const r21, 0
    i64.const r22, 4008
    call r20, retype
    global.get r15, g0
    i64.const r14, 4003          ; ... mapped in the client's VSpace
    store64 r14, r15, IPCBuffer.cap0
    i64.const r3, 4006           ; PageTableMap at 0
    ldc r4, PageTableMap.info
    i64.const r5, 0
    i64.const r6, 0
    syscall r3, 6, seL4_SysCall
    i64.const r3, 4007
    ldc r4, PageTableMap.info
    i64.const r5, 0
    i64.const r6, 0
    syscall r3, 6, seL4_SysCall
    i64.const r3, 4008           ; PageMap at 0x1000, read-write
    ldc r4, PageMap.info
    ldc r5, 0x1000
    i64.const r6, 3
    i64.const r7, 0
    syscall r3, 6, seL4_SysCall
    i64.const r14, 4008          ; TCB_SetIPCBuffer(client, 0x1000)
    store64 r14, r15, IPCBuffer.cap0
    i64.const r3, 4001
    ldc r4, TcbSetIpcBuffer.info
    ldc r5, 0x1000
    syscall r3, 6, seL4_SysCall
";

/// Call/ReplyRecv with 20 message registers each way, which the fastpath
/// never takes (it carries only the register MRs): the client, in its own
/// address space, gets an IPC buffer (a frame mapped at 0x1000 through two
/// page tables, 4006–4008) so MR4–MR19 travel through the IPC buffers. The
/// root checks every message it receives has length 20 and halts with status
/// 1 if not; the client halts the machine with 0 when done.
pub fn call_reply_recv_20_mrs(rounds: u64) -> String {
    format!(
        "{PRELUDE}
.func main () -> () frame 40
    i64.const r20, seL4_EndpointObject ; the endpoint, in 4000
    i64.const r21, 0
    i64.const r22, 4000
    call r20, retype
{spawn}{ipc_buffer}    i64.const r3, 4000           ; seL4_Recv, then ReplyRecv forever
    i64.const r4, 0
    syscall r3, 6, seL4_SysRecv
serve:
    i64.and_imm r10, r4, 127     ; every message has 20 MRs
    i64.br_ne_imm r10, 20, bad
    i64.const r3, 4000
    i64.const r4, 20             ; reply: 20 MRs
    syscall r3, 6, seL4_SysReplyRecv
    jump serve
bad:
    i64.const r0, 1
    syscall r0, 6, seL4_SysDebugHalt        ; halt(1)
    return r0, 0
.end

{client}",
        spawn = spawn(2, rounds, true),
        ipc_buffer = CLIENT_IPC_BUFFER,
        client = caller(20),
    )
}

/// Signal/Wait ping-pong over two notifications (4000, 4005) between the
/// root task and a thread in its own address space.
pub fn signal_wait(rounds: u64) -> String {
    format!(
        "{PRELUDE}
.func main () -> () frame 40
    i64.const r20, seL4_NotificationObject ; in 4000 and 4005
    i64.const r21, 0
    i64.const r22, 4000
    call r20, retype
    i64.const r20, 3
    i64.const r21, 0
    i64.const r22, 4005
    call r20, retype
{spawn}ping:
    i64.const r3, 4000
    i64.const r4, 0
    syscall r3, 6, seL4_SysSend        ; seL4_Signal(4000)
    i64.const r3, 4005
    i64.const r4, 0
    syscall r3, 6, seL4_SysRecv        ; seL4_Wait(4005)
    jump ping
.end

.func peer (i64) -> () frame 8
    mov r7, r0
again:
    i64.const r0, 4000
    i64.const r1, 0
    syscall r0, 6, seL4_SysRecv        ; seL4_Wait(4000)
    i64.const r0, 4005
    i64.const r1, 0
    syscall r0, 6, seL4_SysSend        ; seL4_Signal(4005)
    i64.add_imm r7, r7, -1
    i64.br_ne_imm r7, 0, again
    i64.const r0, 0
    syscall r0, 6, seL4_SysDebugHalt
    return r0, 0
.end
",
        spawn = spawn(2, rounds, true)
    )
}

/// The null syscall: seL4_Yield `rounds` times with nothing else to run.
pub fn null_syscall(rounds: u64) -> String {
    format!(
        "{PRELUDE}
.func main () -> () frame 8
    ldc r7, {rounds}
again:
    syscall r0, 6, seL4_SysYield
    i64.add_imm r7, r7, -1
    i64.br_ne_imm r7, 0, again
    i64.const r0, 0
    syscall r0, 6, seL4_SysDebugHalt
    return r0, 0
.end
"
    )
}
