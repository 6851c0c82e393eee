//! One function's code: instructions chosen from the whole instruction set with
//! operands that mostly satisfy the verifier (registers in the frame, jumps to
//! instructions of the function, indices in range, call windows that fit), jump tables
//! with their entries, and a `return` at the end.

use super::{Shape, value};
use arbitrary::{Result, Unstructured};
use selvm_bytecode::Op;
use selvm_bytecode::operand::Kind;

/// True about once in `n` times, and never once the input is used up (`ratio` would
/// then say yes every time).
fn rarely(u: &mut Unstructured, n: u32) -> Result<bool> {
    Ok(!u.ratio(n - 1, n)?)
}

/// Everything about the function being generated.
struct Context<'s> {
    shape: &'s Shape,
    frame: u16,
    results: u16,
    /// Number of words the function will have.
    len: u32,
}

impl Context<'_> {
    /// A register in the frame, or now and then any register.
    fn reg(&self, u: &mut Unstructured) -> Result<u32> {
        if self.frame == 0 || rarely(u, 2048)? {
            return Ok(u.arbitrary::<u16>()? as u32);
        }
        Ok(u.int_in_range(0..=self.frame - 1)? as u32)
    }

    /// The first register of a window of `n` registers inside the frame (the first
    /// register itself must be inside it even when `n` is 0).
    fn window(&self, u: &mut Unstructured, n: u16) -> Result<u32> {
        match self.frame.checked_sub(n.max(1)) {
            Some(last) => Ok(u.int_in_range(0..=last)? as u32),
            None => self.reg(u),
        }
    }

    /// A relative jump from word `at` to a word of the function.
    fn jump(&self, u: &mut Unstructured, at: u32) -> Result<u32> {
        let target = u.int_in_range(0..=self.len - 1)?;
        Ok((target as i64 - at as i64) as u32)
    }

    /// An index below `n`, or now and then just past it.
    fn index(&self, u: &mut Unstructured, n: u32) -> Result<u32> {
        if n == 0 || rarely(u, 1024)? {
            return Ok(n);
        }
        u.int_in_range(0..=n - 1)
    }

    /// A plain operand of `kind` for word `at`.
    fn operand(&self, u: &mut Unstructured, kind: Kind, at: u32) -> Result<u32> {
        let s = self.shape;
        Ok(match kind {
            Kind::Reg => self.reg(u)?,
            Kind::U16 | Kind::I16 => value(u)? as u16 as u32,
            Kind::I32 | Kind::F32 => value(u)? as u32,
            Kind::Count => u.int_in_range(0..=3)?,
            Kind::Jump16 | Kind::Jump32 => self.jump(u, at)?,
            Kind::Func => self.index(u, s.funcs.len() as u32)?,
            Kind::Const => self.index(u, s.consts)?,
            Kind::Global => self.index(u, s.globals.len() as u32)?,
            Kind::Table => self.index(u, s.tables)?,
            Kind::Type => self.index(u, s.types.len() as u32)?,
        })
    }

    /// The call window of signature `ty`.
    fn window_of(&self, ty: u32) -> u16 {
        let (p, r) = self.shape.types.get(ty as usize).copied().unwrap_or((0, 0));
        p.max(r)
    }

    /// Operands of `op` at word `at`, fixed up where the verifier demands more than
    /// each operand in range.
    fn operands(&self, u: &mut Unstructured, op: Op, at: u32) -> Result<Vec<u32>> {
        let mut v: Vec<u32> = op
            .operands()
            .iter()
            .map(|&(_, kind)| self.operand(u, kind, at))
            .collect::<Result<_>>()?;
        match op {
            Op::Call => {
                let ty = self.shape.funcs.get(v[1] as usize).map_or(0, |f| f.0);
                v[0] = self.window(u, self.window_of(ty))?;
            }
            Op::CallIndirect | Op::CallRef => v[0] = self.window(u, self.window_of(v[2]))?,
            Op::MemoryInit | Op::TableInit => v[0] = self.window(u, 4)?,
            Op::TableCopy | Op::TableFill => v[0] = self.window(u, 3)?,
            Op::Return => (v[0], v[1]) = (self.window(u, self.results)?, self.results as u32),
            Op::Syscall => {
                v[1] = u.int_in_range(0..=self.frame.min(6))? as u32;
                v[0] = self.window(u, v[1] as u16)?;
            }
            Op::MemoryCopy | Op::MemoryFill if self.frame >= 3 => {
                while v[0] == v[1] || v[1] == v[2] || v[0] == v[2] {
                    v = (0..3).map(|_| self.reg(u)).collect::<Result<_>>()?;
                    if u.is_empty() {
                        break;
                    }
                }
            }
            _ => {}
        }
        Ok(v)
    }
}

