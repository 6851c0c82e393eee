//! Builds a process from an `.sbc` image, as the machine's loader builds the root task
//! but through ordinary invocations, every object retyped from one untyped (the spawn's
//! pool): a CNode of its own that ends up holding all its caps (the fixed slots of
//! `selvm_abi::vm::spawn`, then its frames and page tables), a sealed module, a
//! register stack, a VSpace with the module's initial memory plus one page (the spawn
//! information at its start, the IPC buffer 4 KiB above), the data segments copied in,
//! a TCB at the `cluster_start` export, and an endpoint. Errors are cluster error codes.

use libsel4::vm::{module, vm_tcb};
use libsel4::vspace::{asid_pool, page, page_table};
use libsel4::{CPtr, CapRights, Error, Word, cnode, tcb, untyped};
use sel4rt::{ASID_POOL, PAGE_SIZE, ROOT_CNODE, ROOT_TCB, ROOT_VSPACE, types};
use selvm_abi::vm::network::{ERROR_BAD_MODULE, ERROR_NO_MEMORY};
use selvm_abi::vm::spawn::*;
use selvm_bytecode::Module;
use selvm_bytecode::format::Section;

/// log2 bytes of a spawned process's register stack, and the call depth it holds.
const REGISTER_STACK: (Word, Word) = (19, 1024);
/// Bytes of a wasm page.
const WASM_PAGE: usize = 64 * 1024;
/// Priority of a spawned process's thread.
const PRIORITY: Word = 100;
/// The process's CNode slots of its module, register stack and IPC buffer frame.
const SLOT_MODULE: Word = 6;
const SLOT_REGISTER_STACK: Word = 7;
const SLOT_IPC_FRAME: Word = 8;
/// Empty root slots the builder needs ([`Temps`]).
pub const TEMPS: usize = 7;

/// The root slots objects are made in before they move into the process's CNode.
struct Temps {
    cnode: CPtr,
    module: CPtr,
    stack: CPtr,
    vspace: CPtr,
    tcb: CPtr,
    ipc: CPtr,
    work: CPtr,
}

/// What the builder uses of the service: root slots and a page of address space.
pub struct Workspace {
    /// [`TEMPS`] empty root slots; the first keeps the process's CNode cap afterwards.
    pub temps: CPtr,
    /// A root address where one of the process's pages is mapped while it is filled.
    pub window: usize,
    /// The image: `len` bytes at `at` in the root's memory, in frames from `frames`.
    pub image: (usize, usize, CPtr),
}

/// The process wanted: where its memory comes from and what it is told.
pub struct Request {
    /// The untyped all its objects come from.
    pub pool: CPtr,
    /// The spawn information words (the argument among them).
    pub info: [u64; INFO_WORDS],
    /// The node's name cap (a copy goes into the process).
    pub name_cap: CPtr,
    /// An empty root slot for the process's endpoint (the service exports it).
    pub endpoint: CPtr,
}

/// A failed invocation: out of memory (in the pool), else the module's fault.
fn code(e: Error) -> u64 {
    match e {
        Error::NotEnoughMemory => ERROR_NO_MEMORY,
        _ => ERROR_BAD_MODULE,
    }
}

