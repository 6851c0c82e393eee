//! Boots the kernel and builds the root task from an `.sbc` image, as seL4's
//! boot code builds its root task: the kernel's own boot gives the root CNode
//! (radix 12), TCB (priority and MCP 255), VSpace (ASID 1), ASID pool, IRQ and
//! ASID control, domain cap and Untyped caps for all the rest of memory; the
//! loader then, acting as the root task through ordinary invocations, retypes
//! and seals the module (root slot 12), retypes the register stack (slot 13),
//! maps the program's
//! memory (plus one 64 KiB page holding BootInfo and, 4 KiB above it, the IPC
//! buffer, as docs/wasm-abi.md says), copies the data segments, fills BootInfo,
//! sets the IPC buffer, and binds the root thread to its entry point.

use crate::host_state::HostState;
use crate::ram::Ram;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use libsel4::{Answer, ModuleOps, PageOps, PageTableOps, TcbOps, UntypedOps};
use selvm_abi::boot_info::{BOOT_INFO_SIZE, BootInfo, SlotRegion};
use selvm_abi::vm::VmObjectType;
use selvm_abi::vm::device::{DEVICE_REGION_BITS, PHYS_DEVICE_BASE, PHYS_RAM_BASE};
use selvm_abi::{
    CPtr, CapRights, Error, MessageInfo, ObjectType, RETYPE_FAN_OUT_LIMIT, Word, boot, config,
};
use selvm_bytecode::format::Section;
use selvm_kernel::arch::vm::VmArch;
use selvm_kernel::boot::DeviceRegion;
use selvm_kernel::cap::Cap;
use selvm_kernel::invocation::Caller;
use selvm_kernel::slot::SlotMemory;
use selvm_kernel::{BootConfig, BootSummary, Kernel, Outcome};

/// The kernel of a hosted machine.
pub type VmKernel = Kernel<VmArch<HostState>, Ram>;

/// Bytes of one wasm memory page.
pub const WASM_PAGE: u64 = 64 * 1024;
/// log2 of the root thread's register stack (1 MiB).
pub const STACK_BITS: u64 = 20;
/// Call depth the root thread's register stack holds.
pub const STACK_DEPTH: Word = 4096;

/// Why an image could not be booted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// The image is not a valid `.sbc` module (the verifier's message).
    BadImage(String),
    /// The module has no entry function.
    NoEntry,
    /// The kernel could not boot on the physical memory (too small, say).
    BadMemory(String),
    /// The program needs more memory or slots than the machine has.
    TooLarge(String),
    /// A boot step the kernel refused (a loader bug or too little memory).
    Kernel(String),
}

impl core::fmt::Display for LoadError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            LoadError::BadImage(m) => write!(f, "not a valid .sbc module: {m}"),
            LoadError::NoEntry => write!(
                f,
                "the module has no entry function, where the root task starts (`.entry NAME` \
                 in assembly; in WebAssembly an exported `_start` with no parameters and no \
                 results)"
            ),
            LoadError::BadMemory(why) => write!(f, "the machine's memory cannot be booted: {why}"),
            LoadError::TooLarge(m) => write!(f, "the program does not fit the machine: {m}"),
            LoadError::Kernel(m) => write!(f, "boot step failed: {m}"),
        }
    }
}

/// Where the loader put things.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Virtual address of BootInfo.
    pub boot_info: Word,
    /// Virtual address of the IPC buffer.
    pub ipc_buffer: Word,
    /// `memory.size` of the root task, in 64 KiB pages.
    pub pages: Word,
}

/// libsel4 with the kernel called directly: the loader acts as the root task through
/// the same typed invocations a program makes, each one `Kernel::invoke` on behalf of
/// the root thread (restarted while preempted, as a real syscall would be).
struct Direct<'k> {
    k: &'k mut VmKernel,
    caller: Caller,
}

impl libsel4::Invoke for Direct<'_> {
    fn invoke(
        &mut self,
        service: CPtr,
        label: Word,
        mrs: &[Word],
        caps: &[CPtr],
        reply: &mut [Word],
    ) -> Answer {
        let Ok(info) = MessageInfo::new(label, 0, caps.len() as Word, mrs.len() as Word) else {
            return Answer {
                label: Error::InvalidArgument.word(),
                length: 0,
            };
        };
        let words = |reply: &mut [Word], from: &[Word]| {
            let n = from.len().min(reply.len());
            reply[..n].copy_from_slice(&from[..n]);
            from.len()
        };
        loop {
            return match self.k.invoke(self.caller, service, info, mrs, caps) {
                Outcome::Preempted => continue,
                Outcome::Done | Outcome::NoReply => Answer::default(),
                Outcome::Reply(w) => Answer {
                    label: 0,
                    length: words(reply, w.as_slice()),
                },
                Outcome::Error(e) => {
                    let r = e.reply();
                    Answer {
                        label: r.label,
                        length: words(reply, r.words()),
                    }
                }
                // A root-CNode slot that does not resolve: a loader bug, reported as
                // the invocation failing.
                Outcome::CapFault { .. } => Answer {
                    label: Error::FailedLookup.word(),
                    length: 0,
                },
            };
        }
    }
}

