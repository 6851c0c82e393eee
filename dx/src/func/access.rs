//! Lowering of the operators that reach outside the frame: loads and stores (offsets
//! above 65535 become an explicit add), memory size, grow, copy and fill, globals,
//! tables and references, direct and indirect calls (arguments and results in the
//! registers of consecutive stack slots, where the callee's frame starts).

use super::Translator;
use super::stack::Val;
use crate::segments::Segment;
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
            O::MemoryInit { data_index, .. } => {
                let segment = self.segment(&self.m.data_segments, data_index)?;
                self.consecutive(Op::MemoryInit, 0, 0, Some(segment))
            }
            O::TableInit { elem_index, table } => {
                let segment = self.segment(&self.m.elem_segments, elem_index)?;
                self.consecutive(Op::TableInit, table, 0, Some(segment))
            }
            O::DataDrop { data_index } => {
                let segment = self.segment(&self.m.data_segments, data_index)?;
                self.drop_segment(segment);
            }
            O::ElemDrop { elem_index } => {
                let segment = self.segment(&self.m.elem_segments, elem_index)?;
                self.drop_segment(segment);
            }
            O::TableCopy {
                dst_table,
                src_table,
            } => self.consecutive(Op::TableCopy, dst_table, src_table, None),
            O::TableFill { table } => self.consecutive(Op::TableFill, table, 0, None),

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
                let index = self.pop();
                let d = self.stack.len();
                let r = self.reg_of(index, d);
                if table_index == 0 {
                    self.call(type_index, Some((Op::CallIndirect, r)), 0);
                } else {
                    // Any other table: read the element, then call through the reference.
                    let element = self.home(d);
                    self.code
                        .emit(Op::TableGet, &[element as u32, r as u32, table_index]);
                    self.call(type_index, Some((Op::CallRef, element)), 0);
                }
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
        let k = self.const_reg(offset, s);
        self.code.emit(Op::I64Add, &[s as u32, r as u32, k as u32]);
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

    /// How code reaches data or element segment `index`.
    fn segment(&self, segments: &[Segment], index: u32) -> Result<Segment, &'static str> {
        match segments.get(index as usize) {
            Some(Segment::Unsupported) => {
                Err("table.init of a passive element segment whose items read globals")
            }
            Some(&s) => Ok(s),
            None => Err("segment index"),
        }
    }

    /// `data.drop`/`elem.drop`: the segment's descriptor gets length 0 (active and
    /// declarative segments are dropped already).
    fn drop_segment(&mut self, segment: Segment) {
        if let Segment::Global(global, dropped) = segment {
            let s = self.scratch(0);
            self.load_const(s, dropped);
            self.code.emit(Op::GlobalSet, &[s as u32, global]);
        }
    }

    /// An op whose three operands (destination, source or value, count) go in
    /// consecutive registers, followed by a segment's descriptor if it reads one; the
    /// registers are the operands' homes. `b` and `c` are the op's table operands.
    fn consecutive(&mut self, op: Op, b: u32, c: u32, segment: Option<Segment>) {
        let d = self.stack.len().saturating_sub(3);
        let a = self.place_home(d);
        self.place_home(d + 1);
        self.place_home(d + 2);
        self.stack.truncate(d);
        if let Some(segment) = segment {
            let r = self.home(d + 3);
            match segment {
                Segment::Global(global, _) => {
                    self.code.emit(Op::GlobalGet, &[r as u32, global]);
                }
                Segment::Dropped(descriptor) => self.load_const(r, descriptor),
                Segment::Unsupported => {}
            }
        }
        let operands: &[u32] = match op {
            Op::MemoryInit => &[a as u32],
            Op::TableInit | Op::TableFill => &[a as u32, b],
            _ => &[a as u32, b, c],
        };
        self.code.emit(op, operands);
    }

    /// A call of function `func`, or through the table (element index in register
    /// `indirect`) with signature `ty`: arguments are put in their homes, which are
    /// where the callee's frame starts.
    fn call(&mut self, ty: u32, indirect: Option<(Op, u16)>, func: u32) {
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
            Some((op, r)) => {
                let sig = self.m.sigs.get(ty as usize).copied().unwrap_or(0);
                self.code.emit(op, &[window as u32, r as u32, sig])
            }
        };
        self.stack.truncate(d);
        for _ in 0..results {
            self.push_reg();
        }
    }
}
