; Matrix multiply of two 32×32 f64 matrices A[i][j] = i + j and B[i][j] = i - j:
; C = A × B at 2·8·n², and main returns the sum of C's elements (2793472).
.memory 1 1
.entry main

.func main () -> (f64) frame 16
    i64.const r0, 32         ; n
    i64.mul r6, r0, r0
    i64.shl_imm r6, r6, 3    ; r6 = 8n²: B's base; A's is 0, C's 2·8n²
    i64.const r1, 0          ; i
init_i:
    i64.const r2, 0          ; j
init_j:
    i64.mul r3, r1, r0
    i64.add r3, r3, r2
    i64.shl_imm r3, r3, 3    ; r3 = 8(i·n + j)
    i64.add r4, r1, r2
    f64.convert_i64_s r4, r4
    store64 r4, r3, 0        ; A[i][j] = i + j
    i64.sub r4, r1, r2
    f64.convert_i64_s r4, r4
    i64.add r5, r3, r6
    store64 r4, r5, 0        ; B[i][j] = i - j
    i64.inc_br_lt_s r2, r0, init_j
    i64.inc_br_lt_s r1, r0, init_i
    i64.const r13, 0         ; A's base
    i64.const r15, 0         ; sum = 0.0
    i64.const r1, 0
mul_i:
    i64.const r2, 0
mul_j:
    i64.const r7, 0          ; acc = 0.0
    i64.const r8, 0          ; k
mul_k:
    i64.mul r9, r1, r0
    i64.add r9, r9, r8       ; i·n + k
    load64.x8 r10, r13, r9   ; A[i][k] (r13 = 0: A's base)
    i64.mul r11, r8, r0
    i64.add r11, r11, r2     ; k·n + j
    load64.x8 r12, r6, r11   ; B[k][j]
    f64.mul r10, r10, r12
    f64.add r7, r7, r10
    i64.inc_br_lt_s r8, r0, mul_k
    i64.mul r9, r1, r0
    i64.add r9, r9, r2
    i64.shl_imm r9, r9, 3
    i64.add r9, r9, r6
    i64.add r9, r9, r6
    store64 r7, r9, 0        ; C[i][j] = acc
    f64.add r15, r15, r7
    i64.inc_br_lt_s r2, r0, mul_j
    i64.inc_br_lt_s r1, r0, mul_i
    return r15, 1
.end
