//! The supervisor CSRs and instructions the kernel uses: the `time` counter, the
//! trap value, interrupt enables and pending bits, `satp` with an ASID, `sfence.vma`
//! and `wfi`. Each is one instruction; none touches memory.

/// Bit of `sie`/`sip` for the supervisor timer interrupt.
pub const TIMER: u64 = 1 << 5;
/// Bit of `sie`/`sip` for supervisor external interrupts (the PLIC).
pub const EXTERNAL: u64 = 1 << 9;

/// The `time` counter (the timebase's ticks).
pub fn time() -> u64 {
    let t: u64;
    // SAFETY: reading `time` has no side effect.
    unsafe { core::arch::asm!("rdtime {0}", out(reg) t, options(nomem, nostack)) };
    t
}

/// The trap value of the last trap (the faulting address of a page fault).
pub fn stval() -> u64 {
    let v: u64;
    // SAFETY: reading `stval` has no side effect.
    unsafe { core::arch::asm!("csrr {0}, stval", out(reg) v, options(nomem, nostack)) };
    v
}

/// Interrupts pending (`sip`).
pub fn pending() -> u64 {
    let v: u64;
    // SAFETY: reading `sip` has no side effect.
    unsafe { core::arch::asm!("csrr {0}, sip", out(reg) v, options(nomem, nostack)) };
    v
}

/// Enables the interrupt sources `bits` in `sie` (they trap from user mode, where
/// `sstatus.SIE` is on; the kernel runs with it off and polls them when idle).
pub fn enable_interrupts(bits: u64) {
    // SAFETY: setting `sie` bits only decides which interrupts may be taken; the
    // kernel itself runs with `sstatus.SIE` clear, so none interrupts it.
    unsafe { core::arch::asm!("csrs sie, {0}", in(reg) bits, options(nomem, nostack)) };
}

/// Waits for an interrupt to become pending (with `sstatus.SIE` clear it is not
/// taken; the caller reads `sip`).
pub fn wait_for_interrupt() {
    // SAFETY: `wfi` only stalls the hart until an enabled interrupt is pending.
    unsafe { core::arch::asm!("wfi", options(nomem, nostack)) };
}

/// Switches to the Sv39 root table at physical `root` under `asid`.
///
/// # Safety
/// `root` must be a root table holding the kernel's entries (256..512), so the
/// kernel keeps running after the switch.
pub unsafe fn set_satp(asid: u64, root: u64) {
    let satp = (8u64 << 60) | ((asid & 0xffff) << 44) | (root >> 12);
    // SAFETY: as the caller promises, the kernel's own mappings are unchanged.
    unsafe { core::arch::asm!("csrw satp, {0}", in(reg) satp, options(nostack)) };
}

/// Drops every cached translation of `asid`.
pub fn flush_asid(asid: u64) {
    // SAFETY: `sfence.vma` only discards cached translations.
    unsafe { core::arch::asm!("sfence.vma zero, {0}", in(reg) asid, options(nostack)) };
}

/// Drops the cached translations of the page at `vaddr` in `asid`.
pub fn flush_page(asid: u64, vaddr: u64) {
    // SAFETY: `sfence.vma` only discards cached translations.
    unsafe { core::arch::asm!("sfence.vma {0}, {1}", in(reg) vaddr, in(reg) asid, options(nostack)) };
}

/// Lets user mode read `cycle`, `time` and `instret` (`scounteren`), as
/// benchmarks and runtimes on seL4 do with `rdcycle` and `rdtime`.
pub fn allow_user_counters() {
    // SAFETY: `scounteren` only decides whether user-mode counter reads trap.
    unsafe { core::arch::asm!("csrw scounteren, {0}", in(reg) 0b111u64, options(nomem, nostack)) };
}
