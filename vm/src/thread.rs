//! A thread: the resumable state of one execution of a module, and why it stopped.
//!
//! A thread's stack is memory the embedder provides (a `&mut [u64]`, kernel-only in the
//! hosted machine) laid out as: the context area (globals, then each table's size and
//! elements), the call frames (two words each: function and return pc, caller's frame
//! base), and the registers. The program writes only registers, globals and table
//! elements, and the interpreter checks those before using one as a function index;
//! return addresses live in the frame area, which no instruction can address.

use crate::memory::Fault;
use crate::module::{Module, NULL_REF};

/// Why a thread trapped. The pc stays on the trapping instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trap {
    /// A `trap` instruction with its code (0 is WebAssembly's `unreachable`).
    Program(u16),
    /// Integer division or remainder by zero.
    DivideByZero,
    /// Signed division overflow, or a float-to-integer truncation out of range.
    IntegerOverflow,
    /// A float-to-integer truncation of NaN.
    InvalidConversion,
    /// A call found no room for its frame in the register stack or call stack.
    StackOverflow,
    /// A table access outside the table.
    TableOutOfBounds,
    /// An indirect call through a null reference.
    NullReference,
    /// An indirect call through a value that names no function.
    BadReference,
    /// An indirect call to a function of another signature.
    SignatureMismatch,
    /// The stack passed to [`Thread::run`] is too small for the thread's context area,
    /// call frames and register frames (at the start, or on returning to a caller whose
    /// frame does not fit): the embedder's error, not the program's. Nothing changed;
    /// running again with a large enough stack continues.
    StackTooSmall,
    /// `memory.init` or `table.init` reading beyond its segment (or from a dropped one).
    SegmentOutOfBounds,
}

impl core::fmt::Display for Trap {
    /// The trap in words, for people reading an embedder's report.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Trap::Program(0) => write!(f, "unreachable executed (trap 0)"),
            Trap::Program(code) => write!(f, "trap instruction with code {code}"),
            Trap::DivideByZero => write!(f, "integer division by zero"),
            Trap::IntegerOverflow => write!(f, "integer overflow"),
            Trap::InvalidConversion => write!(f, "conversion of NaN to an integer"),
            Trap::StackOverflow => write!(f, "call stack overflow"),
            Trap::TableOutOfBounds => write!(f, "table access out of bounds"),
            Trap::NullReference => write!(f, "indirect call through a null reference"),
            Trap::BadReference => write!(f, "indirect call through a value that is no function"),
            Trap::SignatureMismatch => write!(f, "indirect call with the wrong signature"),
            Trap::StackTooSmall => write!(f, "register stack too small for the next frame"),
            Trap::SegmentOutOfBounds => write!(f, "segment access out of bounds"),
        }
    }
}

/// Why [`Thread::run`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The entry function returned; its results are in registers `0..results`.
    Returned,
    /// The budget is used up; running again continues.
    Budget,
    /// A `syscall`: the embedder reads and writes the argument registers
    /// `first .. first + count` (indices into [`Thread::registers`]) and runs again.
    Syscall {
        /// The system call number.
        number: u16,
        /// Index of the first argument register in [`Thread::registers`].
        first: usize,
        /// Number of argument registers.
        count: u16,
    },
    /// A memory access faulted; the pc stays on the instruction, so running again
    /// retries it (after the embedder mapped the page, say).
    Fault(Fault),
    /// A trap.
    Trap(Trap),
    /// `memory.grow`: the embedder grows the memory (or not) and writes the old size in
    /// pages, or `u32::MAX` (-1), into register `result`, then runs again.
    MemoryGrow {
        /// Pages requested.
        pages: u32,
        /// Index of the result register in [`Thread::registers`].
        result: usize,
    },
}

/// The outcome of one [`Thread::run`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exit {
    /// Why it stopped.
    pub stop: Stop,
    /// Instructions executed (bulk memory chunks included).
    pub executed: u64,
}

/// Why a thread could not start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartError {
    /// No such function.
    NoFunction,
    /// The number of arguments differs from the function's parameters.
    Arguments,
    /// The stack is too small for the context area, call frames and first frame.
    StackTooSmall,
}

impl core::fmt::Display for StartError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            StartError::NoFunction => write!(f, "no such function"),
            StartError::Arguments => write!(
                f,
                "the number of arguments differs from the function's parameters"
            ),
            StartError::StackTooSmall => write!(
                f,
                "the stack is too small for the context area, call frames and first frame"
            ),
        }
    }
}

/// The resumable state of a thread (the stack memory is separate, see the module doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Thread {
    pub(crate) func: u32,
    pub(crate) pc: u32,
    pub(crate) fp: u32,
    pub(crate) depth: u32,
    pub(crate) max_depth: u32,
    pub(crate) context_words: u32,
    pub(crate) finished: bool,
}

impl Thread {
    /// A thread about to run function `func` of `module` with `args`, in `stack`, with
    /// room for `max_depth` nested calls. Initializes the context area (globals, tables)
    /// and the first frame (arguments, then zeros).
    pub fn new(
        module: &Module,
        stack: &mut [u64],
        func: u32,
        args: &[u64],
        max_depth: u32,
    ) -> Result<Thread, StartError> {
        let f = *module
            .functions()
            .get(func as usize)
            .ok_or(StartError::NoFunction)?;
        if args.len() != f.params as usize {
            return Err(StartError::Arguments);
        }
        let context = module.context_words();
        let needed = context as u64 + 2 * max_depth as u64 + f.frame as u64;
        if (stack.len() as u64) < needed || context > u32::MAX as usize {
            return Err(StartError::StackTooSmall);
        }
        let globals = module.globals();
        stack[..globals.len()].copy_from_slice(globals);
        for t in module.tables() {
            let area = &mut stack[t.context_offset..t.context_offset + 1 + t.max as usize];
            area[0] = t.initial as u64;
            let (listed, null) = area[1..1 + t.initial as usize].split_at_mut(t.elems.len());
            listed.copy_from_slice(&t.elems);
            null.fill(NULL_REF);
        }
        let thread = Thread {
            func,
            pc: f.code_start,
            fp: 0,
            depth: 0,
            max_depth,
            context_words: context as u32,
            finished: false,
        };
        let regs = thread.registers(stack);
        regs[..f.frame as usize].fill(0);
        regs[..args.len()].copy_from_slice(args);
        Ok(thread)
    }

    /// Splits `stack` into context area, frame area and registers.
    #[inline]
    pub(crate) fn split<'s>(
        &self,
        stack: &'s mut [u64],
    ) -> (&'s mut [u64], &'s mut [u64], &'s mut [u64]) {
        let (context, rest) = stack.split_at_mut(self.context_words as usize);
        let (frames, regs) = rest.split_at_mut(2 * self.max_depth as usize);
        (context, frames, regs)
    }

    /// The register area of `stack` (the entry function's frame starts at index 0).
    #[inline]
    pub fn registers<'s>(&self, stack: &'s mut [u64]) -> &'s mut [u64] {
        self.split(stack).2
    }

    /// The context area: globals first, in module order.
    #[inline]
    pub fn context<'s>(&self, stack: &'s mut [u64]) -> &'s mut [u64] {
        self.split(stack).0
    }

    /// Whether the entry function has returned.
    pub fn finished(&self) -> bool {
        self.finished
    }

    /// The current function and the pc (an index into [`Module::code`]).
    pub fn position(&self) -> (u32, u32) {
        (self.func, self.pc)
    }

    /// The number of active calls below the entry function.
    #[inline]
    pub fn depth(&self) -> u32 {
        self.depth
    }
}
