//! Call-threaded dispatch: one handler function per op (generated from the same
//! semantics as the loop), called through a table indexed by the opcode of the
//! instruction, which was decoded once at load. The hot state (registers, frame
//! pointer, pc) travels in the call's argument and return registers; the rest lives in
//! a [`Machine`] the handlers share. Bulk memory operations, which need the fuel, are
//! handed back to the dispatcher.

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
use selvm_bytecode::isa::OP_COUNT;

/// The state the handlers share beyond registers, frame pointer and pc.
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
    /// Why the thread stopped and where its pc is, when a handler returns [`STOP`].
    stop: Stop,
    pc: usize,
}

/// A handler's view: the hot state, unpacked by the compiler into registers.
struct Hot<'h, 'r, M> {
    cold: &'h mut Machine<'r, M>,
    regs: &'h mut [u64],
    fp: usize,
    pc: usize,
}

/// What a handler returns in place of the next pc when the thread stops.
const STOP: usize = usize::MAX;
/// What a handler returns in place of the next pc for the dispatcher to run the
/// instruction itself (bulk memory operations).
const ESCAPE: usize = usize::MAX - 1;

/// A handler: runs one instruction and returns the next pc and frame pointer.
type Handler<M> = fn(&mut Machine<'_, M>, &mut [u64], usize, usize, I) -> (usize, usize);

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
        return ($m.pc.wrapping_add_signed($off as isize), $m.fp)
    };
}
macro_rules! stop {
    ($m:ident, $stop:expr) => {{
        $m.cold.stop = $stop;
        $m.cold.pc = $m.pc;
        return (STOP, $m.fp);
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
        let I::BrTableEntry { bc: off } = $m.cold.code[entry] else {
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
        let new_fp = $m.fp + $a.index();
        if new_fp + f.frame as usize > $m.regs.len() || c.depth == c.max_depth {
            stop!($m, Stop::Trap(Trap::StackOverflow));
        }
        c.frames[2 * c.depth] = c.func as u64 | (($m.pc as u64 + 1) << 32);
        c.frames[2 * c.depth + 1] = $m.fp as u64;
        c.depth += 1;
        c.func = callee;
        return (f.code_start as usize, new_fp);
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
        return ((w >> 32) as usize, c.frames[2 * c.depth + 1] as usize);
    }};
}
macro_rules! bulk {
    ($m:ident, $op:ident, $a:ident, $b:ident, $c:ident) => {
        return (ESCAPE, $m.fp)
    };
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

/// The handler table for memory type `M`, in opcode order.
struct Handlers<M>(PhantomData<M>);

macro_rules! handlers {
    ($m:ident; $( $name:ident { $($field:tt)* } => $body:block )*) => {
        $(
            #[allow(non_snake_case, unreachable_code, unused_variables, unused_mut)]
            fn $name<M: Memory>(
                cold: &mut Machine<'_, M>,
                regs: &mut [u64],
                fp: usize,
                pc: usize,
                instr: I,
            ) -> (usize, usize) {
                let I::$name { $($field)* } = instr else {
                    unreachable!("the table calls each handler with its own op")
                };
                let mut $m = Hot { cold, regs, fp, pc };
                $body;
                ($m.pc + 1, $m.fp)
            }
        )*
        impl<M: Memory> Handlers<M> {
            const TABLE: [Handler<M>; OP_COUNT] = [$( $name::<M> ),*];
        }
    };
}

op_semantics!(handlers!(m));

/// Runs bulk operation `instr` with the dispatcher's fuel: the fuel left, and `Ok` to
/// go on.
#[cold]
fn bulk_op<M: Memory>(
    memory: &mut M,
    constants: &[u64],
    regs: &mut [u64],
    fp: usize,
    instr: I,
    fuel: u64,
) -> (Result<(), Stop>, u64) {
    let (result, left) = match instr {
        I::MemoryCopy { a, b, c } => bulk::copy(
            memory,
            constants,
            regs,
            (fp + a.index(), fp + b.index(), fp + c.index()),
            fuel,
        ),
        I::MemoryFill { a, b, c } => bulk::fill(
            memory,
            constants,
            regs,
            (fp + a.index(), fp + b.index(), fp + c.index()),
            fuel,
        ),
        I::MemoryInit { a } => bulk::init(
            memory,
            constants,
            regs,
            (fp + a.index(), fp + a.index(), fp + a.index()),
            fuel,
        ),
        _ => unreachable!("only bulk handlers escape"),
    };
    let result = match result {
        Ok(Bulk::Done) => Ok(()),
        Ok(Bulk::OutOfBudget) => Err(Stop::Budget),
        Ok(Bulk::Trapped(trap)) => Err(Stop::Trap(trap)),
        Err(fault) => Err(Stop::Fault(fault)),
    };
    (result, left)
}

/// Runs `thread` for at most `budget` instructions; returns why it stopped and the
/// fuel left.
pub(super) fn run<M: Memory>(
    thread: &mut Thread,
    module: &Module,
    stack: &mut [u64],
    memory: &mut M,
    budget: u64,
) -> (Stop, u64) {
    let table: &[Handler<M>; OP_COUNT] = const { &Handlers::<M>::TABLE };
    let (context, frames, regs) = thread.split(stack);
    let code = module.code();
    let mut m = Machine {
        frames,
        context,
        memory,
        module,
        code,
        functions: module.functions(),
        constants: module.constants(),
        func: thread.func,
        depth: thread.depth as usize,
        max_depth: thread.max_depth as usize,
        stop: Stop::Budget,
        pc: 0,
    };
    let (mut pc, mut fp) = (thread.pc as usize, thread.fp as usize);
    let mut fuel = budget;
    let stop = loop {
        if fuel == 0 {
            break Stop::Budget;
        }
        fuel -= 1;
        let instr = code[pc];
        let (next, next_fp) = table[instr.op() as usize](&mut m, regs, fp, pc, instr);
        if next < ESCAPE {
            (pc, fp) = (next, next_fp);
        } else if next == STOP {
            pc = m.pc;
            break m.stop;
        } else {
            let (result, left) = bulk_op(m.memory, m.constants, regs, fp, instr, fuel);
            fuel = left;
            match result {
                Ok(()) => pc += 1,
                Err(stop) => break stop,
            }
        }
    };
    (thread.pc, thread.fp, thread.func) = (pc as u32, fp as u32, m.func);
    thread.depth = m.depth as u32;
    (stop, fuel)
}
