//! The run loop: one step runs the kernel's current thread on the interpreter for a
//! slice of instructions (`slice`), then turns why it stopped into a kernel entry —
//! a `syscall`, a memory fault (VMFault), a VM trap (UserException), the entry
//! function returning (the thread becomes Inactive), `memory.grow` (decided against
//! the thread's size and limit), or the end of the slice (a kernel tick when due:
//! `clock`). Between slices it delivers the devices' interrupts; when no thread can
//! run it says what the machine waits for instead of waiting.

pub(crate) mod clock;
mod code;
mod slice;

use crate::devices::IdleNeed;
use crate::exit::{Exit, FaultKind, FaultReport};
use crate::machine::{Machine, Step, Wait};
use crate::trace::Event;
use alloc::format;
use alloc::string::String;
use selvm_abi::Word;
use selvm_abi::vm::context::{PC, pc_function, pc_offset};
use selvm_kernel::memory::PAddr;
use selvm_kernel::object::tcb::ThreadState;

impl Machine {
    /// Runs one slice of the current thread and the kernel entry it ends in (or
    /// delivers interrupts, or moves an idle machine's time on), and says what next.
    pub fn step(&mut self) -> Step {
        if let Some(exit) = &self.exited {
            return Step::Exited(exit.clone());
        }
        // Each arm builds its result in place: `Running`, the hot case, is only a tag.
        match self.step_inner() {
            Step::Running if !self.config.check_invariants => Step::Running,
            Step::Running => match self.audit() {
                Some(exit) => self.stop(exit),
                None => Step::Running,
            },
            Step::Exited(exit) => self.stop(exit),
            idle => idle,
        }
    }

    /// The machine stopped with `exit`: every later step says so again.
    #[cold]
    fn stop(&mut self, exit: Exit) -> Step {
        self.exited = Some(exit.clone());
        Step::Exited(exit)
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

    fn step_inner(&mut self) -> Step {
        self.apply_kernel_notices();
        if self
            .config
            .max_instructions
            .is_some_and(|m| self.instructions >= m)
        {
            return Step::Exited(Exit::InstructionLimit);
        }
        if !self.time.is_virtual() {
            self.time.sync();
            self.bus.advance(self.time.now());
        }
        if self.bus.raised() != 0 {
            self.deliver_interrupts();
        }
        let t = self.kernel.current_thread();
        if t == self.kernel.idle_thread() {
            return self.idle();
        }
        match self.code_for(t) {
            Ok((cached, vspace)) => self.run_slice(t, cached, vspace),
            Err(stopped) => stopped,
        }
    }

    /// No thread can run: wake one through a device if one can, else say what the
    /// machine waits for; with nothing to wait for it has finished (every thread it
    /// ran is Inactive) or is deadlocked.
    fn idle(&mut self) -> Step {
        self.refresh_stats();
        let unmasked = !self.kernel.arch().host.masked;
        let input = match self.bus.idle(unmasked, self.time.now()) {
            IdleNeed::Raised => return Step::Running,
            IdleNeed::Input => true,
            IdleNeed::Nothing => false,
        };
        let deadline = self.bus.deadline();
        if self.time.is_virtual() {
            // Virtual time waits for input still coming (what the guest sees must not
            // depend on when it arrives), else jumps to the next deadline.
            if input {
                return Step::Idle(Wait {
                    until_ns: None,
                    input,
                });
            }
            if let Some(ns) = deadline {
                self.time.jump_to(ns);
                self.bus.advance(self.time.now());
                return Step::Running;
            }
        } else if input || deadline.is_some() {
            return Step::Idle(Wait {
                until_ns: deadline,
                input,
            });
        }
        let blocked = self
            .threads
            .iter()
            .filter(|&&t| self.kernel.thread_state(t) != ThreadState::Inactive)
            .count();
        Step::Exited(if blocked == 0 {
            Exit::Finished
        } else {
            Exit::Deadlock { blocked }
        })
    }

    /// After a kernel entry for thread `t`: if a fault it raised found no
    /// handler (the kernel's double-fault count grew), the machine stops with
    /// a report naming the thread, function, pc, fault and address.
    fn killed(&mut self, t: PAddr, pc: Word, kind: FaultKind, address: Option<u64>) -> Step {
        if self.kernel.double_faults() == self.double_faults_seen {
            return Step::Running;
        }
        self.double_faults_seen = self.kernel.double_faults();
        let func = pc_function(pc);
        let function = self
            .kernel
            .vm_code(t)
            .and_then(|c| self.modules.get(&c.module))
            .and_then(|m| m.container().func_name(func).map(String::from))
            .unwrap_or_else(|| format!("f{func}"));
        Step::Exited(Exit::Fault(FaultReport {
            thread: t,
            function,
            pc: (func, pc_offset(pc)),
            kind,
            address,
        }))
    }

    /// The kernel's timer tick, when due.
    #[inline(always)]
    fn tick_if_due(&mut self, t: PAddr) {
        if self.time.take_tick() {
            self.tick(t);
        }
    }

    /// The kernel's timer tick.
    #[inline(never)]
    fn tick(&mut self, t: PAddr) {
        self.kernel_entries += 1;
        self.epoch += 1;
        self.refresh_stats();
        self.record(t, || ("tick", "timer tick".into()));
        self.kernel.timer_tick();
    }

    /// Records a kernel entry in the trace; `what` (category and name) is
    /// only built when tracing, so untraced runs pay nothing for it.
    fn record(&mut self, thread: PAddr, what: impl FnOnce() -> (&'static str, String)) {
        let ns = self.time.now().ns;
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

    /// Delivers the raised lines the kernel has not masked, lowest line first, one
    /// kernel entry each (the kernel masks a line as it signals it; AckIRQ unmasks).
    fn deliver_interrupts(&mut self) {
        let mut lines = self.bus.raised() & !self.kernel.arch().host.masked;
        while lines != 0 {
            let irq = Word::from(lines.trailing_zeros());
            lines &= lines - 1;
            self.kernel_entries += 1;
            self.epoch += 1;
            let cur = self.kernel.current_thread();
            self.record(cur, || ("interrupt", format!("irq {irq}")));
            self.kernel.handle_interrupt(irq);
            self.bus.delivered(irq);
        }
    }

    /// Applies what the kernel asked of the machine since the last step: TLB
    /// flushes, and deleted modules dropped from the caches.
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
            if let Some(regions) = self.regions.as_mut() {
                regions.flush(f);
            }
        }
        for m in deleted {
            self.modules.remove(&m);
        }
    }

    /// The pc thread `t` stopped at, from its context.
    fn context_pc(&self, t: PAddr) -> Word {
        self.kernel.context(t)[PC]
    }
}
