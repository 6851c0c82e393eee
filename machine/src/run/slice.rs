//! One slice of a thread: resume its interpreter state (kept by the run loop from
//! its last stop while no kernel entry but the fastpath or a Yield came between,
//! else read from the TCB; or start its entry function), run it for the rest of the
//! tick, save the state (to the TCB and the run loop), and turn the stop into a
//! kernel entry.

use crate::exit::FaultKind;
use crate::machine::{CodeCache, Machine, Step, Wait};
use crate::mmu::SoftMmu;
use crate::trace::{Event, syscall_event};
use alloc::format;
use selvm_abi::FaultLabel;
use selvm_abi::Word;
use selvm_abi::vm::SYSCALL_WINDOW;
use selvm_abi::vm::context::{DEPTH, PC, SP, WINDOW_REGISTERS, pc_function, pc_offset, pc_word};
use selvm_abi::vm::fault::TrapKind;
use selvm_abi::wasm::{GLOBAL_BOOT_INFO, GLOBAL_IPC_BUFFER, GLOBAL_STACK_POINTER};
use selvm_kernel::arch::vm::{VmSyscallExit, hidden};
use selvm_kernel::memory::PAddr;
use selvm_kernel::vspace::Asid;
use selvm_vm::saved::SAVED_WORDS;
use selvm_vm::{Stop, Thread, Trap};

/// Registers of a system call's window.
const WINDOW: usize = SYSCALL_WINDOW as usize;
/// Host-state word holding the register index of a pending syscall window.
const WINDOW_BASE: usize = hidden::HOST_STATE + SAVED_WORDS;
/// No syscall window is pending.
const NO_WINDOW: Word = Word::MAX;
/// Bytes of a 64 KiB memory page.
const WASM_PAGE: u64 = 64 * 1024;

/// What a slice starts from: the thread's context, or what the run loop kept.
struct Resume {
    /// The interpreter's state from the TCB (`None`: not started), or `None` when
    /// the run loop kept it.
    saved: Option<Option<Thread>>,
    /// Where the last syscall's window starts, or `NO_WINDOW`.
    window_base: Word,
    /// The context's a0–a5: the kernel's answer to that syscall.
    window: [Word; WINDOW],
    /// The pc the kernel resumes the thread at (`None`: where it stopped).
    next_pc: Option<Word>,
    /// `memory.size` and its limit, in 64 KiB pages.
    pages: Word,
    limit: Word,
}

/// A fresh thread's start: entry function, argument, stack pointer, IPC buffer and
/// (the root task's) BootInfo.
#[derive(Clone, Copy)]
struct Start {
    function: u32,
    argument: Word,
    sp: Word,
    ipc_buffer: Word,
    boot_info: Word,
}

/// What a slice leaves behind for the context and the kernel entry.
struct Stopped {
    /// The pc the thread stopped at.
    pc: Word,
    depth: Word,
    sp: Option<Word>,
    pages: Word,
    /// The syscall's window registers (`len` of them), if it stopped on one.
    window: [Word; WINDOW],
    window_len: usize,
}

/// The UserException kind and code of a VM trap.
fn trap_kind(trap: Trap) -> (TrapKind, Word) {
    match trap {
        Trap::Program(code) => (TrapKind::Program, code.into()),
        Trap::DivideByZero => (TrapKind::DivideByZero, 0),
        Trap::IntegerOverflow => (TrapKind::IntegerOverflow, 0),
        Trap::InvalidConversion => (TrapKind::InvalidConversion, 0),
        Trap::StackOverflow => (TrapKind::StackOverflow, 0),
        Trap::StackTooSmall => (TrapKind::StackOverflow, 1),
        Trap::TableOutOfBounds => (TrapKind::TableOutOfBounds, 0),
        Trap::NullReference => (TrapKind::NullReference, 0),
        Trap::BadReference => (TrapKind::BadReference, 0),
        Trap::SignatureMismatch => (TrapKind::SignatureMismatch, 0),
        Trap::SegmentOutOfBounds => (TrapKind::SegmentOutOfBounds, 0),
    }
}

