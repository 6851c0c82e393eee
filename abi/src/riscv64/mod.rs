//! riscv64's seL4 ABI: the system-call registers (`ecall`: which register carries
//! what) and, in [`layout`], the layouts user level sees (`seL4_UserContext`, fault
//! messages, VMFault status words).

pub mod layout;

/// Registers that carry message words MR0..MR3 on a system call.
pub const MSG_REGISTERS: usize = 4;

/// Name of the register holding the syscall number.
pub const SYSCALL_NUMBER_REGISTER: &str = "a7";
/// Name of the register holding the capability on entry and the badge on return.
pub const CAP_BADGE_REGISTER: &str = "a0";
/// Name of the register holding the MessageInfo word.
pub const MSG_INFO_REGISTER: &str = "a1";
/// Names of the registers holding MR0..MR3.
pub const MSG_REGISTER_NAMES: [&str; MSG_REGISTERS] = ["a2", "a3", "a4", "a5"];

/// Integer register number (x17) of the syscall-number register a7.
pub const SYSCALL_NUMBER_REGISTER_INDEX: usize = 17;
/// Integer register number (x10) of the cap/badge register a0.
pub const CAP_BADGE_REGISTER_INDEX: usize = 10;
/// Integer register number (x11) of the MessageInfo register a1.
pub const MSG_INFO_REGISTER_INDEX: usize = 11;
/// Integer register numbers (x12..x15) of the MR0..MR3 registers a2..a5.
pub const MSG_REGISTER_INDICES: [usize; MSG_REGISTERS] = [12, 13, 14, 15];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_indices() {
        // RISC-V ABI: a0..a7 are x10..x17.
        let a = |name: &str| 10 + name[1..].parse::<usize>().unwrap();
        assert_eq!(a(SYSCALL_NUMBER_REGISTER), SYSCALL_NUMBER_REGISTER_INDEX);
        assert_eq!(a(CAP_BADGE_REGISTER), CAP_BADGE_REGISTER_INDEX);
        assert_eq!(a(MSG_INFO_REGISTER), MSG_INFO_REGISTER_INDEX);
        for i in 0..MSG_REGISTERS {
            assert_eq!(a(MSG_REGISTER_NAMES[i]), MSG_REGISTER_INDICES[i]);
        }
    }
}
