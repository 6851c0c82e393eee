//! The kernel's own address space (seL4's riscv64 kernel window, Sv39): all physical
//! memory one-to-one from `PHYS_WINDOW`, and the kernel image in the top gigabyte
//! slot but one (virtual 0xffffffff80000000 onwards is physical 0x80000000 onwards, so
//! the image at 0xffffffff84000000 is at 0x84000000). Every user VSpace root gets a
//! copy of these global entries, so traps and the kernel work whatever root is in
//! `satp`. This module and `trap` are where the platform touches page tables and CSRs.

/// Where physical address 0 appears in the kernel's address space.
pub const PHYS_WINDOW: u64 = 0xffff_ffc0_0000_0000;
/// Virtual minus physical address of the kernel image.
pub const KERNEL_OFFSET: u64 = 0xffff_ffff_0000_0000;
/// The first root-table index of the kernel's half (user addresses stay below).
pub const FIRST_KERNEL_ENTRY: usize = 256;

const GIGA: u64 = 1 << 30;
/// Root entries of the physical window: 254 GiB, up to the kernel image's slot.
const WINDOW_ENTRIES: u64 = 254;
/// Valid, readable, writable, executable, global, accessed, dirty (a kernel leaf).
const KERNEL_LEAF: u64 = 0b1110_1111;

/// The kernel-window address of physical address `pa`.
pub const fn phys_to_virt(pa: u64) -> u64 {
    pa + PHYS_WINDOW
}

/// One 4 KiB Sv39 table.
#[repr(C, align(4096))]
struct Table([u64; 512]);

#[unsafe(link_section = ".bss.pagetable")]
static mut KERNEL_ROOT: Table = Table([0; 512]);

/// A gigapage leaf for physical `pa`.
const fn giga_leaf(pa: u64) -> u64 {
    ((pa >> 12) << 10) | KERNEL_LEAF
}

/// Fills the kernel's root table and switches `satp` to it (ASID 0).
pub fn activate() {
    // SAFETY: single-threaded boot, before anything else reads KERNEL_ROOT; the static
    // is 4 KiB aligned in the kernel's .bss.
    let root = unsafe { &mut *core::ptr::addr_of_mut!(KERNEL_ROOT) };
    for i in 0..WINDOW_ENTRIES {
        root.0[FIRST_KERNEL_ENTRY + i as usize] = giga_leaf(i * GIGA);
    }
    let image = 0x8000_0000u64;
    root.0[((image + KERNEL_OFFSET) >> 30 & 0x1ff) as usize] = giga_leaf(image);
    let root_pa = root.0.as_ptr() as u64 - KERNEL_OFFSET;
    // SAFETY: the new table maps the kernel image at the addresses it runs at (the
    // loader's mapping of it is the same), so execution and the stack continue; the
    // loader's identity mapping is dropped, and nothing refers to it any more.
    unsafe {
        core::arch::asm!(
            "csrw satp, {satp}",
            "sfence.vma",
            satp = in(reg) (8u64 << 60) | (root_pa >> 12),
        );
    }
}

/// The kernel's global root entries (indices `FIRST_KERNEL_ENTRY..512`), to copy into
/// every VSpace root.
pub fn global_entries() -> [u64; 512 - FIRST_KERNEL_ENTRY] {
    // SAFETY: KERNEL_ROOT is written only by `activate`, once, before this can run.
    let root = unsafe { &*core::ptr::addr_of!(KERNEL_ROOT) };
    let mut out = [0; 512 - FIRST_KERNEL_ENTRY];
    out.copy_from_slice(&root.0[FIRST_KERNEL_ENTRY..]);
    out
}
