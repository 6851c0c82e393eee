//! Structured control flow: blocks, loops and ifs become labels; branches copy the
//! values they carry into the target's result homes and jump, fusing a pending
//! comparison into a compare-and-branch op where they can; `br_table` becomes a jump
//! table with a small stub for each target whose values must move first.

use super::Translator;
use super::code::Label;
use super::stack::{Cmp, CmpOp, Opnd, Val, imm16};
use selvm_bytecode::Op;

/// What opened a control frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// The function body.
    Function,
    Block,
    Loop,
    If,
    Else,
}

/// A control frame.
pub(super) struct Frame {
    pub kind: Kind,
    /// Operand-stack height below the frame's parameters.
    pub height: usize,
    pub params: usize,
    pub results: usize,
    /// The branch target: the start of a loop, the end of anything else.
    pub label: Label,
    /// Where an `if` goes when its condition is false (until its `else`).
    pub else_label: Option<Label>,
    /// An `if`'s parameters as they were on entry (restored for the `else` branch).
    pub params_at_entry: Vec<Val>,
    /// Opened in unreachable code: nothing in it is translated.
    pub dead: bool,
    /// Some branch goes to the end label.
    pub branched: bool,
}

impl Translator<'_> {
    /// Opens a frame of `kind` with the given parameter and result counts.
    pub(super) fn open(&mut self, kind: Kind, params: usize, results: usize) {
        let dead = !self.reachable;
        let height = self.stack.len().saturating_sub(params);
        let label = self.code.label();
        let frame = Frame {
            kind,
            height,
            params,
            results,
            label,
            else_label: None,
            params_at_entry: Vec::new(),
            dead,
            branched: false,
        };
        self.frames.push(frame);
        if dead {
            return;
        }
        self.spill_locals();
        match kind {
            Kind::Loop => {
                for d in height..self.stack.len() {
                    self.place_home(d);
                }
                if self.loops_open() == 1 {
                    // An outermost loop: its hoisted constants are loaded before it.
                    for (pin, bits) in self.hoist.enter_outer() {
                        self.load_const(self.locals as u16 + pin, bits);
                    }
                }
                self.code.bind(label);
                self.last_def = None;
            }
            Kind::If => {
                let cond = self.pop();
                let height = self.stack.len().saturating_sub(params);
                let else_label = self.code.label();
                self.branch_unless(cond, else_label);
                let frame = self.frames.last_mut().expect("just pushed");
                frame.height = height;
                frame.else_label = Some(else_label);
                frame.params_at_entry = self.stack[height..].to_vec();
            }
            _ => {}
        }
    }

    /// Loops open (translated, not dead) around the current point.
    fn loops_open(&self) -> usize {
        self.frames
            .iter()
            .filter(|f| f.kind == Kind::Loop && !f.dead)
            .count()
    }

    /// `else`.
    pub(super) fn else_(&mut self) {
        let Some(frame) = self.frames.last() else {
            return;
        };
        if frame.dead {
            return;
        }
        let (height, results, label) = (frame.height, frame.results, frame.label);
        if self.reachable {
            self.move_values(height, results);
            self.code.emit_jump32(Op::Jump, &[], label);
            self.frames.last_mut().expect("checked").branched = true;
        }
        let frame = self.frames.last_mut().expect("checked");
        frame.kind = Kind::Else;
        let else_label = frame.else_label.take();
        let params = core::mem::take(&mut frame.params_at_entry);
        if let Some(l) = else_label {
            self.code.bind(l);
        }
        self.stack.truncate(height);
        self.stack.extend(params);
        self.reachable = true;
        self.last_def = None;
    }

    /// `end`: closes the innermost frame (the function's last one returns).
    pub(super) fn end(&mut self) {
        let Some(frame) = self.frames.pop() else {
            return;
        };
        if frame.dead {
            return;
        }
        if frame.kind == Kind::Function {
            if self.reachable {
                self.return_values();
            }
            self.reachable = false;
            return;
        }
        if self.reachable {
            self.move_values(frame.height, frame.results);
        }
        let mut reachable = self.reachable || (frame.branched && frame.kind != Kind::Loop);
        if let Some(else_label) = frame.else_label {
            // An `if` without `else`: the false path passes its parameters on.
            if self.reachable && frame.params > 0 {
                self.code.emit_jump32(Op::Jump, &[], frame.label);
            }
            self.code.bind(else_label);
            self.stack.truncate(frame.height);
            self.stack.extend(frame.params_at_entry.iter().copied());
            self.move_values(frame.height, frame.results);
            reachable = true;
        }
        if frame.kind != Kind::Loop {
            self.code.bind(frame.label);
        } else if self.loops_open() == 0 {
            self.hoist.leave_outer();
        }
        self.stack.truncate(frame.height);
        for _ in 0..frame.results {
            self.push_reg();
        }
        self.reachable = reachable;
        self.last_def = None;
    }

    /// Copies the top `n` entries into the homes of slots `height..height + n`.
    pub(super) fn move_values(&mut self, height: usize, n: usize) {
        let first = self.stack.len().saturating_sub(n);
        for k in 0..n.min(self.stack.len()) {
            let v = self.stack[first + k];
            let dst = self.home(height + k);
            self.copy_to(v, dst);
        }
    }

    /// Whether moving the top `n` entries to slots from `height` needs any code.
    fn needs_moves(&self, height: usize, n: usize) -> bool {
        let first = self.stack.len().saturating_sub(n);
        (0..n).any(|k| {
            let home = self.home_index(height + k) as u16;
            self.stack.get(first + k) != Some(&Val::Reg(home))
        })
    }

    /// The frame `depth` levels out, its branch arity and target.
    fn target(&self, depth: u32) -> Option<(usize, usize, Label, Kind)> {
        let i = self.frames.len().checked_sub(1 + depth as usize)?;
        let f = &self.frames[i];
        let arity = if f.kind == Kind::Loop {
            f.params
        } else {
            f.results
        };
        Some((i, arity, f.label, f.kind))
    }

    /// Emits the moves and the jump of a branch to the frame `depth` levels out (a
    /// return for the function frame). Leaves the stack as it was.
    fn branch_code(&mut self, depth: u32) {
        let Some((i, arity, label, kind)) = self.target(depth) else {
            return;
        };
        if kind == Kind::Function {
            self.return_values();
            return;
        }
        let height = self.frames[i].height;
        self.move_values(height, arity);
        self.code.emit_jump32(Op::Jump, &[], label);
        self.frames[i].branched = true;
    }

    /// `br`.
    pub(super) fn br(&mut self, depth: u32) {
        self.branch_code(depth);
        self.reachable = false;
    }

    /// `br_if`.
    pub(super) fn br_if(&mut self, depth: u32) {
        let cond = self.pop();
        let Some((i, arity, label, kind)) = self.target(depth) else {
            return;
        };
        let height = self.frames[i].height;
        if kind != Kind::Function && !self.needs_moves(height, arity) {
            self.frames[i].branched = true;
            self.branch_if(cond, label);
        } else {
            let skip = self.code.label();
            self.branch_unless(cond, skip);
            self.branch_code(depth);
            self.code.bind(skip);
        }
        self.last_def = None;
    }

    /// `br_table`.
    pub(super) fn br_table(&mut self, targets: &[u32], default: u32) {
        let index = self.pop();
        if let Val::Const(k) = index {
            let i = (k as u32 as usize).min(targets.len());
            self.br(targets.get(i).copied().unwrap_or(default));
            return;
        }
        let d = self.stack.len();
        let r = self.reg_of(index, d);
        let all: Vec<u32> = targets.iter().copied().chain([default]).collect();
        // Each distinct depth gets its label, or a stub label when values must move.
        let mut stubs: Vec<(u32, Label)> = Vec::new();
        let mut entries = Vec::with_capacity(all.len());
        for &depth in &all {
            let Some((i, arity, label, kind)) = self.target(depth) else {
                return;
            };
            let direct = kind != Kind::Function && !self.needs_moves(self.frames[i].height, arity);
            if direct {
                self.frames[i].branched = true;
                entries.push(label);
            } else if let Some(&(_, l)) = stubs.iter().find(|(dp, _)| *dp == depth) {
                entries.push(l);
            } else {
                let l = self.code.label();
                stubs.push((depth, l));
                entries.push(l);
            }
        }
        self.code
            .emit(Op::BrTable, &[r as u32, targets.len() as u32]);
        for l in entries {
            self.code.emit_jump32(Op::BrTableEntry, &[], l);
        }
        for (depth, l) in stubs {
            self.code.bind(l);
            self.branch_code(depth);
        }
        self.reachable = false;
    }

    /// `return`, or falling off the function's end: returns the top results.
    pub(super) fn return_values(&mut self) {
        let n = self.results;
        let len = self.stack.len();
        let first = len.saturating_sub(n);
        if let (1, Some(&(Val::Local(r) | Val::Reg(r)))) = (n, self.stack.last()) {
            self.code.emit(Op::Return, &[r as u32, 1]);
            return;
        }
        let base = self.home(first);
        for k in 0..n.min(len) {
            let v = self.stack[first + k];
            let dst = self.home(first + k);
            self.copy_to(v, dst);
        }
        let base = if n == 0 { 0 } else { base };
        self.code.emit(Op::Return, &[base as u32, n as u32]);
    }

    /// Branches to `label` if `cond` is true (non-zero).
    pub(super) fn branch_if(&mut self, cond: Val, label: Label) {
        match cond {
            Val::Cmp(c) => self.branch_cmp(c, label),
            Val::Const(k) => {
                if k as u32 != 0 {
                    self.code.emit_jump32(Op::Jump, &[], label);
                }
            }
            Val::Local(r) | Val::Reg(r) => self.code.emit_jump32(Op::BrIf, &[r as u32], label),
        }
    }

    /// Branches to `label` if `cond` is false (zero).
    pub(super) fn branch_unless(&mut self, cond: Val, label: Label) {
        match cond {
            Val::Cmp(mut c) => {
                c.op = c.op.invert();
                self.branch_cmp(c, label)
            }
            Val::Const(k) => {
                if k as u32 == 0 {
                    self.code.emit_jump32(Op::Jump, &[], label);
                }
            }
            Val::Local(r) | Val::Reg(r) => self.code.emit_jump32(Op::BrUnless, &[r as u32], label),
        }
    }

    /// Branches to `label` if comparison `c` holds: one fused op when the target is
    /// near, else the inverted fused op over a `jump`.
    fn branch_cmp(&mut self, c: Cmp, label: Label) {
        let near = match self.code.bound(label) {
            Some(_) => self.code.near(label),
            None => !self.long_branches,
        };
        if near {
            self.fused(c, label);
        } else {
            let skip = self.code.label();
            let mut inverse = c;
            inverse.op = c.op.invert();
            self.fused(inverse, skip);
            self.code.emit_jump32(Op::Jump, &[], label);
            self.code.bind(skip);
        }
    }

    /// One fused compare-and-branch (or a jump, or nothing, for two constants).
    fn fused(&mut self, c: Cmp, label: Label) {
        let (mut op, mut lhs, mut rhs) = (c.op, c.lhs, c.rhs);
        if let (Opnd::K(_), Opnd::R(_)) = (lhs, rhs) {
            (lhs, rhs) = (rhs, lhs);
            op = op.mirror();
        }
        let x = match (lhs, rhs) {
            (Opnd::K(a), Opnd::K(b)) => {
                if op.eval(a, b, c.wide) {
                    self.code.emit_jump32(Op::Jump, &[], label);
                }
                return;
            }
            (Opnd::R(x), Opnd::K(k)) => {
                if let Some((iop, imm)) = imm_branch(op, k, c.wide) {
                    self.code
                        .emit_jump16(iop, x as u32, imm as u16 as u32, label);
                    return;
                }
                x
            }
            (Opnd::R(x), _) => x,
            (Opnd::K(_), _) => unreachable!("constants were moved to the right"),
        };
        let y = match rhs {
            Opnd::R(y) => y,
            Opnd::K(k) => {
                let s = self.scratch(0);
                self.const_reg(k, s)
            }
        };
        let (rop, a, b) = reg_branch(op, x, y, c.wide);
        self.code.emit_jump16(rop, a as u32, b as u32, label);
    }
}

