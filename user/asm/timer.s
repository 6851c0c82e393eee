; The user timer through a device and an interrupt: the root task retypes the
; device region's two frames (console, then timer) from the device untyped,
; maps the timer's at 0x21000, binds the timer interrupt (line 2) to a
; notification, arms COMPARE 10 ms ahead of NOW and waits. Nothing else can
; run, so the machine jumps virtual time to the deadline; the interrupt wakes
; the root task, which prints "tick" if NOW has reached the deadline, then
; halts.
.memory 1 1
.global i64 const 0              ; g0: the IPC buffer
.global i64 const 0              ; g1: BootInfo
.global i64 mut 0                ; g2: the stack pointer
.entry main

; retype_from(untyped, type, size, dest) -> the reply's label (0: done).
.func retype_from (i64 i64 i64 i64) -> (i64) frame 16
    global.get r15, g0
    store64 r3, r15, IPCBuffer.mr4          ; MR4: node offset (the destination slot)
    i64.const r14, 1
    store64 r14, r15, IPCBuffer.mr5         ; MR5: count
    i64.const r14, seL4_CapInitThreadCNode
    store64 r14, r15, IPCBuffer.cap0        ; extra cap 0: the root CNode
    mov r4, r0                   ; window r4..r9: the untyped,
    ldc r5, UntypedRetype.info
    mov r6, r1                   ; MR0 type, MR1 size, MR2 index 0, MR3 depth 0
    mov r7, r2
    i64.const r8, 0
    i64.const r9, 0
    syscall r4, 6, seL4_SysCall
    i64.shr_u_imm r0, r5, 12
    return r0, 1
.end

; retype(type, size, dest): tries the untypeds from slot 16 until one has room.
.func retype (i64 i64 i64) -> (i64) frame 16
    i64.const r9, 16
again:
    mov r10, r9
    mov r11, r0
    mov r12, r1
    mov r13, r2
    call r10, retype_from
    i64.br_eq_imm r10, 0, done
    i64.add_imm r9, r9, 1
    i64.br_ne_imm r9, 64, again
done:
    return r10, 1
.end

.func main () -> () frame 40
    global.get r15, g0
    global.get r16, g1
    load64 r17, r16, BootInfo.untyped ; its first slot
    i64.const r18, 0
    i64.add_imm r19, r16, BootInfo.untypedList
find:
    load8_u r20, r19, UntypedDesc.isDevice
    br_if r20, found
    i64.add_imm r18, r18, 1
    i64.add_imm r19, r19, UntypedDesc.size
    jump find
found:
    i64.add r21, r17, r18
    mov r22, r21                 ; the console frame (unused) in 4000
    i64.const r23, 6
    i64.const r24, 0
    i64.const r25, 4000
    call r22, retype_from
    mov r22, r21                 ; the timer frame in 4003
    i64.const r23, 6
    i64.const r24, 0
    i64.const r25, 4003
    call r22, retype_from
    i64.const r14, seL4_CapInitThreadVSpace
    store64 r14, r15, IPCBuffer.cap0
    i64.const r3, 4003
    ldc r4, PageMap.info
    ldc r5, PageUnmap.info
    i64.const r6, 3
    i64.const r7, 0
    syscall r3, 6, seL4_SysCall
    i64.const r22, seL4_NotificationObject ; in 4001
    i64.const r23, 0
    i64.const r24, 4001
    call r22, retype
    i64.const r14, seL4_CapInitThreadCNode
    store64 r14, r15, IPCBuffer.cap0
    i64.const r3, seL4_CapIRQControl
    ldc r4, IrqIssueIrqHandler.info
    i64.const r5, 2
    i64.const r6, 4002
    i64.const r7, 64
    syscall r3, 6, seL4_SysCall
    i64.const r14, 4001
    store64 r14, r15, IPCBuffer.cap0
    i64.const r3, 4002
    ldc r4, IrqSetIrqHandler.info
    syscall r3, 6, seL4_SysCall
    ldc r26, PageUnmap.info
    load64 r27, r26, 0           ; NOW
    ldc r28, 10000000
    i64.add r27, r27, r28        ; deadline: 10 ms on
    store64 r27, r26, 8          ; COMPARE
    i64.const r3, 4001
    i64.const r4, 0
    syscall r3, 6, seL4_SysRecv
    load64 r29, r26, 0           ; NOW again
    i64.br_lt_u r29, r27, early
    i64.const r0, 116            ; "tick"
    syscall r0, 6, seL4_SysDebugPutChar
    i64.const r0, 105
    syscall r0, 6, seL4_SysDebugPutChar
    i64.const r0, 99
    syscall r0, 6, seL4_SysDebugPutChar
    i64.const r0, 107
    syscall r0, 6, seL4_SysDebugPutChar
    i64.const r0, 10
    syscall r0, 6, seL4_SysDebugPutChar
early:
    i64.const r0, 0
    syscall r0, 6, seL4_SysDebugHalt
    return r0, 0
.end
