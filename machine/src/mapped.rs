//! The mmap back end (Linux on x86_64): each address space gets a host region
//! (`selvm_hostmem::Region`) into which its frames are mapped from the RAM memfd at
//! their physical offsets, with the mapping's rights. A load or store is a guarded
//! host access at `region + address`; only when that faults does the slow path run:
//! walk the page tables (the software MMU's `translation`), map the frame and retry,
//! or, for a device frame, a real VMFault or a frame that cannot be mapped, do the
//! whole access on the software MMU, which then gives exactly its own result. The
//! kernel's TLB flush notices clear the named pages in the region (`Asid`: the whole
//! region goes). On other targets only the software MMU exists.

use crate::mmu::SoftMmu;
use selvm_vm::{Exit, Memory, Module, Stop, Thread};

/// Most instructions one call into the interpreter runs. With sibling-call dispatch a
/// memory access whose handler calls out to a slow path (the mmap back end's guarded
/// access, measured in `Load64`) keeps its frame, so the native stack grows by about
/// 72 bytes per access until the call returns: a slice of 100,000 instructions could
/// need megabytes (a 1 MiB stack overflowed). Runs of at most this many instructions
/// bound that to about 74 KiB whatever the slice's budget, for one more call (a few
/// dozen host instructions) per 1,024 guest instructions. The real fix, a handler
/// whose slow path leaves its frame reusable, is still to do.
const RUN_CHUNK: u64 = 1024;

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
pub use imp::MappingCounts;
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
pub(crate) use imp::Regions;

/// Placeholder where the back end does not exist (never constructed).
#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
pub(crate) enum Regions {}

#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
impl Regions {
    pub(crate) fn flush(&mut self, _: selvm_kernel::vspace::TlbFlush) {
        match *self {}
    }
}

/// Runs `thread` for `budget` instructions on the machine's memory back end: in
/// `vspace`'s region when the machine has regions and the thread a VSpace, else on
/// `soft`. Returns how it stopped and whether a device read must wait for input.
#[inline(always)]
pub(crate) fn run(
    thread: &mut Thread,
    module: &Module,
    stack: &mut [u64],
    soft: SoftMmu<'_, '_>,
    regions: Option<&mut Regions>,
    vspace: Option<u16>,
    budget: u64,
) -> (Exit, bool) {
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    if let Some(space) = vspace.zip(regions).and_then(|(asid, r)| r.space(asid)) {
        let mut mmu = imp::MappedMmu::new(soft, space);
        let exit = run_chunked(thread, module, stack, &mut mmu, budget, |m| m.blocked());
        return (exit, mmu.blocked());
    }
    // Without regions, a VSpace, or a region the host would reserve: the software MMU.
    #[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
    let _ = (regions, vspace);
    let mut soft = soft;
    let exit = run_chunked(thread, module, stack, &mut soft, budget, |m| m.blocked());
    let blocked = soft.blocked();
    (exit, blocked)
}

/// `thread.run` for `budget` instructions as calls of at most [`RUN_CHUNK`]: the same
/// stop and count as one call (a budget stop is exact), with a bounded native stack.
#[inline(always)]
fn run_chunked<M: Memory>(
    thread: &mut Thread,
    module: &Module,
    stack: &mut [u64],
    memory: &mut M,
    budget: u64,
    blocked: impl Fn(&M) -> bool,
) -> Exit {
    let mut executed = 0;
    loop {
        let left = budget.saturating_sub(executed);
        let mut exit = thread.run(module, stack, memory, left.min(RUN_CHUNK));
        executed += exit.executed;
        let more = matches!(exit.stop, Stop::Budget) && executed < budget && !blocked(memory);
        if !more {
            exit.executed = executed;
            return exit;
        }
    }
}

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
mod imp;
