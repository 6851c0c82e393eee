//! A read-only view of the kernel's objects for embedders: threads (name, priority,
//! state, what each is blocked on), endpoints and notifications with their queues,
//! the root task's CSpace and the capability derivation tree. [`Machine::snapshot`]
//! reads it through the kernel's public accessors (caps in slots, TCB fields, queue
//! heads), finding objects the way the invariant checker does: from the boot
//! objects, through every CNode and TCB a cap names. Nothing is written.
//!
//! `selvm run --stats FILE` writes [`Snapshot::to_json`] of the machine as the run
//! ended; the browser page shows the same document live (docs/web.md), so one test
//! compares the two.

use crate::machine::Machine;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::vec::Vec;
use selvm_abi::Word;
use selvm_kernel::arch::Arch;
use selvm_kernel::cap::Cap;
use selvm_kernel::cdt;
use selvm_kernel::memory::PAddr;
use selvm_kernel::object::endpoint::EpState;
use selvm_kernel::object::tcb::ThreadState;
use selvm_kernel::slot::{SLOT_SIZE, SlotMemory, SlotRef};

mod json;

/// Slots a TCB's capability region holds on the vm architecture.
const TCB_SLOTS: u64 =
    <selvm_kernel::arch::vm::VmArch<crate::host_state::HostState> as Arch>::TCB_CNODE_ENTRIES;

/// The kernel's objects at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Instructions executed so far.
    pub instructions: u64,
    /// Kernel entries so far.
    pub kernel_entries: u64,
    /// Machine time, nanoseconds since boot.
    pub now_ns: u64,
    /// The thread the kernel runs next (the idle thread when none can run).
    pub current: PAddr,
    /// Every thread a cap names, or the machine ran, in address order.
    pub threads: Vec<ThreadView>,
    /// Every endpoint a cap names, in address order.
    pub endpoints: Vec<EndpointView>,
    /// Every notification a cap names, in address order.
    pub notifications: Vec<NotificationView>,
    /// The root task's CNode.
    pub cspace: CSpaceView,
    /// Every cap found, in derivation-tree order, each with its parent.
    pub cdt: Vec<CdtNode>,
}

/// One thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadView {
    /// Its TCB.
    pub tcb: PAddr,
    /// The name DebugNameThread (or boot) gave it, empty if none.
    pub name: String,
    /// Scheduling priority.
    pub priority: u8,
    /// Maximum controlled priority.
    pub mcp: u8,
    /// Its state.
    pub state: ThreadState,
    /// The endpoint or notification it is blocked on (a blocked state only).
    pub blocked_on: Option<PAddr>,
    /// Its bound notification.
    pub bound_notification: Option<PAddr>,
    /// The CPtr of its fault endpoint (0: none).
    pub fault_handler: Word,
    /// The user address of its IPC buffer.
    pub ipc_buffer: Word,
}

/// One endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointView {
    /// The object.
    pub object: PAddr,
    /// Whether senders or receivers wait.
    pub state: EpState,
    /// The waiting threads, first first.
    pub queue: Vec<PAddr>,
}

/// What a notification's waiters are doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationState {
    /// No signal pending, nobody waiting.
    Idle,
    /// Threads wait for a signal.
    Waiting,
    /// A signal is pending (its word is nonzero).
    Active,
}

/// One notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationView {
    /// The object.
    pub object: PAddr,
    /// Its state.
    pub state: NotificationState,
    /// The signal word (badges ORed together).
    pub word: Word,
    /// The thread bound to it.
    pub bound: Option<PAddr>,
    /// The waiting threads, first first.
    pub queue: Vec<PAddr>,
}

/// The root task's CNode and its non-empty slots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CSpaceView {
    /// The CNode object.
    pub cnode: PAddr,
    /// log2 of its slot count.
    pub radix: u8,
    /// Non-empty slots: index and cap.
    pub slots: Vec<(u64, Cap)>,
}

/// One cap in the derivation tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CdtNode {
    /// Its slot (physical address).
    pub slot: PAddr,
    /// The CNode or TCB holding the slot, and the slot's index there.
    pub place: (PAddr, u64),
    /// The cap.
    pub cap: Cap,
    /// The slot of its CDT parent, if it has one.
    pub parent: Option<PAddr>,
}

