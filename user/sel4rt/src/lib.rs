//! seLVM's user-level support library (the job of seL4's vka, vspace and process
//! libraries, written fresh): a slot allocator over BootInfo's empty region, an
//! untyped allocator over BootInfo's untyped list, frame mapping with the page tables a
//! mapping needs, and thread creation — in the running address space, or in a new one
//! that starts as a copy of the current memory ("fork").
//!
//! Everything goes through [`Env`], built once by the root task from BootInfo:
//!
//! ```ignore
//! let mut env = sel4rt::Env::from_boot_info().unwrap();
//! let ep = env.retype(libsel4::ObjectType::Endpoint as u64, 0)?;
//! let t = env.create_thread(worker, 7, 200, 0)?;
//! libsel4::tcb::resume(t.tcb)?;
//! ```
//!
//! The library keeps no heap: its state lives in the `Env` value.
//!
//! ## Layout of the root task's address space
//!
//! The loader maps the module's memory from 0 up to the BootInfo page's end
//! (`boot_info() + 64 KiB`). `Env` hands out virtual memory above that, from
//! [`FIRST_FREE_VADDR`] (1 GiB) upwards, in whole 4 KiB pages: thread stacks, IPC
//! buffers, a scratch page for copying into frames of other address spaces. Wasm code
//! reaches those addresses as ordinary pointers (there is no bounds check against
//! `memory.size`; loads and stores go through the VSpace).
//!
//! ## Threads
//!
//! [`Env::create_thread`] makes a TCB and a register stack, maps a stack region and an
//! IPC buffer frame for the new thread, binds the root task's module (root slot 12) and
//! sets the entry to a wasm function pointer (`extern "C" fn(u64)`, an element of table
//! 0). The thread starts Inactive; resume it with `tcb::resume`.
//!
//! ## Processes (fork)
//!
//! [`Env::fork`] makes a new VSpace (a page table given an ASID from the boot pool,
//! slot 6) and maps, at the same virtual addresses, fresh frames holding a copy of the
//! root task's memory as it is at the call (pages 1 .. end of the BootInfo page; page
//! 0 is mapped zeroed). Memory `Env` mapped above [`FIRST_FREE_VADDR`] is not copied.
//! The child's IPC buffer is its copy of the root task's IPC buffer page (same
//! address), its stack pointer starts just below the caller's current stack frame in
//! its copy of the stack. The child runs the given entry function with its own copy of
//! every static; it must not use the `Env` it inherited to map memory (that `Env`
//! describes the parent's address space), and `boot_info()` is `None` in it.
//!
//! Every object of a process (VSpace, page tables, frames, TCB, register stack) is
//! retyped from one Untyped of its own, carved from the boot untypeds, and its caps sit
//! in one range of root slots. [`Env::destroy_process`] revokes that Untyped (deleting
//! every object at once, which also frees the ASID) and keeps it for the next fork: in
//! seL4 an Untyped's memory can be retyped again only once it has no children, so the
//! memory of a destroyed process is reused by the next process rather than returned to
//! the boot untyped.

#![no_std]

use libsel4::vm::vm_tcb;
use libsel4::vspace::{asid_pool, page, page_table};
use libsel4::{CPtr, CapRights, Error, ObjectType, Word, cnode, tcb, untyped};
use selvm_abi::{MAX_BOOTINFO_UNTYPED_CAPS, PAGE_BITS, PAGE_TABLE_BITS, TCB_BITS};

