//! The root task's image as seL4's boot places it on a native architecture: the
//! image's frames (loaded by the platform's loader at `physical = virtual +
//! pv_offset`) mapped at their virtual addresses in the root VSpace with the page
//! tables that needs, then the IPC buffer in the page after the image, BootInfo in the
//! next, and the extra BootInfo (a header and a copy of the device tree, padded to a
//! power of two) after that; caps in seL4's order (paging, extra BootInfo pages, image
//! frames) from the first free slot. A hosted machine's loader does this part itself.

use super::plan::{Plan, PlanError};
use crate::arch::sv39::Pte;
use crate::cap::{Cap, FrameSize, VmRights};
use crate::cdt;
use crate::memory::{PAddr, PhysMem, Ram};
use crate::slot::SlotRef;
use crate::vspace::{Asid, PT_ENTRIES, TOP_LEVEL, bits_left, entry_addr};
use selvm_abi::{CPtr, SlotRegion, Word};

const PAGE: u64 = 4096;
/// seL4's extra-BootInfo header ids.
const HEADER_PADDING: Word = 0;
const HEADER_FDT: Word = 6;
/// Bytes of an extra-BootInfo header (id, len).
const HEADER_BYTES: u64 = 16;

/// The root task's image, as the platform's loader left it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserImage {
    /// Physical start and end (exclusive, page aligned) of the loaded image.
    pub phys: (PAddr, PAddr),
    /// The virtual address `phys.0` is mapped at.
    pub virt: Word,
    /// The device tree to copy into the extra BootInfo: physical address and size.
    pub device_tree: Option<(PAddr, u64)>,
}

/// Where the image's pieces went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImageLayout {
    /// Virtual address of the IPC buffer (the page after the image).
    pub ipc_buffer: Word,
    /// Virtual address of BootInfo (the page after that).
    pub boot_info: Word,
    /// Physical address of the BootInfo frame.
    pub boot_info_frame: PAddr,
    /// Slots of the image's page tables.
    pub paging: SlotRegion,
    /// Slots of the extra BootInfo frames.
    pub extra_pages: SlotRegion,
    /// Slots of the image's frames.
    pub frames: SlotRegion,
    /// Bytes of extra BootInfo the headers cover (BootInfo's `extraLen`).
    pub extra_len: Word,
}

/// What [`plan`] reserved for the image's objects.
#[derive(Debug, Clone, Copy)]
pub struct ImageObjects {
    tables: (PAddr, u64),
    boot_info: PAddr,
    extra: (PAddr, u64),
}

impl ImageObjects {
    /// The physical ranges taken (for the Untyped caps to leave out).
    pub fn taken(&self) -> [(PAddr, PAddr); 3] {
        let (t, n) = self.tables;
        let (e, bytes) = self.extra;
        [
            (t, t + n * PAGE),
            (self.boot_info, self.boot_info + PAGE),
            (e, e + bytes),
        ]
    }
}

/// The virtual range `[start, end)` the image, its IPC buffer, BootInfo and extra
/// BootInfo occupy, and the extra BootInfo's size (a power of two, at least a page).
fn span(image: &UserImage) -> (Word, Word, u64) {
    let extra = image.device_tree.map_or(0, |(_, size)| {
        (HEADER_BYTES + size).next_power_of_two().max(PAGE)
    });
    let start = image.virt & !(PAGE - 1);
    let end = image.virt + (image.phys.1 - image.phys.0) + 2 * PAGE + extra;
    (start, end, extra)
}

/// Page tables below the root that map `[start, end)`: one per 1 GiB, one per 2 MiB.
fn tables_for(start: Word, end: Word) -> u64 {
    let count = |bits: u32| ((end - 1) >> bits) - (start >> bits) + 1;
    count(30) + count(21)
}

/// Reserves the image's page tables, BootInfo frame and extra BootInfo frames.
pub fn plan(p: &mut Plan, image: &UserImage) -> Result<ImageObjects, PlanError> {
    let (start, end, extra) = span(image);
    let n = tables_for(start, end);
    Ok(ImageObjects {
        tables: (p.alloc(n * PAGE, PAGE)?, n),
        boot_info: p.alloc(PAGE, PAGE)?,
        extra: (p.alloc(extra, extra.max(PAGE))?, extra),
    })
}