impl Machine {
    /// The kernel's objects now (read-only; cheap enough to call between slices a
    /// few times a second, but it visits every slot of every CNode).
    pub fn snapshot(&self) -> Snapshot {
        let k = &self.kernel;
        let mem = k.memory();
        let boot = k.boot_objects();
        // Every container (CNode or TCB slot region) reachable from the boot objects.
        let mut containers: BTreeMap<PAddr, u64> = BTreeMap::new();
        let mut caps: BTreeMap<PAddr, (PAddr, u64, Cap)> = BTreeMap::new();
        let mut todo = alloc::vec![
            (boot.root_cnode.0, 1u64 << boot.root_radix),
            (boot.root_tcb, TCB_SLOTS),
            (boot.irq_node.0, boot.irq_count),
        ];
        while let Some((base, n)) = todo.pop() {
            if containers.insert(base, n).is_some() {
                continue;
            }
            for i in 0..n {
                let slot = SlotRef(base).offset(i);
                let cap = mem.cap(slot);
                let inner = match cap {
                    Cap::CNode { ptr, radix, .. } => Some((ptr, 1u64 << radix)),
                    Cap::Thread { tcb } => Some((tcb, TCB_SLOTS)),
                    _ => None,
                };
                if let Some((b, count)) = inner.filter(|&(b, c)| mem.contains(b, c * SLOT_SIZE)) {
                    todo.push((b, count));
                }
                if !cap.is_null() {
                    caps.insert(slot.0, (base, i, cap));
                }
            }
        }
        let mut tcbs: BTreeSet<PAddr> = self.threads.clone();
        let (mut eps, mut ntfns) = (BTreeSet::new(), BTreeSet::new());
        for (_, _, cap) in caps.values() {
            match *cap {
                Cap::Thread { tcb } => {
                    tcbs.insert(tcb);
                }
                Cap::Endpoint { ptr, .. } => {
                    eps.insert(ptr);
                }
                Cap::Notification { ptr, .. } => {
                    ntfns.insert(ptr);
                }
                _ => {}
            }
        }
        tcbs.insert(k.idle_thread());
        let limit = tcbs.len() + 1;
        let queue = |mut t: PAddr| {
            let mut q = Vec::new();
            while t != 0 && q.len() < limit {
                q.push(t);
                t = k.tcb(t).ep_next;
            }
            q
        };
        let threads = tcbs.iter().map(|&t| self.thread_view(t)).collect();
        let endpoints = eps
            .iter()
            .map(|&ep| {
                let (head, _, state) = k.endpoint_queue(ep);
                EndpointView {
                    object: ep,
                    state,
                    queue: queue(head),
                }
            })
            .collect();
        let notifications = ntfns
            .iter()
            .map(|&n| {
                let o = k.notification(n);
                let state = match o.queue_tail_and_state & 3 {
                    1 => NotificationState::Waiting,
                    2 => NotificationState::Active,
                    _ => NotificationState::Idle,
                };
                NotificationView {
                    object: n,
                    state,
                    word: o.word,
                    bound: nonzero(o.bound_tcb),
                    queue: queue(o.queue_head),
                }
            })
            .collect();
        let root = boot.root_cnode.0;
        let cspace = CSpaceView {
            cnode: root,
            radix: boot.root_radix,
            slots: caps
                .values()
                .filter(|(c, _, _)| *c == root)
                .map(|&(_, i, cap)| (i, cap))
                .collect(),
        };
        Snapshot {
            instructions: self.instructions,
            kernel_entries: self.kernel_entries,
            now_ns: self.now_ns(),
            current: k.current_thread(),
            threads,
            endpoints,
            notifications,
            cspace,
            cdt: self.derivation_tree(&caps),
        }
    }

    fn thread_view(&self, t: PAddr) -> ThreadView {
        let k = &self.kernel;
        let f = k.tcb(t);
        let state = k.thread_state(t);
        let blocked = matches!(
            state,
            ThreadState::BlockedOnReceive
                | ThreadState::BlockedOnSend
                | ThreadState::BlockedOnNotification
        );
        let bytes: Vec<u8> = k
            .thread_name(t)
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .take_while(|&b| b != 0)
            .collect();
        ThreadView {
            tcb: t,
            name: String::from_utf8_lossy(&bytes).into_owned(),
            priority: f.priority as u8,
            mcp: f.mcp as u8,
            state,
            blocked_on: if blocked {
                nonzero(f.blocking_object)
            } else {
                None
            },
            bound_notification: nonzero(f.bound_notification),
            fault_handler: f.fault_handler,
            ipc_buffer: f.ipc_buffer,
        }
    }

    /// The CDT lists of the caps found, each cap with its parent: the nearest cap
    /// before it in its list that `cdt::is_parent_of` it (descendants follow their
    /// ancestor contiguously, so a stack of open ancestors finds it).
    fn derivation_tree(&self, caps: &BTreeMap<PAddr, (PAddr, u64, Cap)>) -> Vec<CdtNode> {
        let mem = self.kernel.memory();
        let mut out = Vec::new();
        let known = |s: Option<SlotRef>| s.filter(|s| caps.contains_key(&s.0));
        for &head in caps.keys() {
            if known(mem.mdb(SlotRef(head)).prev).is_some() {
                continue;
            }
            let mut open: Vec<PAddr> = Vec::new();
            let mut at = Some(SlotRef(head));
            while let Some(slot) = at {
                while open
                    .last()
                    .is_some_and(|&p| !cdt::is_parent_of(mem, SlotRef(p), slot))
                {
                    open.pop();
                }
                let (container, index, cap) = caps[&slot.0];
                out.push(CdtNode {
                    slot: slot.0,
                    place: (container, index),
                    cap,
                    parent: open.last().copied(),
                });
                open.push(slot.0);
                at = known(mem.mdb(slot).next);
                if out.len() > caps.len() {
                    return out; // a cycle: the invariant checker's business, not ours
                }
            }
        }
        out
    }
}

fn nonzero(w: Word) -> Option<PAddr> {
    (w != 0).then_some(w)
}
