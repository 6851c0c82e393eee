//! The run loop: run the kernel's current thread on the interpreter for a
//! slice of instructions, then turn why it stopped into a kernel entry — a
//! `syscall` (its window copied into the context and back when the thread
//! next runs), a memory fault (VMFault), a VM trap (UserException), the entry
//! function returning (the thread becomes Inactive), `memory.grow` (decided
//! here against the thread's size and limit), or the end of the slice (a timer
//! tick every `tick_instructions`: virtual time, so runs are deterministic).

use crate::machine::{CODE_CACHE_THREADS, CodeCache, Exit, FaultReport, Machine};
use crate::mmu::SoftMmu;
use crate::trace::{Event, syscall_event};
use alloc::format;
use alloc::rc::Rc;
use alloc::string::String;
use selvm_abi::Word;
use selvm_abi::vm::context::{DEPTH, PC, SP, WINDOW_REGISTERS, pc_function, pc_offset, pc_word};
use selvm_abi::vm::device::{IRQ_CONSOLE_RX, IRQ_TIMER, KERNEL_TICK_NS};
use selvm_abi::vm::fault::TrapKind;
use selvm_abi::wasm::{GLOBAL_BOOT_INFO, GLOBAL_IPC_BUFFER, GLOBAL_STACK_POINTER};
use selvm_kernel::arch::vm::{VmCode, hidden};
use selvm_kernel::memory::PAddr;
use selvm_kernel::object::tcb::ThreadState;
use selvm_kernel::syscall::SyscallExit;
use selvm_kernel::vspace::Asid;
use selvm_vm::saved::SAVED_WORDS;
use selvm_vm::{Stop, Thread, Trap};

/// Host-state word holding the register index of a pending syscall window.
const WINDOW_BASE: usize = hidden::HOST_STATE + SAVED_WORDS;
/// No syscall window is pending.
const NO_WINDOW: Word = Word::MAX;
/// Bytes of a 64 KiB memory page.
const WASM_PAGE: u64 = 64 * 1024;

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

