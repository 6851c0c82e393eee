//! The vm architecture's kernel entries, called by the host's run loop: what
//! the current thread runs (its sealed module and register stack), the split
//! of physical memory the interpreter works in, and the traps a stopped
//! interpreter hands back — a `syscall`, a memory fault, a VM trap, or the
//! entry function returning.

use super::caps::VmCap;
use super::{VmArch, VmHost, hidden};
use crate::fault::Fault;
use crate::memory::Ram;
use crate::memory::{PAddr, SplitMem};
use crate::object::tcb;
use crate::slot::SlotMemory;
use crate::state::Kernel;
use crate::syscall::SyscallExit;
use selvm_abi::vm::SYSCALL_WINDOW;
use selvm_abi::vm::context::{A0, NR, PC, WINDOW_REGISTERS};
use selvm_abi::vm::fault::{TrapKind, VM_FAULT_FSR_LOAD, VM_FAULT_FSR_STORE};
use selvm_abi::vm::object::{TCB_MODULE, TCB_REGISTER_STACK};
use selvm_abi::{Syscall, Word};

/// What a vm thread runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VmCode {
    /// The sealed module object.
    pub module: PAddr,
    /// Its verified image's length in bytes.
    pub image_len: usize,
    /// The register stack object.
    pub stack: PAddr,
    /// Its size in bytes.
    pub stack_bytes: u64,
    /// Most nested calls (TcbBindRegisterStack).
    pub max_depth: u32,
}

// `vm_syscall` copies a whole window to a0-a5 as one run of context words.
const _: () = {
    let mut i = 0;
    while i < WINDOW_REGISTERS.len() {
        assert!(WINDOW_REGISTERS[i] == A0 + i);
        i += 1;
    }
};

/// How a vm system call left the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VmSyscallExit {
    /// The fastpath took a Call or ReplyRecv, or the call was a Yield: only thread
    /// states, the scheduler's queues, an endpoint's queue, a reply cap and the
    /// message registers of the thread resumed changed. No thread's bindings
    /// (`vm_code_key`), VSpace, ASID table, memory size, resume pc or host-state
    /// words did, so a host may keep what it derived from them.
    Light,
    /// Any other system call (the slow path): resume `current_thread()`.
    Resume,
    /// DebugHalt: stop the machine.
    Halt,
}

impl<H: VmHost, R: Ram> Kernel<VmArch<H>, R> {
    /// The module and register stack thread `t` runs, if it has both and an
    /// entry point; `None` means it must raise the `NoCode` exception.
    pub fn vm_code(&self, t: PAddr) -> Option<VmCode> {
        let module = self.mem.cap(tcb::slot(t, TCB_MODULE));
        let stack = self.mem.cap(tcb::slot(t, TCB_REGISTER_STACK));
        let ctx = self.context(t);
        match (
            VmCap::of(&module),
            super::sealed_image(&module),
            VmCap::of(&stack),
        ) {
            (
                Some(VmCap::Module { ptr, .. }),
                Some(sealed),
                Some(VmCap::RegisterStack {
                    ptr: stack,
                    size_bits,
                }),
            ) if ctx[hidden::ENTRY_FUNCTION] != hidden::NO_ENTRY => Some(VmCode {
                module: ptr,
                image_len: sealed as usize,
                stack,
                stack_bytes: 1 << size_bits,
                max_depth: ctx[hidden::MAX_DEPTH] as u32,
            }),
            _ => None,
        }
    }

    /// The words [`Self::vm_code`] of `t` is computed from, and the VTable cap
    /// [`Self::thread_vspace`] reads: the module, register stack and VTable
    /// caps of `t` (two words each) and its entry function and nesting limit.
    /// While these words stay the same, so does `vm_code(t)`, and
    /// `thread_vspace(t)` can change only through the ASID table (the host's
    /// per-thread cache relies on this; it checks the ASID table itself).
    #[inline]
    pub fn vm_code_key(&self, t: PAddr) -> [Word; 8] {
        let cap = |i| {
            let w = self.mem.words(tcb::slot(t, i).0, 2);
            [w[0], w[1]]
        };
        let ([m0, m1], [s0, s1], [v0, v1]) = (
            cap(TCB_MODULE),
            cap(TCB_REGISTER_STACK),
            cap(selvm_abi::object::TCB_VTABLE),
        );
        let ctx = self.context(t);
        let (entry, depth) = (ctx[hidden::ENTRY_FUNCTION], ctx[hidden::MAX_DEPTH]);
        [m0, m1, s0, s1, v0, v1, entry, depth]
    }

    /// The verified image of a sealed module (for the host's decoded-code cache).
    pub fn vm_module_image(&self, code: &VmCode) -> &[u8] {
        self.mem.bytes(code.module, code.image_len)
    }

    /// Lends the register stack of `code` and the rest of physical memory, as
    /// two disjoint borrows, for one run of the interpreter.
    pub fn vm_split(&mut self, code: &VmCode) -> (&mut [u64], SplitMem<'_>) {
        SplitMem::carve(&mut self.mem, code.stack, code.stack_bytes)
    }

