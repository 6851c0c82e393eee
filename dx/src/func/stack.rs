//! The operand stack as registers. Stack slot `d` has a fixed home register
//! (`locals + d`), so values meet in the same registers where control flow merges.
//! Entries stay lazy where that saves a move: a `local.get` is the local's register, a
//! constant is materialized only where a register is needed (or becomes an immediate),
//! and a comparison waits for a following `br_if`/`if`/`eqz` to fuse with. The classic
//! hazard is handled here: before a local is written, pending entries that read it are
//! copied to their homes.

use super::Translator;
use selvm_bytecode::Op;

/// A comparison of two integers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CmpOp {
    Eq,
    Ne,
    LtS,
    LtU,
    GtS,
    GtU,
    LeS,
    LeU,
    GeS,
    GeU,
}

impl CmpOp {
    /// The comparison that is true exactly when this one is false.
    pub fn invert(self) -> CmpOp {
        use CmpOp::*;
        match self {
            Eq => Ne,
            Ne => Eq,
            LtS => GeS,
            LtU => GeU,
            GtS => LeS,
            GtU => LeU,
            LeS => GtS,
            LeU => GtU,
            GeS => LtS,
            GeU => LtU,
        }
    }

    /// The same comparison with its operands swapped.
    pub fn mirror(self) -> CmpOp {
        use CmpOp::*;
        match self {
            Eq => Eq,
            Ne => Ne,
            LtS => GtS,
            LtU => GtU,
            GtS => LtS,
            GtU => LtU,
            LeS => GeS,
            LeU => GeU,
            GeS => LeS,
            GeU => LeU,
        }
    }

    /// Evaluates the comparison on two constants.
    pub fn eval(self, a: u64, b: u64, wide: bool) -> bool {
        let (sa, sb) = if wide {
            (a as i64, b as i64)
        } else {
            (a as i32 as i64, b as i32 as i64)
        };
        let (ua, ub) = if wide {
            (a, b)
        } else {
            (a as u32 as u64, b as u32 as u64)
        };
        use CmpOp::*;
        match self {
            Eq => ua == ub,
            Ne => ua != ub,
            LtS => sa < sb,
            LtU => ua < ub,
            GtS => sa > sb,
            GtU => ua > ub,
            LeS => sa <= sb,
            LeU => ua <= ub,
            GeS => sa >= sb,
            GeU => ua >= ub,
        }
    }

    /// The op computing this comparison into a register.
    pub fn value_op(self, wide: bool) -> Op {
        use CmpOp::*;
        match (self, wide) {
            (Eq, false) => Op::I32Eq,
            (Ne, false) => Op::I32Ne,
            (LtS, false) => Op::I32LtS,
            (LtU, false) => Op::I32LtU,
            (GtS, false) => Op::I32GtS,
            (GtU, false) => Op::I32GtU,
            (LeS, false) => Op::I32LeS,
            (LeU, false) => Op::I32LeU,
            (GeS, false) => Op::I32GeS,
            (GeU, false) => Op::I32GeU,
            (Eq, true) => Op::I64Eq,
            (Ne, true) => Op::I64Ne,
            (LtS, true) => Op::I64LtS,
            (LtU, true) => Op::I64LtU,
            (GtS, true) => Op::I64GtS,
            (GtU, true) => Op::I64GtU,
            (LeS, true) => Op::I64LeS,
            (LeU, true) => Op::I64LeU,
            (GeS, true) => Op::I64GeS,
            (GeU, true) => Op::I64GeU,
        }
    }
}

/// An operand of a pending comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Opnd {
    /// A register.
    R(u16),
    /// A constant (bits; 32-bit values zero-extended).
    K(u64),
}

/// A comparison not yet computed: it is the top of the stack, and is consumed by the
/// very next operator (or computed into its home).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Cmp {
    pub op: CmpOp,
    pub wide: bool,
    pub lhs: Opnd,
    pub rhs: Opnd,
}

/// An operand-stack entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Val {
    /// The value is in this local's register (not copied).
    Local(u16),
    /// A constant not yet in a register (bits; 32-bit values zero-extended).
    Const(u64),
    /// The value is in this register: always the entry's home.
    Reg(u16),
    /// A pending comparison (only ever the top entry).
    Cmp(Cmp),
}

/// Whether `v` is representable as a sign-extended 16-bit immediate of an op of the
/// given width.
pub(super) fn imm16(v: u64, wide: bool) -> Option<i16> {
    let s = if wide { v as i64 } else { v as i32 as i64 };
    i16::try_from(s).ok()
}