/// The fused branch with an immediate testing `x op k`, if `k` fits one.
fn imm_branch(op: CmpOp, k: u64, wide: bool) -> Option<(Op, i16)> {
    let ops = if wide {
        [
            Op::I64BrEqImm,
            Op::I64BrNeImm,
            Op::I64BrLtSImm,
            Op::I64BrLtUImm,
            Op::I64BrGtSImm,
            Op::I64BrGtUImm,
        ]
    } else {
        [
            Op::I32BrEqImm,
            Op::I32BrNeImm,
            Op::I32BrLtSImm,
            Op::I32BrLtUImm,
            Op::I32BrGtSImm,
            Op::I32BrGtUImm,
        ]
    };
    let (mask, smin, smax) = if wide {
        (u64::MAX, i64::MIN as u64, i64::MAX as u64)
    } else {
        (u32::MAX as u64, i32::MIN as u32 as u64, i32::MAX as u64)
    };
    let k = k & mask;
    let plus = |k: u64| (k.wrapping_add(1)) & mask;
    let minus = |k: u64| (k.wrapping_sub(1)) & mask;
    let (i, k) = match op {
        CmpOp::Eq => (0, k),
        CmpOp::Ne => (1, k),
        CmpOp::LtS => (2, k),
        CmpOp::LtU => (3, k),
        CmpOp::GtS => (4, k),
        CmpOp::GtU => (5, k),
        CmpOp::LeS if k != smax => (2, plus(k)),
        CmpOp::LeU if k != mask => (3, plus(k)),
        CmpOp::GeS if k != smin => (4, minus(k)),
        CmpOp::GeU if k != 0 => (5, minus(k)),
        _ => return None,
    };
    Some((ops[i], imm16(k, wide)?))
}