impl Resume {
    /// From the thread's context `ctx`, or from `kept` (the window base and pages
    /// the run loop kept from the thread's last stop, with its interpreter state,
    /// when nothing can have changed them since) and the kernel's answer in `ctx`.
    #[inline(always)]
    fn read(ctx: &[Word], kept: Option<(Word, Word)>) -> Self {
        let mut window = [0; WINDOW];
        for (w, &r) in window.iter_mut().zip(WINDOW_REGISTERS.iter()) {
            *w = ctx[r];
        }
        let limit = ctx[hidden::MEMORY_LIMIT];
        if let Some((window_base, pages)) = kept {
            return Resume {
                saved: None,
                window_base,
                window,
                next_pc: None,
                pages,
                limit,
            };
        }
        let mut saved = [0; SAVED_WORDS];
        saved.copy_from_slice(&ctx[hidden::HOST_STATE..hidden::HOST_STATE + SAVED_WORDS]);
        Resume {
            saved: Some(Thread::restore(saved)),
            window_base: ctx[WINDOW_BASE],
            window,
            next_pc: Some(ctx[hidden::NEXT_PC]),
            pages: ctx[hidden::MEMORY_PAGES],
            limit,
        }
    }
}

impl Machine {
    /// How a thread that has not run yet starts.
    fn start_of(&self, t: PAddr) -> Start {
        let ctx = self.kernel.context(t);
        Start {
            function: ctx[hidden::ENTRY_FUNCTION] as u32,
            argument: ctx[hidden::ENTRY_ARGUMENT],
            sp: ctx[hidden::ENTRY_SP],
            ipc_buffer: self.kernel.tcb(t).ipc_buffer,
            boot_info: if t == self.kernel.boot_objects().root_tcb {
                self.layout.boot_info
            } else {
                0
            },
        }
    }

    /// Runs thread `t` (its code in cache entry `cached`) for the rest of the tick
    /// and handles its stop.
    pub(super) fn run_slice(
        &mut self,
        t: PAddr,
        cached: usize,
        vspace: Option<(Asid, PAddr)>,
    ) -> Step {
        let epoch = self.epoch;
        let entry = &self.code_cache[cached];
        let kept = (entry.kept_epoch == epoch).then_some((entry.window_base, entry.pages));
        let resume = Resume::read(self.kernel.context(t), kept);
        let start = match resume.saved {
            Some(None) => Some(self.start_of(t)),
            _ => None,
        };
        let (asid, root) = vspace.unwrap_or((0, 0));
        let budget = self.slice_budget();
        let now = self.time.now();
        // The interpreter borrows the decoded module from the cache while the kernel
        // lends it the register stack and memory: disjoint fields of the machine.
        let Machine {
            kernel,
            code_cache,
            tlb,
            bus,
            regions,
            ..
        } = self;
        let CodeCache {
            code,
            module,
            thread: slot,
            kept_epoch,
            window_base: kept_base,
            pages: kept_pages,
            ..
        } = &mut code_cache[cached];
        let (stack, split) = kernel.vm_split(code);
        let Some(thread) = resumed(slot, module, stack, &resume, start, code.max_depth) else {
            self.epoch += 1;
            let pc = pc_word(start.map_or(0, |s| s.function), 0);
            self.kernel.vm_trap(pc, TrapKind::StackOverflow, 1);
            return self.killed(t, pc, FaultKind::Trap(TrapKind::StackOverflow, 1), None);
        };
        let size = resume.pages * WASM_PAGE;
        let mmu = SoftMmu::new(split, root, asid, tlb, bus, now, size);
        let space = vspace.map(|(asid, _)| asid);
        let (exit, blocked) =
            crate::mapped::run(thread, module, stack, mmu, regions.as_mut(), space, budget);
        let stopped = stopped(thread, module, stack, &exit.stop, &resume);
        *kept_base = save(kernel.context_mut(t), thread, &stopped, &exit.stop);
        (*kept_epoch, *kept_pages) = (epoch, stopped.pages);
        // A load that waits for input is retried and counted then, so virtual time
        // does not depend on how often it waited.
        let executed = exit.executed - u64::from(blocked);

        self.instructions += executed;
        let start_ns = now.ns;
        let ns = self.time.after_slice(executed);
        self.bus.advance(self.time.now());
        if let Some(trace) = self.trace.as_mut() {
            trace.push(Event::Ran {
                thread: t,
                start_ns,
                ns,
                instructions: executed,
            });
        }
        if blocked {
            // A device read waits for input: no kernel entry; the thread retries the
            // instruction when it next runs.
            self.tick_if_due(t);
            if self.kernel.current_thread() == t {
                return Step::Idle(Wait {
                    until_ns: None,
                    input: true,
                });
            }
            return Step::Running;
        }
        let window = &stopped.window[..stopped.window_len];
        match self.handle_stop(t, exit.stop, stopped.pc, window) {
            Step::Running => {
                self.tick_if_due(t);
                Step::Running
            }
            other => other,
        }
    }

