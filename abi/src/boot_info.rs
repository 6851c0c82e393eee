//! The BootInfo frame (`seL4_BootInfo`) the kernel hands the root task, 64-bit layout.

use crate::{CPtr, Word};

/// The number of untyped descriptors in [`BootInfo::untyped_list`].
pub const MAX_BOOTINFO_UNTYPED_CAPS: usize = 230;

/// The size of [`BootInfo`] in bytes.
pub const BOOT_INFO_SIZE: usize = 3848;

/// log2 of the size of the frame that holds the BootInfo (one 4 KiB page).
pub const BOOT_INFO_FRAME_BITS: u32 = 12;

/// A range of CSpace slots `[start, end)` (`seL4_SlotRegion`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SlotRegion {
    /// The first slot in the region.
    pub start: Word,
    /// One past the last slot in the region.
    pub end: Word,
}

impl SlotRegion {
    /// The number of slots in the region (0 if `end <= start`).
    pub const fn len(&self) -> Word {
        self.end.saturating_sub(self.start)
    }

    /// Whether the region holds no slots.
    pub const fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    /// Whether `slot` lies in the region.
    pub const fn contains(&self, slot: CPtr) -> bool {
        self.start <= slot && slot < self.end
    }
}

/// Describes one untyped capability given to the root task (`seL4_UntypedDesc`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct UntypedDesc {
    /// Physical address of the untyped region.
    pub paddr: Word,
    /// log2 of the region's size in bytes.
    pub size_bits: u8,
    /// 1 if the region is device memory (never zeroed, frames or untyped only), else 0.
    pub is_device: u8,
    /// Padding to a 16-byte stride; zero.
    pub padding: [u8; 6],
}

impl UntypedDesc {
    /// An all-zero descriptor.
    pub const ZERO: UntypedDesc = UntypedDesc {
        paddr: 0,
        size_bits: 0,
        is_device: 0,
        padding: [0; 6],
    };
}

/// The boot information for the root task, laid out as libsel4's 64-bit `seL4_BootInfo`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BootInfo {
    /// Bytes of extra boot information following this structure's frame.
    pub extra_len: Word,
    /// This node's number (seLVM: which cluster node this kernel is).
    pub node_id: Word,
    /// The number of nodes.
    pub num_nodes: Word,
    /// IOMMU page-table levels (0: no IOMMU).
    pub num_io_pt_levels: Word,
    /// User virtual address of the root task's IPC buffer (a number, not a pointer).
    pub ipc_buffer: Word,
    /// Empty slots in the root CNode.
    pub empty: SlotRegion,
    /// Frames shared between nodes.
    pub shared_frames: SlotRegion,
    /// Frames holding the root task's image.
    pub user_image_frames: SlotRegion,
    /// Page tables mapping the root task's image.
    pub user_image_paging: SlotRegion,
    /// IOSpace capabilities.
    pub io_space_caps: SlotRegion,
    /// Frames holding the extra boot information.
    pub extra_bi_pages: SlotRegion,
    /// The radix of the root CNode.
    pub init_thread_cnode_size_bits: Word,
    /// The root task's scheduling domain.
    pub init_thread_domain: Word,
    /// The untyped capabilities, described by `untyped_list` in order.
    pub untyped: SlotRegion,
    /// Descriptors of the untyped capabilities; entry i describes slot `untyped.start + i`.
    pub untyped_list: [UntypedDesc; MAX_BOOTINFO_UNTYPED_CAPS],
}

impl BootInfo {
    /// An all-zero BootInfo, for the kernel to fill in.
    pub const ZERO: BootInfo = BootInfo {
        extra_len: 0,
        node_id: 0,
        num_nodes: 0,
        num_io_pt_levels: 0,
        ipc_buffer: 0,
        empty: SlotRegion { start: 0, end: 0 },
        shared_frames: SlotRegion { start: 0, end: 0 },
        user_image_frames: SlotRegion { start: 0, end: 0 },
        user_image_paging: SlotRegion { start: 0, end: 0 },
        io_space_caps: SlotRegion { start: 0, end: 0 },
        extra_bi_pages: SlotRegion { start: 0, end: 0 },
        init_thread_cnode_size_bits: 0,
        init_thread_domain: 0,
        untyped: SlotRegion { start: 0, end: 0 },
        untyped_list: [UntypedDesc::ZERO; MAX_BOOTINFO_UNTYPED_CAPS],
    };