    /// The current thread executed `syscall` at `pc` with `window` (its
    /// registers) and `code`; it resumes at `next_pc`. An `n` other than 6
    /// raises UnknownSyscall whatever the code (docs/vm-abi.md).
    pub fn vm_syscall(
        &mut self,
        window: &[Word],
        code: u16,
        pc: Word,
        next_pc: Word,
    ) -> VmSyscallExit {
        let cur = self.sched.current;
        let number = code as i16 as i64 as Word;
        {
            let ctx = self.context_mut(cur);
            match <&[Word; SYSCALL_WINDOW as usize]>::try_from(window) {
                // The window registers are a0-a5, in order (checked below).
                Ok(w) => ctx[A0..A0 + w.len()].copy_from_slice(w),
                Err(_) => {
                    for (i, &r) in WINDOW_REGISTERS.iter().enumerate() {
                        ctx[r] = window.get(i).copied().unwrap_or(0);
                    }
                }
            }
            ctx[NR] = number;
            ctx[PC] = pc;
            ctx[hidden::NEXT_PC] = next_pc;
        }
        if window.len() != SYSCALL_WINDOW as usize {
            self.handle_fault(cur, Fault::UnknownSyscall { number });
            self.schedule();
            return VmSyscallExit::Resume;
        }
        if self.try_fastpath(number) {
            return VmSyscallExit::Light;
        }
        match self.handle_slow_syscall(number) {
            SyscallExit::Halt => VmSyscallExit::Halt,
            SyscallExit::Resume if number == Syscall::Yield.word() => VmSyscallExit::Light,
            SyscallExit::Resume => VmSyscallExit::Resume,
        }
    }

    /// The exit status of a DebugHalt by the current thread: its cap register.
    pub fn vm_halt_status(&self) -> Word {
        self.context(self.sched.current)[A0]
    }

    /// The current thread's access at `address` faulted at `pc`.
    pub fn vm_memory_fault(&mut self, pc: Word, address: Word, write: bool) {
        self.vm_at(pc);
        let status = if write {
            VM_FAULT_FSR_STORE
        } else {
            VM_FAULT_FSR_LOAD
        };
        self.handle_vm_fault(address, false, status);
    }

    /// The current thread trapped at `pc` (or could not run: `NoCode`).
    pub fn vm_trap(&mut self, pc: Word, kind: TrapKind, code: Word) {
        self.vm_at(pc);
        self.handle_user_exception(kind.word(), code);
    }

    /// The current thread returned from its entry function: it becomes
    /// Inactive with no fault (docs/wasm-abi.md).
    pub fn vm_thread_returned(&mut self) {
        let cur = self.sched.current;
        self.suspend(cur);
        self.schedule();
    }

    /// Boot loader only, before any thread runs: writes `bytes` at physical
    /// `pa` inside RAM (the program image, data segments, BootInfo), as seL4's
    /// boot code writes the root image. Returns false (writing nothing) if the
    /// range is not RAM.
    pub fn vm_loader_write(&mut self, pa: PAddr, bytes: &[u8]) -> bool {
        if !self.mem.contains(pa, bytes.len() as u64) {
            return false;
        }
        self.mem.bytes_mut(pa, bytes.len()).copy_from_slice(bytes);
        true
    }

    /// Boot loader only: binds the root thread (which boot leaves Running) to
    /// the module and register stack whose caps are in root CNode slots
    /// `module` and `stack`, with call depth `depth`, entry `function`, stack
    /// pointer `sp` and `pages` of memory (size and limit), as TcbBindModule,
    /// TcbBindRegisterStack, TcbSetEntry and TcbSetMemory would for an
    /// Inactive thread. Returns false if the slots do not hold such caps.
    pub fn vm_loader_bind_root(
        &mut self,
        module: selvm_abi::CPtr,
        stack: selvm_abi::CPtr,
        depth: Word,
        function: u32,
        sp: Word,
        pages: Word,
    ) -> bool {
        let root = self.boot.root_cnode;
        let t = self.boot.root_tcb;
        let (m, s) = (root.offset(module), root.offset(stack));
        let (Some(VmCap::Module { sealed, .. }), Some(VmCap::RegisterStack { .. })) =
            (VmCap::of(&self.mem.cap(m)), VmCap::of(&self.mem.cap(s)))
        else {
            return false;
        };
        if sealed == 0 {
            return false;
        }
        for (src, index) in [(m, TCB_MODULE), (s, TCB_REGISTER_STACK)] {
            let dest = tcb::slot(t, index);
            if !self.mem.cap(dest).is_null() {
                return false;
            }
            let cap = self.mem.cap(src);
            crate::cdt::insert_derived(&mut self.mem, cap, src, dest);
        }
        let ctx = self.context_mut(t);
        ctx[hidden::MAX_DEPTH] = depth;
        ctx[hidden::ENTRY_FUNCTION] = function.into();
        ctx[hidden::ENTRY_ARGUMENT] = 0;
        ctx[hidden::ENTRY_SP] = sp & 0xffff_ffff;
        ctx[hidden::HOST_STATE] = 0;
        ctx[hidden::MEMORY_PAGES] = pages;
        ctx[hidden::MEMORY_LIMIT] = pages;
        ctx[PC] = selvm_abi::vm::context::pc_word(function, 0);
        ctx[hidden::NEXT_PC] = ctx[PC];
        ctx[selvm_abi::vm::context::SP] = sp & 0xffff_ffff;
        true
    }

    /// Records that the current thread stopped at `pc` and restarts there.
    fn vm_at(&mut self, pc: Word) {
        let cur = self.sched.current;
        let ctx = self.context_mut(cur);
        ctx[PC] = pc;
        ctx[hidden::NEXT_PC] = pc;
    }
}
