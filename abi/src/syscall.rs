//! System call numbers: the value placed in the syscall-number register.

use crate::Word;

/// A system call, numbered as in seL4 13.0.0 (non-MCS, with the debug calls).
#[repr(i64)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Syscall {
    /// Invoke a capability and wait for the reply (`seL4_Call`).
    Call = -1,
    /// Reply to the caller, then receive (`seL4_ReplyRecv`).
    ReplyRecv = -2,
    /// Blocking send or invocation; errors are not reported (`seL4_Send`).
    Send = -3,
    /// Send that is dropped if no receiver waits (`seL4_NBSend`).
    NBSend = -4,
    /// Blocking receive on an endpoint or notification (`seL4_Recv`).
    Recv = -5,
    /// Reply through the caller slot (`seL4_Reply`).
    Reply = -6,
    /// Move to the tail of the own priority queue (`seL4_Yield`).
    Yield = -7,
    /// Non-blocking receive, i.e. a poll (`seL4_NBRecv`).
    NBRecv = -8,
    /// Debug: print one character (`seL4_DebugPutChar`).
    DebugPutChar = -9,
    /// Debug: dump the scheduler state (`seL4_DebugDumpScheduler`).
    DebugDumpScheduler = -10,
    /// Debug: halt the system (`seL4_DebugHalt`).
    DebugHalt = -11,
    /// Debug: report the type of a capability (`seL4_DebugCapIdentify`).
    DebugCapIdentify = -12,
    /// Debug: take a capDL snapshot (`seL4_DebugSnapshot`).
    DebugSnapshot = -13,
    /// Debug: give a thread a name (`seL4_DebugNameThread`).
    DebugNameThread = -14,
    /// Set the caller's TLS base register (`seL4_SetTLSBase`; configurations with
    /// `CONFIG_SET_TLS_BASE_SELF` only: riscv64's, not the vm's). Decoded by
    /// `Config::syscall`, not by [`Syscall::from_word`].
    SetTlsBase = -29,
}

impl Syscall {
    /// The system calls every configuration has, in numbering order (-1 down to -14);
    /// a configuration's own (riscv64's SetTLSBase) are in `config`.
    pub const ALL: [Syscall; 14] = [
        Syscall::Call,
        Syscall::ReplyRecv,
        Syscall::Send,
        Syscall::NBSend,
        Syscall::Recv,
        Syscall::Reply,
        Syscall::Yield,
        Syscall::NBRecv,
        Syscall::DebugPutChar,
        Syscall::DebugDumpScheduler,
        Syscall::DebugHalt,
        Syscall::DebugCapIdentify,
        Syscall::DebugSnapshot,
        Syscall::DebugNameThread,
    ];

    /// Decodes a syscall-number register (two's complement of the negative number):
    /// the calls every configuration has (-1 to -14). `Config::syscall` decodes a
    /// configuration's own as well.
    #[inline(always)]
    pub const fn from_word(w: Word) -> Option<Syscall> {
        let n = w as i64;
        if n <= -1 && n >= -(Self::ALL.len() as i64) {
            Some(Self::ALL[(-n - 1) as usize])
        } else {
            None
        }
    }

    /// The word placed in the syscall-number register for this call.
    pub const fn word(self) -> Word {
        self as i64 as Word
    }

    /// The signed syscall number, as seL4 writes it (e.g. -1 for `Call`).
    pub const fn number(self) -> i64 {
        self as i64
    }

    /// Whether this is one of the debug system calls (-9 to -14).
    pub const fn is_debug(self) -> bool {
        matches!(self as i64, -14..=-9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_every_syscall() {
        for (i, s) in Syscall::ALL.iter().enumerate() {
            assert_eq!(s.number(), -(i as i64) - 1);
            assert_eq!(s.word(), (-(i as i64) - 1) as u64);
            assert_eq!(Syscall::from_word(s.word()), Some(*s));
        }
    }

    #[test]
    fn concrete_words() {
        assert_eq!(Syscall::Call.word(), u64::MAX);
        assert_eq!(Syscall::from_word(u64::MAX), Some(Syscall::Call));
        assert_eq!(
            Syscall::from_word(0xffff_ffff_ffff_fff2),
            Some(Syscall::DebugNameThread)
        );
        assert!(Syscall::DebugPutChar.is_debug());
        assert!(!Syscall::NBRecv.is_debug());
        assert!(!Syscall::SetTlsBase.is_debug());
        assert_eq!(Syscall::SetTlsBase.word(), (-29i64) as u64);
    }

    #[test]
    fn rejects_neighbours() {
        assert_eq!(Syscall::from_word(0), None);
        assert_eq!(Syscall::from_word(1), None);
        assert_eq!(Syscall::from_word((-15i64) as u64), None);
        // SetTLSBase exists only where a configuration has it (`Config::syscall`).
        assert_eq!(Syscall::from_word((-29i64) as u64), None);
        assert_eq!(Syscall::from_word(i64::MIN as u64), None);
        assert_eq!(Syscall::from_word(i64::MAX as u64), None);
        // The low 32 bits alone are not a valid encoding.
        assert_eq!(Syscall::from_word(0xffff_ffff), None);
    }
}
