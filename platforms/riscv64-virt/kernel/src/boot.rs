//! Boot on qemu `virt`: the loader's registers and the device tree become the
//! portable kernel's boot configuration (the RAM it may use, what is reserved in
//! it, the device ranges user level gets, the root task's image), the kernel
//! boots, and the root thread is set up as seL4's is: pc at the image's entry,
//! a0 the BootInfo address.

use crate::devicetree::Machine;
use crate::platform::Virt;
use crate::plic::Plic;
use crate::window;
use selvm_kernel::arch::riscv64::{A0, FAULT_IP, NEXT_IP, Riscv64};
use selvm_kernel::boot::UserImage;
use selvm_kernel::{BootConfig, BootError, Kernel};

/// RAM OpenSBI keeps for itself at the start of memory (it is not ours to use).
const FIRMWARE_BYTES: u64 = 2 << 20;
/// Physical addresses user level may see: Sv39's 2^39 (device Untypeds reach it).
const PADDR_TOP: u64 = 1 << 39;
const PAGE: u64 = 4096;

/// The kernel on qemu `virt`, its memory seen through the window.
pub type VirtKernel = Kernel<Riscv64<Virt>, &'static mut [u64]>;

/// What seL4's elfloader passes in a0–a5.
#[derive(Debug, Clone, Copy)]
pub struct LoaderArgs {
    /// The root task image's physical start and end (exclusive).
    pub image: (u64, u64),
    /// Physical minus virtual address of the image.
    pub pv_offset: u64,
    /// The image's virtual entry point.
    pub entry: u64,
    /// The device tree's physical address (0: none) and size.
    pub device_tree: (u64, u64),
}

/// Why the kernel could not boot.
#[derive(Debug)]
pub enum BootFailure {
    /// The loader's registers make no sense (unaligned or overlapping ranges).
    BadLoaderArgs,
    /// The portable kernel refused the configuration.
    Kernel(BootError),
}

impl core::fmt::Display for BootFailure {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            BootFailure::BadLoaderArgs => f.write_str("the loader's image range is not page aligned"),
            BootFailure::Kernel(e) => write!(f, "the kernel refused the configuration: {e:?}"),
        }
    }
}

/// `[0, PADDR_TOP)` without `holes` (each rounded out to pages), in order.
fn device_ranges(mut holes: [(u64, u64); 3]) -> ([(u64, u64); 4], usize) {
    holes.sort_unstable_by_key(|h| h.0);
    let mut out = [(0, 0); 4];
    let mut n = 0;
    let mut at = 0;
    for (s, e) in holes {
        if s == e {
            continue;
        }
        let (s, e) = (s & !(PAGE - 1), e.next_multiple_of(PAGE));
        if s > at {
            out[n] = (at, s);
            n += 1;
        }
        at = at.max(e);
    }
    if at < PADDR_TOP {
        out[n] = (at, PADDR_TOP);
        n += 1;
    }
    (out, n)
}

/// Boots the kernel on `machine` with the root task the loader placed.
pub fn boot(args: &LoaderArgs, machine: &Machine) -> Result<VirtKernel, BootFailure> {
    let (ram_start, ram_end) = (machine.ram.0 + FIRMWARE_BYTES, machine.ram.1);
    let (image_start, image_end) = args.image;
    let aligned = |x: u64| x % PAGE == 0;
    if !aligned(image_start) || !aligned(image_end) || image_end <= image_start {
        return Err(BootFailure::BadLoaderArgs);
    }
    let (dtb, dtb_size) = args.device_tree;
    // No device tree: an empty range, which reserves nothing.
    let dtb_pages = (dtb & !(PAGE - 1), (dtb + dtb_size).next_multiple_of(PAGE));
    let reserved = [window::kernel_image(), dtb_pages, args.image];
    let plic = Plic::new(machine.plic.0, machine.plic_sources + 1);
    plic.init();
    let (devices, n) = device_ranges([
        machine.ram,
        machine.plic.0.checked_add(machine.plic.1).map_or((0, 0), |e| (machine.plic.0, e)),
        machine.clint.map_or((0, 0), |(b, s)| (b, b + s)),
    ]);
    let config = BootConfig {
        device_ranges: &devices[..n],
        reserved: &reserved,
        user_image: Some(UserImage {
            phys: args.image,
            virt: image_start.wrapping_sub(args.pv_offset),
            device_tree: (dtb != 0).then_some((dtb, dtb_size)),
        }),
        ..BootConfig::default()
    };
    // SAFETY: called once, at boot; the range is RAM after OpenSBI's, and the
    // kernel image inside it is reserved above, so nothing reaches it through the
    // slice.
    let ram = unsafe { window::ram(ram_start, ram_end) };
    let arch = Riscv64 {
        platform: Virt { plic },
    };
    let (mut kernel, summary) =
        Kernel::boot(ram_start, ram, &config, arch).map_err(BootFailure::Kernel)?;
    let boot_info = summary.image.map_or(0, |layout| layout.boot_info);
    let root = kernel.current_thread();
    let context = kernel.context_mut(root);
    (context[A0], context[FAULT_IP], context[NEXT_IP]) = (boot_info, args.entry, args.entry);
    Ok(kernel)
}
