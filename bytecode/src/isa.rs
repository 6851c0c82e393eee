//! The instruction set, defined once: every op with its mnemonic, operands and semantics.
//!
//! Notation in the semantics lines: `a`, `b`, `c` name the registers (64-bit slots of the
//! current frame) or immediates in those fields, `bc` the 32-bit field. `i32(x)` is the
//! low 32 bits of `x`; an op producing an i32 or f32 writes it zero-extended to 64 bits,
//! so `i64.extend_i32_u` and the reinterpret casts are `mov`s. `sext` sign-extends an
//! immediate to the operation's width. `mem[x]` is the memory at effective address `x`
//! (computed modulo 2^64). Jumps are relative, in words, to the word holding the offset.

use crate::operand::{Field, Kind};

include!("isa_table.rs");

/// Why an instruction word does not decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The low 16 bits name no op.
    Opcode(u16),
    /// A field the op does not use is not zero.
    UnusedBits(Op),
}

impl Op {
    /// The bits of an instruction word this op uses (opcode and operand fields).
    pub fn used_mask(self) -> u64 {
        self.operands()
            .iter()
            .fold(0xffff, |m, (f, _)| m | f.mask())
    }

    /// Whether execution can continue with the next word (false for jumps, `br_table`
    /// and its entries, `return` and `trap`).
    pub const fn falls_through(self) -> bool {
        !matches!(
            self,
            Op::Jump | Op::BrTable | Op::BrTableEntry | Op::Return | Op::Trap
        )
    }

    /// The raw value of each operand of `word` (which must hold this op).
    pub fn operand_values(self, word: u64) -> impl Iterator<Item = (Kind, u32)> {
        self.operands().iter().map(move |&(f, k)| (k, f.get(word)))
    }

    /// The instruction word for this op with the given raw operand values (in
    /// assembly order); missing values are zero.
    pub fn encode_raw(self, values: &[u32]) -> u64 {
        let fields = self.operands().iter().map(|&(f, _): &(Field, Kind)| f);
        fields
            .zip(values)
            .fold(self as u64, |w, (f, &v)| w | f.put(v))
    }
}

/// Number of ops in the instruction set.
pub const OP_COUNT: usize = Op::ALL.len();

const _: () = assert!(OP_COUNT <= 1 << 16);
const _: () = assert!(core::mem::size_of::<Instr>() == 8);
