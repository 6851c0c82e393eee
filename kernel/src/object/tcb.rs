//! Thread control blocks. The object (2^11 bytes) starts with a 16-slot
//! capability region (CTable, VTable, Reply, Caller, IPC buffer; 5 in use);
//! the thread's kernel state (`TcbFields`: scheduling, blocking, fault and the
//! architecture's saved user context) follows at byte 512.

use crate::arch::MAX_CONTEXT_WORDS;
use crate::memory::{PAddr, word_struct};
use crate::slot::SlotRef;

/// Slots of the TCB's capability region that are in use (and that deleting a
/// TCB must clear): CTable, VTable, Reply, Caller, IPC buffer, and on the vm
/// architecture the bound module and register stack.
pub const CNODE_ENTRIES: u64 = 7;

/// Byte offset of `TcbFields` in the TCB object.
pub const FIELDS_OFFSET: u64 = 512;

/// The TCB's slot number `index` (see `selvm_abi::object::TCB_CTABLE` and friends).
pub const fn slot(tcb: PAddr, index: usize) -> SlotRef {
    SlotRef(tcb).offset(index as u64)
}

/// Thread states (seL4's numbering).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u64)]
pub enum ThreadState {
    /// Not running and not queued anywhere.
    Inactive = 0,
    /// Running or ready to run.
    Running = 1,
    /// Ready to re-execute its current syscall.
    Restart = 2,
    /// Waiting on an endpoint to receive.
    BlockedOnReceive = 3,
    /// Waiting on an endpoint to send.
    BlockedOnSend = 4,
    /// Waiting for a reply.
    BlockedOnReply = 5,
    /// Waiting on a notification.
    BlockedOnNotification = 6,
    /// The idle thread.
    Idle = 7,
}

impl ThreadState {
    /// Decodes a stored state; `None` for a corrupt word.
    pub const fn from_word(w: u64) -> Option<ThreadState> {
        Some(match w {
            0 => ThreadState::Inactive,
            1 => ThreadState::Running,
            2 => ThreadState::Restart,
            3 => ThreadState::BlockedOnReceive,
            4 => ThreadState::BlockedOnSend,
            5 => ThreadState::BlockedOnReply,
            6 => ThreadState::BlockedOnNotification,
            7 => ThreadState::Idle,
            _ => return None,
        })
    }

    /// The thread may be chosen to run.
    pub const fn is_runnable(self) -> bool {
        matches!(self, ThreadState::Running | ThreadState::Restart)
    }

    /// The thread is stopped (Resume restarts it).
    pub const fn is_stopped(self) -> bool {
        matches!(
            self,
            ThreadState::Inactive
                | ThreadState::BlockedOnReceive
                | ThreadState::BlockedOnSend
                | ThreadState::BlockedOnNotification
                | ThreadState::BlockedOnReply
        )
    }
}

word_struct! {
    /// A thread's kernel state, stored in its TCB object at `FIELDS_OFFSET`.
    pub struct TcbFields {
        /// `ThreadState` as a word.
        pub state: u64,
        /// The endpoint or notification the thread is blocked on.
        pub blocking_object: u64,
        /// Badge of a blocked send.
        pub blocking_badge: u64,
        /// Flags of a blocked send (grant, grant-reply, call).
        pub blocking_flags: u64,
        /// Nonzero while the thread is in a ready queue.
        pub queued: u64,
        /// Scheduling priority (0..=255).
        pub priority: u64,
        /// Maximum controlled priority (0..=255).
        pub mcp: u64,
        /// Scheduling domain.
        pub domain: u64,
        /// Ticks left in the current time slice.
        pub time_slice: u64,
        /// Next TCB in the ready queue.
        pub sched_next: u64,
        /// Previous TCB in the ready queue.
        pub sched_prev: u64,
        /// Next TCB in an endpoint or notification queue.
        pub ep_next: u64,
        /// Previous TCB in an endpoint or notification queue.
        pub ep_prev: u64,
        /// The bound notification, 0 if none.
        pub bound_notification: u64,
        /// The fault being delivered (label and words; seL4's tcbFault), 0 if none.
        pub fault: [u64; 4],
        /// The last fault no handler could take (a double fault), for diagnostics.
        pub last_double_fault: [u64; 4],
        /// The lookup failure of the last cap fault.
        pub lookup_failure: [u64; 4],
        /// User address of the IPC buffer (tcbIPCBuffer).
        pub ipc_buffer: u64,
        /// Address of the fault endpoint in the thread's CSpace.
        pub fault_handler: u64,
        /// Name given with DebugNameThread (NUL-padded bytes).
        pub name: [u64; 8],
        /// The architecture's saved user context.
        pub context: [u64; MAX_CONTEXT_WORDS],
    }
}

const _: () = assert!(
    FIELDS_OFFSET as usize + core::mem::size_of::<TcbFields>() <= 1 << selvm_abi::object::TCB_BITS
);
const _: () = assert!(FIELDS_OFFSET >= 16 * 32, "fields follow the 16-slot region");
