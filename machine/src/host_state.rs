//! What the kernel asks of the hosted machine ([`VmHost`]): console output,
//! interrupt masking and acknowledgement, TLB flushes and deleted modules are
//! recorded here and drained by the run loop after each kernel entry.

use alloc::vec::Vec;
use selvm_kernel::arch::vm::VmHost;
use selvm_kernel::memory::PAddr;
use selvm_kernel::vspace::TlbFlush;

/// The machine's side of the kernel's requests.
#[derive(Debug)]
pub struct HostState {
    /// Console output not yet written out.
    pub console: Vec<u8>,
    /// TLB flushes not yet applied.
    pub flushes: Vec<TlbFlush>,
    /// Module objects deleted since the run loop last looked.
    pub deleted_modules: Vec<PAddr>,
    /// Bit i: interrupt line i is masked. Every line starts masked, as seL4's
    /// interrupt controller starts (AckIRQ on a handler unmasks its line).
    pub masked: u64,
}

impl Default for HostState {
    fn default() -> Self {
        HostState {
            console: Vec::new(),
            flushes: Vec::new(),
            deleted_modules: Vec::new(),
            masked: u64::MAX,
        }
    }
}

impl VmHost for HostState {
    fn put_char(&mut self, c: u8) {
        self.console.push(c);
    }

    fn set_irq_masked(&mut self, irq: u64, masked: bool) {
        if irq < 64 {
            if masked {
                self.masked |= 1 << irq;
            } else {
                self.masked &= !(1 << irq);
            }
        }
    }

    fn ack_irq(&mut self, _irq: u64) {}

    fn flush_tlb(&mut self, flush: TlbFlush) {
        self.flushes.push(flush);
    }

    fn module_deleted(&mut self, module: PAddr) {
        self.deleted_modules.push(module);
    }
}
