//! Straight-line blocks, for fuel charged per block (`interp/sibling.rs`): a block ends
//! at every instruction that may go anywhere but the next one or use fuel of its own
//! (branches, calls, returns, `br_table`, traps, system calls, `memory.grow`, the bulk
//! memory operations). A dispatcher that enters code at pc charges `charge[pc]` units
//! at once — the instructions up to and including the end of pc's block — and runs
//! them without testing the fuel; a stop inside the block gives back the
//! `charge[stop pc] - 1` units it did not use, so `Exit::executed` stays exact.

use alloc::boxed::Box;
use alloc::vec;
use selvm_bytecode::operand::Kind;
use selvm_bytecode::{Instr, Op};

use crate::module::Function;

/// Whether `op` ends a block: it branches (any op with a jump operand), calls,
/// returns, stops the thread, or charges fuel of its own.
pub(crate) const fn ends_block(op: Op) -> bool {
    let operands = op.operands();
    let mut i = 0;
    while i < operands.len() {
        if matches!(operands[i].1, Kind::Jump16 | Kind::Jump32) {
            return true;
        }
        i += 1;
    }
    matches!(
        op,
        Op::Trap
            | Op::Jump
            | Op::BrTable
            | Op::BrTableEntry
            | Op::Call
            | Op::CallIndirect
            | Op::CallRef
            | Op::Return
            | Op::Syscall
            | Op::MemoryGrow
            | Op::MemoryCopy
            | Op::MemoryFill
            | Op::MemoryInit
    )
}

/// For every instruction, the fuel charged when code is entered there: itself and the
/// instructions after it in its block (1 for a block's last instruction, and for each
/// function's last). One word per instruction, like the code, so a dispatcher finds an
/// instruction's charge at a fixed distance from it.
pub(crate) fn block_charges(code: &[Instr], functions: &[Function]) -> Box<[u64]> {
    let mut charge = vec![1u64; code.len()];
    for f in functions {
        let (start, end) = (f.code_start as usize, (f.code_start + f.code_len) as usize);
        for pc in (start..end.saturating_sub(1)).rev() {
            if !ends_block(code[pc].op()) {
                charge[pc] = charge[pc + 1] + 1;
            }
        }
    }
    charge.into_boxed_slice()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_op_that_leaves_the_straight_line_ends_a_block() {
        for &op in Op::ALL {
            if !op.falls_through() {
                assert!(ends_block(op), "{op:?}");
            }
        }
        assert!(ends_block(Op::I64IncBrLtS) && ends_block(Op::I32BrEqImm));
        assert!(!ends_block(Op::I32Add) && !ends_block(Op::Load64));
    }
}