/// Builds and starts the process; on an error every object made is deleted (the
/// pool's memory comes back only when the pool has no objects left, seL4's rule).
pub fn spawn(w: &Workspace, r: &Request) -> Result<(), u64> {
    let (at, len, _) = w.image;
    // SAFETY: the service mapped the image's frames read-write at `at` and wrote `len`
    // bytes there; nothing writes them while the service builds.
    let image = unsafe { core::slice::from_raw_parts(at as *const u8, len) };
    let m = Module::parse(image).map_err(|_| ERROR_BAD_MODULE)?;
    let entry = (0..m.count(Section::Exports))
        .filter_map(|i| m.export(i))
        .find(|e| m.export_name(e) == Some(SPAWN_ENTRY))
        .ok_or(ERROR_BAD_MODULE)?
        .func;
    // Memory larger than a pool can never be made (and its size could overflow a
    // wasm32 usize): refused before anything is retyped.
    let bytes = (u64::from(m.memory_min()) + 1) * WASM_PAGE as u64;
    if bytes > 1 << POOL_BITS {
        return Err(ERROR_NO_MEMORY);
    }
    // Every data segment must lie inside the initial memory (as the loader's rule).
    let outside = (0..m.count(Section::Data)).any(|i| {
        let d = m.data(i);
        let len = d.and_then(|d| m.data_bytes(&d)).map(|b| b.len() as u64);
        match (d, len) {
            (Some(d), Some(len)) => d.address.checked_add(len).is_none_or(|end| end > bytes),
            _ => true,
        }
    });
    if outside {
        return Err(ERROR_BAD_MODULE);
    }
    let pages = m.memory_min() as usize + 1;
    let frames = pages * WASM_PAGE / PAGE_SIZE;
    // Page tables: one per 2 MiB and one per 1 GiB (the VSpace is the third level).
    let tables = frames.div_ceil(512) + frames.div_ceil(512 * 512);
    let slots = SLOT_FREE_END as usize + frames + tables;
    let radix = slots.next_power_of_two().trailing_zeros() as Word;
    let t = Temps {
        cnode: w.temps,
        module: w.temps + 1,
        stack: w.temps + 2,
        vspace: w.temps + 3,
        tcb: w.temps + 4,
        ipc: w.temps + 5,
        work: w.temps + 6,
    };
    let made = untyped::retype(r.pool, types::CNODE, radix, ROOT_CNODE, 0, 0, t.cnode, 1)
        .map_err(code)
        .and_then(|()| build(w, r, &t, &m, (entry, pages, radix)));
    if made.is_err() {
        for slot in [
            t.module, t.stack, t.vspace, t.tcb, t.ipc, t.work, r.endpoint,
        ] {
            let _ = cnode::delete(ROOT_CNODE, slot, 64);
        }
        let _ = cnode::revoke(ROOT_CNODE, t.cnode, 64);
        let _ = cnode::delete(ROOT_CNODE, t.cnode, 64);
    }
    made
}

