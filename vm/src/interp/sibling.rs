//! Sibling-call threading, on stable Rust: one handler function per op, generated from
//! the same semantics as the loop, each ending with a call to the next instruction's
//! handler in tail position. Where `build.rs` enables it (x86_64 and aarch64 at
//! opt-level 2 or 3), LLVM compiles that call as a jump (a sibling call: same
//! signature, every argument in a register, nothing of the caller's frame alive after
//! it), so there is no central dispatch site — every handler has its own indirect
//! jump, which the branch predictor learns per op — and the native stack does not grow
//! per instruction (`vm/tests/native_stack.rs` runs a long program on a small thread
//! stack). This is what wasmi 2.x does on stable; nightly's `become` (`tailcall.rs`)
//! guarantees the same.
//!
//! The hot state travels in five argument registers: the machine, the instruction
//! pointer, the frame's first register, the fuel (charged per block: `blocks.rs`) and a
//! flat memory's first byte (`Memory::FLAT`; accesses are checked against its length).
//! Handlers read instructions and registers through raw pointers, without bounds
//! checks, on what the verifier established and what this module checks whenever a
//! pointer is formed:
//!
//! - **The instruction pointer is on an instruction of the current function.** At entry
//!   [`run`] checks that the pc lies inside the current function (else it hands the run
//!   to the loop); a call enters a function at its first instruction; a return checks
//!   the pc it takes from the frame record against the caller's range (else it hands
//!   over to the loop, which checks every access). Within a function the verifier made
//!   every jump and `br_table` entry land on an instruction of the same function, and
//!   the last instruction never falls through.
//! - **The frame pointer has the current function's frame behind it.** `fp + frame`
//!   is checked against the register area at entry (`Thread::fits`), at every call and
//!   at every return (`caller_fits`); the verifier kept every register operand (and
//!   every operand window: returns, calls, syscalls, bulk and table operations) inside
//!   the frame of the function holding the instruction.
//!
//! A handler that stops writes pc, frame pointer, fuel and the reason into the machine
//! and returns, and the whole chain returns with it.

use super::{
    f32b, f32bits, looped, resolve, resolve_ref, table_copy, table_fill, table_grow, table_init,
    table_slot,
};
use crate::arith::*;
use crate::blocks::ends_block;
use crate::bulk::{self, Bulk};
use crate::float;
use crate::memory::{Access, Fault, Memory};
use crate::module::{Function, Module, NULL_REF};
use crate::thread::{Stop, Thread, Trap};
use core::marker::PhantomData;
use selvm_bytecode::Instr as I;
use selvm_bytecode::Op;
use selvm_bytecode::format::PAGE_SIZE;
use selvm_bytecode::isa::OP_COUNT;

/// The state the handlers share beyond the instruction pointer, frame and fuel, and
/// what the last handler leaves behind when the thread stops.
pub(super) struct Machine<'r, M> {
    frames: &'r mut [u64],
    context: &'r mut [u64],
    memory: &'r mut M,
    module: &'r Module,
    /// `module.code()`, as the base the instruction pointer is an offset from.
    code: *const I,
    /// `module.charges()`: per instruction, the fuel charged on entering code there.
    charges: *const u64,
    /// The distance in bytes from an instruction to its charge (`charges` − `code`; an
    /// instruction and a charge are both 8 bytes), so entering code finds the charge
    /// from the instruction pointer with one load.
    charge_offset: usize,
    functions: &'r [Function],
    constants: &'r [u64],
    /// The register area (`regs_len` words), which frame pointers point into.
    regs: *mut u64,
    regs_len: usize,
    /// The length of the flat memory whose first byte the handlers pass along.
    flat_len: usize,
    func: u32,
    depth: usize,
    max_depth: usize,
    /// Why the thread stopped, and its pc, frame pointer and fuel then.
    stop: Stop,
    pc: usize,
    fp: usize,
    fuel: u64,
    /// The stop is not one: the loop goes on from `pc` with `fuel` (a block longer
    /// than the fuel left, which the loop runs one instruction at a time to stop
    /// exactly where the budget ends; or a return to a pc outside the caller's
    /// function, which only a rewritten frame record can give).
    hand_over: bool,
}

