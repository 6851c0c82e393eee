//! The hosted machine: a booted kernel, its devices, the decoded modules its threads
//! run (a cache keyed by the module object's physical address, dropped when the kernel
//! reports the module deleted), the TLB, machine time and the run loop's counters.
//!
//! The embedder drives it: [`Machine::step`] runs one slice and returns, saying when
//! the machine is idle and what it waits for (a time, input); input is pushed and
//! output taken between steps. The machine owns its memory and is `Send`, so a GUI or
//! worker thread, or a browser binding, can hold and run it.

use crate::devices::{DeviceBus, DeviceId};
use crate::exit::Exit;
use crate::loader::{self, Layout, LoadError, VmKernel};
use crate::mapped::Regions;
use crate::mmu::Tlb;
use crate::ram::{MemoryBackend, Ram};
use crate::run::clock::{Clock, Time};
use alloc::boxed::Box;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::sync::Arc;
use alloc::vec::Vec;
use selvm_abi::Word;
use selvm_kernel::arch::vm::VmCode;
use selvm_kernel::memory::PAddr;
use selvm_kernel::object::tcb::ThreadState;
use selvm_kernel::vspace::Asid;

/// How the machine runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Stop after this many instructions (all threads together).
    pub max_instructions: Option<u64>,
    /// Record a trace of threads running and kernel entries.
    pub trace: bool,
    /// Run the kernel's invariant checker after every kernel entry and stop
    /// with [`Exit::InvariantBroken`] at the first violation (a debug mode;
    /// needs the crate's `checker` feature, on by default).
    pub check_invariants: bool,
    /// Instructions per kernel timer tick in virtual time (the run is then
    /// deterministic: the same program and input give the same output every time).
    pub tick_instructions: u64,
    /// How loads and stores reach memory (default: what `SELVM_MEMORY_BACKEND`
    /// says where there is an environment, else the software MMU).
    pub memory: MemoryBackend,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_instructions: None,
            trace: false,
            check_invariants: false,
            tick_instructions: 100_000,
            memory: MemoryBackend::from_env().unwrap_or_default(),
        }
    }
}

/// What a call of [`Machine::step`] or [`Machine::run`] ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Work remains: call again.
    Running,
    /// No thread can run until something happens; see [`Wait`].
    Idle(Wait),
    /// The machine stopped (every later call returns the same).
    Exited(Exit),
}

/// What an idle machine waits for. Call [`Machine::step`] again when it has happened
/// (or sooner: an early call just returns `Idle` again).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait {
    /// Machine time (nanoseconds since boot, as [`Machine::now_ns`]) of the next device
    /// deadline, such as an armed timer. Only with a host clock: in virtual time the
    /// machine jumps there itself.
    pub until_ns: Option<u64>,
    /// A device waits for input that may still come: push it
    /// ([`Machine::push_input`]) or end it ([`Machine::close_input`]).
    pub input: bool,
}

/// Threads whose code the run loop caches (a ping-pong needs two).
pub(crate) const CODE_CACHE_THREADS: usize = 8;

/// The run loop's cache of one thread's code: what `vm_code`, `thread_vspace`
/// and the module map gave, valid while the kernel's `vm_code_key` gives the
/// same `key` — the thread's module, register stack and VTable caps and entry
/// (so TCB invocations that rebind any of them, and deleting the thread,
/// which empties its slots, miss) and the ASID table still maps the VSpace's
/// ASID to its root. A deleted module clears the whole cache, since a new
/// module may later get the same address and cap.
///
/// Only a kernel entry outside the fastpath can change those words or the ASID
/// table, so an entry checked in the current epoch (`Machine::epoch`) is used
/// without looking at them again; the same holds for `resident`.
pub(crate) struct CodeCache {
    pub(crate) tcb: PAddr,
    pub(crate) key: [Word; 8],
    pub(crate) code: VmCode,
    pub(crate) vspace: Option<(Asid, PAddr)>,
    pub(crate) module: Arc<selvm_vm::Module>,
    /// The epoch in which `key` and `vspace` were last found current.
    pub(crate) checked: u64,
    /// The epoch of the thread's last stop (`u64::MAX`: none yet). While it is the
    /// current epoch, `thread`, `window_base` and `pages` are what that stop left
    /// (its TCB holds the same words), and the next slice runs `thread` in place
    /// instead of reading the TCB back.
    pub(crate) kept_epoch: u64,
    /// The interpreter's state, run in place.
    pub(crate) thread: Option<selvm_vm::Thread>,
    /// Where the last syscall's window starts in its registers, or `Word::MAX`.
    pub(crate) window_base: Word,
    /// `memory.size`, in 64 KiB pages.
    pub(crate) pages: Word,
}

