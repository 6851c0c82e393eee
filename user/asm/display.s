; The framebuffer and the input device (run with --display WxH and an input script):
; the root task splits the device untyped into two 8 MiB untypeds (the second starts
; at the framebuffer's pixels), retypes the console, timer, input and framebuffer
; register frames from the first and maps input at 0x20000, the framebuffer registers
; at 0x21000; reads the size, retypes and maps the pixel frames at 0x40000 (at most
; 448 of them: 1.75 MiB), fills a pattern (pixel x, y = (4x mod 256) << 16 |
; (4y mod 256) << 8 | 0x80) and presents it. Then it binds the input line (3) to a
; notification and draws a 4 x 4 square at the pointer for every event, clamped to
; the screen: green for a pointer move or a release, blue for a button press, red
; for a key press, presenting each square; after a key press it halts with 0. Halts
; with 2 if the framebuffer is too large for it, 3 if a retype or map fails. Calls
; are made at r64 (a callee's frame starts at the call's first register), above
; everything main keeps. The screen must be at least 4 x 4.
.memory 1 1
.global i64 const 0              ; g0: the IPC buffer
.global i64 const 0              ; g1: BootInfo
.global i64 mut 0                ; g2: the stack pointer
.equ INPUT_VA 0x20000
.equ FB_REGS_VA 0x21000
.equ PIXELS_VA 0x40000
.equ MAX_FRAMES 448
.equ FB_WIDTH 0x00
.equ FB_HEIGHT 0x08
.equ FB_STRIDE 0x10
.equ FB_PRESENT 0x20
.equ INPUT_HEAD 0x00
.equ INPUT_TAIL 0x08
.equ INPUT_RING 0x800
.equ KEY_DOWN 1
.equ BUTTON_DOWN 4
.equ IRQ_INPUT 3
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

; map(frame cap, vaddr) -> the reply's label: PageMap read/write into the root VSpace.
.func map (i64 i64) -> (i64) frame 12
    global.get r10, g0
    i64.const r11, seL4_CapInitThreadVSpace
    store64 r11, r10, IPCBuffer.cap0
    mov r3, r0
    ldc r4, PageMap.info
    mov r5, r1
    i64.const r6, 3
    i64.const r7, 0
    syscall r3, 6, seL4_SysCall
    i64.shr_u_imm r0, r4, 12
    return r0, 1
.end

; halt(status)
.func halt (i64) -> () frame 6
    syscall r0, 6, seL4_SysDebugHalt
    return r0, 0
.end

; fill(base, stride, x, y, w, h, colour): a rectangle of one colour.
.func fill (i64 i64 i64 i64 i64 i64 i64) -> () frame 12
    i64.add r7, r3, r5           ; the row after the last
    i64.add r8, r2, r4           ; the column after the last
row:
    i64.br_le_u r7, r3, done
    i64.mul r9, r3, r1
    i64.add r9, r9, r0           ; the row's first byte
    mov r10, r2
col:
    i64.br_le_u r8, r10, next
    i64.shl_imm r11, r10, 2
    i64.add r11, r11, r9
    store32 r6, r11, 0
    i64.add_imm r10, r10, 1
    jump col
next:
    i64.add_imm r3, r3, 1
    jump row
done:
    return r0, 0
.end

; pattern(base, stride, w, h): pixel x, y = (4x mod 256) << 16 | (4y mod 256) << 8 | 0x80.
.func pattern (i64 i64 i64 i64) -> () frame 12
    i64.const r4, 0              ; y
row:
    i64.br_le_u r3, r4, done
    i64.mul r5, r4, r1
    i64.add r5, r5, r0           ; the row's first byte
    i64.shl_imm r6, r4, 2
    i64.and_imm r6, r6, 0xff
    i64.shl_imm r6, r6, 8
    i64.or_imm r6, r6, 0x80      ; green and blue of the row
    i64.const r7, 0              ; x
col:
    i64.br_le_u r2, r7, next
    i64.shl_imm r8, r7, 2
    i64.and_imm r8, r8, 0xff
    i64.shl_imm r8, r8, 16
    i64.or r8, r8, r6
    i64.shl_imm r9, r7, 2
    i64.add r9, r9, r5
    store32 r8, r9, 0
    i64.add_imm r7, r7, 1
    jump col
next:
    i64.add_imm r4, r4, 1
    jump row
done:
    return r0, 0
.end

; present(regs, x, y, w, h): writes PRESENT.
.func present (i64 i64 i64 i64 i64) -> () frame 8
    i64.shl_imm r5, r2, 16
    i64.or r5, r5, r1
    i64.shl_imm r6, r3, 32
    i64.or r5, r5, r6
    i64.shl_imm r6, r4, 48
    i64.or r5, r5, r6
    store64 r5, r0, FB_PRESENT
    return r0, 0
.end

.func main () -> () frame 96
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
    i64.add r21, r17, r18        ; the device untyped
    ; Two 8 MiB halves: 4000 (console .. framebuffer registers), 4001 (pixels).
    i64.const r40, 4000
split:
    mov r64, r21
    i64.const r65, seL4_UntypedObject
    i64.const r66, 23
    mov r67, r40
    call r64, retype_from
    br_if r64, failed
    i64.add_imm r40, r40, 1
    i64.br_ne_imm r40, 4002, split
    ; Console 4002, timer 4003, input 4004, framebuffer registers 4005.
frames:
    i64.const r64, 4000
    i64.const r65, seL4_RISCV_4K_Page
    i64.const r66, 0
    mov r67, r40
    call r64, retype_from
    br_if r64, failed
    i64.add_imm r40, r40, 1
    i64.br_ne_imm r40, 4006, frames
    i64.const r64, 4004
    ldc r65, INPUT_VA
    call r64, map
    br_if r64, failed
    i64.const r64, 4005
    ldc r65, FB_REGS_VA
    call r64, map
    br_if r64, failed
    ldc r30, FB_REGS_VA
    load64 r31, r30, FB_WIDTH
    load64 r32, r30, FB_HEIGHT
    load64 r33, r30, FB_STRIDE
    ; Pixel frames: ceil(stride x height / 4096) of them, slots 3500 on.
    i64.mul r34, r33, r32
    i64.add_imm r34, r34, 4095
    i64.shr_u_imm r34, r34, 12
    i64.const r64, 2
    i64.br_gt_u_imm r34, MAX_FRAMES, failed_with
    i64.const r40, 0
pixels:
    i64.const r64, 4001
    i64.const r65, seL4_RISCV_4K_Page
    i64.const r66, 0
    i64.add_imm r67, r40, 3500
    call r64, retype_from
    br_if r64, failed
    i64.add_imm r64, r40, 3500
    i64.shl_imm r65, r40, 12
    ldc r66, PIXELS_VA
    i64.add r65, r65, r66
    call r64, map
    br_if r64, failed
    i64.add_imm r40, r40, 1
    i64.br_lt_u r40, r34, pixels
    ; The pattern, presented whole.
    ldc r35, PIXELS_VA
    mov r64, r35
    mov r65, r33
    mov r66, r31
    mov r67, r32
    call r64, pattern
    mov r64, r30
    i64.const r65, 0
    i64.const r66, 0
    mov r67, r31
    mov r68, r32
    call r64, present
    ; The input line: notification 4020, handler 4021, bound and acknowledged.
    i64.const r64, seL4_NotificationObject
    i64.const r65, 0
    i64.const r66, 4020
    call r64, retype
    br_if r64, failed
    i64.const r14, seL4_CapInitThreadCNode
    store64 r14, r15, IPCBuffer.cap0
    i64.const r3, seL4_CapIRQControl
    ldc r4, IrqIssueIrqHandler.info
    i64.const r5, IRQ_INPUT
    i64.const r6, 4021
    i64.const r7, 64
    syscall r3, 6, seL4_SysCall
    i64.const r14, 4020
    store64 r14, r15, IPCBuffer.cap0
    i64.const r3, 4021
    ldc r4, IrqSetIrqHandler.info
    syscall r3, 6, seL4_SysCall
    ldc r36, INPUT_VA
    i64.add_imm r37, r31, -4     ; the largest square corner: w - 4, h - 4
    i64.add_imm r38, r32, -4
ack:
    i64.const r3, 4021
    ldc r4, IrqAckIrq.info
    syscall r3, 6, seL4_SysCall
    i64.const r3, 4020
    i64.const r4, 0
    syscall r3, 6, seL4_SysRecv        ; seL4_Wait on the notification
drain:
    load64 r41, r36, INPUT_HEAD
    load64 r42, r36, INPUT_TAIL
    i64.br_eq r41, r42, ack
    i64.and_imm r43, r42, 31     ; slot
    i64.shl_imm r43, r43, 6
    i64.add r43, r43, r36
    load64 r44, r43, INPUT_RING          ; kind
    load64 r45, r43, 0x810               ; x
    load64 r46, r43, 0x818               ; y
    i64.br_le_u r45, r37, x_ok
    mov r45, r37
x_ok:
    i64.br_le_u r46, r38, y_ok
    mov r46, r38
y_ok:
    ldc r47, 0x00ff00            ; green: a move or a release
    i64.br_ne_imm r44, BUTTON_DOWN, not_button
    ldc r47, 0x0000ff            ; blue: a button press
not_button:
    i64.br_ne_imm r44, KEY_DOWN, draw
    ldc r47, 0xff0000            ; red: a key press
draw:
    mov r64, r35
    mov r65, r33
    mov r66, r45
    mov r67, r46
    i64.const r68, 4
    i64.const r69, 4
    mov r70, r47
    call r64, fill
    i64.add_imm r42, r42, 1
    store64 r42, r36, INPUT_TAIL
    mov r64, r30
    mov r65, r45
    mov r66, r46
    i64.const r67, 4
    i64.const r68, 4
    call r64, present
    i64.br_ne_imm r44, KEY_DOWN, drain
    i64.const r64, 0
    call r64, halt
    return r0, 0
failed:
    i64.const r64, 3
failed_with:
    call r64, halt
    return r0, 0
.end
