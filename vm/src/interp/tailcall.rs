//! Tail-call threading (nightly only, feature `tail-calls`): one handler function per op,
//! generated from the same semantics as the loop, and each handler ends by dispatching
//! the next instruction itself with a guaranteed tail call (`become`) through the handler
//! table. There is no central dispatch site: every handler has its own indirect jump,
//! which the branch predictor learns per op, and nothing returns until the thread stops.
//!
//! The hot state (registers, pc, frame pointer, fuel) travels in the argument registers
//! of every tail call; the rest lives in a [`Machine`] behind one pointer. A handler that
//! stops writes pc, frame pointer, fuel and the reason into the machine and returns, and
//! the whole chain of tail calls returns with it.

use super::{
    caller_fits, f32b, f32bits, resolve, resolve_ref, table_copy, table_fill, table_grow,
    table_init, table_slot,
};
use crate::arith::*;
use crate::bulk::{self, Bulk};
use crate::float;
use crate::memory::Memory;
use crate::module::{Function, Module, NULL_REF};
use crate::thread::{Stop, Thread, Trap};
use core::marker::PhantomData;
use selvm_bytecode::Instr as I;
use selvm_bytecode::format::PAGE_SIZE;

/// The state the handlers share beyond registers, pc, frame pointer and fuel, and what
/// the last handler leaves behind when the thread stops.
pub(super) struct Machine<'r, M> {
    frames: &'r mut [u64],
    context: &'r mut [u64],
    memory: &'r mut M,
    module: &'r Module,
    code: &'r [I],
    functions: &'r [Function],
    constants: &'r [u64],
    func: u32,
    depth: usize,
    max_depth: usize,
    /// Why the thread stopped, and its pc, frame pointer and fuel then.
    stop: Stop,
    pc: usize,
    fp: usize,
    fuel: u64,
}

/// A handler's view: the hot state, unpacked by the compiler into registers.
struct Hot<'h, 'r, M> {
    cold: &'h mut Machine<'r, M>,
    regs: &'h mut [u64],
    code: &'r [I],
    fp: usize,
    pc: usize,
    fuel: u64,
}

/// A handler: runs `instr`, the instruction at `pc`, and everything after it until the
/// thread stops (machine, registers, code, pc, frame pointer, fuel left, instruction).
/// `rust-preserve-none`: a handler saves no registers for its caller, because it never
/// returns to it except when the thread stops, so the hot state stays in registers.
type Handler<M> = for<'a, 'r> extern "rust-preserve-none" fn(
    &'a mut Machine<'r, M>,
    &'a mut [u64],
    &'r [I],
    usize,
    usize,
    u64,
    I,
);

/// The handler table for memory type `M`, in opcode order.
struct Handlers<M>(PhantomData<M>);

/// Records a stop for the budget at `pc` (out of line: stops are rare).
#[cold]
#[inline(never)]
fn out_of_fuel<M>(m: &mut Machine<'_, M>, pc: usize, fp: usize) {
    (m.stop, m.pc, m.fp, m.fuel) = (Stop::Budget, pc, fp, 0);
}

/// Goes on with the instruction at `pc` (frame pointer `fp`): charges one unit of fuel
/// and tail-calls its handler, or stops when the budget is used up.
macro_rules! next {
    ($m:ident, $pc:expr, $fp:expr) => {{
        let (pc, fp): (usize, usize) = ($pc, $fp);
        let Hot {
            cold,
            regs,
            code,
            fuel,
            ..
        } = $m;
        if fuel == 0 {
            return out_of_fuel(cold, pc, fp);
        }
        let instr = code[pc];
        let handler = Handlers::<M>::of(&instr);
        become handler(cold, regs, code, pc, fp, fuel - 1, instr)
    }};
}

