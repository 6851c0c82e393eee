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
    store64 r2, r15, 40          ; MR4: node offset (the destination slot)
    i64.const r14, 1
    store64 r14, r15, 48         ; MR5: count
    i64.const r14, 2
    store64 r14, r15, 976        ; extra cap 0: the root CNode
    i64.const r9, 16             ; the first untyped to try
again:
    mov r3, r9
    ldc r4, 0x1086               ; UntypedRetype, 1 extra cap, 6 MRs
    mov r5, r0                   ; MR0: type
    mov r6, r1                   ; MR1: size
    i64.const r7, 0              ; MR2: node index
    i64.const r8, 0              ; MR3: node depth (the root itself)
    syscall r3, 6, 0xffff        ; seL4_Call
    i64.shr_u_imm r10, r4, 12    ; the reply's label: 0 is success
    i64.br_eq_imm r10, 0, done
    i64.add_imm r9, r9, 1
    i64.br_ne_imm r9, 64, again
done:
    return r10, 1
.end

.func main () -> () frame 40
    i64.const r20, 2             ; an endpoint in slot 4000
    i64.const r21, 0
    i64.const r22, 4000
    call r20, retype
    i64.const r20, 1             ; a TCB in slot 4001
    i64.const r21, 0
    i64.const r22, 4001
    call r20, retype
    i64.const r20, 10            ; a 64 KiB register stack in slot 4002
    i64.const r21, 16
    i64.const r22, 4002
    call r20, retype
    global.get r15, g0
    i64.const r14, 2             ; TCB_SetSpace: CSpace = root CNode ...
    store64 r14, r15, 976
    i64.const r14, 3             ; ... VSpace = the root's
    store64 r14, r15, 984
    i64.const r3, 4001
    ldc r4, 0xa103               ; label 10, 2 extra caps, 3 MRs
    i64.const r5, 0              ; no fault endpoint
    i64.const r6, 0              ; CSpace data: unchanged
    i64.const r7, 0              ; VSpace data
    syscall r3, 6, 0xffff
    i64.const r14, 12            ; TcbBindModule: the root task's module
    store64 r14, r15, 976
    i64.const r3, 4001
    ldc r4, 0x28080              ; label 40, 1 extra cap
    syscall r3, 6, 0xffff
    i64.const r14, 4002          ; TcbBindRegisterStack, depth 64
    store64 r14, r15, 976
    i64.const r3, 4001
    ldc r4, 0x29081              ; label 41, 1 extra cap, 1 MR
    i64.const r5, 64
    syscall r3, 6, 0xffff
    i64.const r3, 4001           ; TcbSetEntry: function 2 (`child`), arg 0, sp 0
    ldc r4, 0x2a003              ; label 42, 3 MRs
    i64.const r5, 2
    i64.const r6, 0
    i64.const r7, 0
    syscall r3, 6, 0xffff
    i64.const r14, 1             ; TCB_SetPriority 200, authority: the root TCB
    store64 r14, r15, 976
    i64.const r3, 4001
    ldc r4, 0x6081               ; label 6, 1 extra cap, 1 MR
    i64.const r5, 200
    syscall r3, 6, 0xffff
    i64.const r3, 4001           ; TCB_Resume
    ldc r4, 0xc000               ; label 12
    syscall r3, 6, 0xffff
    i64.const r3, 4000           ; seL4_Recv on the endpoint: MR0 comes back in r5
    i64.const r4, 0
    syscall r3, 6, 0xfffb
    mov r0, r5
    syscall r0, 6, 0xfff7        ; print what the child sent
    i64.const r0, 10
    syscall r0, 6, 0xfff7
    i64.const r0, 0
    syscall r0, 6, 0xfff5        ; halt, status 0
    return r0, 0
.end

.func child (i64) -> () frame 8
    i64.const r0, 4000
    ldc r1, 1                    ; MessageInfo: 1 MR
    i64.const r2, 107            ; MR0: 'k'
    syscall r0, 6, 0xfffd        ; seL4_Send
    return r0, 0
.end