impl Translator<'_> {
    /// The home register of stack slot `depth`.
    pub(super) fn home(&mut self, depth: usize) -> u16 {
        let r = self.home_index(depth);
        self.use_reg(r)
    }

    /// The register index of stack slot `depth`'s home (after locals and pins).
    pub(super) fn home_index(&self, depth: usize) -> usize {
        self.locals as usize + self.pins as usize + depth
    }

    /// A register holding constant `bits`, to be read (never written): its pinned
    /// register inside a loop that hoisted it (`hoist.rs`), else `fallback` loaded
    /// with it.
    pub(super) fn const_reg(&mut self, bits: u64, fallback: u16) -> u16 {
        match self.hoist.lookup(bits) {
            Some(pin) => self.locals as u16 + pin,
            None => {
                self.load_const(fallback, bits);
                fallback
            }
        }
    }

    /// Notes that register `r` is used (for the frame size); flags a frame too large.
    pub(super) fn use_reg(&mut self, r: usize) -> u16 {
        if r > u16::MAX as usize - 1 {
            self.too_many_registers = true;
            return 0;
        }
        self.max_reg = self.max_reg.max(r as u32 + 1);
        r as u16
    }

    /// A scratch register above every live stack slot (`n` = 0, 1, ...).
    pub(super) fn scratch(&mut self, n: usize) -> u16 {
        self.home(self.stack.len() + 2 + n)
    }

    /// Pushes a value computed into the home of the new top slot and returns that
    /// register.
    pub(super) fn push_reg(&mut self) -> u16 {
        let r = self.home(self.stack.len());
        self.stack.push(Val::Reg(r));
        r
    }

    /// Pops the top entry.
    pub(super) fn pop(&mut self) -> Val {
        self.stack.pop().unwrap_or(Val::Const(0))
    }

    /// Emits the code that puts constant `bits` into register `dst`.
    pub(super) fn load_const(&mut self, dst: u16, bits: u64) {
        if bits <= u32::MAX as u64 {
            self.code.emit(Op::I32Const, &[dst as u32, bits as u32]);
        } else if i32::try_from(bits as i64).is_ok() {
            self.code.emit(Op::I64Const, &[dst as u32, bits as u32]);
        } else {
            let index = self
                .consts
                .iter()
                .position(|&c| c == bits)
                .unwrap_or_else(|| {
                    self.consts.push(bits);
                    self.consts.len() - 1
                });
            self.code.emit(Op::Ldc, &[dst as u32, index as u32]);
        }
    }

    /// Emits the code that puts `v` into register `dst` (nothing if it is there).
    pub(super) fn copy_to(&mut self, v: Val, dst: u16) {
        match v {
            Val::Local(r) | Val::Reg(r) if r == dst => {}
            Val::Local(r) | Val::Reg(r) => {
                self.code.emit(Op::Mov, &[dst as u32, r as u32]);
            }
            Val::Const(bits) => self.load_const(dst, bits),
            Val::Cmp(c) => self.compute_cmp(c, dst),
        }
    }

    /// The register holding `v`, which is (or was) the entry at `depth`: a local's or
    /// its own register, or, for a constant or comparison, its home after computing it.
    pub(super) fn reg_of(&mut self, v: Val, depth: usize) -> u16 {
        match v {
            Val::Local(r) | Val::Reg(r) => r,
            Val::Const(bits) => {
                let home = self.home(depth);
                self.const_reg(bits, home)
            }
            Val::Cmp(_) => {
                let home = self.home(depth);
                self.copy_to(v, home);
                home
            }
        }
    }

    /// Puts the entry at `depth` into its home register (for ops that need values in
    /// consecutive registers or that overwrite their operands).
    pub(super) fn place_home(&mut self, depth: usize) -> u16 {
        let home = self.home(depth);
        let v = self.stack[depth];
        self.copy_to(v, home);
        self.stack[depth] = Val::Reg(home);
        home
    }

    /// Copies every entry that reads local `local` into its home, before the local is
    /// written.
    pub(super) fn spill_local(&mut self, local: u16) {
        for d in 0..self.stack.len() {
            if self.stack[d] == Val::Local(local) {
                self.place_home(d);
            }
        }
    }

    /// Copies every entry that reads a local into its home (at block entries, so that
    /// all paths into a merge point agree on where values are).
    pub(super) fn spill_locals(&mut self) {
        for d in 0..self.stack.len() {
            if matches!(self.stack[d], Val::Local(_)) {
                self.place_home(d);
            }
        }
    }

    /// Computes a pending comparison on top of the stack into its home.
    pub(super) fn flush_cmp(&mut self) {
        if let Some(&Val::Cmp(c)) = self.stack.last() {
            let d = self.stack.len() - 1;
            let home = self.home(d);
            self.compute_cmp(c, home);
            self.stack[d] = Val::Reg(home);
            self.last_def = Some((self.code.pos() - 1, home));
        }
    }

    /// Emits the code computing comparison `c` (1 or 0) into `dst`.
    fn compute_cmp(&mut self, c: Cmp, dst: u16) {
        if let (CmpOp::Eq, Opnd::R(x), Opnd::K(0)) = (c.op, c.lhs, c.rhs) {
            let op = if c.wide { Op::I64Eqz } else { Op::I32Eqz };
            self.code.emit(op, &[dst as u32, x as u32]);
            return;
        }
        let lhs = match c.lhs {
            Opnd::R(r) => r,
            Opnd::K(k) => {
                let s = self.scratch(0);
                self.const_reg(k, s)
            }
        };
        let rhs = match c.rhs {
            Opnd::R(r) => r,
            Opnd::K(k) => {
                let s = self.scratch(1);
                self.const_reg(k, s)
            }
        };
        self.code
            .emit(c.op.value_op(c.wide), &[dst as u32, lhs as u32, rhs as u32]);
    }

    /// The comparison operand for entry `v`.
    pub(super) fn opnd(v: Val) -> Opnd {
        match v {
            Val::Local(r) | Val::Reg(r) => Opnd::R(r),
            Val::Const(k) => Opnd::K(k),
            Val::Cmp(_) => Opnd::K(0),
        }
    }
}