impl<M> Machine<'_, M> {
    /// The index of the register `fp` points to.
    #[inline(always)]
    fn index(&self, fp: *mut u64) -> usize {
        (fp as usize - self.regs as usize) / 8
    }

    /// The pc `ip` points to.
    #[inline(always)]
    fn pc(&self, ip: *const I) -> usize {
        (ip as usize - self.code as usize) / size_of::<I>()
    }

    /// The fuel charged on entering code at `ip`: that instruction and those after it
    /// in its block.
    ///
    /// Safety: `ip` is an instruction of the module (the first invariant).
    #[inline(always)]
    unsafe fn charge(&self, ip: *const I) -> u64 {
        const { assert!(size_of::<I>() == size_of::<u64>()) };
        let at = self
            .charges
            .with_addr(ip.addr().wrapping_add(self.charge_offset));
        // SAFETY: `charges` has one word per instruction, at the same index as the
        // instruction's in `code`, so `at` is `&charges[pc(ip)]`, inside the slice
        // (`ip` is inside `code`), with `charges`' provenance.
        unsafe { *at }
    }
}

/// A handler's view: the hot state, unpacked by the compiler into registers.
struct Hot<'h, 'r, M> {
    cold: &'h mut Machine<'r, M>,
    ip: *const I,
    fp: *mut u64,
    fuel: u64,
    /// A flat memory's bytes (`Memory::FLAT`; else unused).
    mem: Bytes,
}

/// A flat memory's first byte, derived from `Memory::flat` at the start of a run and
/// again after every other use of the memory (the bulk operations), so no other
/// reference to the bytes is used while the handlers access them through it. Its
/// length is `Machine::flat_len`: a sixth argument register would leave the handlers
/// too few scratch registers (every compare handler saved one).
#[derive(Clone, Copy)]
struct Bytes {
    base: *mut u8,
}

impl Bytes {
    /// The bytes of `memory` (if flat) and their length.
    #[inline(always)]
    fn of<M: Memory>(memory: &mut M) -> (Bytes, usize) {
        if M::FLAT {
            let bytes = memory.flat();
            (
                Bytes {
                    base: bytes.as_mut_ptr(),
                },
                bytes.len(),
            )
        } else {
            let base = core::ptr::null_mut();
            (Bytes { base }, 0)
        }
    }
}

/// What `memory!` gives the op semantics: the flat bytes in registers when the memory
/// is flat (then no reference to the memory is made, which would invalidate `bytes`),
/// the memory's own methods otherwise.
struct View<'v, M> {
    bytes: Bytes,
    len: usize,
    memory: Option<&'v mut M>,
}

impl<M: Memory> View<'_, M> {
    /// The first byte of the `N` at `address`, if they lie inside the flat memory.
    #[inline(always)]
    fn inside<const N: usize>(&self, address: u64) -> Option<usize> {
        let len = self.len as u64;
        (address <= len && len - address >= N as u64).then_some(address as usize)
    }

    #[inline(always)]
    fn load<const N: usize>(&mut self, address: u64) -> Result<[u8; N], Fault> {
        if let Some(memory) = self.memory.as_mut() {
            return memory.load(address);
        }
        match self.inside::<N>(address) {
            // SAFETY: `at .. at + N` lies inside the flat memory's bytes, which only
            // `bytes` reaches while the handlers run (see `Bytes`).
            Some(at) => Ok(unsafe { self.bytes.base.add(at).cast::<[u8; N]>().read_unaligned() }),
            None => Err(outside(address, Access::Read)),
        }
    }

    #[inline(always)]
    fn store<const N: usize>(&mut self, address: u64, value: [u8; N]) -> Result<(), Fault> {
        if let Some(memory) = self.memory.as_mut() {
            return memory.store(address, value);
        }
        match self.inside::<N>(address) {
            Some(at) => {
                // SAFETY: as for `load`.
                unsafe {
                    self.bytes
                        .base
                        .add(at)
                        .cast::<[u8; N]>()
                        .write_unaligned(value)
                };
                Ok(())
            }
            None => Err(outside(address, Access::Write)),
        }
    }

    #[inline(always)]
    fn size(&self) -> u64 {
        match &self.memory {
            Some(memory) => memory.size(),
            None => self.len as u64,
        }
    }
}

/// The fault of an access outside a flat memory (what `FlatMemory` reports).
#[cold]
#[inline(always)]
fn outside(address: u64, access: Access) -> Fault {
    Fault { address, access }
}

/// A handler: runs the instruction at `ip` and everything after it until the thread
/// stops (machine, instruction pointer, frame, fuel left, flat memory's first byte):
/// five argument registers.
///
/// Safety: `ip` and `fp` satisfy the module's two invariants.
type Handler<M> = for<'a, 'r> unsafe fn(&'a mut Machine<'r, M>, *const I, *mut u64, u64, Bytes);