/// The root task's TCB (BootInfo's initial slots).
pub const ROOT_TCB: CPtr = selvm_abi::CAP_INIT_THREAD_TCB;
/// The root task's CNode.
pub const ROOT_CNODE: CPtr = selvm_abi::CAP_INIT_THREAD_CNODE;
/// The root task's VSpace.
pub const ROOT_VSPACE: CPtr = selvm_abi::CAP_INIT_THREAD_VSPACE;
/// The boot ASID pool.
pub const ASID_POOL: CPtr = selvm_abi::CAP_INIT_THREAD_ASID_POOL;
/// The root task's sealed module (vm architecture).
pub const ROOT_MODULE: CPtr = selvm_abi::vm::CAP_INIT_THREAD_MODULE;
/// Bytes in a small page.
pub const PAGE_SIZE: usize = 1 << PAGE_BITS;
/// Where [`Env`] starts handing out virtual memory.
pub const FIRST_FREE_VADDR: usize = 0x4000_0000;
/// Pages of stack a new thread of [`Env::create_thread`] gets.
pub const THREAD_STACK_PAGES: usize = 4;
/// log2 bytes of a new thread's register stack.
pub const REGISTER_STACK_BITS: Word = 18;
/// Maximum call depth of a new thread.
pub const THREAD_CALL_DEPTH: Word = 64;
/// Entries of a page table (one word each).
const PAGE_TABLE_ENTRIES: usize = (1 << PAGE_TABLE_BITS) / core::mem::size_of::<Word>();
/// Bytes one page table covers at its lowest level and at the next: what bounds the
/// page tables a process's VSpace needs.
const PAGE_TABLE_SPANS: [usize; 2] = [
    PAGE_TABLE_ENTRIES * PAGE_SIZE,
    PAGE_TABLE_ENTRIES * PAGE_TABLE_ENTRIES * PAGE_SIZE,
];
/// Untypeds of destroyed processes [`Env`] keeps for the next fork.
const SPARE_UNTYPEDS: usize = 8;
/// Object type numbers (`abi`'s: riscv64's, shared by the vm architecture, plus the vm
/// ones), as the words Retype takes.
pub mod types {
    use libsel4::{ObjectType, Word};
    use selvm_abi::vm::VmObjectType;
    /// Untyped memory.
    pub const UNTYPED: Word = ObjectType::Untyped.word();
    /// Thread control block.
    pub const TCB: Word = ObjectType::Tcb.word();
    /// Endpoint.
    pub const ENDPOINT: Word = ObjectType::Endpoint.word();
    /// Notification.
    pub const NOTIFICATION: Word = ObjectType::Notification.word();
    /// CNode.
    pub const CNODE: Word = ObjectType::CNode.word();
    /// 4 KiB frame.
    pub const FRAME: Word = ObjectType::SmallPage.word();
    /// Page table (also a VSpace root).
    pub const PAGE_TABLE: Word = ObjectType::PageTable.word();
    /// vm: module.
    pub const MODULE: Word = VmObjectType::Module.word();
    /// vm: register stack.
    pub const REGISTER_STACK: Word = VmObjectType::RegisterStack.word();
}

/// Bitmap words for every slot of the root CNode (this configuration's size:
/// `selvm_abi::ROOT_CNODE_SLOTS`, 4,096 on the vm, 8,192 on riscv64).
const SLOT_WORDS: usize = (selvm_abi::ROOT_CNODE_SLOTS as usize).div_ceil(64);

/// A bitmap allocator over the root CNode's empty slots (BootInfo `empty`).
pub struct Slots {
    start: CPtr,
    end: CPtr,
    used: [u64; SLOT_WORDS],
}

impl Slots {
    /// An allocator for slots `start..end` (at most the root CNode's slot count).
    pub fn new(start: CPtr, end: CPtr) -> Slots {
        let end = end.min(start + (SLOT_WORDS * 64) as CPtr);
        Slots {
            start,
            end,
            used: [0; SLOT_WORDS],
        }
    }

    fn bit(&self, slot: CPtr) -> (usize, u64) {
        let i = (slot - self.start) as usize;
        (i / 64, 1 << (i % 64))
    }

    fn is_free(&self, slot: CPtr) -> bool {
        let (w, b) = self.bit(slot);
        self.used[w] & b == 0
    }

    fn mark(&mut self, slot: CPtr, used: bool) {
        let (w, b) = self.bit(slot);
        if used {
            self.used[w] |= b;
        } else {
            self.used[w] &= !b;
        }
    }

    /// One free slot.
    pub fn alloc(&mut self) -> Result<CPtr, Error> {
        self.alloc_range(1)
    }

    /// `n` consecutive free slots; the first is returned.
    pub fn alloc_range(&mut self, n: usize) -> Result<CPtr, Error> {
        let n = n as CPtr;
        let mut s = self.start;
        while s + n <= self.end {
            match (s..s + n).find(|&x| !self.is_free(x)) {
                Some(busy) => s = busy + 1,
                None => {
                    (s..s + n).for_each(|x| self.mark(x, true));
                    return Ok(s);
                }
            }
        }
        Err(Error::NotEnoughMemory)
    }

    /// Gives `slot` back (it must be empty by now).
    pub fn free(&mut self, slot: CPtr) {
        if (self.start..self.end).contains(&slot) {
            self.mark(slot, false);
        }
    }

    /// Slots still free.
    pub fn available(&self) -> usize {
        (self.start..self.end).filter(|&s| self.is_free(s)).count()
    }
}

