//! Threads and processes on native riscv64 (see the crate docs): a thread is a TCB whose
//! registers TCB_WriteRegisters sets (pc = entry, a0 = argument, sp and tp from a thread
//! area user/rt lays out at the top of its stack, ra = [`thread_exit`]); a process is
//! such a thread in a new VSpace holding a copy of the program image.

use libsel4::arch::{A, PC, RA, SP, TP, USER_CONTEXT_WORDS};
use libsel4::vspace::{asid_pool, page};
use libsel4::{CPtr, CapRights, Error, Word, tcb, untyped};
use rt::riscv64::{image, init_thread_area, root_stack, thread_area_bytes};
use selvm_abi::TCB_BITS;

use crate::{
    ASID_POOL, EXIT_SYSCALL, Entry, Env, PAGE_SIZE, PAGE_TABLE_SPANS, Process, ROOT_CNODE,
    ROOT_TCB, ROOT_VSPACE, THREAD_STACK_PAGES, Thread, types,
};

/// Where a thread's entry function returns to: it makes the UnknownSyscall
/// [`EXIT_SYSCALL`], a fault its handler receives (`crate::is_exit`) and never answers;
/// were it answered, the thread would make it again.
pub extern "C" fn thread_exit() -> ! {
    loop {
        // SAFETY: an `ecall` with an unknown number: the kernel turns it into a fault
        // message and blocks the thread; no register or memory of ours changes.
        unsafe {
            core::arch::asm!("ecall", in("a0") 0, in("a7") EXIT_SYSCALL, options(nostack));
        }
    }
}

/// What a new native thread runs and with which objects.
struct Start {
    entry: Entry,
    arg: Word,
    priority: Word,
    fault_ep: CPtr,
    cspace: (CPtr, Word),
    vspace: CPtr,
    ipc_buffer: usize,
    ipc_frame: CPtr,
    /// (tp, sp), from `rt::riscv64::init_thread_area`.
    area: (usize, usize),
}

/// Page tables a VSpace needs at most for `pages` consecutive pages: at each of the two
/// levels below the root, one per span they touch (a fixed bound, so that forks of the
/// same program all need Untypeds of one size).
fn tables_for(pages: usize) -> usize {
    PAGE_TABLE_SPANS
        .iter()
        .map(|span| (pages * PAGE_SIZE).div_ceil(*span) + 1)
        .sum()
}

