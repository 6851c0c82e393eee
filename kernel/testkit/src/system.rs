//! Host memory for test kernels.

use selvm_abi::CPtr;
use selvm_kernel::arch::test_double::TestArch;
use selvm_kernel::{BootConfig, BootSummary, Kernel};

/// A kernel on the test double architecture.
pub type TestKernel<'m> = Kernel<TestArch, &'m mut [u64]>;

/// The root slot of the largest RAM untyped boot gave the root task (among equals
/// the last; `selvm_abi::largest_ram_untyped` over the boot summary).
pub fn largest_untyped(summary: &BootSummary) -> CPtr {
    selvm_abi::largest_ram_untyped(summary.untyped, &summary.untyped_list)
        .expect("boot gives the root task a RAM untyped")
}

/// Physical base used by hosted test kernels (where RAM starts on qemu's riscv `virt`).
pub const TEST_BASE: u64 = 0x8000_0000;

/// RAM for one test kernel.
pub struct TestMemory {
    words: Vec<u64>,
}

impl TestMemory {
    /// `bytes` of RAM (a multiple of 4 KiB).
    pub fn new(bytes: usize) -> Self {
        TestMemory {
            words: vec![0; bytes / 8],
        }
    }

    /// Boots a kernel on this memory at `TEST_BASE`.
    pub fn boot(&mut self, config: &BootConfig<'_>) -> (TestKernel<'_>, BootSummary) {
        Kernel::boot(TEST_BASE, &mut self.words[..], config, TestArch::default())
            .expect("test boot configuration is valid")
    }

    /// Boots with the small root CNode (radix 8) the property tests use.
    pub fn boot_small(&mut self) -> (TestKernel<'_>, BootSummary) {
        self.boot(&BootConfig {
            root_radix: 8,
            devices: &[],
            ..Default::default()
        })
    }

    /// The raw words (to compare two kernels' complete states).
    pub fn words(&self) -> &[u64] {
        &self.words
    }
}