macro_rules! get {
    ($m:ident, $r:expr) => {
        $m.regs[$m.fp + $r.index()]
    };
}
macro_rules! set {
    ($m:ident, $r:expr, $v:expr) => {{
        let v = $v;
        $m.regs[$m.fp + $r.index()] = v;
    }};
}
macro_rules! reg_index {
    ($m:ident, $r:expr) => {
        $m.fp + $r.index()
    };
}
macro_rules! jump {
    ($m:ident, $off:expr) => {
        next!($m, $m.pc.wrapping_add_signed($off as isize), $m.fp)
    };
}
macro_rules! stop {
    ($m:ident, $stop:expr) => {{
        let c = &mut *$m.cold;
        (c.stop, c.pc, c.fp, c.fuel) = ($stop, $m.pc, $m.fp, $m.fuel);
        return;
    }};
}
macro_rules! stop_after {
    ($m:ident, $stop:expr) => {{
        $m.pc += 1;
        stop!($m, $stop)
    }};
}
macro_rules! br_table {
    ($m:ident, $i:expr) => {{
        let entry = $m.pc + 1 + $i as usize;
        let I::BrTableEntry { bc: off } = $m.code[entry] else {
            unreachable!("verified: br_table is followed by its entries")
        };
        $m.pc = entry;
        jump!($m, off.0)
    }};
}
macro_rules! call {
    ($m:ident, $a:ident, $callee:expr) => {{
        let callee = $callee;
        let c = &mut *$m.cold;
        let f = &c.functions[callee as usize];
        let (new_fp, start) = ($m.fp + $a.index(), f.code_start as usize);
        if new_fp + f.frame as usize > $m.regs.len() || c.depth == c.max_depth {
            stop!($m, Stop::Trap(Trap::StackOverflow));
        }
        c.frames[2 * c.depth] = c.func as u64 | (($m.pc as u64 + 1) << 32);
        c.frames[2 * c.depth + 1] = $m.fp as u64;
        c.depth += 1;
        c.func = callee;
        next!($m, start, new_fp)
    }};
}
macro_rules! ret {
    ($m:ident, $a:ident, $n:expr) => {{
        let (first, n) = ($m.fp + $a.index(), $n);
        let c = &*$m.cold;
        if c.depth > 0 && !caller_fits(c.functions, c.frames, c.depth, $m.regs.len()) {
            stop!($m, Stop::Trap(Trap::StackTooSmall));
        }
        if first != $m.fp {
            $m.regs.copy_within(first..first + n, $m.fp);
        }
        if $m.cold.depth == 0 {
            stop!($m, Stop::Returned);
        }
        let c = &mut *$m.cold;
        c.depth -= 1;
        let w = c.frames[2 * c.depth];
        c.func = w as u32;
        let fp = c.frames[2 * c.depth + 1] as usize;
        next!($m, (w >> 32) as usize, fp)
    }};
}
macro_rules! bulk {
    ($m:ident, $op:ident, $a:ident, $b:ident, $c:ident) => {{
        let operands = ($m.fp + $a.index(), $m.fp + $b.index(), $m.fp + $c.index());
        let constants = module!($m).constants();
        let (result, left) = bulk::$op(
            &mut *$m.cold.memory,
            constants,
            &mut *$m.regs,
            operands,
            $m.fuel,
        );
        $m.fuel = left;
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
        $m.cold.memory
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
            #[allow(non_snake_case, unreachable_code, unused_variables, unused_mut)]
            extern "rust-preserve-none" fn $name<'a, 'r, M: Memory>(
                cold: &'a mut Machine<'r, M>,
                regs: &'a mut [u64],
                code: &'r [I],
                pc: usize,
                fp: usize,
                fuel: u64,
                instr: I,
            ) {
                let I::$name { $($field)* } = instr else {
                    unreachable!("the table calls each handler with its own op")
                };
                let mut $m = Hot { cold, regs, code, fp, pc, fuel };
                $body;
                next!($m, $m.pc + 1, $m.fp)
            }
        )*
        impl<M: Memory> Handlers<M> {
            /// The handler of `instr`'s op (a `match`, which the compiler turns into one
            /// table load indexed by the discriminant).
            #[inline(always)]
            fn of(instr: &I) -> Handler<M> {
                match instr { $( I::$name { .. } => $name::<M>, )* }
            }
        }
    };
}

op_semantics!(handlers!(m));

/// Runs `thread` for at most `budget` instructions; returns why it stopped and the
/// fuel left.
pub(super) fn run<M: Memory>(
    thread: &mut Thread,
    module: &Module,
    stack: &mut [u64],
    memory: &mut M,
    budget: u64,
) -> (Stop, u64) {
    let (context, frames, regs) = thread.split(stack);
    let (pc, fp) = (thread.pc as usize, thread.fp as usize);
    let mut m = Machine {
        frames,
        context,
        memory,
        module,
        code: module.code(),
        functions: module.functions(),
        constants: module.constants(),
        func: thread.func,
        depth: thread.depth as usize,
        max_depth: thread.max_depth as usize,
        stop: Stop::Budget,
        pc,
        fp,
        fuel: 0,
    };
    if budget > 0 {
        let (code, instr) = (m.code, m.code[pc]);
        Handlers::<M>::of(&instr)(&mut m, regs, code, pc, fp, budget - 1, instr);
    }
    (thread.pc, thread.fp, thread.func) = (m.pc as u32, m.fp as u32, m.func);
    thread.depth = m.depth as u32;
    (m.stop, m.fuel)
}
