//! seLVM's user-level support library (the job of seL4's vka, vspace and process
//! libraries, written fresh): a slot allocator over BootInfo's empty region, an
//! untyped allocator over BootInfo's untyped list, frame mapping with the page tables a
//! mapping needs, and thread creation — in the running address space, or in a new one
//! that starts as a copy of the root task's memory ("fork"). One API on both
//! architectures: the vm (wasm32 on the hosted machine, [`vm`]) and native riscv64
//! ([`native`]).
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
//! On the vm the loader maps the module's memory from 0 up to the BootInfo page's end
//! (`boot_info() + 64 KiB`); natively the image is linked at 0x10000 with the IPC buffer,
//! BootInfo and the extra BootInfo in the pages after it (user/rt's `riscv64.ld`). `Env`
//! hands out virtual memory above that, from [`FIRST_FREE_VADDR`] (1 GiB) upwards, in
//! whole 4 KiB pages: thread stacks, IPC buffers, a scratch page for copying into frames
//! of other address spaces.
//!
//! ## Threads
//!
//! [`Env::create_thread`] makes a TCB with a stack region and an IPC buffer frame of its
//! own in the root task's VSpace, running `entry(arg)` (an `extern "C" fn(u64)`); the
//! thread starts Inactive, `tcb::resume` starts it. On the vm the thread also gets a
//! register stack and runs a function of the root task's module (a wasm function
//! pointer, an element of table 0). Natively its registers are written with
//! TCB_WriteRegisters: pc = `entry`, a0 = `arg`, sp below a TLS area at the top of its
//! stack (its TLS block and libsel4's thread header with its IPC buffer,
//! `libsel4::thread`), ra = [`native::thread_exit`].
//!
//! When `entry` returns, the vm's kernel makes the thread Inactive. Native seL4 has no
//! such rule and a thread without caps cannot block by itself, so a native thread ends
//! by sending its fault handler one UnknownSyscall fault with syscall number
//! [`EXIT_SYSCALL`], which nobody answers: [`is_exit`] tells a handler such a message
//! apart from a real fault (it never matches on the vm).
//!
//! ## Processes (fork)
//!
//! [`Env::fork`] makes a new VSpace (a page table given an ASID from the boot pool,
//! slot 6) and maps, at the same virtual addresses, fresh frames holding a copy of the
//! root task's memory as it is at the call, and starts a thread there running
//! `entry(arg)` with its own copy of every static; it must not use the `Env` it
//! inherited to map memory (that `Env` describes the parent's address space), and
//! `boot_info()` is `None` in it. Memory `Env` mapped above [`FIRST_FREE_VADDR`] is not
//! copied.
//! - vm: the memory is pages 1 .. end of the BootInfo page (page 0 is mapped zeroed);
//!   the child's IPC buffer is its copy of the root task's IPC buffer page (same
//!   address), its stack pointer starts just below the caller's current stack frame in
//!   its copy of the stack.
//! - riscv64: the memory is the program image, the root stack excepted (user/rt's
//!   `image()` up to `root_stack()`): the same program at the same addresses, so `entry`
//!   is simply its address. The child gets a fresh stack (with its TLS area) and a fresh
//!   IPC buffer page at addresses of the root's allocator, mapped only in its VSpace,
//!   exactly like a thread of [`Env::create_thread`]. Copying the image rather than
//!   embedding separate ELF images keeps the suite's one API (any function of the
//!   program can be a process) and costs one page copy per image page per fork.
//!
//! Every object of a process (VSpace, page tables, frames, TCB, register stack) is
//! retyped from one Untyped of its own, carved from the boot untypeds, and its caps sit
//! in one range of root slots. [`Env::destroy_process`] revokes that Untyped (deleting
//! every object at once, which also frees the ASID) and keeps it for the next fork: in
//! seL4 an Untyped's memory can be retyped again only once it has no children, so the
//! memory of a destroyed process is reused by the next process rather than returned to
//! the boot untyped.

#![no_std]

mod alloc;
#[cfg(target_arch = "riscv64")]
pub mod native;
#[cfg(not(target_arch = "riscv64"))]
pub mod vm;

pub use alloc::{Slots, Untypeds};
#[cfg(not(target_arch = "riscv64"))]
pub use vm::{REGISTER_STACK_BITS, THREAD_CALL_DEPTH};

use libsel4::vspace::{page, page_table};
use libsel4::{CPtr, CapRights, Error, MessageInfo, ObjectType, Word, cnode};
use selvm_abi::{PAGE_BITS, PAGE_TABLE_BITS};

