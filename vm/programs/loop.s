; A counted loop: main returns the sum of 0 .. 10^7 - 1 = 49999995000000.
.memory 0 0
.entry main

.func main () -> (i64) frame 3
    i64.const r0, 0          ; sum
    i64.const r1, 0          ; i
    ldc r2, 10000000         ; n, from the constant pool
loop:
    i64.add r0, r0, r1
    i64.inc_br_lt_s r1, r2, loop  ; i += 1; loop while i < n
    return r0, 1
.end
