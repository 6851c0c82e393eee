//! The loader's Sv39 table (its own 1 GiB one-to-one, the kernel's virtual 1 GiB slot to
//! its physical one, both as gigapages) and the jump into the kernel with the MMU on.

/// One 4 KiB Sv39 table.
#[repr(C, align(4096))]
struct Table([u64; 512]);

#[unsafe(link_section = ".bss.pagetable")]
static mut ROOT: Table = Table([0; 512]);

/// Valid, readable, writable, executable, accessed, dirty: a leaf the kernel can use.
const LEAF: u64 = 0b1100_1111;
const GIGA: u64 = 1 << 30;

/// Maps, turns the MMU on and calls the kernel at `entry` with `args` in a0..a5;
/// the kernel's virtual addresses are its physical ones plus `kernel_offset`.
pub fn enter(entry: u64, kernel_offset: u64, args: [u64; 6]) -> ! {
    let here = enter as *const () as usize as u64;
    let slot = |va: u64| ((va >> 30) & 0x1ff) as usize;
    let leaf = |pa: u64| ((pa & !(GIGA - 1)) >> 12) << 10 | LEAF;
    // SAFETY: single-threaded boot; nothing else refers to ROOT, which lives in the
    // loader's zeroed .bss, 4 KiB aligned.
    let root = unsafe { &mut *core::ptr::addr_of_mut!(ROOT) };
    root.0[slot(here)] = leaf(here);
    root.0[slot(entry)] = leaf(entry.wrapping_sub(kernel_offset));
    let satp = (8u64 << 60) | (root.0.as_ptr() as u64 >> 12);
    // SAFETY: the table maps the code running now one-to-one (so execution continues
    // after `csrw satp`) and the kernel's entry; the kernel takes over from there with
    // a0..a5 as its contract says and never returns.
    unsafe {
        core::arch::asm!(
            "csrw satp, {satp}",
            "sfence.vma",
            "jr {entry}",
            satp = in(reg) satp,
            entry = in(reg) entry,
            in("a0") args[0], in("a1") args[1], in("a2") args[2],
            in("a3") args[3], in("a4") args[4], in("a5") args[5],
            options(noreturn),
        );
    }
}
