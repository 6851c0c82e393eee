//! The system-call window: what the VM instruction `syscall rA, n, code` carries.
//!
//! `code` is the seL4 system-call number as a 16-bit two's complement (Call, -1, is
//! `0xffff`); the `n` = 6 registers `rA…rA+5` play the roles riscv64's a0–a5 play on
//! `ecall`: cap in / badge out, message info, MR0–MR3.

use crate::{Syscall, Word};

/// Registers a seL4 system call's window spans (`n` of the `syscall` instruction).
pub const SYSCALL_WINDOW: u16 = 6;
/// Window register holding the invoked capability on entry and the badge on return;
/// DebugHalt's exit status and DebugPutChar's character travel here too.
pub const WINDOW_CAP: usize = 0;
/// Window register holding the MessageInfo word.
pub const WINDOW_MSG_INFO: usize = 1;
/// Window registers holding MR0..MR3.
pub const WINDOW_MR: [usize; crate::MSG_REGISTERS] = [2, 3, 4, 5];

/// The `code` operand of the `syscall` instruction for `syscall`.
pub const fn syscall_code(syscall: Syscall) -> u16 {
    syscall.number() as i16 as u16
}

/// The syscall-number word a `syscall` instruction's `code` stands for: the code
/// sign-extended from 16 bits (so `0xffff` is -1, seL4's Call).
pub const fn syscall_number_word(code: u16) -> Word {
    code as i16 as i64 as Word
}

/// The seL4 system call a `syscall` instruction's `code` names, if any.
pub const fn syscall_from_code(code: u16) -> Option<Syscall> {
    Syscall::from_word(syscall_number_word(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_sixteen_bit_twos_complement() {
        assert_eq!(syscall_code(Syscall::Call), 0xffff);
        assert_eq!(syscall_code(Syscall::ReplyRecv), 0xfffe);
        assert_eq!(syscall_code(Syscall::DebugHalt), 0xfff5);
        assert_eq!(syscall_code(Syscall::DebugNameThread), 0xfff2);
        for s in Syscall::ALL {
            assert_eq!(syscall_from_code(syscall_code(s)), Some(s));
            assert_eq!(syscall_number_word(syscall_code(s)), s.word());
        }
    }

    #[test]
    fn unknown_codes() {
        assert_eq!(syscall_from_code(0), None);
        assert_eq!(syscall_from_code(1), None);
        assert_eq!(syscall_from_code(0x7fff), None);
        assert_eq!(syscall_from_code(0xfff1), None);
        assert_eq!(syscall_from_code(0x8000), None);
        assert_eq!(syscall_number_word(0xfff1), (-15i64) as Word);
        assert_eq!(syscall_number_word(5), 5);
    }

    #[test]
    fn window_mirrors_riscv64_a0_to_a5() {
        assert_eq!(WINDOW_CAP + 10, crate::CAP_BADGE_REGISTER_INDEX);
        assert_eq!(WINDOW_MSG_INFO + 10, crate::MSG_INFO_REGISTER_INDEX);
        for (mr, riscv) in WINDOW_MR.iter().zip(crate::MSG_REGISTER_INDICES) {
            assert_eq!(mr + 10, riscv);
        }
        assert_eq!(WINDOW_MR[3] + 1, SYSCALL_WINDOW as usize);
    }
}
