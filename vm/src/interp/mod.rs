//! The interpreter: the semantics of every op written once (`semantics.rs`, with the
//! operand helpers in `derived.rs`) and expanded by each dispatch technique behind one
//! switch, [`Dispatch`]: a portable `match` loop (`looped.rs`, the one wasm32 uses,
//! which has no tail calls), call-threading through a table of handler functions
//! (`threaded.rs`), sibling-call threading on stable Rust where the build can rely on
//! it (`sibling.rs`, chosen by `vm/build.rs`: x86_64 and aarch64 optimised builds), and
//! on nightly Rust with the `tail-calls` feature tail-call threading (`tailcall.rs`).
//! Sibling calls are the default where built, the loop elsewhere (`docs/benchmarks.md`
//! has the measurements).
//!
//! It trusts what the verifier established (register indices inside the frame, jump
//! targets on instructions of the same function, valid function, constant, global and
//! table indices) and checks at run time only what depends on run-time values: stack
//! room at a call, the function a table element names, memory accesses, divisors.

#[macro_use]
mod derived;
#[macro_use]
mod semantics;
mod looped;
#[cfg(selvm_sibling_calls)]
#[allow(unsafe_code)]
mod sibling;
#[cfg(feature = "tail-calls")]
mod tailcall;
mod threaded;

use crate::memory::Memory;
use crate::module::{Function, Module, NULL_REF};
use crate::segment::{self, Payload};
use crate::thread::{Exit, Stop, Thread, Trap};

/// How the interpreter dispatches instructions. Both techniques run the same op
/// semantics and give the same results, stops and instruction counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dispatch {
    /// One loop around a `match` on the instruction: portable, the wasm32 path.
    Loop,
    /// Call-threading: one handler function per op, called through a table indexed by
    /// the opcode of the (decoded at load) instruction.
    Threaded,
    /// Sibling-call threading: each handler ends by calling the next instruction's
    /// handler in tail position, which the compiler turns into a jump. Stable Rust;
    /// built where `build.rs` finds that optimisation reliable (x86_64 and aarch64 at
    /// opt-level 2 or 3 without debug assertions), and the default there.
    #[cfg(selvm_sibling_calls)]
    Sibling,
    /// Tail-call threading: each handler ends by tail-calling (`become`) the next
    /// instruction's handler. Nightly Rust only, with the `tail-calls` feature.
    #[cfg(feature = "tail-calls")]
    TailCall,
}

impl Dispatch {
    /// Every technique built in, for benchmarks and tests.
    pub const ALL: &'static [Dispatch] = &[
        Dispatch::Loop,
        Dispatch::Threaded,
        #[cfg(selvm_sibling_calls)]
        Dispatch::Sibling,
        #[cfg(feature = "tail-calls")]
        Dispatch::TailCall,
    ];

    /// What [`Thread::run`] uses: the loop, or another technique with the
    /// `threaded-dispatch` or `tail-call-dispatch` feature (so the whole test suite can
    /// run under each).
    pub const DEFAULT: Dispatch = default_dispatch();

    /// The technique's name in tables.
    pub const fn name(self) -> &'static str {
        match self {
            Dispatch::Loop => "loop",
            Dispatch::Threaded => "threaded",
            #[cfg(selvm_sibling_calls)]
            Dispatch::Sibling => "sibling",
            #[cfg(feature = "tail-calls")]
            Dispatch::TailCall => "tail-call",
        }
    }
}

#[cfg(feature = "tail-call-dispatch")]
const fn default_dispatch() -> Dispatch {
    Dispatch::TailCall
}

#[cfg(all(feature = "threaded-dispatch", not(feature = "tail-call-dispatch")))]
const fn default_dispatch() -> Dispatch {
    Dispatch::Threaded
}

#[cfg(all(
    selvm_sibling_calls,
    not(any(feature = "threaded-dispatch", feature = "tail-call-dispatch"))
))]
const fn default_dispatch() -> Dispatch {
    Dispatch::Sibling
}

#[cfg(not(any(
    selvm_sibling_calls,
    feature = "threaded-dispatch",
    feature = "tail-call-dispatch"
)))]
const fn default_dispatch() -> Dispatch {
    Dispatch::Loop
}

/// Resolves `call_indirect`'s table element `index` to a function of signature `ty`.
#[inline]
fn resolve(module: &Module, context: &[u64], index: u64, ty: u32) -> Result<u32, Trap> {
    let base = module.tables()[0].context_offset;
    if index as u32 as u64 >= context[base] {
        return Err(Trap::TableOutOfBounds);
    }
    resolve_ref(module, context[base + 1 + index as u32 as usize], ty)
}

/// Resolves a function reference (`call_ref`, or a table element) to a function of
/// signature `ty`.
#[inline]
fn resolve_ref(module: &Module, element: u64, ty: u32) -> Result<u32, Trap> {
    if element == NULL_REF {
        return Err(Trap::NullReference);
    }
    let f = u32::try_from(element).map_err(|_| Trap::BadReference)?;
    match module.functions().get(f as usize) {
        None => Err(Trap::BadReference),
        Some(callee) if callee.ty != ty => Err(Trap::SignatureMismatch),
        Some(_) => Ok(f),
    }
}

/// `table.grow`: the old size, or `None` beyond the maximum.
#[cold]
fn table_grow(module: &Module, context: &mut [u64], table: u16, value: u64, n: u32) -> Option<u64> {
    let t = &module.tables()[table as usize];
    let old = context[t.context_offset];
    let new = old + n as u64;
    if new > t.max as u64 {
        return None;
    }
    let elems = t.context_offset + 1;
    context[elems + old as usize..elems + new as usize].fill(value);
    context[t.context_offset] = new;
    Some(old)
}

