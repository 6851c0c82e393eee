//! Function body translation: validates the body, then walks its operators once,
//! keeping the operand stack as registers (`stack.rs`), structured control flow as
//! labels and branches (`control.rs`) and each operator's lowering in `ops.rs` (numeric)
//! and `access.rs` (memory, tables, globals, calls), with loop-invariant constants
//! hoisted (`hoist.rs`). Register layout of a frame: parameters, declared locals, the
//! pinned constants, then one home register per operand-stack slot, then a few scratch
//! registers.

mod access;
mod code;
mod control;
mod hoist;
mod ops;
mod stack;

use crate::error::Error;
use crate::module::ModuleState;
use crate::types::zero_bits;
use code::Code;
use control::{Frame, Kind};
use hoist::Hoist;
use selvm_vm::asm::builder::FunctionDef;
use stack::Val;
use wasmparser::{BlockType, FuncValidator, FunctionBody, Operator, ValidatorResources};

/// Allocations reused from one function to the next.
#[derive(Default)]
pub(crate) struct FuncCtx {
    code: Code,
    stack: Vec<Val>,
    frames: Vec<Frame>,
}

/// The state of translating one function body.
pub(super) struct Translator<'m> {
    m: &'m ModuleState,
    code: Code,
    stack: Vec<Val>,
    frames: Vec<Frame>,
    /// Constants for `ldc`, indexed by this function's own numbering.
    consts: Vec<u64>,
    /// Parameters plus declared locals.
    locals: u32,
    /// Registers after the locals holding hoisted constants (`hoist.rs`); the
    /// operand-stack homes follow them.
    pins: u32,
    /// Which constants loops read, and which are pinned.
    hoist: Hoist,
    /// The function's result count.
    results: usize,
    /// One more than the highest register used.
    max_reg: u32,
    /// Whether the current point is reachable (code in unreachable places is skipped).
    reachable: bool,
    /// The last word and its destination, when it computed the top entry (so a
    /// following `local.set` can retarget it).
    last_def: Option<(u32, u16)>,
    /// Use the long form for forward compare-and-branch (second attempt).
    long_branches: bool,
    /// A register index went beyond 65535.
    too_many_registers: bool,
}

/// A translated body: the function and its constants (indices into `consts` in `ldc`).
pub(crate) struct Translated {
    pub def: FunctionDef,
    pub consts: Vec<u64>,
}

/// Translates the body of function `index`.
pub(crate) fn translate(
    m: &ModuleState,
    ctx: &mut FuncCtx,
    index: u32,
    mut validator: FuncValidator<ValidatorResources>,
    body: &FunctionBody<'_>,
) -> Result<Translated, Error> {
    let func = || Some(m.func_id(index));
    validator
        .validate(body)
        .map_err(|e| Error::invalid(e, func()))?;
    let ty_index = m.func_types.get(index as usize).copied().unwrap_or(0);
    let ty = &m.types[ty_index as usize];
    let mut local_types: Vec<wasmparser::ValType> = ty.params().to_vec();
    let reader = body
        .get_locals_reader()
        .map_err(|e| Error::invalid(e, func()))?;
    for local in reader {
        let (count, t) = local.map_err(|e| Error::invalid(e, func()))?;
        if local_types.len() + count as usize > u16::MAX as usize / 2 {
            return Err(Error::limit(func(), 0, "more than 32767 locals"));
        }
        local_types.extend(std::iter::repeat_n(t, count as usize));
    }
    // Attempts: constants noted (then pinned, if loops read any), and short branches
    // (then long ones, if a branch does not reach).
    let mut hoist = Hoist::default();
    let mut long_branches = false;
    loop {
        let pins = hoist.registers();
        let mut t = Translator {
            m,
            code: core::mem::take(&mut ctx.code),
            stack: core::mem::take(&mut ctx.stack),
            frames: core::mem::take(&mut ctx.frames),
            consts: Vec::new(),
            locals: local_types.len() as u32,
            pins,
            hoist,
            results: ty.results().len(),
            max_reg: local_types.len() as u32 + pins,
            reachable: true,
            last_def: None,
            long_branches,
            too_many_registers: false,
        };
        t.code.clear();
        t.stack.clear();
        t.frames.clear();
        let result = t.body(body, ty.params().len(), &local_types);
        let (overflow, too_many) = (t.code.overflow, t.too_many_registers);
        let frame = t.max_reg.max(ty.results().len() as u32).max(1);
        let words = t.code.words.clone();
        let consts = core::mem::take(&mut t.consts);
        hoist = t.hoist;
        ctx.code = t.code;
        ctx.stack = t.stack;
        ctx.frames = t.frames;
        result?;
        if too_many || frame > u16::MAX as u32 {
            if pins > 0 {
                // The pins made the frame too large: translate without them.
                hoist = Hoist::off();
                continue;
            }
            return Err(Error::limit(
                func(),
                0,
                "more than 65535 registers in a frame",
            ));
        }
        if let Some(planned) = hoist.plan() {
            hoist = planned;
            continue;
        }
        if overflow && !long_branches {
            long_branches = true;
            hoist.restart();
            continue;
        }
        if overflow {
            return Err(Error::limit(func(), 0, "branch beyond 32767 words"));
        }
        return Ok(Translated {
            def: FunctionDef {
                name: String::new(),
                ty: m.sigs[ty_index as usize],
                frame: frame as u16,
                code: words,
            },
            consts,
        });
    }
}