    /// Writes the 64-bit little-endian bytes of seL4's layout into `out` (at least
    /// [`BOOT_INFO_SIZE`] bytes; the kernel or a loader fills the BootInfo frame so);
    /// returns how many bytes it wrote.
    pub fn write_le(&self, out: &mut [u8]) -> usize {
        let mut at = 0;
        let mut put = |bytes: &[u8]| {
            out[at..at + bytes.len()].copy_from_slice(bytes);
            at += bytes.len();
        };
        let words = [
            self.extra_len,
            self.node_id,
            self.num_nodes,
            self.num_io_pt_levels,
        ];
        for w in words.into_iter().chain([self.ipc_buffer]) {
            put(&w.to_le_bytes());
        }
        let regions = [
            self.empty,
            self.shared_frames,
            self.user_image_frames,
            self.user_image_paging,
            self.io_space_caps,
            self.extra_bi_pages,
        ];
        for r in regions {
            put(&r.start.to_le_bytes());
            put(&r.end.to_le_bytes());
        }
        put(&self.init_thread_cnode_size_bits.to_le_bytes());
        put(&self.init_thread_domain.to_le_bytes());
        put(&self.untyped.start.to_le_bytes());
        put(&self.untyped.end.to_le_bytes());
        for d in &self.untyped_list {
            put(&d.paddr.to_le_bytes());
            put(&[d.size_bits, d.is_device, 0, 0, 0, 0, 0, 0]);
        }
        at
    }

    /// The descriptors of the untyped caps actually present (bounded by the list size).
    pub fn untypeds(&self) -> &[UntypedDesc] {
        let n = self.untyped.len().min(MAX_BOOTINFO_UNTYPED_CAPS as Word) as usize;
        &self.untyped_list[..n]
    }
}

impl Default for BootInfo {
    fn default() -> Self {
        BootInfo::ZERO
    }
}

