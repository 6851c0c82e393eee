//! Boot: place the root task's CNode, TCB, IPC buffer frame, VSpace and ASID pool
//! and the idle thread in physical memory (`plan`: RAM minus what the platform
//! reserves), give the CNode the initial caps, map the root task's image when the
//! platform loaded one (`image`: native architectures, as seL4's boot does), and
//! cover all remaining memory with Untyped caps, device ranges with device Untypeds.
//! A hosted machine's loader maps its program itself through ordinary invocations.

mod image;
mod plan;

pub use image::{ImageLayout, UserImage};
pub use plan::{MAX_RESERVED, PlanError};

use crate::arch::Arch;
use crate::cap::{Cap, FrameSize, VmRights};
use crate::cdt;
use crate::memory::Ram;
use crate::memory::{PAddr, PhysMem, RegionError};
use crate::object::irq::{Irqs, MAX_IRQS};
use crate::object::tcb::{self, ThreadState};
use crate::preemption::Preemption;
use crate::sched::Scheduler;
use crate::slot::{SLOT_SIZE, SlotRef};
use crate::state::{BootObjects, Kernel};
use crate::vspace::{Asid, AsidTable};
use selvm_abi::{
    BOOT_INFO_SIZE, BootInfo, CPtr, MAX_BOOTINFO_UNTYPED_CAPS, MAX_PRIORITY, MAX_UNTYPED_BITS,
    MIN_UNTYPED_BITS, SlotRegion, UntypedDesc, WORD_BITS, boot as slots, object, object::SLOT_BITS,
};

/// A device memory region the platform reports (never zeroed, only frames).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceRegion {
    /// Base physical address (outside the RAM region).
    pub base: PAddr,
    /// log2 of the size.
    pub size_bits: u8,
}

/// How to boot (the default: the configuration's root CNode, no devices, nothing
/// reserved, no image).
#[derive(Debug, Clone, Copy, Default)]
pub struct BootConfig<'a> {
    /// log2 of the root CNode's slot count; 0 (the default) takes the
    /// architecture's configuration (`Arch::CONFIG.root_cnode_radix`: the vm 12,
    /// riscv64 13).
    pub root_radix: u8,
    /// Device regions to hand out as device Untypeds (aligned blocks).
    pub devices: &'a [DeviceRegion],
    /// Device ranges of any shape, split into aligned device Untypeds (what seL4
    /// gives for every non-RAM range the kernel does not keep).
    pub device_ranges: &'a [(PAddr, PAddr)],
    /// RAM boot must leave alone (not zeroed, no object, no Untyped): the device
    /// tree and the root task's image a loader placed. At most [`MAX_RESERVED`].
    pub reserved: &'a [(PAddr, PAddr)],
    /// The root task's image to map (native architectures).
    pub user_image: Option<UserImage>,
}

/// Why boot failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BootError {
    /// The memory region is unusable.
    Region(RegionError),
    /// The root CNode radix must be 5..=20 (room for the initial caps), or 0 for
    /// the configuration's.
    BadRootRadix(u8),
    /// The memory is too small for the root CNode.
    TooSmall,
    /// A device region overlaps RAM, is misaligned or out of range.
    BadDevice(DeviceRegion),
    /// A reserved range is misaligned, too many were given, or an image is not
    /// inside one.
    BadReserved,
}

/// What the root task learns at boot (the CSpace part of BootInfo).
#[derive(Debug, Clone, Copy)]
pub struct BootSummary {
    /// The root CNode cap (in slot `CAP_INIT_THREAD_CNODE`, and in the root
    /// TCB's CTable slot as its CSpace root).
    pub root_cnode: Cap,
    /// The root task's TCB (cap in slot `CAP_INIT_THREAD_TCB`); priority and
    /// MCP 255, running.
    pub root_tcb: PAddr,
    /// Slots holding untyped caps.
    pub untyped: SlotRegion,
    /// Empty slots free for the root task.
    pub empty: SlotRegion,
    /// Describes each untyped cap, in slot order.
    pub untyped_list: [UntypedDesc; MAX_BOOTINFO_UNTYPED_CAPS],
    /// Where the root task's image went, if boot mapped one (BootInfo written).
    pub image: Option<ImageLayout>,
}

