; Prints "." every 2^20 iterations forever: stopped by --max-instructions, and
; preempted by the kernel tick on the way (virtual time, so every run prints
; the same number of dots).
.memory 1 1
.entry main
.func main () -> () frame 8
    i64.const r6, 0
loop:
    i64.add_imm r6, r6, 1
    i64.const r7, 0xfffff
    i64.and r7, r6, r7
    br_if r7, loop
    i64.const r0, 46
    syscall r0, 6, seL4_SysDebugPutChar
    jump loop
.end