/// Caps and mappings for the image in the root VSpace `root` (ASID `asid`), from slot
/// `first` of the root CNode at `cnode`; the IPC buffer frame cap at `buffer_slot`
/// (frame `buffer`) and the BootInfo frame cap at `bi_slot` are mapped too.
#[allow(clippy::too_many_arguments)]
pub fn map(
    mem: &mut PhysMem<impl Ram>,
    image: &UserImage,
    objects: &ImageObjects,
    root: PAddr,
    asid: Asid,
    cnode: SlotRef,
    first: CPtr,
    (buffer_slot, buffer): (CPtr, PAddr),
    bi_slot: CPtr,
) -> ImageLayout {
    let (start, end, extra) = span(image);
    let mut slots = Slots { cnode, next: first };
    // Page tables: for every 1 GiB then every 2 MiB the span touches, in address order.
    let (mut table, _) = objects.tables;
    for (level, bits) in [(TOP_LEVEL - 1, 30), (TOP_LEVEL - 2, 21)] {
        let mut v = start >> bits << bits;
        while v < end {
            let parent = walk_to(mem, root, v, level + 1);
            mem.write(entry_addr(parent, level + 1, v), Pte::Table(table).encode());
            let cap = Cap::PageTable {
                ptr: table,
                mapping: Some((asid, v)),
            };
            slots.put(mem, cap);
            table += PAGE;
            v += 1 << bits;
        }
    }
    let paging = SlotRegion {
        start: first,
        end: slots.next,
    };
    let image_bytes = image.phys.1 - image.phys.0;
    let ipc_buffer = start + image_bytes;
    let boot_info = ipc_buffer + PAGE;
    // Extra BootInfo frames, then the image's own frames.
    let at = (root, asid);
    let extra_pages = map_frames(
        mem,
        &mut slots,
        at,
        (objects.extra.0, boot_info + PAGE),
        extra,
        false,
    );
    let frames = map_frames(
        mem,
        &mut slots,
        at,
        (image.phys.0, start),
        image_bytes,
        true,
    );
    // The IPC buffer and BootInfo frames, whose caps boot already made.
    for (s, pa, va) in [
        (buffer_slot, buffer, ipc_buffer),
        (bi_slot, objects.boot_info, boot_info),
    ] {
        let cap = map_frame(mem, root, asid, pa, va, false);
        mem_set_cap(mem, cnode.offset(s), cap);
    }
    let extra_len = write_extra(mem, image, objects);
    ImageLayout {
        ipc_buffer,
        boot_info,
        boot_info_frame: objects.boot_info,
        paging,
        extra_pages,
        frames,
        extra_len,
    }
}

/// Fills root CNode slots in order.
struct Slots {
    cnode: SlotRef,
    next: CPtr,
}

impl Slots {
    fn put(&mut self, mem: &mut PhysMem<impl Ram>, cap: Cap) {
        cdt::insert_original(mem, self.cnode.offset(self.next), cap);
        self.next += 1;
    }
}

/// Maps `bytes` of frames from physical `pa` at virtual `va` (`exec`: executable), a
/// cap each in the next slots; the slots they took.
fn map_frames(
    mem: &mut PhysMem<impl Ram>,
    slots: &mut Slots,
    (root, asid): (PAddr, Asid),
    (pa, va): (PAddr, Word),
    bytes: u64,
    exec: bool,
) -> SlotRegion {
    let start = slots.next;
    for i in 0..bytes / PAGE {
        let cap = map_frame(mem, root, asid, pa + i * PAGE, va + i * PAGE, exec);
        slots.put(mem, cap);
    }
    SlotRegion {
        start,
        end: slots.next,
    }
}

fn mem_set_cap(mem: &mut PhysMem<impl Ram>, slot: SlotRef, cap: Cap) {
    use crate::slot::SlotMemory;
    mem.set_cap(slot, cap);
}

/// The table at `level` on the walk for `v` from `root` (present: boot links tables
/// top-down).
fn walk_to(mem: &PhysMem<impl Ram>, root: PAddr, v: Word, level: u32) -> PAddr {
    let mut table = root;
    let mut at = TOP_LEVEL;
    while at > level {
        match Pte::decode(mem.read(entry_addr(table, at, v))) {
            Pte::Table(next) => table = next,
            // Boot links every table before what it holds: not reached.
            _ => break,
        }
        at -= 1;
    }
    table
}

/// Maps the 4 KiB frame at `pa` at `va` (user, read-write, executable if `exec`);
/// returns its cap, recording the mapping.
fn map_frame(
    mem: &mut PhysMem<impl Ram>,
    root: PAddr,
    asid: Asid,
    pa: PAddr,
    va: Word,
    exec: bool,
) -> Cap {
    let table = walk_to(mem, root, va, 0);
    let leaf = Pte::Leaf {
        paddr: pa,
        read: true,
        write: true,
        execute: exec,
        user: true,
        global: false,
    };
    mem.write(entry_addr(table, 0, va), leaf.encode());
    Cap::Frame {
        ptr: pa,
        size: FrameSize::Small,
        rights: VmRights::ReadWrite,
        is_device: false,
        mapping: Some((asid, va)),
    }
}

/// Fills the extra BootInfo: the device tree's header and a copy of it, then a padding
/// header to the end of the region; returns BootInfo's `extraLen` (the headers' bytes
/// before the padding, as seL4 counts it).
fn write_extra(mem: &mut PhysMem<impl Ram>, image: &UserImage, objects: &ImageObjects) -> Word {
    let (at, bytes) = objects.extra;
    let Some((dtb, size)) = image.device_tree else {
        return 0;
    };
    let header = |mem: &mut PhysMem<_>, pa: PAddr, id: Word, len: Word| {
        let b = mem.bytes_mut(pa, HEADER_BYTES as usize);
        b[..8].copy_from_slice(&id.to_le_bytes());
        b[8..].copy_from_slice(&len.to_le_bytes());
    };
    header(mem, at, HEADER_FDT, HEADER_BYTES + size);
    // Copy through a small buffer: source and destination are both kernel memory.
    let mut buf = [0u8; 256];
    let mut done = 0;
    while done < size {
        let n = (size - done).min(buf.len() as u64) as usize;
        buf[..n].copy_from_slice(mem.bytes(dtb + done, n));
        mem.bytes_mut(at + HEADER_BYTES + done, n)
            .copy_from_slice(&buf[..n]);
        done += n as u64;
    }
    let used = HEADER_BYTES + size;
    if bytes - used >= HEADER_BYTES {
        header(mem, at + used, HEADER_PADDING, bytes - used);
    }
    used
}

// A page table is one page; the levels below the root cover 1 GiB and 2 MiB.
const _: () = assert!(PT_ENTRIES * 8 == PAGE);
const _: () = assert!(bits_left(2) == 30 && bits_left(1) == 21);
