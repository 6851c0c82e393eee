//! The hosted machine: a booted kernel, the decoded modules its threads run
//! (a cache keyed by the module object's physical address, dropped when the
//! kernel reports the module deleted), the TLB, and the run loop's counters.

use crate::loader::{self, Layout, LoadError, VmKernel};
use crate::mmu::Tlb;
use crate::status;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use selvm_abi::Word;
use selvm_abi::vm::device::KERNEL_TICK_NS;
use selvm_kernel::arch::vm::VmCode;
use selvm_kernel::memory::PAddr;
use selvm_kernel::vspace::Asid;

/// How the machine runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Console input, all available from the start (deterministic delivery).
    pub input: Vec<u8>,
    /// Stop after this many instructions (all threads together).
    pub max_instructions: Option<u64>,
    /// Record a trace of threads running and kernel entries.
    pub trace: bool,
    /// Run the kernel's invariant checker after every kernel entry and stop
    /// with [`Exit::InvariantBroken`] at the first violation (a debug mode;
    /// needs the crate's `checker` feature, on by default).
    pub check_invariants: bool,
    /// Instructions per kernel timer tick (virtual time: the run is
    /// deterministic, the same program giving the same output every time).
    pub tick_instructions: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            input: Vec::new(),
            max_instructions: None,
            trace: false,
            check_invariants: false,
            tick_instructions: 100_000,
        }
    }
}

/// Why the machine stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// DebugHalt with this status.
    Halted(u64),
    /// Every thread finished (returned from its entry or was suspended) and
    /// none is blocked.
    Finished,
    /// A thread took a fault no handler received.
    Fault(FaultReport),
    /// Threads are blocked and nothing can ever wake them.
    Deadlock {
        /// How many threads are blocked.
        blocked: usize,
    },
    /// The instruction limit was reached.
    InstructionLimit,
    /// The kernel's invariant checker found a violation (`check_invariants`).
    InvariantBroken(String),
}

/// Host time for a machine that runs in real time (the platform provides it;
/// without one the machine runs in virtual time).
pub trait Clock {
    /// Nanoseconds since some fixed point.
    fn now_ns(&self) -> u64;
    /// Waits about `ns` nanoseconds (nothing can run until a timer fires).
    fn sleep_ns(&self, ns: u64);
}

impl Exit {
    /// The process exit status `selvm run` reports for this exit.
    pub fn status(&self) -> u8 {
        match self {
            Exit::Halted(0) | Exit::Finished => status::CLEAN,
            Exit::Halted(_) => status::HALT_STATUS,
            Exit::Fault(_) => status::UNHANDLED_FAULT,
            Exit::Deadlock { .. } => status::DEADLOCK,
            Exit::InstructionLimit => status::LIMIT,
            Exit::InvariantBroken(_) => status::INVARIANT_BROKEN,
        }
    }
}

/// A fault that killed a thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultReport {
    /// The thread's TCB (physical address).
    pub thread: PAddr,
    /// The function the pc is in (from the module's name section, or `f<index>`).
    pub function: String,
    /// Function index and instruction offset.
    pub pc: (u32, u32),
    /// What happened ("load fault", "divide by zero", …).
    pub kind: String,
    /// The faulting address, for memory faults.
    pub address: Option<u64>,
}

impl core::fmt::Display for FaultReport {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "thread {:#x} killed by an unhandled {} in {} at {}+{}",
            self.thread, self.kind, self.function, self.pc.0, self.pc.1
        )?;
        if let Some(a) = self.address {
            write!(f, " (address {a:#x})")?;
        }
        Ok(())
    }
}

/// Threads whose code the run loop caches (a ping-pong needs two).
pub(crate) const CODE_CACHE_THREADS: usize = 8;

/// The run loop's cache of one thread's code: what `vm_code`, `thread_vspace`
/// and the module map gave, valid while the kernel's `vm_code_key` gives the
/// same `key` — the thread's module, register stack and VTable caps and entry
/// (so TCB invocations that rebind any of them, and deleting the thread,
/// which empties its slots, miss). The ASID table is checked on every use
/// (`find_vspace_for_asid`), and a deleted module clears the whole cache,
/// since a new module may later get the same address and cap.
pub(crate) struct CodeCache {
    pub(crate) tcb: PAddr,
    pub(crate) key: [Word; 8],
    pub(crate) code: VmCode,
    pub(crate) vspace: Option<(Asid, PAddr)>,
    pub(crate) module: Rc<selvm_vm::Module>,
}