impl Translator<'_> {
    /// Translates the (validated) body.
    fn body(
        &mut self,
        body: &FunctionBody<'_>,
        params: usize,
        local_types: &[wasmparser::ValType],
    ) -> Result<(), Error> {
        let mut reader = body
            .get_operators_reader()
            .map_err(|e| Error::invalid(e, None))?;
        let written = written_first(reader.clone(), local_types.len());
        for (i, &t) in local_types.iter().enumerate().skip(params) {
            if !written[i] {
                self.load_const(i as u16, zero_bits(t));
            }
        }
        self.frames.push(Frame {
            kind: Kind::Function,
            height: 0,
            params: 0,
            results: self.results,
            label: self.code.label(),
            else_label: None,
            params_at_entry: Vec::new(),
            dead: false,
            branched: false,
        });
        while !reader.eof() {
            let (op, offset) = reader
                .read_with_offset()
                .map_err(|e| Error::invalid(e, None))?;
            self.op(&op)
                .map_err(|what| Error::unsupported(None, offset, what))?;
        }
        Ok(())
    }

    /// Parameter and result counts of a block type.
    fn block_arity(&self, bt: BlockType) -> (usize, usize) {
        match bt {
            BlockType::Empty => (0, 0),
            BlockType::Type(_) => (0, 1),
            BlockType::FuncType(t) => self
                .m
                .types
                .get(t as usize)
                .map_or((0, 0), |t| (t.params().len(), t.results().len())),
        }
    }

    /// Translates one operator. Returns what is unsupported, if it is.
    fn op(&mut self, op: &Operator<'_>) -> Result<(), &'static str> {
        if !matches!(
            op,
            Operator::BrIf { .. } | Operator::If { .. } | Operator::I32Eqz
        ) {
            self.flush_cmp();
        }
        let last_def = self.last_def.take();
        match *op {
            Operator::Block { blockty } => {
                let (p, r) = self.block_arity(blockty);
                self.open(Kind::Block, p, r);
            }
            Operator::Loop { blockty } => {
                let (p, r) = self.block_arity(blockty);
                self.open(Kind::Loop, p, r);
            }
            Operator::If { blockty } => {
                let (p, r) = self.block_arity(blockty);
                self.open(Kind::If, p, r);
            }
            Operator::Else => self.else_(),
            Operator::End => self.end(),
            _ if !self.reachable => {}
            Operator::LocalSet { local_index } => self.local_set(local_index as u16, last_def),
            Operator::LocalTee { local_index } => {
                self.local_set(local_index as u16, last_def);
                self.stack.push(Val::Local(local_index as u16));
            }
            _ => self.lower(op)?,
        }
        Ok(())
    }

    /// `local.set`: writes the top entry to the local, retargeting the instruction that
    /// computed it when nothing else reads the local's old value.
    fn local_set(&mut self, local: u16, last_def: Option<(u32, u16)>) {
        let v = self.pop();
        let pending_reader = self.stack.contains(&Val::Local(local));
        if let (Val::Reg(r), Some((pos, def))) = (v, last_def)
            && r == def
            && pos + 1 == self.code.pos()
            && !pending_reader
        {
            self.code.set_dest(pos, local);
            return;
        }
        self.spill_local(local);
        self.copy_to(v, local);
    }
}

/// For each local: whether the straight-line code at the start of the body writes it
/// before anything reads it (so it needs no zeroing).
fn written_first(mut reader: wasmparser::OperatorsReader<'_>, locals: usize) -> Vec<bool> {
    let mut written = vec![false; locals];
    let mut read = vec![false; locals];
    while let Ok(op) = reader.read() {
        match op {
            Operator::LocalGet { local_index } => {
                if let Some(r) = read.get_mut(local_index as usize) {
                    *r = true;
                }
            }
            Operator::LocalSet { local_index } | Operator::LocalTee { local_index } => {
                let i = local_index as usize;
                if i < locals && !read[i] {
                    written[i] = true;
                }
            }
            Operator::Block { .. }
            | Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::Else
            | Operator::End
            | Operator::Br { .. }
            | Operator::BrIf { .. }
            | Operator::BrTable { .. }
            | Operator::Return
            | Operator::Unreachable => break,
            _ => {}
        }
    }
    written
}
