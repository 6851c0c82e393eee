//! The kernel's own address space (seL4's riscv64 kernel window, Sv39): all physical
//! memory one-to-one from `PHYS_WINDOW`, and the kernel image in the top gigabyte
//! slot but one (virtual 0xffffffff80000000 onwards is physical 0x80000000 onwards, so
//! the image at 0xffffffff84000000 is at 0x84000000). Every user VSpace root gets a
//! copy of these global entries, so traps and the kernel work whatever root is in
//! `satp`.

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

/// Physical address of the kernel's own root table.
pub fn kernel_root() -> u64 {
    core::ptr::addr_of!(KERNEL_ROOT) as u64 - KERNEL_OFFSET
}

/// Root entry `index` of the kernel's address space (0 outside 256..512), which
/// every VSpace root carries.
pub fn kernel_root_entry(index: usize) -> u64 {
    // SAFETY: KERNEL_ROOT is written only by `activate`, once, before the kernel
    // boots and asks for its entries.
    let root = unsafe { &*core::ptr::addr_of!(KERNEL_ROOT) };
    match index {
        FIRST_KERNEL_ENTRY..512 => root.0[index],
        _ => 0,
    }
}

unsafe extern "C" {
    static __kernel_start: u8;
    static __kernel_end: u8;
}

/// The kernel image's physical range (text to the end of its stacks), page aligned.
pub fn kernel_image() -> (u64, u64) {
    let (start, end) = (
        core::ptr::addr_of!(__kernel_start) as u64,
        core::ptr::addr_of!(__kernel_end) as u64,
    );
    (start - KERNEL_OFFSET, (end - KERNEL_OFFSET).next_multiple_of(4096))
}

/// Physical memory `[start, end)` as words, through the window: the memory the
/// portable kernel keeps its objects in and lends to user level.
///
/// # Safety
/// Call once. `[start, end)` must be RAM, page aligned, and every part of it the
/// kernel uses through another address (its own image, reached at its link
/// address) must be reserved at boot, so that no kernel object, Untyped or mapping
/// ever covers it and no word is reached both ways.
pub unsafe fn ram(start: u64, end: u64) -> &'static mut [u64] {
    let words = ((end - start) / 8) as usize;
    // SAFETY: the window maps all RAM, writable, at `phys_to_virt`; the caller
    // promises the range is RAM used through this slice alone.
    unsafe { core::slice::from_raw_parts_mut(phys_to_virt(start) as *mut u64, words) }
}