struct Loader<'k> {
    sel4: Direct<'k>,
    summary: BootSummary,
    next_slot: CPtr,
}

/// A boot step the kernel refused.
fn refused(what: &str, e: Error) -> LoadError {
    LoadError::Kernel(format!("{what}: {}", e.name()))
}

impl Loader<'_> {
    fn cap(&self, cptr: CPtr) -> Cap {
        let root = self.sel4.k.boot_objects().root_cnode;
        self.sel4.k.memory().cap(root.offset(cptr))
    }

    /// Retypes `count` objects of type word `ty` into fresh consecutive slots, at most
    /// 256 per Retype (seL4's fan-out limit), each batch from the first untyped (largest
    /// first) that has room; returns the first slot.
    fn make(&mut self, ty: Word, size: Word, count: Word) -> Result<CPtr, LoadError> {
        if self.next_slot + count > self.summary.empty.end {
            let free = self.summary.empty.end - self.next_slot;
            return Err(LoadError::TooLarge(format!(
                "its memory needs {count} more {} caps, one root CNode slot each, and only \
                 {free} of the root CNode's {} slots are free; declare less initial memory",
                object_words(ty),
                1u64 << config::vm::ROOT_CNODE_RADIX,
            )));
        }
        let first = self.next_slot;
        let mut done = 0;
        while done < count {
            let n = (count - done).min(RETYPE_FAN_OUT_LIMIT);
            self.make_batch(ty, size, first + done, n)?;
            done += n;
        }
        self.next_slot += count;
        Ok(first)
    }

    fn make_batch(&mut self, ty: Word, size: Word, dest: CPtr, n: Word) -> Result<(), LoadError> {
        let list = &self.summary.untyped_list[..self.summary.untyped.len() as usize];
        let mut untypeds: Vec<(u8, CPtr)> = (self.summary.untyped.start..)
            .zip(list)
            .filter(|(_, u)| u.is_device == 0)
            .map(|(slot, u)| (u.size_bits, slot))
            .collect();
        untypeds.sort_by(|a, b| b.cmp(a));
        let root = boot::CAP_INIT_THREAD_CNODE;
        for (_, ut) in untypeds {
            if self.sel4.retype(ut, ty, size, root, 0, 0, dest, n).is_ok() {
                return Ok(());
            }
        }
        Err(LoadError::TooLarge(format!(
            "no untyped memory is left for {n} {} (the image and its memory need more \
             physical memory than the machine has: give the machine more memory)",
            object_words(ty)
        )))
    }
}

/// What the loader makes, in words for messages.
fn object_words(ty: Word) -> &'static str {
    match ty {
        t if t == ObjectType::PageTable.word() => "page table",
        t if t == ObjectType::SmallPage.word() => "4 KiB frame",
        t if t == VmObjectType::Module.word() => "module object",
        t if t == VmObjectType::RegisterStack.word() => "register stack",
        _ => "kernel object",
    }
}

fn ptr_of(cap: Cap) -> Option<Word> {
    cap.region().map(|(base, _)| base)
}

