//! Lowering of the operators that are not control flow: constants, locals, numeric
//! operations (with immediate forms where the ISA has them), comparisons (left pending
//! to fuse with a branch), conversions (the free ones emit nothing); memory, table,
//! global and call operators are in `access.rs`.

use super::Translator;
use super::stack::{Cmp, CmpOp, Val, imm16};
use selvm_bytecode::Op;
use wasmparser::Operator as O;

/// How a binary op may take a constant right operand as an immediate.
#[derive(Clone, Copy)]
enum Imm {
    /// No immediate form.
    No,
    /// As `Right`, and the op is commutative (a constant left operand works too).
    Comm(Op),
    /// Subtraction: `add_imm a, b, -k`.
    Sub(Op),
    /// Shift or rotate left by a constant (taken modulo the width).
    Shift(Op),
    /// Rotate right by a constant: rotate left by the width minus it.
    RotR(Op),
}

impl Translator<'_> {
    /// Lowers a non-control operator.
    pub(super) fn lower(&mut self, op: &O<'_>) -> Result<(), &'static str> {
        use CmpOp::*;
        match *op {
            O::Nop => {}
            O::Unreachable => {
                self.code.emit(Op::Trap, &[0]);
                self.reachable = false;
            }
            O::Br { relative_depth } => self.br(relative_depth),
            O::BrIf { relative_depth } => self.br_if(relative_depth),
            O::BrTable { ref targets } => {
                let list: Result<Vec<u32>, _> = targets.targets().collect();
                let list = list.map_err(|_| "malformed br_table")?;
                self.br_table(&list, targets.default());
            }
            O::Return => {
                self.return_values();
                self.reachable = false;
            }
            O::Drop => {
                self.pop();
            }
            O::Select | O::TypedSelect { .. } => self.select(),
            O::LocalGet { local_index } => self.stack.push(Val::Local(local_index as u16)),
            O::I32Const { value } => self.stack.push(Val::Const(value as u32 as u64)),
            O::I64Const { value } => self.stack.push(Val::Const(value as u64)),
            O::F32Const { value } => self.stack.push(Val::Const(value.bits() as u64)),
            O::F64Const { value } => self.stack.push(Val::Const(value.bits())),

            // i32.
            O::I32Eqz => {
                let v = match self.pop() {
                    Val::Cmp(mut c) => {
                        c.op = c.op.invert();
                        Val::Cmp(c)
                    }
                    v => Val::Cmp(Cmp {
                        op: Eq,
                        wide: false,
                        lhs: Self::opnd(v),
                        rhs: super::stack::Opnd::K(0),
                    }),
                };
                self.stack.push(v);
            }
            O::I32Eq => self.cmp(Eq, false),
            O::I32Ne => self.cmp(Ne, false),
            O::I32LtS => self.cmp(LtS, false),
            O::I32LtU => self.cmp(LtU, false),
            O::I32GtS => self.cmp(GtS, false),
            O::I32GtU => self.cmp(GtU, false),
            O::I32LeS => self.cmp(LeS, false),
            O::I32LeU => self.cmp(LeU, false),
            O::I32GeS => self.cmp(GeS, false),
            O::I32GeU => self.cmp(GeU, false),
            O::I32Clz => self.un(Op::I32Clz),
            O::I32Ctz => self.un(Op::I32Ctz),
            O::I32Popcnt => self.un(Op::I32Popcnt),
            O::I32Add => self.bin(Op::I32Add, Imm::Comm(Op::I32AddImm), false),
            O::I32Sub => self.bin(Op::I32Sub, Imm::Sub(Op::I32AddImm), false),
            O::I32Mul => self.bin(Op::I32Mul, Imm::Comm(Op::I32MulImm), false),
            O::I32DivS => self.bin(Op::I32DivS, Imm::No, false),
            O::I32DivU => self.bin(Op::I32DivU, Imm::No, false),
            O::I32RemS => self.bin(Op::I32RemS, Imm::No, false),
            O::I32RemU => self.bin(Op::I32RemU, Imm::No, false),
            O::I32And => self.bin(Op::I32And, Imm::Comm(Op::I32AndImm), false),
            O::I32Or => self.bin(Op::I32Or, Imm::Comm(Op::I32OrImm), false),
            O::I32Xor => self.bin(Op::I32Xor, Imm::Comm(Op::I32XorImm), false),
            O::I32Shl => self.bin(Op::I32Shl, Imm::Shift(Op::I32ShlImm), false),
            O::I32ShrS => self.bin(Op::I32ShrS, Imm::Shift(Op::I32ShrSImm), false),
            O::I32ShrU => self.bin(Op::I32ShrU, Imm::Shift(Op::I32ShrUImm), false),
            O::I32Rotl => self.bin(Op::I32Rotl, Imm::Shift(Op::I32RotlImm), false),
            O::I32Rotr => self.bin(Op::I32Rotr, Imm::RotR(Op::I32RotlImm), false),
            O::I32Extend8S => self.un(Op::I32Extend8S),
            O::I32Extend16S => self.un(Op::I32Extend16S),

            // i64.
            O::I64Eqz => {
                let v = self.pop();
                self.stack.push(Val::Cmp(Cmp {
                    op: Eq,
                    wide: true,
                    lhs: Self::opnd(v),
                    rhs: super::stack::Opnd::K(0),
                }));
            }
            O::I64Eq => self.cmp(Eq, true),
            O::I64Ne => self.cmp(Ne, true),
            O::I64LtS => self.cmp(LtS, true),
            O::I64LtU => self.cmp(LtU, true),
            O::I64GtS => self.cmp(GtS, true),
            O::I64GtU => self.cmp(GtU, true),
            O::I64LeS => self.cmp(LeS, true),
            O::I64LeU => self.cmp(LeU, true),
            O::I64GeS => self.cmp(GeS, true),
            O::I64GeU => self.cmp(GeU, true),
            O::I64Clz => self.un(Op::I64Clz),
            O::I64Ctz => self.un(Op::I64Ctz),
            O::I64Popcnt => self.un(Op::I64Popcnt),
            O::I64Add => self.bin(Op::I64Add, Imm::Comm(Op::I64AddImm), true),
            O::I64Sub => self.bin(Op::I64Sub, Imm::Sub(Op::I64AddImm), true),
            O::I64Mul => self.bin(Op::I64Mul, Imm::Comm(Op::I64MulImm), true),
            O::I64DivS => self.bin(Op::I64DivS, Imm::No, true),
            O::I64DivU => self.bin(Op::I64DivU, Imm::No, true),
            O::I64RemS => self.bin(Op::I64RemS, Imm::No, true),
            O::I64RemU => self.bin(Op::I64RemU, Imm::No, true),
            O::I64And => self.bin(Op::I64And, Imm::Comm(Op::I64AndImm), true),
            O::I64Or => self.bin(Op::I64Or, Imm::Comm(Op::I64OrImm), true),
            O::I64Xor => self.bin(Op::I64Xor, Imm::Comm(Op::I64XorImm), true),
            O::I64Shl => self.bin(Op::I64Shl, Imm::Shift(Op::I64ShlImm), true),
            O::I64ShrS => self.bin(Op::I64ShrS, Imm::Shift(Op::I64ShrSImm), true),
            O::I64ShrU => self.bin(Op::I64ShrU, Imm::Shift(Op::I64ShrUImm), true),
            O::I64Rotl => self.bin(Op::I64Rotl, Imm::Shift(Op::I64RotlImm), true),
            O::I64Rotr => self.bin(Op::I64Rotr, Imm::RotR(Op::I64RotlImm), true),
            O::I64Extend8S => self.un(Op::I64Extend8S),
            O::I64Extend16S => self.un(Op::I64Extend16S),
            O::I64Extend32S | O::I64ExtendI32S => self.un(Op::I64Extend32S),

            // f32.
            O::F32Eq => self.bin(Op::F32Eq, Imm::No, false),
            O::F32Ne => self.bin(Op::F32Ne, Imm::No, false),
            O::F32Lt => self.bin(Op::F32Lt, Imm::No, false),
            O::F32Gt => self.bin(Op::F32Gt, Imm::No, false),
            O::F32Le => self.bin(Op::F32Le, Imm::No, false),
            O::F32Ge => self.bin(Op::F32Ge, Imm::No, false),
            O::F32Abs => self.un(Op::F32Abs),
            O::F32Neg => self.un(Op::F32Neg),
            O::F32Ceil => self.un(Op::F32Ceil),
            O::F32Floor => self.un(Op::F32Floor),
            O::F32Trunc => self.un(Op::F32Trunc),
            O::F32Nearest => self.un(Op::F32Nearest),
            O::F32Sqrt => self.un(Op::F32Sqrt),
            O::F32Add => self.bin(Op::F32Add, Imm::No, false),
            O::F32Sub => self.bin(Op::F32Sub, Imm::No, false),
            O::F32Mul => self.bin(Op::F32Mul, Imm::No, false),
            O::F32Div => self.bin(Op::F32Div, Imm::No, false),
            O::F32Min => self.bin(Op::F32Min, Imm::No, false),
            O::F32Max => self.bin(Op::F32Max, Imm::No, false),
            O::F32Copysign => self.bin(Op::F32Copysign, Imm::No, false),

            // f64.
            O::F64Eq => self.bin(Op::F64Eq, Imm::No, true),
            O::F64Ne => self.bin(Op::F64Ne, Imm::No, true),
            O::F64Lt => self.bin(Op::F64Lt, Imm::No, true),
            O::F64Gt => self.bin(Op::F64Gt, Imm::No, true),
            O::F64Le => self.bin(Op::F64Le, Imm::No, true),
            O::F64Ge => self.bin(Op::F64Ge, Imm::No, true),
            O::F64Abs => self.un(Op::F64Abs),
            O::F64Neg => self.un(Op::F64Neg),
            O::F64Ceil => self.un(Op::F64Ceil),
            O::F64Floor => self.un(Op::F64Floor),
            O::F64Trunc => self.un(Op::F64Trunc),
            O::F64Nearest => self.un(Op::F64Nearest),
            O::F64Sqrt => self.un(Op::F64Sqrt),
            O::F64Add => self.bin(Op::F64Add, Imm::No, true),
            O::F64Sub => self.bin(Op::F64Sub, Imm::No, true),
            O::F64Mul => self.bin(Op::F64Mul, Imm::No, true),
            O::F64Div => self.bin(Op::F64Div, Imm::No, true),
            O::F64Min => self.bin(Op::F64Min, Imm::No, true),
            O::F64Max => self.bin(Op::F64Max, Imm::No, true),
            O::F64Copysign => self.bin(Op::F64Copysign, Imm::No, true),

            // Conversions. Registers hold i32 and f32 values zero-extended, so
            // i64.extend_i32_u and the reinterpretations change nothing.
            O::I64ExtendI32U
            | O::I32ReinterpretF32
            | O::F32ReinterpretI32
            | O::I64ReinterpretF64
            | O::F64ReinterpretI64 => {}
            O::I32WrapI64 => self.un(Op::I32WrapI64),
            O::I32TruncF32S => self.un(Op::I32TruncF32S),
            O::I32TruncF32U => self.un(Op::I32TruncF32U),
            O::I32TruncF64S => self.un(Op::I32TruncF64S),
            O::I32TruncF64U => self.un(Op::I32TruncF64U),
            O::I64TruncF32S => self.un(Op::I64TruncF32S),
            O::I64TruncF32U => self.un(Op::I64TruncF32U),
            O::I64TruncF64S => self.un(Op::I64TruncF64S),
            O::I64TruncF64U => self.un(Op::I64TruncF64U),
            O::I32TruncSatF32S => self.un(Op::I32TruncSatF32S),
            O::I32TruncSatF32U => self.un(Op::I32TruncSatF32U),
            O::I32TruncSatF64S => self.un(Op::I32TruncSatF64S),
            O::I32TruncSatF64U => self.un(Op::I32TruncSatF64U),
            O::I64TruncSatF32S => self.un(Op::I64TruncSatF32S),
            O::I64TruncSatF32U => self.un(Op::I64TruncSatF32U),
            O::I64TruncSatF64S => self.un(Op::I64TruncSatF64S),
            O::I64TruncSatF64U => self.un(Op::I64TruncSatF64U),
            O::F32ConvertI32S => self.un(Op::F32ConvertI32S),
            O::F32ConvertI32U => self.un(Op::F32ConvertI32U),
            O::F32ConvertI64S => self.un(Op::F32ConvertI64S),
            O::F32ConvertI64U => self.un(Op::F32ConvertI64U),
            O::F64ConvertI32S => self.un(Op::F64ConvertI32S),
            O::F64ConvertI32U => self.un(Op::F64ConvertI32U),
            O::F64ConvertI64S => self.un(Op::F64ConvertI64S),
            O::F64ConvertI64U => self.un(Op::F64ConvertI64U),
            O::F32DemoteF64 => self.un(Op::F32DemoteF64),
            O::F64PromoteF32 => self.un(Op::F64PromoteF32),

            _ => self.access(op)?,
        }
        Ok(())
    }

    /// A unary op into the operand's home.
    fn un(&mut self, op: Op) {
        let x = self.pop();
        let d = self.stack.len();
        let src = self.reg_of(x, d);
        let dst = self.home(d);
        let pos = self.code.emit(op, &[dst as u32, src as u32]);
        self.stack.push(Val::Reg(dst));
        self.last_def = Some((pos, dst));
    }

    /// A binary op into the left operand's home, with an immediate where possible.
    fn bin(&mut self, op: Op, imm: Imm, wide: bool) {
        let rhs = self.pop();
        let lhs = self.pop();
        let d = self.stack.len();
        let dst = self.home(d);
        let width_mask = if wide { 63 } else { 31 };
        let immediate = match (imm, lhs, rhs) {
            (Imm::Comm(i), _, Val::Const(k)) => imm16(k, wide).map(|v| (i, lhs, d, v)),
            (Imm::Comm(i), Val::Const(k), _) => imm16(k, wide).map(|v| (i, rhs, d + 1, v)),
            (Imm::Sub(i), _, Val::Const(k)) => {
                imm16(k.wrapping_neg(), wide).map(|v| (i, lhs, d, v))
            }
            (Imm::Shift(i), _, Val::Const(k)) => Some((i, lhs, d, (k & width_mask) as i16)),
            (Imm::RotR(i), _, Val::Const(k)) => {
                Some((i, lhs, d, (k.wrapping_neg() & width_mask) as i16))
            }
            _ => None,
        };
        let pos = match immediate {
            Some((iop, x, depth, v)) => {
                let src = self.reg_of(x, depth);
                self.code
                    .emit(iop, &[dst as u32, src as u32, v as u16 as u32])
            }
            None => {
                let b = self.reg_of(lhs, d);
                let c = self.reg_of(rhs, d + 1);
                self.code.emit(op, &[dst as u32, b as u32, c as u32])
            }
        };
        self.stack.push(Val::Reg(dst));
        self.last_def = Some((pos, dst));
    }

    /// An integer comparison: left pending for a following branch.
    fn cmp(&mut self, op: CmpOp, wide: bool) {
        let rhs = self.pop();
        let lhs = self.pop();
        let (lhs, rhs) = (Self::opnd(lhs), Self::opnd(rhs));
        self.stack.push(Val::Cmp(Cmp { op, wide, lhs, rhs }));
    }

    /// `select`: `cond ? a : b` into the home of `a`.
    fn select(&mut self) {
        let cond = self.pop();
        let b = self.pop();
        let a = self.pop();
        let d = self.stack.len();
        let dst = self.home(d);
        let c = self.reg_of(cond, d + 2);
        match (a, b) {
            (Val::Const(x), Val::Const(y)) if x == y => {
                self.stack.push(Val::Const(x));
                return;
            }
            (_, b) if a == Val::Reg(dst) => {
                // `a` is already in place: keep it unless the condition is zero.
                let zero = self.scratch(1);
                self.code.emit(Op::I32Eqz, &[zero as u32, c as u32]);
                let src = self.reg_of(b, d + 1);
                self.code
                    .emit(Op::Select, &[dst as u32, src as u32, zero as u32]);
            }
            (a, b) => {
                // `a` is a local or a constant (an entry in a register is in `dst`).
                let src = match a {
                    Val::Local(r) | Val::Reg(r) => r,
                    Val::Const(bits) => {
                        let s = self.scratch(1);
                        self.const_reg(bits, s)
                    }
                    a => {
                        let s = self.scratch(1);
                        self.copy_to(a, s);
                        s
                    }
                };
                self.copy_to(b, dst);
                self.code
                    .emit(Op::Select, &[dst as u32, src as u32, c as u32]);
            }
        }
        self.stack.push(Val::Reg(dst));
    }
}