/// The handler table for memory type `M`, in opcode order.
struct Handlers<M>(PhantomData<M>);

/// Hands the run to the loop at `ip` with `fuel` (out of line: once per run at most).
#[cold]
#[inline(never)]
fn hand_over<M>(m: &mut Machine<'_, M>, ip: *const I, fp: *mut u64, fuel: u64) {
    (m.stop, m.pc, m.fp, m.fuel) = (Stop::Budget, m.pc(ip), m.index(fp), fuel);
    m.hand_over = true;
}

/// Enters code at `ip` (frame `fp`), which satisfy the invariants: charges the fuel of
/// the rest of `ip`'s block at once and calls the handler in tail position, or hands the
/// run to the loop when the fuel left is less than that.
macro_rules! enter {
    ($m:ident, $ip:expr, $fp:expr) => {{
        let (ip, fp): (*const I, *mut u64) = ($ip, $fp);
        let Hot {
            cold, fuel, mem, ..
        } = $m;
        // SAFETY: `ip` is an instruction of the module (first invariant).
        let need = unsafe { cold.charge(ip) };
        if fuel < need {
            return hand_over(cold, ip, fp, fuel);
        }
        // SAFETY: `ip` is on an instruction (the first invariant).
        let handler = Handlers::<M>::of(unsafe { &*ip });
        // SAFETY: `ip` and `fp` satisfy the invariants, as this macro requires.
        return unsafe { handler(cold, ip, fp, fuel - need, mem) };
    }};
}

/// Goes on with the next instruction of the same block (`ip`, frame `fp`), whose fuel
/// was charged when the block was entered.
macro_rules! next {
    ($m:ident, $ip:expr, $fp:expr) => {{
        let (ip, fp): (*const I, *mut u64) = ($ip, $fp);
        let Hot {
            cold, fuel, mem, ..
        } = $m;
        // SAFETY: `ip` is on an instruction (the first invariant).
        let handler = Handlers::<M>::of(unsafe { &*ip });
        // SAFETY: `ip` and `fp` satisfy the invariants, as this macro requires.
        return unsafe { handler(cold, ip, fp, fuel, mem) };
    }};
}

