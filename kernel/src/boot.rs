//! Boot: place the root task's CNode, TCB and IPC buffer frame and the idle
//! thread in physical memory, give the CNode the initial caps, and cover all
//! remaining memory with Untyped caps, as seL4's boot does for the root task.
//! (The VSpace and BootInfo frame join with the VSpace layer, which also maps
//! the IPC buffer; the kernel reaches it through its frame cap.)

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
    CPtr, MAX_BOOTINFO_UNTYPED_CAPS, MAX_PRIORITY, MAX_UNTYPED_BITS, MIN_UNTYPED_BITS, SlotRegion,
    UntypedDesc, WORD_BITS, boot as slots, object, object::SLOT_BITS,
};

/// A device memory region the platform reports (never zeroed, only frames).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceRegion {
    /// Base physical address (outside the RAM region).
    pub base: PAddr,
    /// log2 of the size.
    pub size_bits: u8,
}

/// How to boot (the default: the configuration's root CNode, no devices).
#[derive(Debug, Clone, Copy, Default)]
pub struct BootConfig<'a> {
    /// log2 of the root CNode's slot count; 0 (the default) takes the
    /// architecture's configuration (`Arch::CONFIG.root_cnode_radix`: the vm 12,
    /// riscv64 13).
    pub root_radix: u8,
    /// Device regions to hand out as device Untypeds.
    pub devices: &'a [DeviceRegion],
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
}

/// The ASID of the root task's VSpace (seL4's initial thread ASID).
pub const INIT_THREAD_ASID: Asid = 1;

const fn align_up(value: u64, size: u64) -> u64 {
    (value + size - 1) & !(size - 1)
}

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
        let cnode_at = align_up(mem.base(), cnode_bytes);
        let tcb_bytes = 1u64 << A::CONFIG.tcb_bits;
        let tcb_at = align_up(cnode_at + cnode_bytes, tcb_bytes);
        let idle_at = tcb_at + tcb_bytes;
        let page = 1u64 << object::PAGE_BITS;
        let buffer_at = align_up(idle_at + tcb_bytes, page);
        let irq_count = A::IRQ_COUNT.min(MAX_IRQS as u64);
        let node_bytes = (irq_count * SLOT_SIZE).next_power_of_two();
        // The root task's ASID pool (ASIDs 0..512) and VSpace root (ASID 1).
        let pool_at = buffer_at + page;
        let vspace_at = pool_at + page;
        let node_at = align_up(vspace_at + page, node_bytes);
        if !mem.contains(cnode_at, node_at + node_bytes - cnode_at) {
            return Err(BootError::TooSmall);
        }
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
        mem.zero(mem.base(), mem.size());
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

        let capacity = ((1u64 << radix) - slots::NUM_INITIAL_CAPS)
            .min(A::CONFIG.max_bootinfo_untyped_caps as u64);
        let mut list = [UntypedDesc::ZERO; MAX_BOOTINFO_UNTYPED_CAPS];
        let mut next = slots::NUM_INITIAL_CAPS;
        let mut add = |mem: &mut PhysMem<R>, ptr: u64, bits: u32, is_device: bool| {
            if next - slots::NUM_INITIAL_CAPS < capacity {
                let cap = Cap::Untyped {
                    ptr,
                    size_bits: bits as u8,
                    is_device,
                    watermark: 0,
                };
                cdt::insert_original(mem, at(next), cap);
                list[(next - slots::NUM_INITIAL_CAPS) as usize] = UntypedDesc {
                    paddr: ptr,
                    size_bits: bits as u8,
                    is_device: is_device.into(),
                    padding: [0; 6],
                };
                next += 1;
            }
        };
        let (ram_base, ram_end) = (mem.base(), mem.end());
        blocks(ram_base, cnode_at, |p, b| add(&mut mem, p, b, false));
        blocks(cnode_at + cnode_bytes, tcb_at, |p, b| {
            add(&mut mem, p, b, false)
        });
        blocks(idle_at + tcb_bytes, buffer_at, |p, b| {
            add(&mut mem, p, b, false)
        });
        blocks(vspace_at + page, node_at, |p, b| add(&mut mem, p, b, false));
        blocks(node_at + node_bytes, ram_end, |p, b| {
            add(&mut mem, p, b, false)
        });
        for d in config.devices {
            add(&mut mem, d.base, d.size_bits.into(), true);
        }
        let summary = BootSummary {
            root_cnode: root_cap,
            root_tcb: tcb_at,
            untyped: SlotRegion {
                start: slots::NUM_INITIAL_CAPS,
                end: next,
            },
            empty: SlotRegion {
                start: next,
                end: 1 << radix,
            },
            untyped_list: list,
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
        Ok((kernel, summary))
    }
}

#[cfg(test)]
mod tests {
    use super::blocks;

    #[test]
    fn blocks_are_aligned_maximal_and_cover_the_range() {
        let mut out = std::vec::Vec::new();
        blocks(0x8000_1000, 0x8010_0000, |p, b| out.push((p, b)));
        let mut at = 0x8000_1000;
        for &(p, b) in &out {
            assert_eq!(p, at);
            assert_eq!(p & ((1 << b) - 1), 0);
            at += 1 << b;
        }
        assert_eq!(at, 0x8010_0000);
        assert_eq!(out.first(), Some(&(0x8000_1000, 12)));
        assert_eq!(out.last(), Some(&(0x8008_0000, 19)));
    }

    extern crate std;
}