/// A hosted seLVM machine.
pub struct Machine<'m> {
    pub(crate) kernel: VmKernel<'m>,
    pub(crate) modules: BTreeMap<PAddr, Rc<selvm_vm::Module>>,
    pub(crate) code_cache: Vec<CodeCache>,
    pub(crate) tlb: Tlb,
    pub(crate) threads: BTreeSet<PAddr>,
    pub(crate) layout: Layout,
    pub(crate) config: Config,
    pub(crate) since_tick: u64,
    /// Whole nanoseconds per instruction of virtual time when the tick divides 2 ms
    /// (the default 100,000 does: 20 ns): no division per stop.
    pub(crate) ns_per_instruction: Option<u64>,
    pub(crate) double_faults_seen: u64,
    pub(crate) devices: crate::devices::Devices,
    pub(crate) timer_pending: bool,
    pub(crate) trace: Option<Vec<crate::trace::Event>>,
    pub(crate) clock: Option<alloc::boxed::Box<dyn Clock>>,
    pub(crate) clock_start: u64,
    pub(crate) last_tick_ns: u64,
    /// Instructions executed so far.
    pub instructions: u64,
    /// Kernel entries so far (syscalls, faults, traps, ticks).
    pub kernel_entries: u64,
    /// Invariant audits run so far (`Config::check_invariants`).
    pub audits: u64,
}

impl<'m> Machine<'m> {
    /// Boots `image` (an `.sbc` module) as the root task over `ram`.
    pub fn boot(ram: &'m mut [u64], image: &[u8], config: Config) -> Result<Self, LoadError> {
        let (kernel, layout) = loader::boot(ram, image)?;
        let devices = crate::devices::Devices::new(config.input.clone());
        let trace = config.trace.then(Vec::new);
        let tick = config.tick_instructions.max(1);
        let ns_per_instruction = (KERNEL_TICK_NS % tick == 0).then(|| KERNEL_TICK_NS / tick);
        Ok(Machine {
            kernel,
            modules: BTreeMap::new(),
            code_cache: Vec::new(),
            tlb: Tlb::default(),
            threads: BTreeSet::new(),
            layout,
            config,
            since_tick: 0,
            ns_per_instruction,
            double_faults_seen: 0,
            devices,
            timer_pending: false,
            trace,
            clock: None,
            clock_start: 0,
            last_tick_ns: 0,
            instructions: 0,
            kernel_entries: 0,
            audits: 0,
        })
    }

    /// The kernel (for inspection).
    pub fn kernel(&self) -> &VmKernel<'m> {
        &self.kernel
    }

    /// Where the loader put BootInfo and the IPC buffer.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Turns the kernel's Call/ReplyRecv fastpath on or off (to measure the
    /// slow path).
    pub fn set_fastpath(&mut self, on: bool) {
        self.kernel.fastpath().enabled = on;
    }

    /// Fastpath counters: (Calls, Call hits, ReplyRecvs, ReplyRecv hits).
    pub fn fastpath_counts(&mut self) -> (u64, u64, u64, u64) {
        let f = *self.kernel.fastpath();
        (f.calls, f.call_hits, f.reply_recvs, f.reply_recv_hits)
    }

    /// Runs in real time from now on: the kernel ticks every 2 ms of `clock`
    /// time and the timer device reads it (instead of counting instructions).
    pub fn use_clock(&mut self, clock: alloc::boxed::Box<dyn Clock>) {
        self.clock_start = clock.now_ns().saturating_sub(self.devices.now_ns);
        self.last_tick_ns = self.devices.now_ns;
        self.clock = Some(clock);
    }

    /// The trace recorded so far as Chrome trace-event JSON (`Config::trace`).
    pub fn trace_json(&self) -> Option<String> {
        self.trace.as_deref().map(crate::trace::to_json)
    }

    /// Console output produced since the last call (DebugPutChar and the
    /// console device's TX register, in the order they were written per kind).
    #[inline]
    pub fn take_console(&mut self) -> Vec<u8> {
        if self.kernel.arch().host.console.is_empty() && self.devices.output.is_empty() {
            return Vec::new();
        }
        let mut out = core::mem::take(&mut self.kernel.arch_mut().host.console);
        out.append(&mut self.devices.output);
        out
    }

    /// Runs until the machine stops, handing console output to `out` as it
    /// is produced.
    pub fn run(&mut self, mut out: impl FnMut(&[u8])) -> Exit {
        loop {
            let exit = self.step();
            let bytes = self.take_console();
            if !bytes.is_empty() {
                out(&bytes);
            }
            if let Some(exit) = exit {
                return exit;
            }
        }
    }
}