    /// Most instructions the next slice may run: to the next tick, and not past the
    /// instruction limit.
    fn slice_budget(&self) -> u64 {
        let to_tick = self.time.slice_budget();
        match self.config.max_instructions {
            Some(m) => to_tick.min(m.saturating_sub(self.instructions).max(1)),
            None => to_tick,
        }
    }

    /// Turns the interpreter's stop into a kernel entry (the tick, if due, follows a
    /// stop that leaves the machine running: see `run_slice`).
    fn handle_stop(&mut self, t: PAddr, stop: Stop, pc: Word, window: &[Word]) -> Step {
        match stop {
            Stop::Budget => Step::Running,
            Stop::Syscall { number, .. } => {
                self.kernel_entries += 1;
                self.ipc_syscalls += u64::from(is_ipc(number));
                // The thread stopped after the `syscall`; it restarts on it.
                let at = pc - 1;
                self.record(t, || syscall_event(number as i16 as i64 as Word));
                let exit = self.kernel.vm_syscall(window, number, at, pc);
                if exit == VmSyscallExit::Light {
                    // Nothing the run loop keeps can have changed (and no fault).
                    return Step::Running;
                }
                self.epoch += 1;
                match exit {
                    VmSyscallExit::Halt => {
                        Step::Exited(crate::Exit::Halted(self.kernel.vm_halt_status()))
                    }
                    // No fault went unhandled (what `killed` checks first).
                    _ if self.kernel.double_faults() == self.double_faults_seen => Step::Running,
                    _ => {
                        let kind =
                            match FaultLabel::from_word(self.kernel.tcb(t).last_double_fault[0]) {
                                Some(FaultLabel::CapFault) => FaultKind::CapFault,
                                _ => FaultKind::UnknownSyscall,
                            };
                        self.killed(t, at, kind, None)
                    }
                }
            }
            Stop::Fault(f) => {
                self.kernel_entries += 1;
                self.epoch += 1;
                let write = f.access == selvm_vm::Access::Write;
                self.kernel.vm_memory_fault(pc, f.address, write);
                let kind = if write {
                    FaultKind::StoreFault
                } else {
                    FaultKind::LoadFault
                };
                self.record(t, || {
                    ("fault", format!("VMFault ({kind} at {:#x})", f.address))
                });
                self.killed(t, pc, kind, Some(f.address))
            }
            Stop::Trap(trap) => {
                self.kernel_entries += 1;
                self.epoch += 1;
                let (kind, detail) = trap_kind(trap);
                self.record(t, || ("fault", format!("UserException ({})", kind.name())));
                self.kernel.vm_trap(pc, kind, detail);
                self.killed(t, pc, FaultKind::Trap(kind, detail), None)
            }
            Stop::Returned => {
                self.kernel_entries += 1;
                self.epoch += 1;
                self.kernel.vm_thread_returned();
                Step::Running
            }
            // Decided in `stopped`, which had the registers at hand.
            Stop::MemoryGrow { .. } => Step::Running,
        }
    }
}

/// Saves the interpreter's state and where it stopped in the thread's context `ctx`;
/// returns where the syscall window it stopped on starts (or `NO_WINDOW`).
#[inline]
fn save(ctx: &mut [Word], thread: &Thread, s: &Stopped, stop: &Stop) -> Word {
    ctx[hidden::HOST_STATE..hidden::HOST_STATE + SAVED_WORDS].copy_from_slice(&thread.save());
    let window_base = match stop {
        Stop::Syscall { first, .. } => *first as Word,
        _ => NO_WINDOW,
    };
    ctx[WINDOW_BASE] = window_base;
    ctx[DEPTH] = s.depth;
    ctx[hidden::MEMORY_PAGES] = s.pages;
    if let Some(sp) = s.sp {
        ctx[SP] = sp & 0xffff_ffff;
    }
    ctx[PC] = s.pc;
    ctx[hidden::NEXT_PC] = s.pc;
    window_base
}