/// The root task's TCB (BootInfo's initial slots).
pub const ROOT_TCB: CPtr = selvm_abi::CAP_INIT_THREAD_TCB;
/// The root task's CNode.
pub const ROOT_CNODE: CPtr = selvm_abi::CAP_INIT_THREAD_CNODE;
/// The root task's VSpace.
pub const ROOT_VSPACE: CPtr = selvm_abi::CAP_INIT_THREAD_VSPACE;
/// The boot ASID pool.
pub const ASID_POOL: CPtr = selvm_abi::CAP_INIT_THREAD_ASID_POOL;
/// The root task's sealed module (vm architecture).
#[cfg(not(target_arch = "riscv64"))]
pub const ROOT_MODULE: CPtr = selvm_abi::vm::CAP_INIT_THREAD_MODULE;
/// Bytes in a small page.
pub const PAGE_SIZE: usize = 1 << PAGE_BITS;
/// Where [`Env`] starts handing out virtual memory.
pub const FIRST_FREE_VADDR: usize = 0x4000_0000;
/// Pages of stack a new thread of [`Env::create_thread`] gets.
pub const THREAD_STACK_PAGES: usize = 4;
/// The syscall number a native thread's exit makes (an UnknownSyscall fault): "EXIT".
pub const EXIT_SYSCALL: Word = 0x4558_4954;
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
    #[cfg(not(target_arch = "riscv64"))]
    pub const MODULE: Word = selvm_abi::vm::VmObjectType::Module.word();
    /// vm: register stack.
    #[cfg(not(target_arch = "riscv64"))]
    pub const REGISTER_STACK: Word = selvm_abi::vm::VmObjectType::RegisterStack.word();
}

/// The root task's allocators and address-space bookkeeping.
pub struct Env {
    /// Free slots of the root CNode.
    pub slots: Slots,
    /// The boot untypeds.
    pub untypeds: Untypeds,
    next_vaddr: usize,
    scratch: Option<usize>,
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
    /// Its register stack (vm; 0 natively, where there is none).
    pub register_stack: CPtr,
    /// Its IPC buffer's address (in its own VSpace).
    pub ipc_buffer: usize,
    /// The frame holding the IPC buffer.
    pub ipc_frame: CPtr,
    /// Its initial stack pointer (in its own VSpace).
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

/// What a thread runs: a function taking one `u64` (on wasm32 an element of table 0).
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
            memory_end: memory_end(base, bi),
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
    pub(crate) fn map_frame_with(
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

    /// Deletes a thread made by [`Env::create_thread`] (its TCB, and its register stack
    /// on the vm; the stack and IPC buffer frames stay mapped for reuse by nobody).
    pub fn destroy_thread(&mut self, t: &Thread) -> Result<(), Error> {
        self.delete(t.tcb)?;
        match t.register_stack {
            0 => Ok(()),
            stack => self.delete(stack),
        }
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
    pub(crate) fn process_untyped(&mut self, bits: u32) -> Result<CPtr, Error> {
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
    pub(crate) fn keep_untyped(&mut self, slot: CPtr, bits: u32) {
        match self.spare.iter_mut().find(|s| s.is_none()) {
            Some(free) => *free = Some((slot, bits)),
            None => {
                let _ = self.delete(slot);
            }
        }
    }
}

/// The end of the memory the loader mapped for the root task: the BootInfo page's 64 KiB
/// wasm page on the vm, the extra BootInfo's last page natively.
fn memory_end(boot_info: usize, bi: &libsel4::BootInfo) -> usize {
    if cfg!(target_arch = "riscv64") {
        boot_info + PAGE_SIZE + (bi.extra_len as usize).next_multiple_of(PAGE_SIZE)
    } else {
        boot_info + 0x1_0000
    }
}

/// Whether the message just received (`info`, its words in the IPC buffer) is the
/// UnknownSyscall fault with which a native thread ends ([`EXIT_SYSCALL`]) rather than a
/// real fault or message; never on the vm, whose threads end without a message.
pub fn is_exit(info: MessageInfo) -> bool {
    cfg!(target_arch = "riscv64")
        && info.label() == selvm_abi::UNKNOWN_SYSCALL
        && info.length() > selvm_abi::riscv64::layout::UNKNOWN_SYSCALL_NUMBER
        && libsel4::ipc::get_mr(selvm_abi::riscv64::layout::UNKNOWN_SYSCALL_NUMBER) == EXIT_SYSCALL
}

impl Env {
    /// The scratch page (allocated on first use): a root address at which frames of
    /// other address spaces are mapped for a moment to be written.
    pub(crate) fn scratch_page(&mut self) -> usize {
        match self.scratch {
            Some(v) => v,
            None => {
                let v = self.alloc_vaddr(1);
                self.scratch = Some(v);
                v
            }
        }
    }
}

/// [`ObjectType`] as the word Retype takes.
pub fn object_type(t: ObjectType) -> Word {
    t as Word
}