const _: () = assert!(core::mem::size_of::<SlotRegion>() == 16);
const _: () = assert!(core::mem::size_of::<UntypedDesc>() == 16);
const _: () = assert!(
    core::mem::size_of::<[UntypedDesc; MAX_BOOTINFO_UNTYPED_CAPS]>()
        == 16 * MAX_BOOTINFO_UNTYPED_CAPS
);
const _: () = assert!(core::mem::size_of::<BootInfo>() == BOOT_INFO_SIZE);
const _: () = assert!(core::mem::size_of::<BootInfo>() <= 1 << BOOT_INFO_FRAME_BITS);
const _: () = assert!(core::mem::offset_of!(BootInfo, ipc_buffer) == 32);
const _: () = assert!(core::mem::offset_of!(BootInfo, empty) == 40);
const _: () = assert!(core::mem::offset_of!(BootInfo, init_thread_cnode_size_bits) == 136);
const _: () = assert!(core::mem::offset_of!(BootInfo, untyped) == 152);
const _: () = assert!(core::mem::offset_of!(BootInfo, untyped_list) == 168);
const _: () = assert!(core::mem::offset_of!(UntypedDesc, size_bits) == 8);
const _: () = assert!(core::mem::offset_of!(UntypedDesc, is_device) == 9);

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{offset_of, size_of};

    #[test]
    fn layout() {
        assert_eq!(size_of::<BootInfo>(), 3848);
        assert!(size_of::<BootInfo>() <= 4096);
        assert_eq!(size_of::<UntypedDesc>(), 16);
        assert_eq!(offset_of!(BootInfo, extra_len), 0);
        assert_eq!(offset_of!(BootInfo, node_id), 8);
        assert_eq!(offset_of!(BootInfo, num_nodes), 16);
        assert_eq!(offset_of!(BootInfo, num_io_pt_levels), 24);
        assert_eq!(offset_of!(BootInfo, ipc_buffer), 32);
        assert_eq!(offset_of!(BootInfo, empty), 40);
        assert_eq!(offset_of!(BootInfo, shared_frames), 56);
        assert_eq!(offset_of!(BootInfo, user_image_frames), 72);
        assert_eq!(offset_of!(BootInfo, user_image_paging), 88);
        assert_eq!(offset_of!(BootInfo, io_space_caps), 104);
        assert_eq!(offset_of!(BootInfo, extra_bi_pages), 120);
        assert_eq!(offset_of!(BootInfo, init_thread_cnode_size_bits), 136);
        assert_eq!(offset_of!(BootInfo, init_thread_domain), 144);
        assert_eq!(offset_of!(BootInfo, untyped), 152);
        assert_eq!(offset_of!(BootInfo, untyped_list), 168);
    }

    #[test]
    fn written_bytes_are_the_structs_own_layout() {
        let mut bi = BootInfo::ZERO;
        bi.extra_len = 4298;
        bi.ipc_buffer = 0x3f6000;
        bi.empty = SlotRegion {
            start: 1086,
            end: 8192,
        };
        bi.untyped = SlotRegion {
            start: 1019,
            end: 1086,
        };
        bi.untyped_list[66] = UntypedDesc {
            paddr: 0x8000_0000,
            size_bits: 25,
            is_device: 1,
            padding: [0; 6],
        };
        let mut out = [0xffu8; 4096];
        assert_eq!(bi.write_le(&mut out), size_of::<BootInfo>());
        let word = |at: usize| u64::from_le_bytes(out[at..at + 8].try_into().unwrap());
        assert_eq!(word(offset_of!(BootInfo, extra_len)), 4298);
        assert_eq!(word(offset_of!(BootInfo, ipc_buffer)), 0x3f6000);
        assert_eq!(word(offset_of!(BootInfo, empty) + 8), 8192);
        assert_eq!(word(offset_of!(BootInfo, untyped)), 1019);
        let d = offset_of!(BootInfo, untyped_list) + 66 * 16;
        assert_eq!(
            (word(d), out[d + 8], out[d + 9], out[d + 10]),
            (0x8000_0000, 25, 1, 0)
        );
        assert_eq!(out[size_of::<BootInfo>()], 0xff, "nothing past the struct");
    }

    #[test]
    fn untyped_list_stride() {
        let bi = BootInfo::ZERO;
        let base = core::ptr::addr_of!(bi.untyped_list[0]) as usize;
        let next = core::ptr::addr_of!(bi.untyped_list[1]) as usize;
        let last = core::ptr::addr_of!(bi.untyped_list[229]) as usize;
        assert_eq!(next - base, 16);
        assert_eq!(last - base + 16 + 168, size_of::<BootInfo>());
    }

    #[test]
    fn slot_regions_and_untypeds() {
        let r = SlotRegion { start: 16, end: 20 };
        assert_eq!(r.len(), 4);
        assert!(r.contains(16) && r.contains(19));
        assert!(!r.contains(20) && !r.contains(15));
        assert!(SlotRegion { start: 5, end: 5 }.is_empty());
        assert_eq!(SlotRegion { start: 9, end: 3 }.len(), 0);

        let mut bi = BootInfo::default();
        assert!(bi.untypeds().is_empty());
        bi.untyped = SlotRegion { start: 30, end: 32 };
        bi.untyped_list[1].size_bits = 21;
        assert_eq!(bi.untypeds().len(), 2);
        assert_eq!(bi.untypeds()[1].size_bits, 21);
        bi.untyped.end = Word::MAX;
        assert_eq!(bi.untypeds().len(), MAX_BOOTINFO_UNTYPED_CAPS);
    }
}
