//! riscv64's user-visible layouts, as seL4 13.0's libsel4 has them: `seL4_UserContext`,
//! the fault messages' words, and the fault status words of a VMFault. Plain numbers,
//! defined on every target, shared by the kernel (whose register transfer order and
//! fault messages are checked against them), the platform and libsel4 (`libsel4::arch`
//! re-exports them on riscv64).

use crate::Word;

/// Words of `seL4_UserContext` (ReadRegisters / WriteRegisters transfer order).
pub const USER_CONTEXT_WORDS: usize = 32;
/// `seL4_UserContext` word: the program counter.
pub const PC: usize = 0;
/// `seL4_UserContext` word: the return address (x1).
pub const RA: usize = 1;
/// `seL4_UserContext` word: the stack pointer (x2).
pub const SP: usize = 2;
/// `seL4_UserContext` word: the global pointer (x3).
pub const GP: usize = 3;
/// `seL4_UserContext` words: s0–s11.
pub const S: [usize; 12] = [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
/// `seL4_UserContext` words: a0–a7.
pub const A: [usize; 8] = [16, 17, 18, 19, 20, 21, 22, 23];
/// `seL4_UserContext` words: t0–t6.
pub const T: [usize; 7] = [24, 25, 26, 27, 28, 29, 30];
/// `seL4_UserContext` word: the thread pointer (x4).
pub const TP: usize = 31;

/// VMFault status word (`seL4_VMFault_FSR`) of a load: seL4 reports
/// `RISCVLoadAccessFault` (scause 5) for load page faults and load access faults alike.
pub const VM_FAULT_FSR_LOAD: Word = 5;
/// VMFault status word of a store or AMO: `RISCVStoreAccessFault` (scause 7), for
/// store page faults too.
pub const VM_FAULT_FSR_STORE: Word = 7;
/// VMFault status word of an instruction fetch: `RISCVInstructionAccessFault` (scause
/// 1), for instruction page faults too; the prefetch flag is 1 only for these.
pub const VM_FAULT_FSR_FETCH: Word = 1;
/// VMFault prefetch flag of a load or store.
pub const VM_FAULT_PREFETCH: Word = 0;

/// UserException message word: the pc of the trapping instruction.
pub const USER_EXCEPTION_PC: usize = 0;
/// UserException message word: the stack pointer.
pub const USER_EXCEPTION_SP: usize = 1;
/// UserException message word: the exception number, the trap's `scause`.
pub const USER_EXCEPTION_NUMBER: usize = 2;
/// UserException message word: the exception code (0 on riscv).
pub const USER_EXCEPTION_CODE: usize = 3;
/// Words of a UserException message.
pub const USER_EXCEPTION_LENGTH: usize = 4;
/// `scause` of an illegal instruction, a UserException's number.
pub const SCAUSE_ILLEGAL_INSTRUCTION: Word = 2;

/// UnknownSyscall message word: the pc of the `ecall`.
pub const UNKNOWN_SYSCALL_PC: usize = 0;
/// UnknownSyscall message word: the stack pointer.
pub const UNKNOWN_SYSCALL_SP: usize = 1;
/// UnknownSyscall message word: the return address.
pub const UNKNOWN_SYSCALL_RA: usize = 2;
/// UnknownSyscall message word: a0 (a1–a6 follow at 4..=9).
pub const UNKNOWN_SYSCALL_A0: usize = 3;
/// UnknownSyscall message word: the syscall number (a7).
pub const UNKNOWN_SYSCALL_NUMBER: usize = 10;
/// Words of an UnknownSyscall message.
pub const UNKNOWN_SYSCALL_LENGTH: usize = 11;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_context_names_every_word_once() {
        let mut seen = [false; USER_CONTEXT_WORDS];
        for i in [PC, RA, SP, GP, TP].into_iter().chain(S).chain(A).chain(T) {
            assert!(!seen[i], "word {i} twice");
            seen[i] = true;
        }
        assert!(seen.iter().all(|&s| s));
        // seL4_UserContext: pc, ra, sp, gp, s0..s11, a0..a7, t0..t6, tp.
        assert_eq!(
            (S[0], S[11], A[0], A[7], T[0], T[6]),
            (4, 15, 16, 23, 24, 30)
        );
    }
}
