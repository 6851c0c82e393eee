//! How a run of the machine ends ([`Exit`]), and the report of a fault that killed a
//! thread ([`FaultReport`], its kind a typed [`FaultKind`]).

use crate::status;
use alloc::string::String;
use core::fmt;
use selvm_abi::Word;
use selvm_abi::vm::fault::TrapKind;
use selvm_kernel::memory::PAddr;

/// Why the machine stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// DebugHalt with this status.
    Halted(u64),
    /// Every thread finished (returned from its entry or was suspended) and
    /// none is blocked.
    Finished,
    /// A thread took a fault no handler received.
    Fault(FaultReport),
    /// Threads are blocked and nothing can ever wake them.
    Deadlock {
        /// How many threads are blocked.
        blocked: usize,
    },
    /// The instruction limit was reached.
    InstructionLimit,
    /// The kernel's invariant checker found a violation (`check_invariants`).
    InvariantBroken(String),
}

impl Exit {
    /// The exit status (`status::TABLE`) for this exit.
    pub fn status(&self) -> u8 {
        match self {
            Exit::Halted(0) | Exit::Finished => status::CLEAN,
            Exit::Halted(_) => status::HALT_STATUS,
            Exit::Fault(_) => status::UNHANDLED_FAULT,
            Exit::Deadlock { .. } => status::DEADLOCK,
            Exit::InstructionLimit => status::LIMIT,
            Exit::InvariantBroken(_) => status::CHECK_FAILED,
        }
    }
}

/// What killed a thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// A load from an address its VSpace does not map readable (VMFault).
    LoadFault,
    /// A store to an address its VSpace does not map writable (VMFault).
    StoreFault,
    /// A capability address that did not resolve (CapFault).
    CapFault,
    /// A system call number the kernel does not know (UnknownSyscall).
    UnknownSyscall,
    /// A VM trap (UserException) of this kind and code.
    Trap(TrapKind, Word),
    /// Its module object holds an image the register machine does not load.
    BadModule,
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let trap = match self {
            FaultKind::LoadFault => return f.write_str("load fault"),
            FaultKind::StoreFault => return f.write_str("store fault"),
            FaultKind::CapFault => return f.write_str("cap fault"),
            FaultKind::UnknownSyscall => return f.write_str("unknown system call"),
            FaultKind::BadModule => return f.write_str("module that does not load"),
            FaultKind::Trap(TrapKind::Program, 0) => return f.write_str("`unreachable` trap"),
            FaultKind::Trap(TrapKind::Program, code) => {
                return write!(f, "`trap` instruction (code {code})");
            }
            FaultKind::Trap(TrapKind::StackOverflow, 1) => {
                return f.write_str("register stack too small for the entry function");
            }
            FaultKind::Trap(kind, _) => kind,
        };
        f.write_str(match trap {
            TrapKind::DivideByZero => "division by zero",
            TrapKind::IntegerOverflow => "integer overflow",
            TrapKind::InvalidConversion => "conversion of NaN to an integer",
            TrapKind::StackOverflow => "stack overflow (register stack or call depth)",
            TrapKind::TableOutOfBounds => "table access out of bounds",
            TrapKind::NullReference => "indirect call through a null reference",
            TrapKind::BadReference => "indirect call through a value naming no function",
            TrapKind::SignatureMismatch => "indirect call with the wrong signature",
            TrapKind::NoCode => "missing code (no module, register stack or entry point bound)",
            TrapKind::SegmentOutOfBounds => "segment access out of bounds",
            TrapKind::Program => "trap",
        })
    }
}

/// A fault that killed a thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultReport {
    /// The thread's TCB (physical address).
    pub thread: PAddr,
    /// The function the pc is in (from the module's name section, or `f<index>`).
    pub function: String,
    /// Function index and instruction offset.
    pub pc: (u32, u32),
    /// What happened.
    pub kind: FaultKind,
    /// The faulting address, for memory faults.
    pub address: Option<u64>,
}

impl fmt::Display for FaultReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "thread {:#x} killed by an unhandled {}",
            self.thread, self.kind
        )?;
        if let Some(a) = self.address {
            write!(f, " at address {a:#x}")?;
        }
        write!(
            f,
            " in {} (function {}, instruction {}); no fault handler received it",
            self.function, self.pc.0, self.pc.1
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn reports_read_as_sentences() {
        let mut r = FaultReport {
            thread: 0x8001_1000,
            function: "main".into(),
            pc: (0, 3),
            kind: FaultKind::Trap(TrapKind::Program, 0),
            address: None,
        };
        assert_eq!(
            r.to_string(),
            "thread 0x80011000 killed by an unhandled `unreachable` trap in main \
             (function 0, instruction 3); no fault handler received it"
        );
        r.kind = FaultKind::LoadFault;
        r.address = Some(0x100008);
        assert!(
            r.to_string()
                .contains("unhandled load fault at address 0x100008 in main")
        );
        for kind in TrapKind::ALL {
            let text = FaultKind::Trap(kind, 0).to_string();
            assert!(!text.is_empty() && !text.contains(kind.name()), "{text}");
        }
    }
}
