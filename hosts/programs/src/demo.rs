//! The embedded default system `selvm` boots with no arguments: a root task
//! (assembly, assembled when it runs, so a fresh machine needs no wasm
//! toolchain) that makes an endpoint, a notification and a client thread in
//! its own address space (which maps only the client's IPC buffer), then shows
//! a Call that carries MR0 and a capability (the notification, received into
//! the root's receive slot), the reply, a Send, and a signal the root receives
//! through the transferred cap, printing what happens.

use crate::ipc_bench::{CLIENT_IPC_BUFFER, PRELUDE, spawn_at};
use alloc::format;
use alloc::string::String;

/// The strings the root task prints (at fixed addresses of its memory).
const TEXT: &str = r#"
.data 0x1000 "seLVM demo: the seL4 kernel (Rust) running on the seLVM register machine\n\x00"
.data 0x1080 "root: made an endpoint, a notification and a client thread with its own address space (ASID 2)\n\x00"
.data 0x1100 "root: the client called the endpoint with MR0 = \x00"
.data 0x1140 "root: replying with MR0 = \x00"
.data 0x1180 "root: the client got the reply and sent back MR0 = \x00"
.data 0x11c0 "root: woke on the notification through the transferred cap; halting\n\x00"
.data 0x1240 "root: the Call also carried a capability; the kernel put it in slot 4010: a notification\n\x00"
"#;

/// Printing helpers: `print(address)` of a NUL-terminated string and
/// `print_dec(n)` with a newline (digits built below 0x13f0).
const HELPERS: &str = "
.func print (i64) -> () frame 16
    mov r6, r0
next:
    load8_u r10, r6, 0
    br_unless r10, done
    syscall r10, 6, seL4_SysDebugPutChar
    i64.add_imm r6, r6, 1
    jump next
done:
    return r0, 0
.end

.func print_dec (i64) -> () frame 16
    i64.const r1, 0x13f0
    i64.const r2, 10
digit:
    i64.rem_u r3, r0, r2
    i64.add_imm r3, r3, 48
    i64.add_imm r1, r1, -1
    store8 r3, r1, 0
    i64.div_u r0, r0, r2
    i64.br_ne_imm r0, 0, digit
    i64.const r4, 0x13f0
out:
    load8_u r10, r1, 0
    syscall r10, 6, seL4_SysDebugPutChar
    i64.add_imm r1, r1, 1
    i64.br_ne r1, r4, out
    i64.const r10, 10
    syscall r10, 6, seL4_SysDebugPutChar
    return r0, 0
.end
";

/// The demo's source text.
pub fn demo_source() -> String {
    format!(
        "{PRELUDE}{TEXT}{HELPERS}
.func main () -> () frame 40
    i64.const r30, 0x1000
    call r30, print
    i64.const r20, seL4_EndpointObject ; in 4000
    i64.const r21, 0
    i64.const r22, 4000
    call r20, retype
    i64.const r20, seL4_NotificationObject ; in 4005
    i64.const r21, 0
    i64.const r22, 4005
    call r20, retype
{spawn}{ipc_buffer}    i64.const r14, 2             ; the root's receive slot: slot 4010 of its CNode
    store64 r14, r15, 1000
    ldc r14, 4010
    store64 r14, r15, 1008
    i64.const r14, 64
    store64 r14, r15, 1016
    i64.const r30, 0x1080
    call r30, print
    i64.const r3, 4000           ; seL4_Recv: the client's Call
    i64.const r4, 0
    syscall r3, 6, seL4_SysRecv
    mov r26, r5
    i64.shr_u_imm r28, r4, 7     ; extra caps received
    i64.and_imm r28, r28, 3
    i64.const r30, 0x1100
    call r30, print
    mov r30, r26
    call r30, print_dec
    ldc r3, 4010                 ; seL4_DebugCapIdentify(4010)
    syscall r3, 6, seL4_SysDebugCapIdentify
    i64.br_ne_imm r28, 1, nocap
    i64.br_ne_imm r3, 6, nocap   ; 6: a notification cap
    i64.const r30, 0x1240
    call r30, print
nocap:
    i64.add r27, r26, r26
    i64.const r30, 0x1140
    call r30, print
    mov r30, r27
    call r30, print_dec
    i64.const r3, 0              ; seL4_Reply(MR0 = twice what came)
    i64.const r4, 1
    mov r5, r27
    syscall r3, 6, seL4_SysReply
    i64.const r3, 4000           ; seL4_Recv: what the client sends next
    i64.const r4, 0
    syscall r3, 6, seL4_SysRecv
    mov r26, r5
    i64.const r30, 0x1180
    call r30, print
    mov r30, r26
    call r30, print_dec
    ldc r3, 4010                 ; seL4_Wait on the notification, through the cap received
    i64.const r4, 0
    syscall r3, 6, seL4_SysRecv
    i64.const r30, 0x11c0
    call r30, print
    i64.const r0, 0
    syscall r0, 6, seL4_SysDebugHalt
    return r0, 0
.end

; The client: its address space maps only its IPC buffer, at 0x1000.
.func client (i64) -> () frame 8
    mov r7, r0
    ldc r6, 0x1000
    i64.const r5, 4005
    store64 r5, r6, IPCBuffer.cap0          ; extra cap 0: the notification
    i64.const r0, 4000           ; seL4_Call(endpoint, MR0 = its argument, 1 cap)
    ldc r1, 0x81
    mov r2, r7
    syscall r0, 6, seL4_SysCall
    mov r7, r2                   ; the reply's MR0
    i64.const r0, 4000           ; seL4_Send(endpoint, MR0 = the reply)
    i64.const r1, 1
    mov r2, r7
    syscall r0, 6, seL4_SysSend
    i64.const r0, 4005           ; seL4_Signal(notification)
    i64.const r1, 0
    syscall r0, 6, seL4_SysSend
    return r0, 0
.end
",
        spawn = spawn_at(4, 21, true, 254),
        ipc_buffer = CLIENT_IPC_BUFFER,
    )
}
