//! Invocations: the one table of every kernel-object operation (`table.rs` for seL4's
//! generic and riscv64 labels 1–37, `vm/invocation.rs` for the vm architecture's
//! 38–43). Each row gives the label, the object it applies to, its message registers
//! in order (a variable-length tail marked as such), its extra caps in order and what
//! a successful reply carries, all named. From it `invocations!` generates the label
//! enums, one argument struct per invocation in [`args`] (fields, index constants,
//! `MRS`/`CAPS` counts, the encoding through [`Invocation`]) and the `const` table of
//! [`InvocationSpec`]s that tests and docs read.
//!
//! Adding an invocation: add its row to the table (labels stay consecutive), then its
//! decoder in the kernel reads the fields by the generated constants and libsel4 builds
//! it from the generated struct.

use crate::{CPtr, CapRights, MSG_MAX_LENGTH, Word};

pub(crate) mod macros;
mod registers;
mod table;

pub use table::*;

/// The first architecture-specific label (riscv64, shared by the vm architecture).
pub const ARCH_LABEL_FIRST: Word = 30;

/// The first label the vm architecture adds after the riscv64 ones.
pub const VM_ARCH_LABEL_FIRST: Word = 38;

/// The kind of object an invocation applies to (the invoked cap's type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InvokedObject {
    /// Untyped memory.
    Untyped,
    /// A thread control block.
    Tcb,
    /// A CNode.
    CNode,
    /// The IRQ control cap.
    IrqControl,
    /// An IRQ handler cap.
    IrqHandler,
    /// The domain cap.
    Domain,
    /// A page table.
    PageTable,
    /// A frame of any size.
    Frame,
    /// The ASID control cap.
    AsidControl,
    /// An ASID pool.
    AsidPool,
    /// The vm architecture's module object.
    Module,
}

/// A named message register, extra cap or reply word of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// Its name (the argument struct's field).
    pub name: &'static str,
    /// What it holds.
    pub doc: &'static str,
}

/// One row of the invocation table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvocationSpec {
    /// The invocation's name (the label enum's variant, the argument struct's name).
    pub name: &'static str,
    /// Its label.
    pub label: Word,
    /// The object it applies to.
    pub object: InvokedObject,
    /// What it does.
    pub doc: &'static str,
    /// Its fixed message registers, in order (MR0 first).
    pub mrs: &'static [Field],
    /// The variable-length rest of its message registers, if any.
    pub mr_tail: Option<Field>,
    /// Its extra caps, in order.
    pub caps: &'static [Field],
    /// The fixed words of a successful reply, in order.
    pub reply: &'static [Field],
    /// The variable-length rest of a successful reply, if any.
    pub reply_tail: Option<Field>,
}

impl InvocationSpec {
    /// The index of the message register called `name`.
    pub fn mr(&self, name: &str) -> Option<usize> {
        self.mrs.iter().position(|f| f.name == name)
    }

    /// The index of the extra cap called `name`.
    pub fn cap(&self, name: &str) -> Option<usize> {
        self.caps.iter().position(|f| f.name == name)
    }
}

/// An invocation of the table, typed: its label and spec, and its message registers
/// and extra caps in wire order. Implemented by every argument struct of [`args`] and
/// `vm::args`.
pub trait Invocation {
    /// The label word.
    const LABEL: Word;
    /// The invocation's row of the table.
    const SPEC: InvocationSpec;
    /// The message registers as sent (an array, or [`MessageWords`] with a tail).
    type Mrs: AsRef<[Word]>;
    /// The extra caps' addresses as sent.
    type Caps: AsRef<[CPtr]>;

    /// The message registers, MR0 first.
    fn mrs(&self) -> Self::Mrs;

    /// The extra caps, extra cap 0 first.
    fn caps(&self) -> Self::Caps;
}

/// An invocation of the table read back from a message (for user-level servers that
/// answer invocations, and tests); the kernel decodes field by field in seL4's check
/// order instead.
pub trait Decode<'a>: Sized {
    /// The arguments in `mrs` and `caps` (a tail borrows `mrs`); `None` if the message
    /// has fewer registers or caps than the invocation takes.
    fn from_message(mrs: &'a [Word], caps: &[CPtr]) -> Option<Self>;
}

/// Something done once per invocation type of a table (`visit_invocations`,
/// `vm::visit_vm_invocations`), generically: table-driven tests.
pub trait InvocationVisitor {
    /// Called with each argument struct of the table, in label order.
    fn visit<M: Invocation + Decode<'static> + core::fmt::Debug + PartialEq>(&mut self);
}

/// A value that travels in one message register.
pub trait MrWord: Copy {
    /// The register's word.
    fn word(self) -> Word;
    /// The value a register's word carries.
    fn from_word(w: Word) -> Self;
}

impl MrWord for Word {
    #[inline]
    fn word(self) -> Word {
        self
    }

    #[inline]
    fn from_word(w: Word) -> Self {
        w
    }
}

impl MrWord for CapRights {
    #[inline]
    fn word(self) -> Word {
        CapRights::word(self)
    }

    #[inline]
    fn from_word(w: Word) -> Self {
        CapRights::from_word(w)
    }
}

impl MrWord for bool {
    #[inline]
    fn word(self) -> Word {
        Word::from(self)
    }

    #[inline]
    fn from_word(w: Word) -> Self {
        w != 0
    }
}

/// The message registers of an invocation with a variable-length tail: at most
/// `MSG_MAX_LENGTH` words, the rest dropped (as the kernel clamps a longer length).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageWords {
    words: [Word; MSG_MAX_LENGTH],
    len: usize,
}

impl MessageWords {
    /// No words.
    pub const fn new() -> Self {
        MessageWords {
            words: [0; MSG_MAX_LENGTH],
            len: 0,
        }
    }

    /// Appends a word (dropped when the message is full).
    pub fn push(&mut self, w: Word) {
        if let Some(slot) = self.words.get_mut(self.len) {
            *slot = w;
            self.len += 1;
        }
    }

    /// Appends words while there is room.
    pub fn extend(&mut self, words: &[Word]) {
        words.iter().for_each(|&w| self.push(w));
    }
}

impl Default for MessageWords {
    fn default() -> Self {
        Self::new()
    }
}

impl AsRef<[Word]> for MessageWords {
    fn as_ref(&self) -> &[Word] {
        &self.words[..self.len]
    }
}

/// The table row of any label this build knows (generic, riscv64 and vm).
pub fn spec_of(label: Word) -> Option<&'static InvocationSpec> {
    INVOCATION_SPECS
        .iter()
        .chain(crate::vm::VM_INVOCATION_SPECS)
        .find(|s| s.label == label)
}

impl InvocationLabel {
    /// Whether the label belongs to the architecture-specific range.
    pub const fn is_arch(self) -> bool {
        self.word() >= ARCH_LABEL_FIRST
    }
}

#[cfg(test)]
mod tests;
