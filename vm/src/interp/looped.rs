//! The portable dispatch loop: one `match` on the decoded instruction, with the thread's
//! state (pc, frame pointer, depth, fuel) in locals. The technique wasm32 uses.

use super::{
    caller_fits, f32b, f32bits, resolve, resolve_ref, table_copy, table_fill, table_grow,
    table_init, table_slot,
};
use crate::arith::*;
use crate::bulk::{self, Bulk};
use crate::float;
use crate::memory::Memory;
use crate::module::{Module, NULL_REF};
use crate::thread::{Stop, Thread, Trap};
use selvm_bytecode::Instr as I;
use selvm_bytecode::format::PAGE_SIZE;

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
    let (code, functions, constants) = (module.code(), module.functions(), module.constants());
    let max_depth = thread.max_depth as usize;
    let (mut pc, mut fp) = (thread.pc as usize, thread.fp as usize);
    let (mut func, mut depth) = (thread.func, thread.depth as usize);
    let mut fuel = budget;

    macro_rules! get {
        ($m:ident, $r:expr) => {
            regs[fp + $r.index()]
        };
    }
    macro_rules! set {
        ($m:ident, $r:expr, $v:expr) => {{
            let v = $v;
            regs[fp + $r.index()] = v;
        }};
    }
    macro_rules! reg_index {
        ($m:ident, $r:expr) => {
            fp + $r.index()
        };
    }
    macro_rules! jump {
        ($m:ident, $off:expr) => {{
            pc = pc.wrapping_add_signed($off as isize);
            continue;
        }};
    }
    macro_rules! stop {
        ($m:ident, $stop:expr) => {
            break $stop
        };
    }
    macro_rules! stop_after {
        ($m:ident, $stop:expr) => {{
            pc += 1;
            break $stop;
        }};
    }
    macro_rules! br_table {
        ($m:ident, $i:expr) => {{
            let entry = pc + 1 + $i as usize;
            let I::BrTableEntry { bc: off } = code[entry] else {
                unreachable!("verified: br_table is followed by its entries")
            };
            pc = entry;
            jump!($m, off.0)
        }};
    }
    macro_rules! call {
        ($m:ident, $a:ident, $callee:expr) => {{
            let callee = $callee;
            let f = &functions[callee as usize];
            let new_fp = fp + $a.index();
            if new_fp + f.frame as usize > regs.len() || depth == max_depth {
                break Stop::Trap(Trap::StackOverflow);
            }
            frames[2 * depth] = func as u64 | ((pc as u64 + 1) << 32);
            frames[2 * depth + 1] = fp as u64;
            depth += 1;
            (fp, func, pc) = (new_fp, callee, f.code_start as usize);
            continue;
        }};
    }
    macro_rules! ret {
        ($m:ident, $a:ident, $n:expr) => {{
            let (first, n) = (fp + $a.index(), $n);
            if depth > 0 && !caller_fits(functions, frames, depth, regs.len()) {
                break Stop::Trap(Trap::StackTooSmall);
            }
            if first != fp {
                regs.copy_within(first..first + n, fp);
            }
            if depth == 0 {
                break Stop::Returned;
            }
            depth -= 1;
            let w = frames[2 * depth];
            (func, pc, fp) = (w as u32, (w >> 32) as usize, frames[2 * depth + 1] as usize);
            continue;
        }};
    }
    macro_rules! bulk {
        ($m:ident, $op:ident, $a:ident, $b:ident, $c:ident) => {{
            let operands = (fp + $a.index(), fp + $b.index(), fp + $c.index());
            let (result, left) = bulk::$op(memory, constants, regs, operands, fuel);
            fuel = left;
            match result {
                Ok(Bulk::Done) => {}
                Ok(Bulk::OutOfBudget) => break Stop::Budget,
                Ok(Bulk::Trapped(trap)) => break Stop::Trap(trap),
                Err(fault) => break Stop::Fault(fault),
            }
        }};
    }
    macro_rules! context {
        ($m:ident) => {
            context
        };
    }
    macro_rules! memory {
        ($m:ident) => {
            memory
        };
    }
    macro_rules! module {
        ($m:ident) => {
            module
        };
    }
    macro_rules! constant {
        ($m:ident, $i:expr) => {
            constants[$i]
        };
    }
    macro_rules! dispatch {
        ($m:ident; $( $name:ident { $($field:tt)* } => $body:block )*) => {
            match code[pc] {
                $( I::$name { $($field)* } => $body )*
            }
        };
    }

    let stop = loop {
        if fuel == 0 {
            break Stop::Budget;
        }
        fuel -= 1;
        op_semantics!(dispatch!(m));
        pc += 1;
    };
    (thread.pc, thread.fp, thread.func) = (pc as u32, fp as u32, func);
    thread.depth = depth as u32;
    (stop, fuel)
}