macro_rules! get {
    ($m:ident, $r:expr) => {
        // SAFETY: the verifier kept the operand inside the frame (second invariant).
        unsafe { *$m.fp.add($r.index()) }
    };
}
macro_rules! set {
    ($m:ident, $r:expr, $v:expr) => {{
        let v = $v;
        // SAFETY: as for `get!`.
        unsafe { *$m.fp.add($r.index()) = v };
    }};
}
macro_rules! reg_index {
    ($m:ident, $r:expr) => {
        $m.cold.index($m.fp) + $r.index()
    };
}
macro_rules! jump {
    ($m:ident, $off:expr) => {
        // The verifier made the target an instruction of the same function.
        enter!($m, $m.ip.wrapping_offset($off as isize), $m.fp)
    };
}
macro_rules! stop {
    ($m:ident, $stop:expr) => {{
        let (pc, fp) = ($m.cold.pc($m.ip), $m.cold.index($m.fp));
        let c = &mut *$m.cold;
        // SAFETY: `pc` is an instruction of the module (first invariant).
        let unused = unsafe { *c.charges.add(pc) } - 1;
        (c.stop, c.pc, c.fp, c.fuel) = ($stop, pc, fp, $m.fuel + unused);
        return;
    }};
}
macro_rules! stop_after {
    // Only ops that end their block stop after themselves: nothing to give back.
    ($m:ident, $stop:expr) => {{
        let (pc, fp) = ($m.cold.pc($m.ip) + 1, $m.cold.index($m.fp));
        let c = &mut *$m.cold;
        (c.stop, c.pc, c.fp, c.fuel) = ($stop, pc, fp, $m.fuel);
        return;
    }};
}
macro_rules! br_table {
    ($m:ident, $i:expr) => {{
        // The verifier placed `bc + 1` entries after the `br_table`, and `$i <= bc`.
        let entry = $m.ip.wrapping_add(1 + $i as usize);
        // SAFETY: `entry` is one of those entries, inside the function.
        let I::BrTableEntry { bc: off } = (unsafe { *entry }) else {
            unreachable!("verified: br_table is followed by its entries")
        };
        $m.ip = entry;
        jump!($m, off.0)
    }};
}
macro_rules! call {
    ($m:ident, $a:ident, $callee:expr) => {{
        let callee = $callee;
        let c = &mut *$m.cold;
        let f = &c.functions[callee as usize];
        let (fp, start) = (c.index($m.fp), f.code_start as usize);
        let new_fp = fp + $a.index();
        if new_fp + f.frame as usize > c.regs_len || c.depth == c.max_depth {
            stop!($m, Stop::Trap(Trap::StackOverflow));
        }
        c.frames[2 * c.depth] = c.func as u64 | ((c.pc($m.ip) as u64 + 1) << 32);
        c.frames[2 * c.depth + 1] = fp as u64;
        c.depth += 1;
        c.func = callee;
        // The callee's first instruction and its frame, checked just above.
        enter!($m, c.code.wrapping_add(start), c.regs.wrapping_add(new_fp))
    }};
}
macro_rules! ret {
    ($m:ident, $a:ident, $n:expr) => {{
        let (first, n) = ($m.fp.wrapping_add($a.index()), $n);
        let c = &mut *$m.cold;
        let caller = if c.depth > 0 {
            let (w, fp) = (
                c.frames[2 * c.depth - 2],
                c.frames[2 * c.depth - 1] as usize,
            );
            let (func, pc) = (w as u32, (w >> 32) as usize);
            let Some(f) = c.functions.get(func as usize) else {
                stop!($m, Stop::Trap(Trap::StackTooSmall));
            };
            if fp + f.frame as usize > c.regs_len {
                stop!($m, Stop::Trap(Trap::StackTooSmall));
            }
            if pc.wrapping_sub(f.code_start as usize) >= f.code_len as usize {
                // The return (which ends its block) was charged: the loop runs it again.
                return hand_over($m.cold, $m.ip, $m.fp, $m.fuel + 1);
            }
            Some((func, pc, fp))
        } else {
            None
        };
        if first != $m.fp {
            // SAFETY: the verifier kept `a .. a + n` inside the frame; `copy` allows the
            // overlap.
            unsafe { core::ptr::copy(first, $m.fp, n) };
        }
        let Some((func, pc, fp)) = caller else {
            stop!($m, Stop::Returned);
        };
        let c = &mut *$m.cold;
        c.depth -= 1;
        c.func = func;
        // The caller's pc, inside its function, and its frame, both checked above.
        enter!($m, c.code.wrapping_add(pc), c.regs.wrapping_add(fp))
    }};
}
macro_rules! bulk {
    ($m:ident, $op:ident, $a:ident, $b:ident, $c:ident) => {{
        let fp = $m.cold.index($m.fp);
        let operands = (fp + $a.index(), fp + $b.index(), fp + $c.index());
        let c = &mut *$m.cold;
        // SAFETY: the register area, which no other reference reaches while the
        // handlers run (`run` holds its only `&mut`).
        let regs = unsafe { core::slice::from_raw_parts_mut(c.regs, c.regs_len) };
        let (result, left) = bulk::$op(&mut *c.memory, c.constants, regs, operands, $m.fuel);
        $m.fuel = left;
        // The bulk operation used the memory itself: take the bytes again.
        ($m.mem, c.flat_len) = Bytes::of(&mut *c.memory);
        match result {
            Ok(Bulk::Done) => {}
            Ok(Bulk::OutOfBudget) => stop!($m, Stop::Budget),
            Ok(Bulk::Trapped(trap)) => stop!($m, Stop::Trap(trap)),
            Err(fault) => stop!($m, Stop::Fault(fault)),
        }
    }};
}
macro_rules! context {
    ($m:ident) => {
        $m.cold.context
    };
}
macro_rules! memory {
    ($m:ident) => {
        View {
            bytes: $m.mem,
            len: $m.cold.flat_len,
            memory: if M::FLAT {
                None
            } else {
                Some(&mut *$m.cold.memory)
            },
        }
    };
}
macro_rules! module {
    ($m:ident) => {
        $m.cold.module
    };
}
macro_rules! constant {
    ($m:ident, $i:expr) => {
        $m.cold.constants[$i]
    };
}

