//! Thread control blocks, laid out per architecture as seL4 lays out its own: the
//! object (2^`Arch::CONFIG.tcb_bits` bytes) starts with a 16-slot capability
//! region (CTable, VTable, Reply, Caller, IPC buffer, then the architecture's
//! own slots; seL4's `tcb_cnode`), and the thread's kernel state follows at byte
//! 512 (seL4's `tcb_t` in the upper half): the portable [`TcbFields`], then the
//! architecture's saved user context, then as much of the debug name as fits.
//! Each architecture declares that part as one struct with [`tcb_object!`]
//! (`Arch::Tcb`), which asserts at compile time that it fits the TCB.

use crate::memory::{PAddr, Prefixed, WordStruct, word_struct};
use crate::slot::{SLOT_SIZE, SlotRef};
use selvm_abi::Word;
use selvm_abi::object::TCB_CNODE_SLOTS;

/// Slots of seL4's in every TCB (CTable, VTable, Reply, Caller, IPC buffer);
/// an architecture may use more after them (`Arch::TCB_CNODE_ENTRIES`).
pub const CNODE_ENTRIES: u64 = selvm_abi::object::TCB_BUFFER as u64 + 1;

/// Byte offset of `TcbFields` in the TCB object: right after the capability region.
pub const FIELDS_OFFSET: u64 = TCB_CNODE_SLOTS as u64 * SLOT_SIZE;

/// Words of a TCB's capability region (its 16 slots of 4 words), before [`FIELDS_OFFSET`].
pub const SLOT_REGION_WORDS: usize = FIELDS_OFFSET as usize / 8;

/// A whole TCB in one view: its capability region's words, then the architecture's
/// part `T` (fields, context, name). The IPC fastpath checks one address per thread
/// with it instead of one per slot and field.
pub type TcbView<T> = Prefixed<SLOT_REGION_WORDS, T>;

/// Words of [`TcbFields`].
pub const FIELDS_WORDS: usize = core::mem::size_of::<TcbFields>() / 8;

/// Most words of a thread's name a TCB keeps (64 bytes, NUL included).
pub const NAME_MAX_WORDS: usize = 8;

/// Words of the name a TCB of 2^`tcb_bits` bytes with a context of
/// `context_words` has room for after its fields and context, at most
/// [`NAME_MAX_WORDS`] (0 if nothing is left, which [`tcb_object!`] rejects).
pub const fn name_words(tcb_bits: u32, context_words: usize) -> usize {
    let used = FIELDS_OFFSET as usize + 8 * (FIELDS_WORDS + context_words);
    let left = (1usize << tcb_bits).saturating_sub(used) / 8;
    if left < NAME_MAX_WORDS {
        left
    } else {
        NAME_MAX_WORDS
    }
}

/// A TCB's kernel state as an architecture lays it out (at [`FIELDS_OFFSET`]):
/// the portable fields, the saved user context, the name.
pub trait TcbObject: WordStruct {
    /// The portable fields.
    fn fields(&self) -> &TcbFields;
    /// The portable fields, writable.
    fn fields_mut(&mut self) -> &mut TcbFields;
    /// The saved user context (`Arch::CONTEXT_WORDS`).
    fn context(&self) -> &[Word];
    /// The saved user context, writable.
    fn context_mut(&mut self) -> &mut [Word];
    /// The name (NUL-padded bytes in little-endian words, the last byte NUL).
    fn name(&self) -> &[Word];
    /// The name, writable.
    fn name_mut(&mut self) -> &mut [Word];
}

/// Declares an architecture's TCB layout: `struct NAME` of the portable
/// [`TcbFields`], a context of `context` words, and the name in what is left of
/// a 2^`tcb_bits` TCB (at most [`NAME_MAX_WORDS`]). Fails to compile unless it
/// fits with at least one word of name.
///
/// ```ignore
/// tcb_object! {
///     /// The riscv64 TCB.
///     pub struct Riscv64Tcb { context: 35, tcb_bits: 10 }
/// }
/// ```
macro_rules! tcb_object {
    (
        $(#[$attr:meta])*
        $vis:vis struct $name:ident { context: $context:expr, tcb_bits: $bits:expr $(,)? }
    ) => {
        $crate::memory::word_struct! {
            $(#[$attr])*
            $vis struct $name {
                /// The portable fields.
                pub fields: $crate::object::tcb::TcbFields,
                /// The saved user context.
                pub context: [u64; $context],
                /// The name DebugNameThread gave (NUL-padded bytes, the last byte NUL).
                pub name: [u64; $crate::object::tcb::name_words($bits, $context)],
            }
        }

        impl $crate::object::tcb::TcbObject for $name {
            #[inline(always)]
            fn fields(&self) -> &$crate::object::tcb::TcbFields {
                &self.fields
            }
            #[inline(always)]
            fn fields_mut(&mut self) -> &mut $crate::object::tcb::TcbFields {
                &mut self.fields
            }
            #[inline(always)]
            fn context(&self) -> &[u64] {
                &self.context
            }
            #[inline(always)]
            fn context_mut(&mut self) -> &mut [u64] {
                &mut self.context
            }
            fn name(&self) -> &[u64] {
                &self.name
            }
            fn name_mut(&mut self) -> &mut [u64] {
                &mut self.name
            }
        }

        const _: () = assert!(
            $crate::object::tcb::name_words($bits, $context) >= 1
                && $crate::object::tcb::FIELDS_OFFSET as usize + ::core::mem::size_of::<$name>()
                    <= 1 << $bits,
            "the TCB's fields, context and name do not fit its size"
        );
    };
}
pub(crate) use tcb_object;

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
    /// A thread's portable kernel state, stored in its TCB object at `FIELDS_OFFSET`
    /// (the architecture's context and the name follow: [`TcbLayout`]).
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
        /// The lookup failure of the last cap fault, packed as seL4 packs it:
        /// type and bit counts in word 0, the guard found in word 1 (`fault`).
        pub lookup_failure: [u64; 2],
        /// User address of the IPC buffer (tcbIPCBuffer).
        pub ipc_buffer: u64,
        /// Address of the fault endpoint in the thread's CSpace.
        pub fault_handler: u64,
    }
}

// The fields start the TCB's upper half on the smallest TCB (riscv64's 2^10 bytes)
// and leave it room for a context (seL4's riscv64 one is 35 words) and a name.
const _: () = assert!(FIELDS_OFFSET == 512 && FIELDS_WORDS == 26);
