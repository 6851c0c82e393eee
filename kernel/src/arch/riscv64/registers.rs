//! riscv64 user-context register indices, as seL4 saves them.

/// x1, return address.
pub const RA: usize = 0;
/// x2, stack pointer.
pub const SP: usize = 1;
/// x3, global pointer.
pub const GP_REG: usize = 2;
/// x4, thread pointer (the TLS base).
pub const TP: usize = 3;
/// x5-x7, temporaries.
pub const T0: usize = 4;
/// x6.
pub const T1: usize = 5;
/// x7.
pub const T2: usize = 6;
/// x8-x9, saved registers.
pub const S0: usize = 7;
/// x9.
pub const S1: usize = 8;
/// x10-x17, arguments: a0 carries the cap and the badge.
pub const A0: usize = 9;
/// a1 carries the message info.
pub const A1: usize = 10;
/// a2-a5 carry MR0-MR3.
pub const A2: usize = 11;
/// a3.
pub const A3: usize = 12;
/// a4.
pub const A4: usize = 13;
/// a5.
pub const A5: usize = 14;
/// a6.
pub const A6: usize = 15;
/// a7 carries the syscall number.
pub const A7: usize = 16;
/// x18-x27, s2-s11.
pub const S2: usize = 17;
/// x28-x31, t3-t6.
pub const T3: usize = 27;
/// Supervisor cause of the last trap.
pub const SCAUSE: usize = 31;
/// Supervisor status.
pub const SSTATUS: usize = 32;
/// The pc at which the thread restarts (sepc of the trap).
pub const FAULT_IP: usize = 33;
/// The pc after the trapping instruction.
pub const NEXT_IP: usize = 34;
/// Words of context.
pub const CONTEXT_REGISTERS: usize = 35;

/// seL4's frame registers: pc, ra, sp, gp, s0-s11.
pub const FRAME: [usize; 16] = [
    FAULT_IP,
    RA,
    SP,
    GP_REG,
    S0,
    S1,
    S2,
    S2 + 1,
    S2 + 2,
    S2 + 3,
    S2 + 4,
    S2 + 5,
    S2 + 6,
    S2 + 7,
    S2 + 8,
    S2 + 9,
];

/// seL4's gp registers: a0-a7, t0-t6, tp.
pub const GP: [usize; 16] = [
    A0,
    A1,
    A2,
    A3,
    A4,
    A5,
    A6,
    A7,
    T0,
    T1,
    T2,
    T3,
    T3 + 1,
    T3 + 2,
    T3 + 3,
    TP,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transfer_order_covers_every_user_register_once() {
        let mut seen = [false; CONTEXT_REGISTERS];
        for &r in FRAME.iter().chain(GP.iter()) {
            assert!(!seen[r], "register {r} twice");
            seen[r] = true;
        }
        // Everything but scause, sstatus and NextIP is user-visible.
        let hidden: usize = seen.iter().filter(|s| !**s).count();
        assert_eq!(hidden, 3);
        assert!(!seen[SCAUSE] && !seen[SSTATUS] && !seen[NEXT_IP]);
        assert_eq!(S2 + 9, 26, "s11 is x27");
        assert_eq!(T3 + 3, 30, "t6 is x31");
    }

    #[test]
    fn transfer_order_is_libsel4s_user_context() {
        use selvm_abi::riscv64::layout as user;
        // ReadRegisters' word i is the context register at position i of FRAME then GP.
        let order: std::vec::Vec<usize> = FRAME.iter().chain(GP.iter()).copied().collect();
        assert_eq!(order.len(), user::USER_CONTEXT_WORDS);
        let named = [
            (user::PC, FAULT_IP),
            (user::RA, RA),
            (user::SP, SP),
            (user::GP, GP_REG),
            (user::TP, TP),
        ];
        let s = (0..12).map(|i| (user::S[i], if i < 2 { S0 + i } else { S2 + i - 2 }));
        let a = (0..8).map(|i| (user::A[i], A0 + i));
        let t = (0..7).map(|i| (user::T[i], if i < 3 { T0 + i } else { T3 + i - 3 }));
        for (word, register) in named.into_iter().chain(s).chain(a).chain(t) {
            assert_eq!(order[word], register, "seL4_UserContext word {word}");
        }
    }

    extern crate std;
}