/// The context slot of element `start` of `table` if `start .. start + count` lies
/// inside the table (indices and count are i32s).
fn table_range(
    module: &Module,
    context: &[u64],
    table: u16,
    start: u64,
    count: u64,
) -> Result<usize, Trap> {
    let base = module.tables()[table as usize].context_offset;
    let (start, count) = (start as u32 as u64, count as u32 as u64);
    if start + count > context[base] {
        return Err(Trap::TableOutOfBounds);
    }
    Ok(base + 1 + start as usize)
}

/// `table.init`: `[dst, src, count, descriptor]`.
#[cold]
fn table_init(module: &Module, context: &mut [u64], table: u16, r: [u64; 4]) -> Result<(), Trap> {
    let (src, count) = (r[1] as u32 as u64, r[2] as u32 as u64);
    let constants = module.constants();
    let first = segment::range(constants, r[3], Payload::Elements, src, count)?;
    let at = table_range(module, context, table, r[0], count)?;
    let from = first + src as usize;
    context[at..at + count as usize].copy_from_slice(&constants[from..from + count as usize]);
    Ok(())
}

/// `table.copy`: `[dst, src, count]`, from table `src_table` to `dst_table`.
#[cold]
fn table_copy(
    module: &Module,
    context: &mut [u64],
    dst_table: u16,
    src_table: u16,
    r: [u64; 3],
) -> Result<(), Trap> {
    let count = r[2] as u32 as usize;
    let from = table_range(module, context, src_table, r[1], r[2])?;
    let to = table_range(module, context, dst_table, r[0], r[2])?;
    context.copy_within(from..from + count, to);
    Ok(())
}

/// `table.fill`: `[start, value, count]`.
#[cold]
fn table_fill(module: &Module, context: &mut [u64], table: u16, r: [u64; 3]) -> Result<(), Trap> {
    let at = table_range(module, context, table, r[0], r[2])?;
    context[at..at + r[2] as u32 as usize].fill(r[1]);
    Ok(())
}

/// The slot of element `index` of `table`, if inside the table.
#[inline]
fn table_slot(module: &Module, context: &[u64], table: u16, index: u64) -> Result<usize, Trap> {
    let base = module.tables()[table as usize].context_offset;
    if index as u32 as u64 >= context[base] {
        return Err(Trap::TableOutOfBounds);
    }
    Ok(base + 1 + index as u32 as usize)
}

impl Thread {
    /// Runs the thread for at most `budget` instructions, or until it stops for
    /// another reason, with the [`Dispatch::DEFAULT`] technique. Running a finished
    /// thread returns [`Stop::Returned`] at once.
    pub fn run<M: Memory>(
        &mut self,
        module: &Module,
        stack: &mut [u64],
        memory: &mut M,
        budget: u64,
    ) -> Exit {
        self.run_with(Dispatch::DEFAULT, module, stack, memory, budget)
    }

    /// [`Thread::run`] with the given dispatch technique.
    pub fn run_with<M: Memory>(
        &mut self,
        dispatch: Dispatch,
        module: &Module,
        stack: &mut [u64],
        memory: &mut M,
        budget: u64,
    ) -> Exit {
        if self.finished {
            return Exit {
                stop: Stop::Returned,
                executed: 0,
            };
        }
        if !self.fits(module, stack) {
            return Exit {
                stop: Stop::Trap(Trap::StackTooSmall),
                executed: 0,
            };
        }
        let (stop, fuel) = match dispatch {
            Dispatch::Loop => looped::run(self, module, stack, memory, budget),
            Dispatch::Threaded => threaded::run(self, module, stack, memory, budget),
            #[cfg(selvm_sibling_calls)]
            Dispatch::Sibling => sibling::run(self, module, stack, memory, budget),
            #[cfg(feature = "tail-calls")]
            Dispatch::TailCall => tailcall::run(self, module, stack, memory, budget),
        };
        self.finished = stop == Stop::Returned;
        Exit {
            stop,
            executed: budget - fuel,
        }
    }
}

impl Thread {
    /// Whether `stack` holds the context area, the call frames and the current
    /// function's register frame (and the pc is inside `module`'s code), so the
    /// dispatchers cannot index outside it. Callers' frames are checked on return
    /// ([`caller_fits`]): a stack may shrink while the thread is deep in calls.
    fn fits(&self, module: &Module, stack: &[u64]) -> bool {
        let Some(f) = module.functions().get(self.func as usize) else {
            return false;
        };
        let base = self.context_words as u64 + 2 * self.max_depth as u64;
        let end = base + self.fp as u64 + f.frame as u64;
        end <= stack.len() as u64 && (self.pc as usize) < module.code().len()
    }
}

/// Whether the frame of the caller that a `return` at call depth `depth` (> 0) goes
/// back to fits in `regs` (else the return traps with [`Trap::StackTooSmall`] before
/// changing anything).
#[inline(always)]
fn caller_fits(functions: &[Function], frames: &[u64], depth: usize, regs: usize) -> bool {
    let (w, fp) = (frames[2 * depth - 2], frames[2 * depth - 1] as usize);
    functions
        .get(w as u32 as usize)
        .is_some_and(|f| fp + f.frame as usize <= regs)
}

/// The f32 in the low 32 bits of a register, widened exactly to f64.
#[inline(always)]
fn f32b(x: u64) -> f64 {
    f32::from_bits(x as u32) as f64
}

/// The register value of an f32.
#[inline(always)]
fn f32bits(x: f32) -> u64 {
    x.to_bits() as u64
}
