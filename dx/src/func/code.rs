//! The code buffer of one function: instruction words, labels and the branch fixups
//! that are patched when a label is bound. A 16-bit branch offset that does not fit
//! sets a flag; the translator then starts the function again with long branches.

use selvm_bytecode::Op;

/// A branch target inside the function being translated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Label(u32);

/// Which field of a word holds a branch offset.
#[derive(Clone, Copy, Debug)]
enum Field {
    /// `c`, 16 bits (fused compare-and-branch).
    C16,
    /// `bc`, 32 bits (`jump`, `br_if`, `br_unless`, `br_table.entry`).
    Bc32,
}

#[derive(Default)]
struct LabelState {
    pos: Option<u32>,
    fixups: Vec<(u32, Field)>,
}

/// Instruction words with labels.
#[derive(Default)]
pub(super) struct Code {
    /// The words emitted so far.
    pub words: Vec<u64>,
    labels: Vec<LabelState>,
    /// A 16-bit offset did not fit.
    pub overflow: bool,
}

impl Code {
    /// Empties the buffer for another function (keeping allocations).
    pub fn clear(&mut self) {
        self.words.clear();
        self.labels.clear();
        self.overflow = false;
    }

    /// The position of the next word.
    pub fn pos(&self) -> u32 {
        self.words.len() as u32
    }

    /// Emits `op` with raw operand values in assembly order.
    pub fn emit(&mut self, op: Op, operands: &[u32]) -> u32 {
        let pos = self.pos();
        self.words.push(op.encode_raw(operands));
        pos
    }

    /// A new, unbound label.
    pub fn label(&mut self) -> Label {
        self.labels.push(LabelState::default());
        Label(self.labels.len() as u32 - 1)
    }

    /// Whether `label` is bound (a backward target).
    pub fn bound(&self, label: Label) -> Option<u32> {
        self.labels[label.0 as usize].pos
    }

    /// Binds `label` to the next word and patches the branches to it.
    pub fn bind(&mut self, label: Label) {
        let pos = self.pos();
        let state = &mut self.labels[label.0 as usize];
        state.pos = Some(pos);
        for (at, field) in core::mem::take(&mut state.fixups) {
            self.patch(at, field, pos);
        }
    }

    /// Emits a jump-type op (`jump`, `br_if`, `br_unless`, `br_table.entry`) whose
    /// `bc` is the offset to `label`, after the other operands.
    pub fn emit_jump32(&mut self, op: Op, operands: &[u32], label: Label) {
        let pos = self.emit(op, operands);
        self.refer(pos, Field::Bc32, label);
    }

    /// Emits a fused compare-and-branch op whose `c` is the offset to `label`.
    pub fn emit_jump16(&mut self, op: Op, a: u32, b: u32, label: Label) {
        let pos = self.emit(op, &[a, b, 0]);
        self.refer(pos, Field::C16, label);
    }

    /// Whether a 16-bit branch from the next word reaches `label` (false when it is
    /// not bound yet, since the distance is unknown).
    pub fn near(&self, label: Label) -> bool {
        self.bound(label)
            .is_some_and(|t| (t as i64 - self.pos() as i64).abs() < 32000)
    }

    fn refer(&mut self, at: u32, field: Field, label: Label) {
        match self.labels[label.0 as usize].pos {
            Some(target) => self.patch(at, field, target),
            None => self.labels[label.0 as usize].fixups.push((at, field)),
        }
    }

    fn patch(&mut self, at: u32, field: Field, target: u32) {
        let offset = target as i64 - at as i64;
        let word = &mut self.words[at as usize];
        match field {
            Field::Bc32 => {
                *word = (*word & 0xffff_ffff) | ((offset as i32 as u32 as u64) << 32);
            }
            Field::C16 => match i16::try_from(offset) {
                Ok(o) => *word = (*word & !(0xffff << 48)) | ((o as u16 as u64) << 48),
                Err(_) => self.overflow = true,
            },
        }
    }

    /// Rewrites the destination register (field `a`) of the word at `at`.
    pub fn set_dest(&mut self, at: u32, reg: u16) {
        let word = &mut self.words[at as usize];
        *word = (*word & !(0xffff << 16)) | ((reg as u64) << 16);
    }
}