macro_rules! handlers {
    ($m:ident; $( $name:ident { $($field:tt)* } => $body:block )*) => {
        $(
            /// Safety: `ip` and `fp` satisfy the module's invariants.
            #[allow(non_snake_case, unreachable_code, unused_variables, unused_mut)]
            unsafe fn $name<'a, 'r, M: Memory>(
                cold: &'a mut Machine<'r, M>,
                ip: *const I,
                fp: *mut u64,
                fuel: u64,
                mem: Bytes,
            ) {
                // SAFETY: `ip` is on an instruction (the first invariant).
                let I::$name { $($field)* } = (unsafe { *ip }) else {
                    // SAFETY: `Handlers::of` picked this handler by matching the op of
                    // the instruction at `ip` (nothing else calls handlers), so the
                    // pattern always matches: no check of the op on the hot path.
                    unsafe { core::hint::unreachable_unchecked() }
                };
                let mut $m = Hot { cold, ip, fp, fuel, mem };
                $body;
                // The verifier made sure this instruction does not end the function
                // if it falls through. After an op that ends its block (a branch not
                // taken, a bulk operation) the next block is entered and charged.
                if const { ends_block(Op::$name) } {
                    enter!($m, $m.ip.wrapping_add(1), $m.fp)
                } else {
                    next!($m, $m.ip.wrapping_add(1), $m.fp)
                }
            }
        )*
        impl<M: Memory> Handlers<M> {
            /// Every handler, in opcode order (checked at compile time below).
            const TABLE: [Handler<M>; OP_COUNT] = [$( $name::<M> ),*];

            /// The handler of `instr`'s op: one load from the table indexed by the
            /// opcode. (A `match` over the instruction compiled to the same load plus an
            /// `xor` of the index on every dispatch.)
            #[inline(always)]
            fn of(instr: &I) -> Handler<M> {
                let table: &[Handler<M>; OP_COUNT] = const { &Self::TABLE };
                // SAFETY: `Instr` is `repr(u16)`, so its first 16 bits are its
                // discriminant, which is its opcode (`Instr::op`): the tag is read
                // directly because `op()`, a `match`, compiles to a second table load.
                let op = unsafe { *core::ptr::from_ref(instr).cast::<u16>() } as usize;
                // SAFETY: an opcode is the discriminant of an `Op`, below `OP_COUNT`.
                unsafe { *table.get_unchecked(op) }
            }
        }
        // `op_semantics!` lists the ops in opcode order, so `TABLE[op]` is `op`'s
        // handler, which the handlers rely on (they do not check their op).
        const _: () = {
            let mut i = 0;
            $( assert!(Op::$name as usize == i); i += 1; )*
            assert!(i == OP_COUNT);
        };
    };
}

op_semantics!(handlers!(m));

/// Runs `thread` for at most `budget` instructions; returns why it stopped and the
/// fuel left. `Thread::fits` has checked the current frame and pc.
pub(super) fn run<M: Memory>(
    thread: &mut Thread,
    module: &Module,
    stack: &mut [u64],
    memory: &mut M,
    budget: u64,
) -> (Stop, u64) {
    let f = module.functions()[thread.func as usize];
    let inside = (thread.pc.wrapping_sub(f.code_start)) < f.code_len;
    if budget == 0 || !inside {
        return looped::run(thread, module, stack, memory, budget);
    }
    let (context, frames, regs) = thread.split(stack);
    let (pc, fp) = (thread.pc as usize, thread.fp as usize);
    let mut m = Machine {
        frames,
        context,
        memory,
        module,
        code: module.code().as_ptr(),
        charges: module.charges().as_ptr(),
        charge_offset: (module.charges().as_ptr().addr())
            .wrapping_sub(module.code().as_ptr().addr()),
        functions: module.functions(),
        constants: module.constants(),
        regs: regs.as_mut_ptr(),
        regs_len: regs.len(),
        flat_len: 0,
        func: thread.func,
        depth: thread.depth as usize,
        max_depth: thread.max_depth as usize,
        stop: Stop::Budget,
        pc,
        fp,
        fuel: 0,
        hand_over: false,
    };
    let (ip, frame) = (m.code.wrapping_add(pc), m.regs.wrapping_add(fp));
    let need = module.charges()[pc];
    if budget >= need {
        let mem;
        (mem, m.flat_len) = Bytes::of(&mut *m.memory);
        // SAFETY: `pc` is inside the current function (checked above) and `fp + frame`
        // inside the register area (`Thread::fits`): the invariants hold.
        unsafe { Handlers::<M>::of(&*ip)(&mut m, ip, frame, budget - need, mem) };
    } else {
        hand_over(&mut m, ip, frame, budget);
    }
    let (stop, fuel, hand_over) = (m.stop, m.fuel, m.hand_over);
    (thread.pc, thread.fp, thread.func) = (m.pc as u32, m.fp as u32, m.func);
    thread.depth = m.depth as u32;
    if hand_over {
        return looped::run(thread, module, stack, memory, fuel);
    }
    (stop, fuel)
}
