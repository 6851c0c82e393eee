//! A user-level syscall fuzzer: a root task (assembly text) that makes
//! `rounds` pseudo-random system calls — mostly seL4_Call of a random label
//! (1–43, so every object type's decoder, the vm ones included) on a random
//! cap with random message registers, extra caps and lengths, drawn from a
//! 64-bit LCG seeded with `seed`. Addresses are picked from the boot caps, the
//! untypeds and a window of slots the calls themselves fill (4000–4031), so
//! objects get created, mapped, bound and deleted. Run it with
//! `Config::check_invariants` (`selvm run --check-invariants`): the host audits
//! the kernel after every kernel entry. The program ends when its rounds are
//! done (DebugHalt 0), or earlier if a random call stops the root thread.

/// The fuzzer's source text for `seed` and `rounds`.
pub fn source(seed: u64, rounds: u64) -> String {
    format!(
        "
.memory 1 1
.global i64 const 0              ; g0: the IPC buffer
.global i64 const 0              ; g1: BootInfo
.global i64 mut 0                ; g2: the stack pointer
.entry main

; next(state) -> (state, value): one LCG step; the value is the state's high bits.
.func next (i64) -> (i64 i64) frame 4
    ldc r1, 6364136223846793005
    i64.mul r0, r0, r1
    ldc r1, 1442695040888963407
    i64.add r0, r0, r1
    i64.shr_u_imm r1, r0, 24
    return r0, 2
.end

; pick(value) -> a cap address: a boot slot (0-31) or a window slot (4000-4031).
.func pick (i64) -> (i64) frame 4
    i64.and_imm r1, r0, 31
    i64.shr_u_imm r2, r0, 5
    i64.and_imm r2, r2, 1
    br_unless r2, low
    i64.add_imm r1, r1, 4000
low:
    return r1, 1
.end

; small(value) -> a message word: a slot address, a small number, or the value.
.func small (i64) -> (i64) frame 4
    i64.and_imm r1, r0, 3
    i64.shr_u_imm r2, r0, 2
    i64.br_eq_imm r1, 0, slot
    i64.br_eq_imm r1, 1, number
    i64.br_eq_imm r1, 2, depth
    return r0, 1
slot:
    mov r3, r2
    call r3, pick
    return r3, 1
number:
    i64.and_imm r3, r2, 31
    return r3, 1
depth:
    i64.const r3, 64
    return r3, 1
.end

.func main () -> () frame 48
    global.get r15, g0
    ldc r20, {seed}
    ldc r21, {rounds}
again:
    ; MR4, MR5 and the three extra caps go through the IPC buffer.
    mov r30, r20
    call r30, next
    mov r20, r30
    mov r32, r31
    call r32, small
    store64 r32, r15, 40
    mov r30, r20
    call r30, next
    mov r20, r30
    mov r32, r31
    call r32, small
    store64 r32, r15, 48
    mov r30, r20
    call r30, next
    mov r20, r30
    mov r32, r31
    call r32, pick
    store64 r32, r15, 976
    mov r32, r31
    i64.shr_u_imm r32, r32, 8
    call r32, pick
    store64 r32, r15, 984
    mov r32, r31
    i64.shr_u_imm r32, r32, 16
    call r32, pick
    store64 r32, r15, 992
    ; The window: cap, MessageInfo (label 1-43, extra caps, length), MR0-MR3.
    mov r30, r20
    call r30, next
    mov r20, r30
    mov r3, r31
    call r3, pick
    mov r30, r20
    call r30, next
    mov r20, r30
    i64.const r10, 43
    i64.rem_u r11, r31, r10
    i64.add_imm r11, r11, 1
    i64.shl_imm r4, r11, 12      ; label
    i64.shr_u_imm r12, r31, 8
    i64.and_imm r12, r12, 3
    i64.shl_imm r12, r12, 7      ; extra caps
    i64.or r4, r4, r12
    i64.shr_u_imm r12, r31, 12
    i64.and_imm r12, r12, 7      ; length 0-7
    i64.or r4, r4, r12
    mov r30, r20
    call r30, next
    mov r20, r30
    mov r5, r31
    call r5, small
    mov r30, r20
    call r30, next
    mov r20, r30
    mov r6, r31
    call r6, small
    mov r30, r20
    call r30, next
    mov r20, r30
    mov r7, r31
    call r7, small
    mov r30, r20
    call r30, next
    mov r20, r30
    mov r8, r31
    call r8, small
    syscall r3, 6, seL4_SysCall
    i64.add_imm r21, r21, -1
    i64.br_ne_imm r21, 0, again
    i64.const r0, 0
    syscall r0, 6, seL4_SysDebugHalt
    return r0, 0
.end
"
    )
}
