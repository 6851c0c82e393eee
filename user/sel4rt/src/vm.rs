//! Threads and processes on the vm architecture: a thread runs a function of the root
//! task's module with a register stack of its own; a process is a thread in a new
//! VSpace holding a copy of the root task's memory (see the crate docs).

use libsel4::vm::vm_tcb;
use libsel4::vspace::{asid_pool, page};
use libsel4::{CPtr, CapRights, Error, Word, tcb, untyped};
use selvm_abi::TCB_BITS;

use crate::{
    ASID_POOL, Entry, Env, PAGE_SIZE, PAGE_TABLE_SPANS, Process, ROOT_CNODE, ROOT_MODULE, ROOT_TCB,
    ROOT_VSPACE, THREAD_STACK_PAGES, Thread, types,
};

/// log2 bytes of a new thread's register stack.
pub const REGISTER_STACK_BITS: Word = 18;
/// Maximum call depth of a new thread.
pub const THREAD_CALL_DEPTH: Word = 64;

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
        let scratch = self.scratch_page();
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
}
