//! What the portable kernel asks of qemu `virt` (`Riscv64Platform`): its debug
//! console on the SBI console, as C seL4's; interrupt lines on the PLIC; TLB
//! notices as `sfence.vma`; and the kernel window's root entries, which every
//! VSpace root carries.

use crate::plic::Plic;
use crate::{csr, window};
use selvm_kernel::arch::riscv64::Riscv64Platform;
use selvm_kernel::vspace::TlbFlush;

/// qemu `virt` as the kernel sees it.
#[derive(Debug)]
pub struct Virt {
    /// The interrupt controller.
    pub plic: Plic,
}

impl Riscv64Platform for Virt {
    fn put_char(&mut self, c: u8) {
        riscv64_virt_sbi::console_putchar(c);
    }

    fn set_irq_masked(&mut self, irq: u64, masked: bool) {
        self.plic.set_enabled(irq, !masked);
    }

    fn ack_irq(&mut self, irq: u64) {
        self.plic.complete(irq);
    }

    fn flush_tlb(&mut self, flush: TlbFlush) {
        match flush {
            TlbFlush::Page { asid, vaddr } => csr::flush_page(asid.into(), vaddr),
            TlbFlush::Asid(asid) => csr::flush_asid(asid.into()),
        }
    }

    fn kernel_root_entry(&self, index: usize) -> u64 {
        window::kernel_root_entry(index)
    }
}