/// Whether `op` can be valid in a frame of `frame` registers in `shape`: every index
/// operand has something to name.
fn possible(shape: &Shape, frame: u16, op: Op) -> bool {
    let bulk = matches!(op, Op::MemoryCopy | Op::MemoryFill);
    op != Op::BrTableEntry
        && (op != Op::CallIndirect || shape.tables > 0)
        && (op != Op::GlobalSet || shape.globals.contains(&true))
        && (!bulk || frame >= 3)
        && (!matches!(op, Op::TableCopy | Op::TableFill) || frame >= 3)
        && (!matches!(op, Op::MemoryInit | Op::TableInit) || frame >= 4)
        && op.operands().iter().all(|&(_, kind)| match kind {
            Kind::Const => shape.consts > 0,
            Kind::Global => !shape.globals.is_empty(),
            Kind::Table => shape.tables > 0,
            _ => true,
        })
}

/// Retargets every jump that lands on a jump table entry to its `br_table` (jumping
/// into a table is the one thing the generator cannot know while it writes a jump).
fn fix_jumps(code: &mut [u64]) {
    let entry = |w: u64| w as u16 == Op::BrTableEntry as u16;
    for at in 0..code.len() {
        let Some(op) = Op::from_u16(code[at] as u16) else {
            continue;
        };
        for &(field, kind) in op.operands() {
            let delta = match kind {
                Kind::Jump16 => field.get(code[at]) as u16 as i16 as i64,
                Kind::Jump32 => field.get(code[at]) as i32 as i64,
                _ => continue,
            };
            let Ok(mut target) = usize::try_from(at as i64 + delta) else {
                continue;
            };
            if target >= code.len() || !entry(code[target]) {
                continue;
            }
            while target > 0 && entry(code[target]) {
                target -= 1;
            }
            let delta = (target as i64 - at as i64) as u32;
            code[at] = (code[at] & !field.mask()) | field.put(delta);
        }
    }
}

/// The code of function `index` of `shape`.
pub(crate) fn function(u: &mut Unstructured, shape: &Shape, index: usize) -> Result<Vec<u64>> {
    let (ty, frame) = shape.funcs[index];
    let results = shape.types[ty as usize].1;
    let cx = Context {
        shape,
        frame,
        results,
        len: u.int_in_range(1..=32)?,
    };
    let body = cx.len as usize - 1;
    let ops: Vec<Op> = Op::ALL
        .iter()
        .copied()
        .filter(|&op| possible(shape, frame, op))
        .collect();
    let mut code = Vec::with_capacity(cx.len as usize);
    while code.len() < body {
        let at = code.len() as u32;
        if rarely(u, 1024)? {
            code.push(u.arbitrary()?); // a word the verifier will most likely reject
            continue;
        }
        let op = *u.choose(&ops)?;
        let mut v = cx.operands(u, op, at)?;
        if op == Op::GlobalSet {
            let mutable: Vec<u32> = (0..shape.globals.len() as u32)
                .filter(|&g| shape.globals[g as usize])
                .collect();
            v[1] = u.choose(&mutable).copied().unwrap_or(v[1]);
        }
        if op == Op::BrTable {
            let room = body - code.len() - 1; // words left for entries
            if room == 0 {
                code.push(Op::Nop as u64);
                continue;
            }
            v[1] = v[1].min(room as u32 - 1);
            code.push(op.encode_raw(&v));
            for i in 0..=v[1] {
                code.push(Op::BrTableEntry.encode_raw(&[cx.jump(u, at + 1 + i)?]));
            }
            continue;
        }
        code.push(op.encode_raw(&v));
    }
    let ret = cx.operands(u, Op::Return, body as u32)?;
    code.push(Op::Return.encode_raw(&ret));
    fix_jumps(&mut code);
    Ok(code)
}
