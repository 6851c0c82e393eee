; Two threads of one module in one address space talk over an endpoint. The
; root task retypes an endpoint, a TCB and a 64 KiB register stack (trying the
; boot untypeds in slot order until one has room), gives the new thread the
; root's CSpace and VSpace (TCB_SetSpace), binds it to the root's module (slot
; 12) and the new stack, sets its entry to `child` at priority 200 and resumes
; it, then waits on the endpoint. The child sends 'k' in MR0; the root prints
; it and halts.
.memory 1 1
.global i64 const 0              ; g0: the IPC buffer (written by the kernel)
.global i64 const 0              ; g1: BootInfo
.global i64 mut 0                ; g2: the stack pointer
.entry main

; retype(type, size, dest) -> the label of the last reply (0: done).
.func retype (i64 i64 i64) -> (i64) frame 16
    global.get r15, g0
    store64 r2, r15, IPCBuffer.mr4          ; MR4: node offset (the destination slot)
    i64.const r14, 1
    store64 r14, r15, IPCBuffer.mr5         ; MR5: count
    i64.const r14, seL4_CapInitThreadCNode
    store64 r14, r15, IPCBuffer.cap0        ; extra cap 0: the root CNode
    i64.const r9, 16             ; the first untyped to try
again:
    mov r3, r9
    ldc r4, UntypedRetype.info
    mov r5, r0                   ; MR0: type
    mov r6, r1                   ; MR1: size
    i64.const r7, 0              ; MR2: node index
    i64.const r8, 0              ; MR3: node depth (the root itself)
    syscall r3, 6, seL4_SysCall
    i64.shr_u_imm r10, r4, 12    ; the reply's label: 0 is success
    i64.br_eq_imm r10, 0, done
    i64.add_imm r9, r9, 1
    i64.br_ne_imm r9, 64, again
done:
    return r10, 1
.end

.func main () -> () frame 40
    i64.const r20, seL4_EndpointObject ; in slot 4000
    i64.const r21, 0
    i64.const r22, 4000
    call r20, retype
    i64.const r20, seL4_TCBObject ; in slot 4001
    i64.const r21, 0
    i64.const r22, 4001
    call r20, retype
    i64.const r20, seLVM_RegisterStackObject ; 64 KiB, in slot 4002
    i64.const r21, 16
    i64.const r22, 4002
    call r20, retype
    global.get r15, g0
    i64.const r14, seL4_CapInitThreadCNode ; TCB_SetSpace: CSpace = the root CNode ...
    store64 r14, r15, IPCBuffer.cap0
    i64.const r14, seL4_CapInitThreadVSpace  ; ... VSpace = the root's
    store64 r14, r15, IPCBuffer.cap1
    i64.const r3, 4001
    ldc r4, TcbSetSpace.info
    i64.const r5, 0              ; no fault endpoint
    i64.const r6, 0              ; CSpace data: unchanged
    i64.const r7, 0              ; VSpace data
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
    i64.const r3, 4001           ; TcbSetEntry: function 2 (`child`), arg 0, sp 0
    ldc r4, TcbSetEntry.info
    i64.const r5, 2
    i64.const r6, 0
    i64.const r7, 0
    syscall r3, 6, seL4_SysCall
    i64.const r14, seL4_CapInitThreadTCB ; TCB_SetPriority 200, authority: the root TCB
    store64 r14, r15, IPCBuffer.cap0
    i64.const r3, 4001
    ldc r4, TcbSetPriority.info
    i64.const r5, 200
    syscall r3, 6, seL4_SysCall
    i64.const r3, 4001           ; TCB_Resume
    ldc r4, TcbResume.info
    syscall r3, 6, seL4_SysCall
    i64.const r3, 4000           ; seL4_Recv on the endpoint: MR0 comes back in r5
    i64.const r4, 0
    syscall r3, 6, seL4_SysRecv
    mov r0, r5
    syscall r0, 6, seL4_SysDebugPutChar        ; print what the child sent
    i64.const r0, 10
    syscall r0, 6, seL4_SysDebugPutChar
    i64.const r0, 0
    syscall r0, 6, seL4_SysDebugHalt        ; halt, status 0
    return r0, 0
.end

.func child (i64) -> () frame 8
    i64.const r0, 4000
    ldc r1, 1                    ; MessageInfo: 1 MR
    i64.const r2, 107            ; MR0: 'k'
    syscall r0, 6, seL4_SysSend
    return r0, 0
.end
