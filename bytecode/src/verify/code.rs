//! Verification of one function's code: a single pass over its words with a constant
//! amount of state (the number of jump table entries still expected).

use crate::format::Section;
use crate::isa::{DecodeError, Instr, Op};
use crate::module::Module;
use crate::operand::Kind;
use crate::records::FuncRec;
use crate::rule::{Error, Rule};

struct Function<'m, 'a> {
    module: &'m Module<'a>,
    index: u32,
    rec: FuncRec,
    results: u16,
}

impl Function<'_, '_> {
    fn word(&self, offset: u32) -> u64 {
        let at = self.rec.code_start + offset;
        self.module.code_word(at).expect("code range checked")
    }

    fn fail(&self, rule: Rule, offset: u32, value: impl Into<u64>) -> Error {
        Error::code(rule, self.index, offset, value.into())
    }

    /// Checks one operand by its kind.
    fn operand(&self, offset: u32, kind: Kind, raw: u32) -> Result<(), Error> {
        let m = self.module;
        let (limit, rule) = match kind {
            Kind::Reg => (self.rec.frame as u32, Rule::Register),
            Kind::Func => (m.count(Section::Funcs), Rule::FuncIndex),
            Kind::Const => (m.count(Section::Consts), Rule::ConstIndex),
            Kind::Global => (m.count(Section::Globals), Rule::GlobalIndex),
            Kind::Table => (m.count(Section::Tables), Rule::TableIndex),
            Kind::Type => (m.count(Section::Types), Rule::TypeIndex),
            Kind::Jump16 => return self.jump(offset, raw as u16 as i16 as i64),
            Kind::Jump32 => return self.jump(offset, raw as i32 as i64),
            Kind::U16 | Kind::I16 | Kind::I32 | Kind::F32 | Kind::Count => return Ok(()),
        };
        if raw >= limit {
            return Err(self.fail(rule, offset, raw));
        }
        Ok(())
    }

    fn jump(&self, offset: u32, delta: i64) -> Result<(), Error> {
        let target = offset as i64 + delta;
        if target < 0 || target >= self.rec.code_len as i64 {
            return Err(self.fail(Rule::JumpTarget, offset, delta as u64));
        }
        if self.word(target as u32) as u16 == Op::BrTableEntry as u16 {
            return Err(self.fail(Rule::JumpIntoTable, offset, target as u64));
        }
        Ok(())
    }

    /// Checks that registers `first .. first + len` are in the frame.
    fn range(&self, offset: u32, first: u16, len: u16) -> Result<(), Error> {
        if first as u32 + len as u32 > self.rec.frame as u32 {
            return Err(self.fail(Rule::RegisterRange, offset, first));
        }
        Ok(())
    }

    /// The call window a callee of signature `ty` needs: max(params, results).
    fn window(&self, ty: u32) -> u16 {
        let t = self.module.ty(ty).expect("signature index checked");
        t.params.max(t.results)
    }

    /// The checks beyond the operand kinds.
    fn special(&self, offset: u32, instr: Instr) -> Result<(), Error> {
        match instr {
            Instr::Call { a, bc } => {
                let callee = self.module.func(bc.0).expect("function index checked");
                self.range(offset, a.0, self.window(callee.ty))
            }
            Instr::CallIndirect { a, c, .. } => {
                if self.module.count(Section::Tables) == 0 {
                    return Err(self.fail(Rule::TableIndex, offset, 0u64));
                }
                self.range(offset, a.0, self.window(c.0 as u32))
            }
            Instr::CallRef { a, c, .. } => self.range(offset, a.0, self.window(c.0 as u32)),
            // Operands in consecutive registers: destination, source, count (and the
            // segment descriptor).
            Instr::MemoryInit { a } | Instr::TableInit { a, .. } => self.range(offset, a.0, 4),
            Instr::TableCopy { a, .. } | Instr::TableFill { a, .. } => self.range(offset, a.0, 3),
            Instr::Return { a, b } => {
                if b.0 != self.results {
                    return Err(self.fail(Rule::ReturnCount, offset, b.0));
                }
                self.range(offset, a.0, b.0)
            }
            Instr::Syscall { a, b, .. } => self.range(offset, a.0, b.0),
            Instr::MemoryCopy { a, b, c } | Instr::MemoryFill { a, b, c } => {
                if a == b || b == c || a == c {
                    return Err(self.fail(Rule::BulkOperands, offset, a.0));
                }
                Ok(())
            }
            Instr::GlobalSet { bc, .. } => {
                let g = self.module.global(bc.0).expect("global index checked");
                if g.mutable == 0 {
                    return Err(self.fail(Rule::GlobalImmutable, offset, bc.0));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// Verifies the code of function `index` (whose record the module stage has checked).
pub(super) fn verify_function(module: &Module<'_>, index: u32) -> Result<(), Error> {
    let rec = module.func(index).expect("function index below count");
    let ty = module.ty(rec.ty).expect("signature checked");
    let f = Function {
        module,
        index,
        rec,
        results: ty.results,
    };
    let mut entries_left: u64 = 0;
    let mut last = Op::Nop;
    for offset in 0..rec.code_len {
        let word = f.word(offset);
        let instr = Instr::decode(word).map_err(|e| match e {
            DecodeError::Opcode(code) => f.fail(Rule::Opcode, offset, code),
            DecodeError::UnusedBits(_) => f.fail(Rule::UnusedBits, offset, word),
        })?;
        let op = instr.op();
        if entries_left > 0 {
            if op != Op::BrTableEntry {
                return Err(f.fail(Rule::TableTruncated, offset, entries_left));
            }
            entries_left -= 1;
        } else if op == Op::BrTableEntry {
            return Err(f.fail(Rule::StrayEntry, offset, word));
        }
        for (kind, raw) in op.operand_values(word) {
            f.operand(offset, kind, raw)?;
        }
        f.special(offset, instr)?;
        if let Instr::BrTable { bc, .. } = instr {
            entries_left = bc.0 as u64 + 1;
        }
        last = op;
    }
    if entries_left > 0 {
        return Err(f.fail(Rule::TableTruncated, rec.code_len, entries_left));
    }
    if last.falls_through() {
        return Err(f.fail(Rule::FallsOffEnd, rec.code_len - 1, last as u16));
    }
    Ok(())
}
