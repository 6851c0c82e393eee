; Sieve of Eratosthenes over one byte per number: main returns the number of primes
; below 100000 (9592).
.memory 2 2
.entry main

.func main () -> (i32) frame 8
    i32.const r0, 100000     ; n
    i32.const r1, 0
    i32.const r2, 1
    mov r3, r0
    memory.fill r1, r2, r3   ; flags[0 .. n] = 1 (updates r1 and r3 as it goes)
    i32.const r4, 0          ; count
    i32.const r7, 0
    i32.const r1, 2          ; i
outer:
    i32.br_le_s r0, r1, done ; i >= n
    load8_u r5, r1, 0
    i32.br_eq_imm r5, 0, next
    i32.add_imm r4, r4, 1
    i64.mul r6, r1, r1       ; j = i * i (64-bit: no overflow)
inner:
    i64.br_le_s r0, r6, next ; j >= n
    store8 r7, r6, 0
    i64.add r6, r6, r1
    jump inner
next:
    i32.add_imm r1, r1, 1
    jump outer
done:
    return r4, 1
.end