/// The interpreter thread for a slice, in `slot`: as the run loop kept it, restored
/// from `r`, or started at its entry function (`None`: the register stack cannot
/// hold the entry's frame). It resumes where the kernel says (after a syscall, or a
/// restart), with the kernel's answer to its last syscall in that syscall's window.
#[inline]
fn resumed<'t>(
    slot: &'t mut Option<Thread>,
    module: &selvm_vm::Module,
    stack: &mut [u64],
    r: &Resume,
    start: Option<Start>,
    max_depth: u32,
) -> Option<&'t mut Thread> {
    match (r.saved, start) {
        (None, _) => {}
        (Some(Some(th)), _) => *slot = Some(th),
        (Some(None), None) => return None,
        (Some(None), Some(s)) => {
            let f = module.functions().get(s.function as usize);
            let args: &[u64] = match f.map(|f| f.ty) {
                Some(ty) if module.container().ty(ty).is_some_and(|t| t.params == 1) => {
                    &[s.argument][..]
                }
                _ => &[],
            };
            let th = Thread::new(module, stack, s.function, args, max_depth).ok()?;
            let globals = th.context(stack);
            let n = module.globals().len();
            for (g, v) in [
                (GLOBAL_IPC_BUFFER, s.ipc_buffer),
                (GLOBAL_BOOT_INFO, s.boot_info),
                (GLOBAL_STACK_POINTER, s.sp),
            ] {
                if (g as usize) < n {
                    globals[g as usize] = v;
                }
            }
            *slot = Some(th);
        }
    }
    let thread = slot.as_mut()?;
    if let Some(next_pc) = r.next_pc {
        let next = (pc_function(next_pc), pc_offset(next_pc));
        if next != thread.pc_in_function(module) {
            thread.set_pc_in_function(module, next.0, next.1);
        }
    }
    if r.window_base != NO_WINDOW {
        let base = r.window_base as usize;
        if let Some(dst) = thread.registers(stack).get_mut(base..base + WINDOW) {
            dst.copy_from_slice(&r.window);
        }
    }
    Some(thread)
}

/// What the thread left: `memory.grow` decided against its limit (the kernel maps
/// nothing), a syscall's window copied out, its pc, depth and stack pointer.
#[inline]
fn stopped(
    thread: &mut Thread,
    module: &selvm_vm::Module,
    stack: &mut [u64],
    stop: &Stop,
    r: &Resume,
) -> Stopped {
    let mut pages = r.pages;
    if let Stop::MemoryGrow {
        pages: more,
        result,
    } = *stop
    {
        let answer = if pages + u64::from(more) <= r.limit {
            pages += u64::from(more);
            pages - u64::from(more)
        } else {
            u64::from(u32::MAX)
        };
        if let Some(reg) = thread.registers(stack).get_mut(result) {
            *reg = answer;
        }
    }
    let mut window = [0; WINDOW];
    let mut window_len = 0;
    if let Stop::Syscall { first, count, .. } = *stop {
        let regs = thread.registers(stack);
        window_len = (count as usize).min(WINDOW);
        match regs.get(first..).and_then(|r| r.first_chunk::<WINDOW>()) {
            // The whole window (as every well-formed syscall has) in one fixed copy.
            Some(src) if window_len == WINDOW => window = *src,
            // A shorter window, or one past the frame's registers (zeros there).
            _ => {
                for (i, w) in window.iter_mut().take(window_len).enumerate() {
                    *w = regs.get(first + i).copied().unwrap_or(0);
                }
            }
        }
    }
    let sp = thread
        .context(stack)
        .get(GLOBAL_STACK_POINTER as usize)
        .copied();
    let (func, offset) = thread.pc_in_function(module);
    Stopped {
        pc: pc_word(func, offset),
        depth: thread.depth().into(),
        sp,
        pages,
        window,
        window_len,
    }
}

/// Whether system call `number` (the `syscall` instruction's code) is one that sends or
/// receives a message: what the statistics device counts as IPC.
#[inline(always)]
fn is_ipc(number: u16) -> bool {
    use selvm_abi::Syscall::{self, *};
    const IPC: [Syscall; 7] = [Call, ReplyRecv, Send, NBSend, Recv, Reply, NBRecv];
    /// Bit n set: system call -n is one of `IPC` (all are -1 to -63).
    const MASK: u64 = {
        let mut mask = 0;
        let mut i = 0;
        while i < IPC.len() {
            mask |= 1 << IPC[i].word().wrapping_neg();
            i += 1;
        }
        mask
    };
    let n = (number as i16 as i64).wrapping_neg() as u64;
    n < 64 && (MASK >> n) & 1 != 0
}