impl Machine<'_> {
    /// Runs one slice of the current thread and the kernel entry it ends in;
    /// `Some` when the machine stops.
    pub fn step(&mut self) -> Option<Exit> {
        let exit = self.step_inner();
        if exit.is_none() && self.config.check_invariants {
            return self.audit();
        }
        exit
    }

    /// The kernel's invariant checker, when the crate has it (feature
    /// `checker`, on by default).
    fn audit(&mut self) -> Option<Exit> {
        #[cfg(feature = "checker")]
        {
            self.audits += 1;
            if let Err(v) = self.kernel.check_invariants() {
                return Some(Exit::InvariantBroken(format!("{v:?}")));
            }
        }
        None
    }

    fn step_inner(&mut self) -> Option<Exit> {
        self.apply_kernel_notices();
        if self
            .config
            .max_instructions
            .is_some_and(|m| self.instructions >= m)
        {
            return Some(Exit::InstructionLimit);
        }
        if self.timer_pending || self.devices.input_pending() {
            self.deliver_interrupts();
        }
        let mut t = self.kernel.current_thread();
        if t == self.kernel.idle_thread() {
            // Nothing can run: jump virtual time to the armed timer, if any.
            if let Some(ns) = self.devices.until_timer() {
                if let Some(clock) = &self.clock {
                    clock.sleep_ns(ns);
                }
                self.timer_pending |= self.devices.advance(ns.max(1));
                self.deliver_interrupts();
                t = self.kernel.current_thread();
            }
            if t == self.kernel.idle_thread() {
                return Some(self.idle_exit());
            }
        }
        // The thread's code, VSpace and decoded module: from the cache while
        // the words they come from are unchanged (see `CodeCache`).
        let key = self.kernel.vm_code_key(t);
        let (code, vspace, module) = match self.code_cache.iter().find(|c| c.tcb == t) {
            Some(c) if c.key == key => {
                let vspace = match c.vspace {
                    Some((asid, root)) if self.kernel.find_vspace_for_asid(asid) == Ok(root) => {
                        c.vspace
                    }
                    _ => self.kernel.thread_vspace(t),
                };
                (c.code, vspace, Rc::clone(&c.module))
            }
            _ => match self.look_up_code(t, key) {
                Ok(found) => found,
                Err(exit) => return exit,
            },
        };
        self.run_slice(t, code, vspace, &module)
    }

    /// What thread `t` runs, looked up afresh and cached against `key`, or
    /// the kernel entry for a thread that cannot run.
    #[allow(clippy::type_complexity)]
    fn look_up_code(
        &mut self,
        t: PAddr,
        key: [Word; 8],
    ) -> Result<(VmCode, Option<(Asid, PAddr)>, Rc<selvm_vm::Module>), Option<Exit>> {
        self.threads.insert(t);
        let ctx_pc = self.kernel.context(t)[PC];
        let Some(code) = self.kernel.vm_code(t) else {
            self.kernel_entries += 1;
            self.kernel.vm_trap(ctx_pc, TrapKind::NoCode, 0);
            return Err(self.killed(
                t,
                ctx_pc,
                "missing code (no module, register stack or entry)",
                None,
            ));
        };
        let module = match self.modules.get(&code.module) {
            Some(m) => Rc::clone(m),
            None => match selvm_vm::Module::load(self.kernel.vm_module_image(&code)) {
                Ok(m) => {
                    let m = Rc::new(m);
                    self.modules.insert(code.module, Rc::clone(&m));
                    m
                }
                Err(_) => {
                    self.kernel.vm_trap(ctx_pc, TrapKind::NoCode, 0);
                    return Err(self.killed(t, ctx_pc, "module that does not load", None));
                }
            },
        };
        let vspace = self.kernel.thread_vspace(t);
        let entry = CodeCache {
            tcb: t,
            key,
            code,
            vspace,
            module: Rc::clone(&module),
        };
        match self.code_cache.iter().position(|c| c.tcb == t) {
            Some(i) => self.code_cache[i] = entry,
            None => {
                if self.code_cache.len() >= CODE_CACHE_THREADS {
                    self.code_cache.remove(0);
                }
                self.code_cache.push(entry);
            }
        }
        Ok((code, vspace, module))
    }

    fn run_slice(
        &mut self,
        t: PAddr,
        code: VmCode,
        vspace: Option<(Asid, PAddr)>,
        module: &selvm_vm::Module,
    ) -> Option<Exit> {
        let ctx = self.kernel.context(t);
        let mut saved = [0; SAVED_WORDS];
        saved.copy_from_slice(&ctx[hidden::HOST_STATE..hidden::HOST_STATE + SAVED_WORDS]);
        let window_base = ctx[WINDOW_BASE];
        let mut window = [0; 6];
        for (w, &r) in window.iter_mut().zip(WINDOW_REGISTERS.iter()) {
            *w = ctx[r];
        }
        let next_pc = ctx[hidden::NEXT_PC];
        let (mut pages, limit) = (ctx[hidden::MEMORY_PAGES], ctx[hidden::MEMORY_LIMIT]);
        let size = pages * WASM_PAGE;
        let restored = Thread::restore(saved);
        // A thread's first run: its entry, argument, stack pointer, IPC buffer
        // and (the root task) BootInfo.
        let fresh = restored.is_none().then(|| {
            let ctx = self.kernel.context(t);
            let boot_info = if t == self.kernel.boot_objects().root_tcb {
                self.layout.boot_info
            } else {
                0
            };
            (
                ctx[hidden::ENTRY_FUNCTION] as u32,
                ctx[hidden::ENTRY_ARGUMENT],
                ctx[hidden::ENTRY_SP],
                self.kernel.tcb(t).ipc_buffer,
                boot_info,
            )
        });
        let (asid, root) = vspace.unwrap_or((0, 0));
        let budget = self.slice_budget();
        let (stack, split) = self.kernel.vm_split(&code);
        let mut thread = match (restored, fresh) {
            (Some(th), _) => th,
            (None, None) => unreachable!("a thread not restored is fresh"),
            (None, Some((function, argument, sp, ipc_buffer, boot_info))) => {
                let f = module.functions().get(function as usize);
                let args: &[u64] = match f.map(|f| f.ty) {
                    Some(ty) if module.container().ty(ty).is_some_and(|s| s.params == 1) => {
                        &[argument][..]
                    }
                    _ => &[],
                };
                let Ok(th) = Thread::new(module, stack, function, args, code.max_depth) else {
                    let pc = pc_word(function, 0);
                    self.kernel.vm_trap(pc, TrapKind::StackOverflow, 1);
                    return self.killed(t, pc, "register stack too small", None);
                };
                let globals = th.context(stack);
                let n = module.globals().len();
                for (g, v) in [
                    (GLOBAL_IPC_BUFFER, ipc_buffer),
                    (GLOBAL_BOOT_INFO, boot_info),
                    (GLOBAL_STACK_POINTER, sp),
                ] {
                    if (g as usize) < n {
                        globals[g as usize] = v;
                    }
                }
                th
            }
        };
        // Resume where the kernel says (after a syscall, or a restart).
        if (pc_function(next_pc), pc_offset(next_pc)) != thread.pc_in_function(module) {
            thread.set_pc_in_function(module, pc_function(next_pc), pc_offset(next_pc));
        }
        if window_base != NO_WINDOW {
            let regs = thread.registers(stack);
            let base = window_base as usize;
            if let Some(dst) = regs.get_mut(base..base + 6) {
                dst.copy_from_slice(&window);
            }
        }
        let mut mmu = SoftMmu::new(split, root, asid, &mut self.tlb, &mut self.devices, size);
        let exit = thread.run(module, stack, &mut mmu, budget);

        if let Stop::MemoryGrow {
            pages: more,
            result,
        } = exit.stop
        {
            // memory.grow against the thread's limit; the kernel maps nothing.
            let answer = if pages + u64::from(more) <= limit {
                pages += u64::from(more);
                pages - u64::from(more)
            } else {
                u64::from(u32::MAX)
            };
            if let Some(r) = thread.registers(stack).get_mut(result) {
                *r = answer;
            }
        }
        let mut syscall_window = [0u64; 6];
        let mut window_len = 0;
        if let Stop::Syscall { first, count, .. } = exit.stop {
            let regs = thread.registers(stack);
            window_len = (count as usize).min(6);
            match first
                .checked_add(window_len)
                .and_then(|end| regs.get(first..end))
            {
                Some(src) => syscall_window[..window_len].copy_from_slice(src),
                // A window past the frame's registers reads zeros there.
                None => {
                    for (i, w) in syscall_window.iter_mut().take(window_len).enumerate() {
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
        let depth = thread.depth();
        // Save the interpreter's state in the TCB.
        let ctx = self.kernel.context_mut(t);
        ctx[hidden::HOST_STATE..hidden::HOST_STATE + SAVED_WORDS].copy_from_slice(&thread.save());
        ctx[WINDOW_BASE] = match exit.stop {
            Stop::Syscall { first, .. } => first as Word,
            _ => NO_WINDOW,
        };
        ctx[DEPTH] = depth.into();
        ctx[hidden::MEMORY_PAGES] = pages;
        if let Some(sp) = sp {
            ctx[SP] = sp & 0xffff_ffff;
        }
        ctx[PC] = pc_word(func, offset);
        ctx[hidden::NEXT_PC] = ctx[PC];
        self.instructions += exit.executed;
        self.since_tick += exit.executed;
        let start_ns = self.devices.now_ns;
        let ns = match &self.clock {
            // Real time: the devices read the host clock.
            Some(clock) => clock
                .now_ns()
                .saturating_sub(self.clock_start)
                .saturating_sub(start_ns) as u128,
            // Virtual time: a tick's worth of instructions is 2 ms.
            None => {
                let tick = self.config.tick_instructions.max(1);
                match (
                    exit.executed.checked_mul(KERNEL_TICK_NS),
                    self.ns_per_instruction,
                ) {
                    (Some(_), Some(rate)) => u128::from(exit.executed * rate),
                    (Some(product), None) => u128::from(product / tick),
                    (None, _) => {
                        u128::from(exit.executed) * u128::from(KERNEL_TICK_NS) / u128::from(tick)
                    }
                }
            }
        };
        self.timer_pending |= self.devices.advance(ns as u64);
        if let Some(trace) = self.trace.as_mut() {
            trace.push(Event::Ran {
                thread: t,
                start_ns,
                ns: ns as u64,
                instructions: exit.executed,
            });
        }
        let window = &syscall_window[..window_len];
        let stopped = self.handle_stop(t, exit.stop, pc_word(func, offset), window);
        if stopped.is_none() {
            self.tick_if_due(t);
        }
        stopped
    }

    /// The kernel's timer tick: every `tick_instructions` instructions in
    /// virtual time, every 2 ms of the clock in real time.
    fn tick_if_due(&mut self, t: PAddr) {
        let due = match self.clock {
            Some(_) => self.devices.now_ns - self.last_tick_ns >= KERNEL_TICK_NS,
            None => self.since_tick >= self.config.tick_instructions,
        };
        if due {
            self.last_tick_ns = self.devices.now_ns;
            self.since_tick = 0;
            self.kernel_entries += 1;
            self.record(t, || ("tick", "timer tick".into()));
            self.kernel.timer_tick();
        }
    }

    fn handle_stop(&mut self, t: PAddr, stop: Stop, pc: Word, window: &[Word]) -> Option<Exit> {
        match stop {
            // The tick (if due) follows every stop: see `tick_if_due`.
            Stop::Budget => None,
            Stop::Syscall { number, .. } => {
                self.kernel_entries += 1;
                // The thread stopped after the `syscall`; it restarts on it.
                let at = pc - 1;
                self.record(t, || syscall_event(number as i16 as i64 as Word));
                match self.kernel.vm_syscall(window, number, at, pc) {
                    SyscallExit::Halt => Some(Exit::Halted(self.kernel.vm_halt_status())),
                    // No fault went unhandled (what `killed` checks first).
                    _ if self.kernel.double_faults() == self.double_faults_seen => None,
                    _ => {
                        let kind = match self.kernel.tcb(t).last_double_fault[0] {
                            1 => "cap fault",
                            2 => "unknown syscall",
                            _ => "fault",
                        };
                        self.killed(t, at, kind, None)
                    }
                }
            }
            Stop::Fault(f) => {
                self.kernel_entries += 1;
                let write = f.access == selvm_vm::Access::Write;
                self.kernel.vm_memory_fault(pc, f.address, write);
                let kind = if write { "store fault" } else { "load fault" };
                self.record(t, || {
                    ("fault", format!("VMFault ({kind} at {:#x})", f.address))
                });
                self.killed(t, pc, kind, Some(f.address))
            }
            Stop::Trap(trap) => {
                self.kernel_entries += 1;
                let (kind, detail) = trap_kind(trap);
                self.record(t, || ("fault", format!("UserException ({})", kind.name())));
                self.kernel.vm_trap(pc, kind, detail);
                self.killed(t, pc, kind.name(), None)
            }
            Stop::Returned => {
                self.kernel_entries += 1;
                self.kernel.vm_thread_returned();
                None
            }
            // Decided in `run_slice`, which had the registers at hand.
            Stop::MemoryGrow { .. } => None,
        }
    }

    /// After a kernel entry for thread `t`: if a fault it raised found no
    /// handler (the kernel's double-fault count grew), the machine stops with
    /// a report naming the thread, function, pc, fault and address.
    fn killed(&mut self, t: PAddr, pc: Word, kind: &str, address: Option<u64>) -> Option<Exit> {
        if self.kernel.double_faults() == self.double_faults_seen {
            return None;
        }
        self.double_faults_seen = self.kernel.double_faults();
        let func = pc_function(pc);
        let function = self
            .kernel
            .vm_code(t)
            .and_then(|c| self.modules.get(&c.module))
            .and_then(|m| m.container().func_name(func).map(String::from))
            .unwrap_or_else(|| format!("f{func}"));
        Some(Exit::Fault(FaultReport {
            thread: t,
            function,
            pc: (func, pc_offset(pc)),
            kind: kind.into(),
            address,
        }))
    }

    /// Nothing is runnable: finished if every thread the machine ran is
    /// Inactive, otherwise deadlocked (no device can wake anyone yet).
    fn idle_exit(&self) -> Exit {
        let blocked = self
            .threads
            .iter()
            .filter(|&&t| self.kernel.thread_state(t) != ThreadState::Inactive)
            .count();
        if blocked == 0 {
            Exit::Finished
        } else {
            Exit::Deadlock { blocked }
        }
    }

    /// Records a kernel entry in the trace; `what` (category and name) is
    /// only built when tracing, so untraced runs pay nothing for it.
    fn record(&mut self, thread: PAddr, what: impl FnOnce() -> (&'static str, String)) {
        let ns = self.devices.now_ns;
        if let Some(t) = self.trace.as_mut() {
            let (category, name) = what();
            t.push(Event::Entry {
                thread,
                ns,
                category,
                name,
            });
        }
    }

    /// Raises the device interrupts whose lines are not masked: the timer once
    /// per expiry, console input while bytes are buffered (level-triggered).
    fn deliver_interrupts(&mut self) {
        let masked = |m: &Self, irq: Word| m.kernel.arch().host.masked & (1 << irq) != 0;
        if self.timer_pending && !masked(self, IRQ_TIMER) {
            self.timer_pending = false;
            self.kernel_entries += 1;
            let cur = self.kernel.current_thread();
            self.record(cur, || ("interrupt", format!("irq {IRQ_TIMER}")));
            self.kernel.handle_interrupt(IRQ_TIMER);
        }
        if self.devices.input_pending() && !masked(self, IRQ_CONSOLE_RX) {
            self.kernel_entries += 1;
            let cur = self.kernel.current_thread();
            self.record(cur, || ("interrupt", format!("irq {IRQ_CONSOLE_RX}")));
            self.kernel.handle_interrupt(IRQ_CONSOLE_RX);
        }
    }

    fn slice_budget(&self) -> u64 {
        let to_tick = self
            .config
            .tick_instructions
            .saturating_sub(self.since_tick)
            .max(1);
        match self.config.max_instructions {
            Some(m) => to_tick.min(m.saturating_sub(self.instructions).max(1)),
            None => to_tick,
        }
    }

    fn apply_kernel_notices(&mut self) {
        let host = &mut self.kernel.arch_mut().host;
        if host.flushes.is_empty() && host.deleted_modules.is_empty() {
            return;
        }
        if !host.deleted_modules.is_empty() {
            // A new module may be made at the same address with the same cap.
            self.code_cache.clear();
        }
        let flushes = core::mem::take(&mut host.flushes);
        let deleted = core::mem::take(&mut host.deleted_modules);
        for f in flushes {
            self.tlb.flush(f);
        }
        for m in deleted {
            self.modules.remove(&m);
        }
    }
}