/// The fused register-register branch testing `x op y`, with its operand order.
fn reg_branch(op: CmpOp, x: u16, y: u16, wide: bool) -> (Op, u16, u16) {
    let pick = |a: Op, b: Op| if wide { b } else { a };
    match op {
        CmpOp::Eq => (pick(Op::I32BrEq, Op::I64BrEq), x, y),
        CmpOp::Ne => (pick(Op::I32BrNe, Op::I64BrNe), x, y),
        CmpOp::LtS => (pick(Op::I32BrLtS, Op::I64BrLtS), x, y),
        CmpOp::LtU => (pick(Op::I32BrLtU, Op::I64BrLtU), x, y),
        CmpOp::LeS => (pick(Op::I32BrLeS, Op::I64BrLeS), x, y),
        CmpOp::LeU => (pick(Op::I32BrLeU, Op::I64BrLeU), x, y),
        CmpOp::GtS => (pick(Op::I32BrLtS, Op::I64BrLtS), y, x),
        CmpOp::GtU => (pick(Op::I32BrLtU, Op::I64BrLtU), y, x),
        CmpOp::GeS => (pick(Op::I32BrLeS, Op::I64BrLeS), y, x),
        CmpOp::GeU => (pick(Op::I32BrLeU, Op::I64BrLeU), y, x),
    }
}
