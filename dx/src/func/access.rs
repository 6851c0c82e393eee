//! Lowering of the operators that reach outside the frame: loads and stores (offsets
//! above 65535 become an explicit add), memory size, grow, copy and fill, globals,
//! tables and references, direct and indirect calls (arguments and results in the
//! registers of consecutive stack slots, where the callee's frame starts).

use super::Translator;
use super::stack::Val;
use selvm_bytecode::Op;
use wasmparser::{MemArg, Operator as O};

impl Translator<'_> {
    /// Lowers a memory, table, global or call operator.
    pub(super) fn access(&mut self, op: &O<'_>) -> Result<(), &'static str> {
        match *op {
            O::I32Load { memarg } | O::F32Load { memarg } | O::I64Load32U { memarg } => {
                self.load(Op::Load32U, memarg)
            }
            O::I64Load { memarg } | O::F64Load { memarg } => self.load(Op::Load64, memarg),
            O::I32Load8S { memarg } => self.load(Op::I32Load8S, memarg),
            O::I32Load8U { memarg } | O::I64Load8U { memarg } => self.load(Op::Load8U, memarg),
            O::I32Load16S { memarg } => self.load(Op::I32Load16S, memarg),
            O::I32Load16U { memarg } | O::I64Load16U { memarg } => self.load(Op::Load16U, memarg),
            O::I64Load8S { memarg } => self.load(Op::I64Load8S, memarg),
            O::I64Load16S { memarg } => self.load(Op::I64Load16S, memarg),
            O::I64Load32S { memarg } => self.load(Op::I64Load32S, memarg),
            O::I32Store { memarg } | O::F32Store { memarg } | O::I64Store32 { memarg } => {
                self.store(Op::Store32, memarg)
            }
            O::I64Store { memarg } | O::F64Store { memarg } => self.store(Op::Store64, memarg),
            O::I32Store8 { memarg } | O::I64Store8 { memarg } => self.store(Op::Store8, memarg),
            O::I32Store16 { memarg } | O::I64Store16 { memarg } => self.store(Op::Store16, memarg),
            O::MemorySize { .. } => {
                let dst = self.push_reg();
                let pos = self.code.emit(Op::MemorySize, &[dst as u32]);
                self.last_def = Some((pos, dst));
            }
            O::MemoryGrow { .. } => {
                let n = self.pop();
                let d = self.stack.len();
                let r = self.reg_of(n, d);
                let dst = self.push_reg();
                self.code.emit(Op::MemoryGrow, &[dst as u32, r as u32]);
            }
            O::MemoryCopy { .. } => self.bulk(Op::MemoryCopy),
            O::MemoryFill { .. } => self.bulk(Op::MemoryFill),
            // Active segments are dropped at instantiation, and nothing can read a
            // passive one without `memory.init`/`table.init`: dropping is a no-op.
            O::DataDrop { .. } | O::ElemDrop { .. } => {}
            O::MemoryInit { .. } => return Err("memory.init (passive data segments)"),
            O::TableInit { .. } => return Err("table.init (passive element segments)"),
            O::TableCopy { .. } => return Err("table.copy"),
            O::TableFill { .. } => return Err("table.fill"),

            O::GlobalGet { global_index } => {
                let global = global_index + self.m.global_offset;
                let dst = self.push_reg();
                let pos = self.code.emit(Op::GlobalGet, &[dst as u32, global]);
                self.last_def = Some((pos, dst));
            }
            O::GlobalSet { global_index } => {
                let v = self.pop();
                let d = self.stack.len();
                let r = self.reg_of(v, d);
                let global = global_index + self.m.global_offset;
                self.code.emit(Op::GlobalSet, &[r as u32, global]);
            }

            O::TableGet { table } => {
                let i = self.pop();
                let d = self.stack.len();
                let r = self.reg_of(i, d);
                let dst = self.push_reg();
                let pos = self.code.emit(Op::TableGet, &[dst as u32, r as u32, table]);
                self.last_def = Some((pos, dst));
            }
            O::TableSet { table } => {
                let v = self.pop();
                let i = self.pop();
                let d = self.stack.len();
                let ri = self.reg_of(i, d);
                let rv = self.reg_of(v, d + 1);
                self.code.emit(Op::TableSet, &[rv as u32, ri as u32, table]);
            }
            O::TableSize { table } => {
                let dst = self.push_reg();
                let pos = self.code.emit(Op::TableSize, &[dst as u32, table]);
                self.last_def = Some((pos, dst));
            }
            O::TableGrow { table } => {
                let n = self.pop();
                let init = self.pop();
                let d = self.stack.len();
                let rn = self.reg_of(n, d + 1);
                let dst = self.home(d);
                self.copy_to(init, dst);
                self.stack.push(Val::Reg(dst));
                self.code
                    .emit(Op::TableGrow, &[dst as u32, rn as u32, table]);
            }
            O::RefNull { .. } => self.stack.push(Val::Const(u64::MAX)),
            O::RefFunc { function_index } => self.stack.push(Val::Const(function_index as u64)),
            O::RefIsNull => {
                let x = self.pop();
                let d = self.stack.len();
                let r = self.reg_of(x, d);
                let dst = self.push_reg();
                let pos = self.code.emit(Op::RefIsNull, &[dst as u32, r as u32]);
                self.last_def = Some((pos, dst));
            }

            O::Call { function_index } if self.m.getters.contains_key(&function_index) => {
                // seL4_GetIPCBuffer / seL4_GetBootInfo: one read of a reserved global.
                let global = self.m.getters[&function_index];
                let dst = self.push_reg();
                let pos = self.code.emit(Op::GlobalGet, &[dst as u32, global]);
                self.last_def = Some((pos, dst));
            }
            O::Call { function_index } => {
                let ty = self.m.func_types.get(function_index as usize).copied();
                self.call(ty.unwrap_or(0), None, function_index);
            }
            O::CallIndirect {
                type_index,
                table_index,
            } => {
                if table_index != 0 {
                    return Err("call_indirect through a table other than table 0");
                }
                let index = self.pop();
                let d = self.stack.len();
                let r = self.reg_of(index, d);
                self.call(type_index, Some(r), 0);
            }
            _ => return Err("operator"),
        }
        Ok(())
    }

    /// A load into the address's home.
    fn load(&mut self, op: Op, memarg: MemArg) {
        let addr = self.pop();
        let d = self.stack.len();
        let (base, offset) = self.address(addr, d, memarg.offset);
        let dst = self.push_reg();
        let pos = self
            .code
            .emit(op, &[dst as u32, base as u32, offset as u32]);
        self.last_def = Some((pos, dst));
    }

    /// A store of the top entry at the address below it.
    fn store(&mut self, op: Op, memarg: MemArg) {
        let value = self.pop();
        let addr = self.pop();
        let d = self.stack.len();
        let v = self.reg_of(value, d + 1);
        let (base, offset) = self.address(addr, d, memarg.offset);
        self.code.emit(op, &[v as u32, base as u32, offset as u32]);
    }

    /// The base register and 16-bit offset of an access to `addr + offset` (an explicit
    /// 64-bit add, into a scratch register, for larger offsets).
    fn address(&mut self, addr: Val, depth: usize, offset: u64) -> (u16, u16) {
        let r = self.reg_of(addr, depth);
        if let Ok(o) = u16::try_from(offset) {
            return (r, o);
        }
        let s = self.scratch(0);
        self.load_const(s, offset);
        self.code.emit(Op::I64Add, &[s as u32, r as u32, s as u32]);
        (s, 0)
    }

    /// `memory.copy` or `memory.fill`: the three operands in their (distinct) homes,
    /// which the op uses to track its progress.
    fn bulk(&mut self, op: Op) {
        let d = self.stack.len().saturating_sub(3);
        let a = self.place_home(d);
        let b = self.place_home(d + 1);
        let c = self.place_home(d + 2);
        self.stack.truncate(d);
        self.code.emit(op, &[a as u32, b as u32, c as u32]);
    }

    /// A call of function `func`, or through the table (element index in register
    /// `indirect`) with signature `ty`: arguments are put in their homes, which are
    /// where the callee's frame starts.
    fn call(&mut self, ty: u32, indirect: Option<u16>, func: u32) {
        let (params, results) = self
            .m
            .types
            .get(ty as usize)
            .map_or((0, 0), |t| (t.params().len(), t.results().len()));
        let d = self.stack.len().saturating_sub(params);
        for k in d..self.stack.len() {
            self.place_home(k);
        }
        let window = self.home(d);
        self.home(d + params.max(results).max(1) - 1);
        match indirect {
            None => self.code.emit(Op::Call, &[window as u32, func]),
            Some(r) => {
                let sig = self.m.sigs.get(ty as usize).copied().unwrap_or(0);
                self.code
                    .emit(Op::CallIndirect, &[window as u32, r as u32, sig])
            }
        };
        self.stack.truncate(d);
        for _ in 0..results {
            self.push_reg();
        }
    }
}
