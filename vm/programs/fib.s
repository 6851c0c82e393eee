; Naive doubly recursive Fibonacci: main returns fib(30) = 832040.
; Calls pass arguments in registers: `call rA, f` runs f with its frame starting at rA.
.memory 0 0
.export "fib" fib
.entry main

.func main () -> (i64) frame 1
    i64.const r0, 30
    call r0, fib
    return r0, 1
.end

.func fib (i64) -> (i64) frame 3
    i64.br_lt_u_imm r0, 2, done  ; fib(0) = 0, fib(1) = 1
    i64.add_imm r1, r0, -1
    call r1, fib                  ; r1 = fib(n - 1)
    i64.add_imm r2, r0, -2
    call r2, fib                  ; r2 = fib(n - 2)
    i64.add r0, r1, r2
done:
    return r0, 1
.end
