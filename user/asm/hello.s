; The smallest root task: prints "hello from the root task" with DebugPutChar
; and halts with DebugHalt(0). The text is a data segment; the loop reads it
; through the root task's VSpace.
.memory 1 1
.data 0x100 "hello from the root task\n\x00"
.entry main

.func main () -> () frame 8
    i64.const r6, 0x100
loop:
    load8_u r0, r6, 0
    br_unless r0, done
    syscall r0, 6, seL4_SysDebugPutChar        ; seL4_DebugPutChar(r0)
    i64.add_imm r6, r6, 1
    jump loop
done:
    i64.const r0, 0
    syscall r0, 6, seL4_SysDebugHalt        ; seL4_DebugHalt, status 0
    return r0, 0
.end