/// A hosted seLVM machine.
pub struct Machine {
    pub(crate) kernel: VmKernel,
    pub(crate) modules: BTreeMap<PAddr, Arc<selvm_vm::Module>>,
    pub(crate) code_cache: Vec<CodeCache>,
    /// Kernel entries outside the fastpath (and Yield) so far: what may have
    /// changed a thread's bindings, the ASID table or a TCB's interpreter state,
    /// against which `code_cache` entries are checked. Every such entry counts
    /// (`Machine::slow_entry`).
    pub(crate) epoch: u64,
    pub(crate) tlb: Tlb,
    /// The mmap back end's regions (`Config::memory`).
    pub(crate) regions: Option<Regions>,
    /// Every thread the machine has run (to tell a finished machine from a deadlock).
    pub(crate) threads: BTreeSet<PAddr>,
    pub(crate) layout: Layout,
    pub(crate) config: Config,
    pub(crate) time: Time,
    pub(crate) double_faults_seen: u64,
    pub(crate) bus: DeviceBus,
    pub(crate) trace: Option<Vec<crate::trace::Event>>,
    pub(crate) exited: Option<Exit>,
    /// Instructions executed so far.
    pub instructions: u64,
    /// Kernel entries so far (syscalls, faults, traps, interrupts, ticks).
    pub kernel_entries: u64,
    /// IPC system calls so far (Call, ReplyRecv, Send, NBSend, Recv, Reply, NBRecv).
    pub ipc_syscalls: u64,
    /// The statistics device, if attached ([`Machine::attach_stats`]).
    pub(crate) stats: Option<DeviceId>,
    /// Invariant audits run so far (`Config::check_invariants`).
    pub audits: u64,
}

impl Machine {
    /// Boots `image` (an `.sbc` module) as the root task on `ram`, which becomes the
    /// machine's physical memory (`vec![0u64; bytes / 8]`, say; a multiple of 4 KiB).
    /// With `Config::memory` the mmap back end, the words move into a memfd first.
    pub fn boot(ram: impl Into<Ram>, image: &[u8], config: Config) -> Result<Self, LoadError> {
        let mut ram = ram.into();
        if config.memory == MemoryBackend::Mmap {
            ram = ram.into_memfd().map_err(LoadError::BadMemory)?;
        }
        let regions = match &ram {
            #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
            Ram::Memfd(_) => Some(
                Regions::new(&ram, selvm_abi::vm::device::PHYS_RAM_BASE)
                    .map_err(LoadError::BadMemory)?,
            ),
            _ => None,
        };
        let (kernel, layout) = loader::boot(ram, image)?;
        Ok(Machine {
            kernel,
            modules: BTreeMap::new(),
            code_cache: Vec::new(),
            epoch: 0,
            tlb: Tlb::default(),
            regions,
            threads: BTreeSet::new(),
            layout,
            time: Time::new(config.tick_instructions),
            trace: config.trace.then(Vec::new),
            config,
            double_faults_seen: 0,
            bus: DeviceBus::new(),
            exited: None,
            instructions: 0,
            kernel_entries: 0,
            ipc_syscalls: 0,
            stats: None,
            audits: 0,
        })
    }

    /// Gives the physical memory back (to boot another machine on it).
    pub fn into_ram(self) -> Box<[u64]> {
        self.kernel.into_memory().into_boxed()
    }

    /// The memory back end the machine runs on.
    pub fn memory_backend(&self) -> MemoryBackend {
        match self.regions {
            Some(_) => MemoryBackend::Mmap,
            None => MemoryBackend::Soft,
        }
    }

    /// The mmap back end's host mapping work so far (zeros on the software MMU).
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    pub fn mapping_counts(&self) -> crate::MappingCounts {
        self.regions.as_ref().map(|r| r.counts).unwrap_or_default()
    }