/// Boots a kernel over `ram` (physical memory at `PHYS_RAM_BASE`) and builds
/// the root task from `image`.
pub fn boot(ram: Ram, image: &[u8]) -> Result<(VmKernel, Layout), LoadError> {
    let module = selvm_vm::Module::load(image).map_err(|e| LoadError::BadImage(format!("{e}")))?;
    let entry = module.entry().ok_or(LoadError::NoEntry)?;
    let container = module.container();
    let devices = [DeviceRegion {
        base: PHYS_DEVICE_BASE,
        size_bits: DEVICE_REGION_BITS as u8,
    }];
    let config = BootConfig {
        root_radix: config::vm::ROOT_CNODE_RADIX as u8,
        devices: &devices,
        ..Default::default()
    };
    let arch = VmArch {
        host: HostState::default(),
    };
    let (mut k, summary) = Kernel::boot(PHYS_RAM_BASE, ram, &config, arch)
        .map_err(|e| LoadError::BadMemory(format!("{e:?}")))?;
    let caller = Caller {
        tcb: summary.root_tcb,
    };
    let mut l = Loader {
        sel4: Direct { k: &mut k, caller },
        next_slot: summary.empty.start,
        summary,
    };

    // The module: retyped big enough for the image, written, sealed.
    let bits = (image.len().max(4096) as u64)
        .next_power_of_two()
        .trailing_zeros() as Word;
    let module_slot = config::vm::CAP_INIT_THREAD_MODULE;
    l.make_batch(VmObjectType::Module.word(), bits, module_slot, 1)?;
    let module_at = ptr_of(l.cap(module_slot)).ok_or(LoadError::Kernel("module cap".into()))?;
    if !l.sel4.k.vm_loader_write(module_at, image) {
        return Err(LoadError::Kernel("writing the module".into()));
    }
    l.sel4
        .seal(module_slot, image.len() as Word)
        .map_err(|e| refused("sealing the module", e))?;
    let stack_slot = config::vm::CAP_INIT_THREAD_REGISTER_STACK;
    l.make_batch(
        VmObjectType::RegisterStack.word(),
        STACK_BITS,
        stack_slot,
        1,
    )?;

    // Memory: the program's pages plus one for BootInfo and the IPC buffer.
    let old_end = u64::from(container.memory_min()) * WASM_PAGE;
    let pages = u64::from(container.memory_min()) + 1;
    let bytes = pages * WASM_PAGE;
    let tables_l1 = bytes.div_ceil(1 << 30);
    let tables_l0 = bytes.div_ceil(1 << 21);
    let first_pt = l.make(ObjectType::PageTable.word(), 0, tables_l1 + tables_l0)?;
    let vspace = boot::CAP_INIT_THREAD_VSPACE;
    let tables = (0..tables_l1)
        .map(|g| (first_pt + g, g << 30))
        .chain((0..tables_l0).map(|m| (first_pt + tables_l1 + m, m << 21)));
    for (table, vaddr) in tables {
        PageTableOps::map(&mut l.sel4, table, vspace, vaddr, 0)
            .map_err(|e| refused("mapping a page table", e))?;
    }
    let frames = bytes / 4096;
    let fresh = frames - 2;
    let first_frame = l.make(ObjectType::SmallPage.word(), 0, fresh)?;
    l.make_batch(
        ObjectType::SmallPage.word(),
        0,
        boot::CAP_BOOT_INFO_FRAME,
        1,
    )?;
    let mut page_paddr = Vec::with_capacity(frames as usize);
    let mut next = first_frame;
    for i in 0..frames {
        let vaddr = i * 4096;
        let slot = if vaddr == old_end {
            boot::CAP_BOOT_INFO_FRAME
        } else if vaddr == old_end + 4096 {
            boot::CAP_INIT_THREAD_IPC_BUFFER
        } else {
            next += 1;
            next - 1
        };
        PageOps::map(
            &mut l.sel4,
            slot,
            vspace,
            vaddr,
            CapRights::new(false, false, true, true),
            0,
        )
        .map_err(|e| refused("mapping a frame", e))?;
        page_paddr.push(ptr_of(l.cap(slot)).ok_or(LoadError::Kernel("frame cap".into()))?);
    }
    // Data segments, a page's part at a time.
    for d in (0..container.count(Section::Data)).filter_map(|i| container.data(i)) {
        let mut payload = container.data_bytes(&d).unwrap_or(&[]);
        let mut a = d.address;
        while !payload.is_empty() {
            let Some(&page) = page_paddr.get((a / 4096) as usize) else {
                return Err(LoadError::BadImage(format!(
                    "data outside memory at {a:#x}"
                )));
            };
            let n = payload.len().min((4096 - a % 4096) as usize);
            l.sel4.k.vm_loader_write(page + a % 4096, &payload[..n]);
            (a, payload) = (a + n as u64, &payload[n..]);
        }
    }
    // The IPC buffer, then BootInfo.
    let ipc_buffer = old_end + 4096;
    l.sel4
        .set_ipc_buffer(
            boot::CAP_INIT_THREAD_TCB,
            ipc_buffer,
            boot::CAP_INIT_THREAD_IPC_BUFFER,
        )
        .map_err(|e| refused("setting the IPC buffer", e))?;
    let mut info = BootInfo::ZERO;
    info.node_id = 0;
    info.num_nodes = 1;
    info.ipc_buffer = ipc_buffer;
    info.empty = SlotRegion {
        start: l.next_slot,
        end: summary.empty.end,
    };
    info.user_image_frames = SlotRegion {
        start: first_frame,
        end: first_frame + fresh,
    };
    info.user_image_paging = SlotRegion {
        start: first_pt,
        end: first_pt + tables_l1 + tables_l0,
    };
    info.init_thread_cnode_size_bits = config::vm::ROOT_CNODE_RADIX.into();
    info.untyped = summary.untyped;
    info.untyped_list = summary.untyped_list;
    let mut bi_bytes = [0u8; BOOT_INFO_SIZE];
    info.write_le(&mut bi_bytes);
    let bi_page = page_paddr[(old_end / 4096) as usize];
    l.sel4.k.vm_loader_write(bi_page, &bi_bytes);

    let sp = container.global(2).map_or(0, |g| g.init);
    if !l
        .sel4
        .k
        .vm_loader_bind_root(module_slot, stack_slot, STACK_DEPTH, entry, sp, pages)
    {
        return Err(LoadError::Kernel("binding the root thread".into()));
    }
    let layout = Layout {
        boot_info: old_end,
        ipc_buffer,
        pages,
    };
    Ok((k, layout))
}