/// The untyped caps of BootInfo; objects are retyped from the first non-device
/// untyped that has room.
pub struct Untypeds {
    first: CPtr,
    count: usize,
    device: [bool; MAX_BOOTINFO_UNTYPED_CAPS],
}

impl Untypeds {
    /// The untypeds BootInfo lists.
    pub fn from_boot_info(bi: &libsel4::BootInfo) -> Untypeds {
        let mut device = [false; MAX_BOOTINFO_UNTYPED_CAPS];
        for (d, u) in device.iter_mut().zip(bi.untypeds()) {
            *d = u.is_device != 0;
        }
        Untypeds {
            first: bi.untyped.start,
            count: bi.untypeds().len(),
            device,
        }
    }

    /// The first device untyped's cap, if any.
    pub fn device_untyped(&self) -> Option<CPtr> {
        (0..self.count)
            .find(|&i| self.device[i])
            .map(|i| self.first + i as CPtr)
    }

    /// Retypes `count` objects of `ty`/`size_bits` into root slots `dest..dest+count`,
    /// trying each RAM untyped in turn while the answer is NotEnoughMemory.
    pub fn retype_into(
        &self,
        ty: Word,
        size_bits: Word,
        dest: CPtr,
        count: usize,
    ) -> Result<(), Error> {
        let mut last = Error::NotEnoughMemory;
        for i in (0..self.count).filter(|&i| !self.device[i]) {
            let ut = self.first + i as CPtr;
            match untyped::retype(ut, ty, size_bits, ROOT_CNODE, 0, 0, dest, count as Word) {
                Ok(()) => return Ok(()),
                Err(Error::NotEnoughMemory) => last = Error::NotEnoughMemory,
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }
}

/// The root task's allocators and address-space bookkeeping.
pub struct Env {
    /// Free slots of the root CNode.
    pub slots: Slots,
    /// The boot untypeds.
    pub untypeds: Untypeds,
    next_vaddr: usize,
    scratch: Option<(usize, CPtr)>,
    /// Bytes of the root task's memory mapped by the loader (BootInfo page included).
    pub memory_end: usize,
    /// The root task's IPC buffer address.
    pub ipc_buffer: usize,
    /// Untypeds (root slot, log2 size) of destroyed processes, revoked, for reuse.
    spare: [Option<(CPtr, u32)>; SPARE_UNTYPEDS],
}

/// A thread made by [`Env::create_thread`] or [`Env::fork`].
#[derive(Clone, Copy, Debug)]
pub struct Thread {
    /// Its TCB.
    pub tcb: CPtr,
    /// Its register stack.
    pub register_stack: CPtr,
    /// Its IPC buffer's address (in its own VSpace).
    pub ipc_buffer: usize,
    /// The frame holding the IPC buffer.
    pub ipc_frame: CPtr,
    /// Its initial stack pointer.
    pub stack_top: usize,
}

/// A process made by [`Env::fork`]: a thread in a new VSpace.
#[derive(Clone, Copy, Debug)]
pub struct Process {
    /// Its thread.
    pub thread: Thread,
    /// Its VSpace root (a page table with an ASID).
    pub vspace: CPtr,
    /// The first of its frames' (consecutive) root slots.
    pub frames: CPtr,
    /// How many frames.
    pub frame_count: usize,
    /// The Untyped every object of the process was retyped from.
    pub untyped: CPtr,
    /// Its log2 size in bytes.
    pub untyped_bits: u32,
    /// The root slots holding the process's caps: `slots.0 .. slots.0 + slots.1`.
    pub slots: (CPtr, usize),
}

/// What a thread runs: a wasm function taking one `i64`.
pub type Entry = extern "C" fn(u64);

impl Env {
    /// The environment of the root task, from BootInfo (`None` in other threads).
    pub fn from_boot_info() -> Option<Env> {
        let bi = libsel4::boot_info()?;
        let base = bi as *const libsel4::BootInfo as usize;
        Some(Env {
            slots: Slots::new(bi.empty.start, bi.empty.end),
            untypeds: Untypeds::from_boot_info(bi),
            next_vaddr: FIRST_FREE_VADDR,
            scratch: None,
            memory_end: base + 0x1_0000,
            ipc_buffer: bi.ipc_buffer as usize,
            spare: [None; SPARE_UNTYPEDS],
        })
    }

    /// Retypes one object into a fresh root slot.
    pub fn retype(&mut self, ty: Word, size_bits: Word) -> Result<CPtr, Error> {
        let slot = self.slots.alloc()?;
        match self.untypeds.retype_into(ty, size_bits, slot, 1) {
            Ok(()) => Ok(slot),
            Err(e) => {
                self.slots.free(slot);
                Err(e)
            }
        }
    }

    /// Retypes `count` objects into consecutive fresh root slots (the first returned).
    pub fn retype_many(&mut self, ty: Word, size_bits: Word, count: usize) -> Result<CPtr, Error> {
        let first = self.slots.alloc_range(count)?;
        match self.untypeds.retype_into(ty, size_bits, first, count) {
            Ok(()) => Ok(first),
            Err(e) => {
                (0..count).for_each(|i| self.slots.free(first + i as CPtr));
                Err(e)
            }
        }
    }

    /// Deletes the cap in root slot `slot` and frees the slot.
    pub fn delete(&mut self, slot: CPtr) -> Result<(), Error> {
        cnode::delete(ROOT_CNODE, slot, 64)?;
        self.slots.free(slot);
        Ok(())
    }

    /// `pages` pages of unused virtual address space in the root task's VSpace.
    pub fn alloc_vaddr(&mut self, pages: usize) -> usize {
        let v = self.next_vaddr;
        self.next_vaddr += pages * PAGE_SIZE;
        v
    }

    /// Maps `frame` at `vaddr` of `vspace`, retyping and mapping the page tables the
    /// walk is missing first.
    pub fn map_frame(
        &mut self,
        vspace: CPtr,
        frame: CPtr,
        vaddr: usize,
        rights: CapRights,
    ) -> Result<(), Error> {
        self.map_frame_with(vspace, frame, vaddr, rights, &mut (0..0))
    }

    /// [`Env::map_frame`] taking the page tables it needs from the slots `tables`
    /// (page tables already retyped, unmapped) while there are any.
    fn map_frame_with(
        &mut self,
        vspace: CPtr,
        frame: CPtr,
        vaddr: usize,
        rights: CapRights,
        tables: &mut core::ops::Range<CPtr>,
    ) -> Result<(), Error> {
        for _ in 0..3 {
            match page::map(frame, vspace, vaddr as Word, rights, 0) {
                Err(Error::FailedLookup) => {
                    let pt = match tables.next() {
                        Some(pt) => pt,
                        None => self.retype(types::PAGE_TABLE, 0)?,
                    };
                    page_table::map(pt, vspace, vaddr as Word, 0)?;
                }
                other => return other,
            }
        }
        page::map(frame, vspace, vaddr as Word, rights, 0)
    }

    /// Maps `pages` fresh zeroed frames (read-write) at a new address of the root
    /// task's VSpace; returns the address and the first frame's slot (the frames are
    /// in consecutive slots).
    pub fn alloc_memory(&mut self, pages: usize) -> Result<(usize, CPtr), Error> {
        let frames = self.retype_many(types::FRAME, 0, pages)?;
        let vaddr = self.alloc_vaddr(pages);
        for i in 0..pages {
            self.map_frame(
                ROOT_VSPACE,
                frames + i as CPtr,
                vaddr + i * PAGE_SIZE,
                CapRights::ALL,
            )?;
        }
        Ok((vaddr, frames))
    }

    /// Creates a thread of the root task's module in the root task's address space and
    /// CSpace, running `entry(arg)` at `priority` with fault endpoint `fault_ep` (a
    /// root CPtr, 0 for none). It starts Inactive: `tcb::resume` starts it.
    pub fn create_thread(
        &mut self,
        entry: Entry,
        arg: Word,
        priority: Word,
        fault_ep: CPtr,
    ) -> Result<Thread, Error> {
        self.create_thread_in(entry, arg, priority, fault_ep, ROOT_CNODE, 0)
    }

    /// [`Env::create_thread`] with another CSpace: `cspace` (a root CPtr to a CNode
    /// cap) with `cspace_data` (guard data, 0 for unchanged); `fault_ep` is looked up
    /// in that CSpace.
    pub fn create_thread_in(
        &mut self,
        entry: Entry,
        arg: Word,
        priority: Word,
        fault_ep: CPtr,
        cspace: CPtr,
        cspace_data: Word,
    ) -> Result<Thread, Error> {
        let (stack, _) = self.alloc_memory(THREAD_STACK_PAGES)?;
        let (ipc_buffer, ipc_frame) = self.alloc_memory(1)?;
        let stack_top = stack + THREAD_STACK_PAGES * PAGE_SIZE;
        let tcb = self.retype(types::TCB, 0)?;
        let register_stack = self.retype(types::REGISTER_STACK, REGISTER_STACK_BITS)?;
        Self::make_thread(
            (tcb, register_stack),
            entry,
            arg,
            priority,
            fault_ep,
            (cspace, cspace_data),
            ROOT_VSPACE,
            ipc_buffer,
            ipc_frame,
            stack_top,
        )
    }

    /// Configures the new TCB and register stack `objects` into a thread of the root
    /// module.
    #[allow(clippy::too_many_arguments)]
    fn make_thread(
        objects: (CPtr, CPtr),
        entry: Entry,
        arg: Word,
        priority: Word,
        fault_ep: CPtr,
        cspace: (CPtr, Word),
        vspace: CPtr,
        ipc_buffer: usize,
        ipc_frame: CPtr,
        stack_top: usize,
    ) -> Result<Thread, Error> {
        let (tcb, register_stack) = objects;
        tcb::configure(
            tcb,
            fault_ep,
            cspace.0,
            cspace.1,
            vspace,
            0,
            ipc_buffer as Word,
            ipc_frame,
        )?;
        tcb::set_priority(tcb, ROOT_TCB, priority)?;
        vm_tcb::bind_module(tcb, ROOT_MODULE)?;
        vm_tcb::bind_register_stack(tcb, register_stack, THREAD_CALL_DEPTH)?;
        vm_tcb::set_entry_pointer(tcb, entry as usize as u32, arg, stack_top as Word)?;
        Ok(Thread {
            tcb,
            register_stack,
            ipc_buffer,
            ipc_frame,
            stack_top,
        })
    }

    /// Deletes a thread made by [`Env::create_thread`] (its TCB and register stack;
    /// the stack and IPC buffer frames stay mapped for reuse by nobody).
    pub fn destroy_thread(&mut self, t: &Thread) -> Result<(), Error> {
        self.delete(t.tcb)?;
        self.delete(t.register_stack)
    }

    /// Creates a process: a thread running `entry(arg)` in a new VSpace whose memory
    /// starts as a copy of the root task's (see the crate docs), with the root CSpace.
    /// Its objects come from an Untyped of its own (a spare one of a destroyed process
    /// when there is one); on an error nothing is left allocated.
    pub fn fork(
        &mut self,
        entry: Entry,
        arg: Word,
        priority: Word,
        fault_ep: CPtr,
    ) -> Result<Process, Error> {
        let pages = self.memory_end / PAGE_SIZE;
        let tables: usize = PAGE_TABLE_SPANS
            .iter()
            .map(|span| self.memory_end.div_ceil(*span))
            .sum();
        let bytes = (1usize << REGISTER_STACK_BITS)
            + (pages + 1 + tables) * PAGE_SIZE
            + (1usize << TCB_BITS);
        let bits = bytes.next_power_of_two().trailing_zeros();
        let untyped = self.process_untyped(bits)?;
        // Slots: the frames, then the VSpace, the TCB, the register stack, the tables.
        let count = pages + 3 + tables;
        let first = match self.slots.alloc_range(count) {
            Ok(first) => first,
            Err(e) => {
                self.keep_untyped(untyped, bits);
                return Err(e);
            }
        };
        let process = Process {
            thread: Thread {
                tcb: first + pages as CPtr + 1,
                register_stack: first + pages as CPtr + 2,
                ipc_buffer: self.ipc_buffer,
                ipc_frame: first + (self.ipc_buffer / PAGE_SIZE) as CPtr,
                stack_top: 0,
            },
            vspace: first + pages as CPtr,
            frames: first,
            frame_count: pages,
            untyped,
            untyped_bits: bits,
            slots: (first, count),
        };
        match self.fill_process(process, tables, (entry, arg, priority, fault_ep)) {
            Ok(p) => Ok(p),
            Err(e) => {
                // Undo what was made; a failure here leaves only a leak behind.
                let _ = self.destroy_process(&process);
                Err(e)
            }
        }
    }

    /// Retypes the objects of `p` from its Untyped into its slots, copies the memory
    /// and configures the thread.
    fn fill_process(
        &mut self,
        mut p: Process,
        tables: usize,
        (entry, arg, priority, fault_ep): (Entry, Word, Word, CPtr),
    ) -> Result<Process, Error> {
        let retype = |ty: Word, size_bits: Word, dest: CPtr, n: usize| {
            untyped::retype(p.untyped, ty, size_bits, ROOT_CNODE, 0, 0, dest, n as Word)
        };
        // Largest objects first: each then starts aligned, with no padding.
        retype(
            types::REGISTER_STACK,
            REGISTER_STACK_BITS,
            p.thread.register_stack,
            1,
        )?;
        retype(types::PAGE_TABLE, 0, p.vspace, 1)?;
        let first_table = p.vspace + 3;
        if tables > 0 {
            retype(types::PAGE_TABLE, 0, first_table, tables)?;
        }
        let mut done = 0;
        while done < p.frame_count {
            let n = (p.frame_count - done).min(64);
            retype(types::FRAME, 0, p.frames + done as CPtr, n)?;
            done += n;
        }
        retype(types::TCB, 0, p.thread.tcb, 1)?;
        asid_pool::assign(ASID_POOL, p.vspace)?;
        let scratch = match self.scratch {
            Some((v, _)) => v,
            None => {
                let v = self.alloc_vaddr(1);
                self.scratch = Some((v, 0));
                v
            }
        };
        // The child's stack starts below the caller's live frames.
        let marker = 0u8;
        let here = core::hint::black_box(&marker) as *const u8 as usize;
        p.thread.stack_top = (here - 1024) & !15;
        let mut spare_tables = first_table..first_table + tables as CPtr;
        for i in 0..p.frame_count {
            let frame = p.frames + i as CPtr;
            if i > 0 {
                self.map_frame(ROOT_VSPACE, frame, scratch, CapRights::ALL)?;
                // SAFETY: page i (i ≥ 1) lies inside the memory the loader mapped, the
                // scratch page was just mapped to a fresh frame; they do not overlap.
                unsafe {
                    core::ptr::copy_nonoverlapping(
                        (i * PAGE_SIZE) as *const u8,
                        scratch as *mut u8,
                        PAGE_SIZE,
                    );
                }
                page::unmap(frame)?;
            }
            let vaddr = i * PAGE_SIZE;
            self.map_frame_with(p.vspace, frame, vaddr, CapRights::ALL, &mut spare_tables)?;
        }
        p.thread = Self::make_thread(
            (p.thread.tcb, p.thread.register_stack),
            entry,
            arg,
            priority,
            fault_ep,
            (ROOT_CNODE, 0),
            p.vspace,
            p.thread.ipc_buffer,
            p.thread.ipc_frame,
            p.thread.stack_top,
        )?;
        Ok(p)
    }

    /// Deletes a process: revokes its Untyped, which deletes its thread, frames, page
    /// tables and VSpace (freeing its ASID) and every cap derived from them, frees its
    /// slots and keeps the Untyped for the next [`Env::fork`].
    pub fn destroy_process(&mut self, p: &Process) -> Result<(), Error> {
        cnode::revoke(ROOT_CNODE, p.untyped, 64)?;
        (0..p.slots.1).for_each(|i| self.slots.free(p.slots.0 + i as CPtr));
        self.keep_untyped(p.untyped, p.untyped_bits);
        Ok(())
    }

    /// An Untyped of `2^bits` bytes with no children: a spare one, or a new
    /// one retyped from the boot untypeds into a fresh slot.
    fn process_untyped(&mut self, bits: u32) -> Result<CPtr, Error> {
        let spare = self
            .spare
            .iter_mut()
            .find(|s| s.is_some_and(|(_, b)| b == bits));
        if let Some(entry) = spare {
            if let Some((slot, _)) = entry.take() {
                return Ok(slot);
            }
        }
        let slot = self.slots.alloc()?;
        match self
            .untypeds
            .retype_into(types::UNTYPED, Word::from(bits), slot, 1)
        {
            Ok(()) => Ok(slot),
            Err(e) => {
                self.slots.free(slot);
                Err(e)
            }
        }
    }

    /// Keeps the childless Untyped `slot` of `2^bits` bytes for a later fork, or
    /// deletes it when every spare place is taken.
    fn keep_untyped(&mut self, slot: CPtr, bits: u32) {
        match self.spare.iter_mut().find(|s| s.is_none()) {
            Some(free) => *free = Some((slot, bits)),
            None => {
                let _ = self.delete(slot);
            }
        }
    }
}

/// [`ObjectType`] as the word Retype takes.
pub fn object_type(t: ObjectType) -> Word {
    t as Word
}