    /// The kernel (for inspection).
    pub fn kernel(&self) -> &VmKernel {
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

    /// Runs in real time from now on: the kernel ticks every 2 ms of `clock` time
    /// and the devices read it (instead of counting instructions).
    pub fn use_clock(&mut self, clock: Box<dyn Clock>) {
        self.time.use_clock(clock);
    }

    /// Machine time: nanoseconds since boot (virtual unless a clock is in use).
    pub fn now_ns(&self) -> u64 {
        self.time.now().ns
    }

    /// The devices (to attach more, or look at one).
    pub fn devices(&mut self) -> &mut DeviceBus {
        &mut self.bus
    }

    /// Attaches the network device of cluster node `identity` (once, before the
    /// machine runs); its id is where its input goes and its output comes from.
    pub fn attach_network(
        &mut self,
        identity: crate::devices::NodeIdentity,
    ) -> Result<DeviceId, crate::devices::AttachError> {
        let network = alloc::boxed::Box::new(crate::devices::Network::new(identity));
        self.bus.attach(network)
    }

    /// Attaches the statistics device (once, before the machine runs): the machine
    /// then refreshes its counts at every kernel tick and whenever it goes idle.
    pub fn attach_stats(&mut self) -> Result<DeviceId, crate::devices::AttachError> {
        let id = self
            .bus
            .attach(Box::new(crate::devices::Stats::default()))?;
        self.stats = Some(id);
        self.refresh_stats();
        Ok(id)
    }

    /// Writes the machine's counts into the statistics device, if there is one.
    pub(crate) fn refresh_stats(&mut self) {
        let Some(id) = self.stats else {
            return;
        };
        let threads = self
            .threads
            .iter()
            .filter(|&&t| self.kernel.thread_state(t) != ThreadState::Inactive)
            .count() as u64;
        let counters = crate::devices::Counters {
            threads,
            ipc: self.ipc_syscalls,
            kernel_entries: self.kernel_entries,
            instructions: self.instructions,
            ns: self.time.now().ns,
        };
        if let Some(d) = self.bus.device(id) {
            d.counters(&counters);
        }
    }

    /// Moves device `id`'s output to `out` (the network device's transmitted
    /// messages, each a 4-byte length and its bytes: `devices::network::split_output`).
    pub fn take_output(&mut self, id: DeviceId, out: &mut Vec<u8>) {
        self.bus.take_output(id, out);
    }

    /// Input for device `id` (console bytes, say); false if there is no such device.
    pub fn push_input(&mut self, id: DeviceId, bytes: &[u8]) -> bool {
        let now = self.time.now();
        self.bus.push_input(id, bytes, now)
    }

    /// Ends device `id`'s input: nothing more will come.
    pub fn close_input(&mut self, id: DeviceId) -> bool {
        let now = self.time.now();
        self.bus.close_input(id, now)
    }

    /// Whether a device would use input now (so an embedder reading a slow source
    /// reads only when the program asks).
    pub fn wants_input(&self) -> bool {
        self.bus.wants_input(!self.kernel.arch().host.masked)
    }

    /// Events recorded since the last call (`Config::trace`), for the embedder to
    /// write out as it goes (`trace::write_event`).
    pub fn take_trace(&mut self) -> Vec<crate::trace::Event> {
        self.trace.as_mut().map(core::mem::take).unwrap_or_default()
    }

    /// Console output produced since the last call (DebugPutChar and the
    /// console device's TX register, in the order they were written per kind).
    #[inline]
    pub fn take_console(&mut self) -> Vec<u8> {
        let host = &mut self.kernel.arch_mut().host;
        if host.console.is_empty() && !self.bus.has_output() {
            return Vec::new();
        }
        let mut out = core::mem::take(&mut host.console);
        self.bus.take_output(DeviceId::CONSOLE, &mut out);
        out
    }

    /// Runs slices until `budget` instructions have run, the machine is idle or
    /// stops, or output is waiting; the embedder's main entry (a browser worker runs
    /// it in bounded slices of work, a command-line loop between reads and writes).
    pub fn run(&mut self, budget: u64) -> Step {
        let end = self.instructions.saturating_add(budget);
        loop {
            match self.step() {
                Step::Running if self.instructions < end && !self.has_output() => {}
                other => return other,
            }
        }
    }

    /// Whether console or device output is waiting to be taken.
    pub fn has_output(&self) -> bool {
        !self.kernel.arch().host.console.is_empty() || self.bus.has_output()
    }

    /// Runs to the end with nothing to wait for (tests, benchmarks, programs whose
    /// input was pushed and closed beforehand): input a device waits for is ended,
    /// and in real time an idle machine spins until its deadline. Console output goes
    /// to `out` as it is produced.
    pub fn run_to_exit(&mut self, mut out: impl FnMut(&[u8])) -> Exit {
        loop {
            let step = self.step();
            let bytes = self.take_console();
            if !bytes.is_empty() {
                out(&bytes);
            }
            match step {
                Step::Running => {}
                Step::Idle(Wait { input: true, .. }) => {
                    let now = self.time.now();
                    self.bus.close_all_input(now);
                }
                Step::Idle(_) => {}
                Step::Exited(exit) => return exit,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>() {}

    #[test]
    fn a_machine_can_move_to_another_thread() {
        assert_send::<Machine>();
    }
}
