; Retypes an endpoint from the first untyped (slot 16) into root slot 4000 with
; seL4_Untyped_Retype (a Call whose MR4, MR5 and extra cap travel in the IPC
; buffer, found through reserved global 0), then waits on it with seL4_Recv:
; nothing can ever send, so the machine reports a deadlock.
.memory 1 1
.global i64 const 0              ; g0: the IPC buffer (written by the kernel)
.global i64 const 0              ; g1: BootInfo
.global i64 mut 0                ; g2: the stack pointer
.entry main

.func main () -> () frame 8
    global.get r7, g0
    i64.const r6, 4000
    store64 r6, r7, IPCBuffer.mr4           ; MR4: node offset = slot 4000
    i64.const r6, 1
    store64 r6, r7, IPCBuffer.mr5           ; MR5: count
    i64.const r6, seL4_CapInitThreadCNode
    store64 r6, r7, IPCBuffer.cap0          ; extra cap 0: the root CNode
    i64.const r0, 16             ; the untyped
    ldc r1, UntypedRetype.info
    i64.const r2, 2              ; MR0: type Endpoint
    i64.const r3, 0              ; MR1: size
    i64.const r4, 0              ; MR2: node index
    i64.const r5, 0              ; MR3: node depth (the root itself)
    syscall r0, 6, seL4_SysCall
    i64.const r0, 4000
    syscall r0, 6, seL4_SysRecv        ; seL4_Recv: blocks forever
    return r0, 0
.end
