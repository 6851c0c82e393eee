//! The domain cap: DomainSetSet moves a thread to a scheduling domain (this
//! kernel is configured with one domain, as SEL4-FACTS fixes).

use crate::arch::Arch;
use crate::cap::Cap;
use crate::error::SyscallError;
use crate::invocation::Invocation;
use crate::memory::PAddr;
use crate::memory::Ram;
use crate::state::Kernel;
use selvm_abi::args::DomainSetSet;
use selvm_abi::{InvocationLabel, NUM_DOMAINS, Word};

/// Validates DomainSetSet: the domain (MR0) and the thread (extra cap 0).
pub fn decode(inv: &Invocation<'_>) -> Result<(PAddr, Word), SyscallError> {
    if inv.label != InvocationLabel::DomainSetSet.word() {
        return Err(SyscallError::IllegalOperation);
    }
    if inv.mrs.len() < DomainSetSet::MRS {
        return Err(SyscallError::TruncatedMessage);
    }
    let domain = inv.mr(DomainSetSet::DOMAIN);
    if domain >= NUM_DOMAINS as Word {
        return Err(SyscallError::InvalidArgument { arg: 0 });
    }
    match inv.extra_cap(DomainSetSet::THREAD) {
        None => Err(SyscallError::TruncatedMessage),
        Some(Cap::Thread { tcb }) => Ok((tcb, domain)),
        Some(_) => Err(SyscallError::InvalidArgument { arg: 1 }),
    }
}

impl<A: Arch, R: Ram> Kernel<A, R> {
    /// Moves `t` to `domain` (seL4's `setDomain`).
    pub(crate) fn set_domain(&mut self, t: PAddr, domain: Word) {
        self.sched_dequeue(t);
        self.tcb_mut(t).domain = domain;
        if self.thread_state(t).is_runnable() {
            self.sched_enqueue(t);
        }
        if t == self.sched.current {
            self.reschedule_required();
        }
    }
}