/// Makes the objects (in the temps), fills the memory, starts the thread, and moves
/// every cap into the process's CNode.
fn build(
    w: &Workspace,
    r: &Request,
    t: &Temps,
    m: &Module,
    (entry, pages, radix): (u32, usize, Word),
) -> Result<(), u64> {
    let make = |ty: Word, bits: Word, dest: CPtr| {
        untyped::retype(r.pool, ty, bits, ROOT_CNODE, 0, 0, dest, 1).map_err(code)
    };
    let into = |index: Word, from: CPtr| {
        cnode::move_(t.cnode, index, radix, ROOT_CNODE, from, 64).map_err(|_| ERROR_NO_MEMORY)
    };
    let failed = |_| ERROR_NO_MEMORY;
    // The largest objects first: each then starts aligned, with no padding.
    let (_, image_len, image_frames) = w.image;
    let module_bits = image_len.max(4096).next_power_of_two().trailing_zeros() as Word;
    make(types::MODULE, module_bits, t.module)?;
    for (i, offset) in (0..image_len).step_by(PAGE_SIZE).enumerate() {
        let n = (image_len - offset).min(PAGE_SIZE) as Word;
        let frame = image_frames + i as CPtr;
        module::write_from_frame(t.module, offset as Word, frame, 0, n).map_err(code)?;
    }
    module::seal(t.module, image_len as Word).map_err(code)?;
    make(types::REGISTER_STACK, REGISTER_STACK.0, t.stack)?;
    make(types::PAGE_TABLE, 0, t.vspace)?;
    asid_pool::assign(ASID_POOL, t.vspace).map_err(failed)?;
    make(types::TCB, 0, t.tcb)?;
    make(types::ENDPOINT, 0, r.endpoint)?;
    let info_page = (pages - 1) * WASM_PAGE / PAGE_SIZE;
    let mut next = SLOT_FREE_END;
    for i in 0..pages * WASM_PAGE / PAGE_SIZE {
        make(types::FRAME, 0, t.work)?;
        let vaddr = i * PAGE_SIZE;
        let info = (i == info_page).then_some(&r.info);
        if info.is_some() || has_data(m, vaddr) {
            page::map(t.work, ROOT_VSPACE, w.window as Word, CapRights::ALL, 0).map_err(failed)?;
            write_page(m, vaddr, w.window, info);
            page::unmap(t.work).map_err(failed)?;
        }
        // Map it, making the page tables the walk lacks (they go into the CNode too).
        let rw = CapRights::ALL;
        while page::map(t.work, t.vspace, vaddr as Word, rw, 0) == Err(Error::FailedLookup) {
            make(types::PAGE_TABLE, 0, t.ipc)?;
            page_table::map(t.ipc, t.vspace, vaddr as Word, 0).map_err(failed)?;
            into(next, t.ipc)?;
            next += 1;
        }
        if i == info_page + 1 {
            cnode::move_(ROOT_CNODE, t.ipc, 64, ROOT_CNODE, t.work, 64).map_err(failed)?;
        } else {
            into(next, t.work)?;
            next += 1;
        }
    }
    let ipc_buffer = (info_page + 1) * PAGE_SIZE;
    let guard = 64 - radix; // guard size, guard 0: a 64-bit CPtr resolves at once
    tcb::configure(
        t.tcb,
        0,
        t.cnode,
        guard,
        t.vspace,
        0,
        ipc_buffer as Word,
        t.ipc,
    )
    .map_err(failed)?;
    tcb::set_priority(t.tcb, ROOT_TCB, PRIORITY).map_err(failed)?;
    vm_tcb::bind_module(t.tcb, t.module).map_err(code)?;
    vm_tcb::bind_register_stack(t.tcb, t.stack, REGISTER_STACK.1).map_err(code)?;
    let sp = m.global(2).map_or(0, |g| g.init);
    vm_tcb::set_entry(t.tcb, entry, r.info[INFO_ARGUMENT], sp).map_err(code)?;
    vm_tcb::set_memory(t.tcb, pages as Word, pages as Word).map_err(code)?;
    let all = CapRights::ALL;
    cnode::copy(
        t.cnode,
        SLOT_ENDPOINT,
        radix,
        ROOT_CNODE,
        r.endpoint,
        64,
        all,
    )
    .map_err(failed)?;
    let name_rights = CapRights::new(true, true, false, true);
    cnode::copy(
        t.cnode,
        SLOT_NAME_CAP,
        radix,
        ROOT_CNODE,
        r.name_cap,
        64,
        name_rights,
    )
    .map_err(failed)?;
    cnode::mint(
        t.cnode, SLOT_CNODE, radix, ROOT_CNODE, t.cnode, 64, all, guard,
    )
    .map_err(failed)?;
    into(SLOT_MODULE, t.module)?;
    into(SLOT_REGISTER_STACK, t.stack)?;
    into(SLOT_IPC_FRAME, t.ipc)?;
    into(SLOT_VSPACE, t.vspace)?;
    tcb::resume(t.tcb).map_err(failed)?;
    into(SLOT_TCB, t.tcb)
}

/// Whether a data segment of `m` writes to the page at `vaddr`.
fn has_data(m: &Module, vaddr: usize) -> bool {
    (0..m.count(Section::Data))
        .filter_map(|i| m.data(i))
        .any(|d| {
            let len = m.data_bytes(&d).map_or(0, |b| b.len()) as u64;
            d.address < (vaddr + PAGE_SIZE) as u64 && d.address + len > vaddr as u64
        })
}

/// Writes what belongs in the page at `vaddr` (data segments' bytes, the spawn
/// information) through the root's mapping of it at `window` (a fresh, zeroed frame).
fn write_page(m: &Module, vaddr: usize, window: usize, info: Option<&[u64; INFO_WORDS]>) {
    // SAFETY: the service mapped a frame of its own read-write at `window` for this
    // page; nothing else refers to it while it is written.
    let page = unsafe { core::slice::from_raw_parts_mut(window as *mut u8, PAGE_SIZE) };
    for d in (0..m.count(Section::Data)).filter_map(|i| m.data(i)) {
        let bytes = m.data_bytes(&d).unwrap_or(&[]);
        let (start, end) = (d.address as usize, d.address as usize + bytes.len());
        let (from, to) = (start.max(vaddr), end.min(vaddr + PAGE_SIZE));
        if from < to {
            page[from - vaddr..to - vaddr].copy_from_slice(&bytes[from - start..to - start]);
        }
    }
    if let Some(info) = info {
        page[0..8].copy_from_slice(&INFO_MAGIC.to_le_bytes());
        for (i, w) in info.iter().enumerate().skip(1) {
            page[i * 8..i * 8 + 8].copy_from_slice(&w.to_le_bytes());
        }
    }
}