impl BootSummary {
    /// The descriptors of the Untyped caps boot made, in slot order.
    pub fn untypeds(&self) -> &[UntypedDesc] {
        &self.untyped_list[..self.untyped.len() as usize]
    }
}

/// The ASID of the root task's VSpace (seL4's initial thread ASID).
pub const INIT_THREAD_ASID: Asid = 1;

/// Splits `[base, end)` into maximal naturally aligned power-of-two blocks.
fn blocks(mut base: u64, end: u64, mut emit: impl FnMut(u64, u32)) {
    while end > base && end - base >= 1 << MIN_UNTYPED_BITS {
        let align = if base == 0 {
            WORD_BITS - 1
        } else {
            base.trailing_zeros()
        };
        let fit = 63 - (end - base).leading_zeros();
        let bits = align.min(fit).min(MAX_UNTYPED_BITS);
        emit(base, bits);
        base += 1 << bits;
    }
}

impl<A: Arch, R: Ram> Kernel<A, R> {
    /// Boots a kernel on the RAM `words`, whose first word has physical address `base`.
    pub fn boot(
        base: PAddr,
        words: R,
        config: &BootConfig<'_>,
        arch: A,
    ) -> Result<(Kernel<A, R>, BootSummary), BootError> {
        let mut mem = PhysMem::new(base, words).map_err(BootError::Region)?;
        let radix = match config.root_radix {
            0 => A::CONFIG.root_cnode_radix as u8,
            r => r,
        };
        if !(5..=20).contains(&radix) {
            return Err(BootError::BadRootRadix(radix));
        }
        let cnode_bytes = 1u64 << (SLOT_BITS + u32::from(radix));
        let tcb_bytes = 1u64 << A::CONFIG.tcb_bits;
        let page = 1u64 << object::PAGE_BITS;
        let irq_count = A::IRQ_COUNT.min(MAX_IRQS as u64);
        let node_bytes = (irq_count * SLOT_SIZE).next_power_of_two();
        if let Some(image) = &config.user_image {
            let inside = config
                .reserved
                .iter()
                .any(|&(s, e)| s <= image.phys.0 && image.phys.1 <= e);
            if !inside || image.phys.0 % page != 0 || image.phys.1 % page != 0 {
                return Err(BootError::BadReserved);
            }
        }
        // The objects boot places, in one block of the first free run that holds
        // them: the root CNode, the root TCB and the idle thread, the IPC buffer
        // frame, the ASID pool (ASIDs 0..512), the VSpace root (ASID 1), the IRQ
        // node, and the image's tables and frames.
        let mut plan = plan::Plan::new(mem.base(), mem.end(), config.reserved)
            .map_err(|_| BootError::BadReserved)?;
        let too_small = |_| BootError::TooSmall;
        plan.start_block(cnode_bytes, cnode_bytes)
            .map_err(too_small)?;
        let cnode_at = plan.alloc(cnode_bytes, cnode_bytes).map_err(too_small)?;
        let tcb_at = plan.alloc(2 * tcb_bytes, tcb_bytes).map_err(too_small)?;
        let idle_at = tcb_at + tcb_bytes;
        let buffer_at = plan.alloc(3 * page, page).map_err(too_small)?;
        let pool_at = buffer_at + page;
        let vspace_at = pool_at + page;
        let node_at = plan.alloc(node_bytes, node_bytes).map_err(too_small)?;
        let image_objects = match &config.user_image {
            Some(i) => Some(image::plan(&mut plan, i).map_err(too_small)?),
            None => None,
        };
        for d in config.devices {
            let size = 1u64.checked_shl(d.size_bits.into()).unwrap_or(0);
            let ok = size != 0
                && d.base & (size - 1) == 0
                && d.base
                    .checked_add(size)
                    .is_some_and(|e| e <= crate::memory::PADDR_LIMIT)
                && (d.base + size <= mem.base() || d.base >= mem.end())
                && (u32::from(d.size_bits) >= MIN_UNTYPED_BITS
                    && u32::from(d.size_bits) <= MAX_UNTYPED_BITS);
            if !ok {
                return Err(BootError::BadDevice(*d));
            }
        }
        plan.free_runs(&[], |s, e| mem.zero(s, e - s));
        let root = SlotRef(cnode_at);
        let root_cap = Cap::CNode {
            ptr: cnode_at,
            radix,
            guard_size: (WORD_BITS as u8) - radix,
            guard: 0,
        };
        let at = |cptr: CPtr| root.offset(cptr);
        cdt::insert_original(&mut mem, at(slots::CAP_INIT_THREAD_CNODE), root_cap);
        cdt::insert_derived(
            &mut mem,
            root_cap,
            at(slots::CAP_INIT_THREAD_CNODE),
            tcb::slot(tcb_at, object::TCB_CTABLE),
        );
        cdt::insert_original(
            &mut mem,
            at(slots::CAP_INIT_THREAD_TCB),
            Cap::Thread { tcb: tcb_at },
        );
        cdt::insert_original(&mut mem, at(slots::CAP_IRQ_CONTROL), Cap::IrqControl);
        cdt::insert_original(&mut mem, at(slots::CAP_ASID_CONTROL), Cap::AsidControl);
        cdt::insert_original(&mut mem, at(slots::CAP_DOMAIN), Cap::Domain);
        let buffer = Cap::Frame {
            ptr: buffer_at,
            size: FrameSize::Small,
            rights: VmRights::ReadWrite,
            is_device: false,
            mapping: None,
        };
        cdt::insert_original(&mut mem, at(slots::CAP_INIT_THREAD_IPC_BUFFER), buffer);
        cdt::insert_derived(
            &mut mem,
            buffer,
            at(slots::CAP_INIT_THREAD_IPC_BUFFER),
            tcb::slot(tcb_at, object::TCB_BUFFER),
        );

        let pool = Cap::AsidPool {
            ptr: pool_at,
            asid_base: 0,
        };
        cdt::insert_original(&mut mem, at(slots::CAP_INIT_THREAD_ASID_POOL), pool);
        let vspace = Cap::PageTable {
            ptr: vspace_at,
            mapping: Some((INIT_THREAD_ASID, 0)),
        };
        cdt::insert_original(&mut mem, at(slots::CAP_INIT_THREAD_VSPACE), vspace);
        cdt::insert_derived(
            &mut mem,
            vspace,
            at(slots::CAP_INIT_THREAD_VSPACE),
            tcb::slot(tcb_at, object::TCB_VTABLE),
        );
        mem.write(pool_at + 8 * u64::from(INIT_THREAD_ASID), vspace_at);
        let mut asids = AsidTable::default();
        asids.pools[0] = pool_at;

        // The root task's image (native architectures): paging, extra BootInfo and
        // image frame caps from the first free slot, before the Untypeds.
        let mut first_free = slots::NUM_INITIAL_CAPS;
        let image = match (&config.user_image, &image_objects) {
            (Some(i), Some(objects)) => {
                let bi_frame = objects.taken()[1].0;
                let bi = Cap::Frame {
                    ptr: bi_frame,
                    size: FrameSize::Small,
                    rights: VmRights::ReadWrite,
                    is_device: false,
                    mapping: None,
                };
                cdt::insert_original(&mut mem, at(slots::CAP_BOOT_INFO_FRAME), bi);
                let layout = image::map(
                    &mut mem,
                    i,
                    objects,
                    vspace_at,
                    INIT_THREAD_ASID,
                    root,
                    first_free,
                    (slots::CAP_INIT_THREAD_IPC_BUFFER, buffer_at),
                    slots::CAP_BOOT_INFO_FRAME,
                );
                first_free = layout.frames.end;
                Some(layout)
            }
            _ => None,
        };

        let capacity =
            ((1u64 << radix) - first_free).min(A::CONFIG.max_bootinfo_untyped_caps as u64);
        let mut list = [UntypedDesc::ZERO; MAX_BOOTINFO_UNTYPED_CAPS];
        let mut next = first_free;
        let mut add = |mem: &mut PhysMem<R>, ptr: u64, bits: u32, is_device: bool| {
            if next - first_free < capacity {
                let cap = Cap::Untyped {
                    ptr,
                    size_bits: bits as u8,
                    is_device,
                    watermark: 0,
                };
                cdt::insert_original(mem, at(next), cap);
                list[(next - first_free) as usize] = UntypedDesc {
                    paddr: ptr,
                    size_bits: bits as u8,
                    is_device: is_device.into(),
                    padding: [0; 6],
                };
                next += 1;
            }
        };
        let mut taken = [
            (cnode_at, cnode_at + cnode_bytes),
            (tcb_at, idle_at + tcb_bytes),
            (buffer_at, vspace_at + page),
            (node_at, node_at + node_bytes),
            (0, 0),
            (0, 0),
            (0, 0),
        ];
        if let Some(o) = &image_objects {
            taken[4..].copy_from_slice(&o.taken());
        }
        let mut runs = [(0u64, 0u64); 24];
        let mut nruns = 0;
        plan.free_runs(&taken, |s, e| {
            if nruns < runs.len() {
                runs[nruns] = (s, e);
                nruns += 1;
            }
        });
        for &(s, e) in &runs[..nruns] {
            blocks(s, e, |p, b| add(&mut mem, p, b, false));
        }
        for d in config.devices {
            add(&mut mem, d.base, d.size_bits.into(), true);
        }
        for &(s, e) in config.device_ranges {
            blocks(s, e, |p, b| add(&mut mem, p, b, true));
        }
        let summary = BootSummary {
            root_cnode: root_cap,
            root_tcb: tcb_at,
            untyped: SlotRegion {
                start: first_free,
                end: next,
            },
            empty: SlotRegion {
                start: next,
                end: 1 << radix,
            },
            untyped_list: list,
            image,
        };
        let mut kernel = Kernel {
            arch,
            sched: Scheduler::new(tcb_at, idle_at),
            fastpath: Default::default(),
            irqs: Irqs {
                active: [false; MAX_IRQS],
                node: node_at,
            },
            mem,
            preemption: Preemption::default(),
            boot: BootObjects {
                root_cnode: root,
                root_radix: radix,
                root_tcb: tcb_at,
                irq_node: SlotRef(node_at),
                irq_count,
            },
            deferred_delete: None,
            asids,
            double_faults: 0,
        };
        debug_assert_eq!(SLOT_SIZE, 32);
        kernel.init_tcb(tcb_at);
        kernel.setup_reply_master(tcb_at);
        let root = kernel.tcb_mut(tcb_at);
        (root.priority, root.mcp, root.state) =
            (MAX_PRIORITY, MAX_PRIORITY, ThreadState::Running as u64);
        kernel.init_tcb(idle_at);
        kernel.tcb_mut(idle_at).state = ThreadState::Idle as u64;
        // seL4's debug kernel names these two.
        kernel.set_thread_name(tcb_at, name_words(b"rootserver"));
        kernel.set_thread_name(idle_at, name_words(b"idle_thread"));
        kernel.copy_kernel_root_entries(vspace_at);
        if let Some(layout) = &summary.image {
            kernel.tcb_mut(tcb_at).ipc_buffer = layout.ipc_buffer;
            let info = boot_info(&summary, layout, radix);
            let frame = kernel.mem.bytes_mut(layout.boot_info_frame, BOOT_INFO_SIZE);
            info.write_le(frame);
        }
        Ok((kernel, summary))
    }
}

/// `name` as NUL-padded little-endian words.
fn name_words(name: &[u8]) -> impl Iterator<Item = u64> + '_ {
    name.chunks(8).map(|c| {
        let mut w = [0u8; 8];
        w[..c.len()].copy_from_slice(c);
        u64::from_le_bytes(w)
    })
}

/// The BootInfo seL4 gives a root task whose image boot mapped.
fn boot_info(summary: &BootSummary, layout: &ImageLayout, radix: u8) -> BootInfo {
    BootInfo {
        extra_len: layout.extra_len,
        node_id: 0,
        num_nodes: 1,
        ipc_buffer: layout.ipc_buffer,
        empty: summary.empty,
        user_image_frames: layout.frames,
        user_image_paging: layout.paging,
        extra_bi_pages: layout.extra_pages,
        init_thread_cnode_size_bits: radix.into(),
        untyped: summary.untyped,
        untyped_list: summary.untyped_list,
        ..BootInfo::ZERO
    }
}

#[cfg(test)]
mod tests;