impl Env {
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
        if thread_area_bytes() > PAGE_SIZE {
            return Err(Error::NotEnoughMemory);
        }
        self.alloc_vaddr(1); // an unmapped guard page below the stack
        let (stack, _) = self.alloc_memory(THREAD_STACK_PAGES)?;
        let (ipc_buffer, ipc_frame) = self.alloc_memory(1)?;
        let top = stack + THREAD_STACK_PAGES * PAGE_SIZE;
        // SAFETY: the stack's pages were just mapped read-write here, for this thread
        // only; its area fits the top page (checked above).
        let area = unsafe { init_thread_area(top, top, ipc_buffer) };
        let tcb = self.retype(types::TCB, 0)?;
        let start = Start {
            entry,
            arg,
            priority,
            fault_ep,
            cspace: (cspace, cspace_data),
            vspace: ROOT_VSPACE,
            ipc_buffer,
            ipc_frame,
            area,
        };
        start_thread(tcb, &start)
    }

    /// Creates a process: a thread running `entry(arg)` in a new VSpace whose memory
    /// starts as a copy of the program image (see the crate docs), with the root CSpace.
    /// Its objects come from an Untyped of its own (a spare one of a destroyed process
    /// when there is one); on an error nothing is left allocated.
    pub fn fork(
        &mut self,
        entry: Entry,
        arg: Word,
        priority: Word,
        fault_ep: CPtr,
    ) -> Result<Process, Error> {
        if thread_area_bytes() > PAGE_SIZE {
            return Err(Error::NotEnoughMemory);
        }
        let copied = (root_stack().start - image().start) / PAGE_SIZE;
        // Frames: the image's copies, the stack, the IPC buffer.
        let pages = copied + THREAD_STACK_PAGES + 1;
        let tables = tables_for(copied) + tables_for(THREAD_STACK_PAGES + 1);
        let bytes = (pages + 1 + tables) * PAGE_SIZE + (1usize << TCB_BITS);
        let bits = bytes.next_power_of_two().trailing_zeros();
        let untyped = self.process_untyped(bits)?;
        // Slots: the frames, then the VSpace, the TCB, the tables.
        let count = pages + 2 + tables;
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
                register_stack: 0,
                ipc_buffer: 0,
                ipc_frame: first + pages as CPtr - 1,
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

    /// Retypes the objects of `p` from its Untyped into its slots, maps the image's
    /// copies, the stack and the IPC buffer, and configures the thread.
    fn fill_process(
        &mut self,
        mut p: Process,
        tables: usize,
        (entry, arg, priority, fault_ep): (Entry, Word, Word, CPtr),
    ) -> Result<Process, Error> {
        let retype = |ty: Word, dest: CPtr, n: usize| {
            untyped::retype(p.untyped, ty, 0, ROOT_CNODE, 0, 0, dest, n as Word)
        };
        // The 4 KiB objects first, the TCB last: each starts aligned, with no padding.
        retype(types::PAGE_TABLE, p.vspace, 1)?;
        let first_table = p.vspace + 2;
        retype(types::PAGE_TABLE, first_table, tables)?;
        let mut done = 0;
        while done < p.frame_count {
            let n = (p.frame_count - done).min(64);
            retype(types::FRAME, p.frames + done as CPtr, n)?;
            done += n;
        }
        retype(types::TCB, p.thread.tcb, 1)?;
        asid_pool::assign(ASID_POOL, p.vspace)?;
        let mut spare_tables = first_table..first_table + tables as CPtr;
        let scratch = self.scratch_page();
        // The image, page by page, through the scratch page.
        let image = image().start;
        let copied = p.frame_count - THREAD_STACK_PAGES - 1;
        for i in 0..copied {
            let frame = p.frames + i as CPtr;
            self.map_frame(ROOT_VSPACE, frame, scratch, CapRights::ALL)?;
            // SAFETY: page i of the image is mapped in this address space and lies below
            // the root stack; the scratch page was just mapped to a fresh frame; they do
            // not overlap.
            unsafe {
                core::ptr::copy_nonoverlapping(
                    (image + i * PAGE_SIZE) as *const u8,
                    scratch as *mut u8,
                    PAGE_SIZE,
                );
            }
            page::unmap(frame)?;
            let vaddr = image + i * PAGE_SIZE;
            self.map_frame_with(p.vspace, frame, vaddr, CapRights::ALL, &mut spare_tables)?;
        }
        // The copies hold code: make instruction fetches see them.
        // SAFETY: `fence.i` only orders this hart's instruction fetches after its stores.
        unsafe { core::arch::asm!("fence.i", options(nostack)) };
        // The stack (with an unmapped guard page below it) and the IPC buffer, fresh, at
        // addresses of the root's allocator that only the child maps.
        self.alloc_vaddr(1);
        let stack = self.alloc_vaddr(THREAD_STACK_PAGES);
        let ipc_buffer = self.alloc_vaddr(1);
        let top = stack + THREAD_STACK_PAGES * PAGE_SIZE;
        let stack_frames = p.frames + copied as CPtr;
        let top_frame = stack_frames + THREAD_STACK_PAGES as CPtr - 1;
        self.map_frame(ROOT_VSPACE, top_frame, scratch, CapRights::ALL)?;
        // SAFETY: the scratch page maps the fresh frame that will be the child's top
        // stack page; the area fits in it (checked by `fork`).
        let area = unsafe { init_thread_area(top, scratch + PAGE_SIZE, ipc_buffer) };
        page::unmap(top_frame)?;
        for i in 0..THREAD_STACK_PAGES {
            let (frame, vaddr) = (stack_frames + i as CPtr, stack + i * PAGE_SIZE);
            self.map_frame_with(p.vspace, frame, vaddr, CapRights::ALL, &mut spare_tables)?;
        }
        let ipc_frame = p.thread.ipc_frame;
        self.map_frame_with(
            p.vspace,
            ipc_frame,
            ipc_buffer,
            CapRights::ALL,
            &mut spare_tables,
        )?;
        let start = Start {
            entry,
            arg,
            priority,
            fault_ep,
            cspace: (ROOT_CNODE, 0),
            vspace: p.vspace,
            ipc_buffer,
            ipc_frame,
            area,
        };
        p.thread = start_thread(p.thread.tcb, &start)?;
        Ok(p)
    }
}

/// Configures the new TCB `tcb` and writes its registers; it stays Inactive.
fn start_thread(tcb: CPtr, s: &Start) -> Result<Thread, Error> {
    tcb::configure(
        tcb,
        s.fault_ep,
        s.cspace.0,
        s.cspace.1,
        s.vspace,
        0,
        s.ipc_buffer as Word,
        s.ipc_frame,
    )?;
    tcb::set_priority(tcb, ROOT_TCB, s.priority)?;
    let (tp, sp) = s.area;
    let mut regs = [0; USER_CONTEXT_WORDS];
    regs[PC] = s.entry as usize as Word;
    regs[RA] = thread_exit as *const () as usize as Word;
    regs[SP] = sp as Word;
    regs[TP] = tp as Word;
    regs[A[0]] = s.arg;
    tcb::write_registers(tcb, false, 0, &regs)?;
    Ok(Thread {
        tcb,
        register_stack: 0,
        ipc_buffer: s.ipc_buffer,
        ipc_frame: s.ipc_frame,
        stack_top: sp,
    })
}
