//! A loaded module: parsed, verified, and decoded once into the form the interpreter
//! runs. Immutable and shared by every thread that runs it.

use alloc::boxed::Box;
use alloc::vec::Vec;
use selvm_bytecode::format::{NO_ENTRY, NULL_ELEM, Section};
use selvm_bytecode::{Error, Instr, Verifier};

/// The null reference in a register or table slot.
pub const NULL_REF: u64 = u64::MAX;

/// What the interpreter needs of a function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Function {
    /// Signature index.
    pub ty: u32,
    /// Registers in the frame.
    pub frame: u32,
    /// Index of the first instruction in [`Module::code`].
    pub code_start: u32,
    /// Number of instruction words.
    pub code_len: u32,
    /// Parameter count.
    pub params: u16,
    /// Result count.
    pub results: u16,
}

/// A table's shape and initial elements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    /// Initial size.
    pub initial: u32,
    /// Maximum size.
    pub max: u32,
    /// The elements the module lists (function indices or [`NULL_REF`]), at most
    /// `initial` of them; the rest of the initial size is null.
    pub elems: Box<[u64]>,
    /// Where the table lives in a thread's context area (the size word; elements follow).
    pub context_offset: usize,
}

/// A verified module, decoded for execution.
#[derive(Clone, Debug)]
pub struct Module {
    bytes: Box<[u8]>,
    code: Box<[Instr]>,
    functions: Box<[Function]>,
    constants: Box<[u64]>,
    globals: Box<[u64]>,
    tables: Box<[Table]>,
    context_words: usize,
    /// Per instruction, the fuel charged on entering code there: itself and those after
    /// it in its straight-line block (`blocks.rs`), as sibling-call dispatch charges.
    #[cfg_attr(not(selvm_sibling_calls), allow(dead_code))]
    charges: Box<[u64]>,
}

impl Module {
    /// Parses and verifies `bytes` and decodes them for execution.
    pub fn load(bytes: &[u8]) -> Result<Module, Error> {
        let parsed = selvm_bytecode::Module::parse(bytes)?;
        Verifier::new(parsed).run()?;
        let code = (0..parsed.count(Section::Code))
            .map(|i| Instr::decode(parsed.code_word(i).expect("in range")).expect("verified"))
            .collect();
        let functions: Box<[Function]> = (0..parsed.count(Section::Funcs))
            .map(|i| {
                let f = parsed.func(i).expect("in range");
                let t = parsed.ty(f.ty).expect("verified");
                Function {
                    ty: f.ty,
                    frame: f.frame as u32,
                    code_start: f.code_start,
                    code_len: f.code_len,
                    params: t.params,
                    results: t.results,
                }
            })
            .collect();
        let constants = (0..parsed.count(Section::Consts))
            .map(|i| parsed.constant(i).expect("in range"))
            .collect();
        let globals: Box<[u64]> = (0..parsed.count(Section::Globals))
            .map(|i| parsed.global(i).expect("in range").init)
            .collect();
        let mut context_words = globals.len();
        let tables = (0..parsed.count(Section::Tables))
            .map(|i| {
                let t = parsed.table(i).expect("in range");
                // Only the elements the module lists (bounded by its size); the rest of
                // the initial size is null, filled in by `Thread::new`.
                let elems: Vec<u64> = (t.elem_start..t.elem_start + t.elem_count)
                    .map(|e| match parsed.elem(e).expect("verified") {
                        NULL_ELEM => NULL_REF,
                        f => f as u64,
                    })
                    .collect();
                let context_offset = context_words;
                context_words += 1 + t.max as usize;
                Table {
                    initial: t.initial,
                    max: t.max,
                    elems: elems.into(),
                    context_offset,
                }
            })
            .collect();
        let code: Box<[Instr]> = code;
        let charges = crate::blocks::block_charges(&code, &functions);
        Ok(Module {
            bytes: bytes.into(),
            charges,
            code,
            functions,
            constants,
            globals,
            tables,
            context_words,
        })
    }

    /// The module's container, for everything the interpreter does not need decoded
    /// (data segments, exports, names).
    pub fn container(&self) -> selvm_bytecode::Module<'_> {
        selvm_bytecode::Module::parse(&self.bytes).expect("parsed at load")
    }

    /// The decoded code of all functions.
    pub fn code(&self) -> &[Instr] {
        &self.code
    }

    /// Per instruction, the fuel charged on entering code there (`blocks.rs`).
    #[cfg_attr(not(selvm_sibling_calls), allow(dead_code))]
    pub(crate) fn charges(&self) -> &[u64] {
        &self.charges
    }

    /// The functions.
    pub fn functions(&self) -> &[Function] {
        &self.functions
    }

    /// The constant pool.
    pub fn constants(&self) -> &[u64] {
        &self.constants
    }

    /// Initial values of the globals.
    pub fn globals(&self) -> &[u64] {
        &self.globals
    }

    /// The tables.
    pub fn tables(&self) -> &[Table] {
        &self.tables
    }

    /// Words of a thread's context area: globals, then per table its size and its
    /// maximum number of elements.
    pub fn context_words(&self) -> usize {
        self.context_words
    }

    /// The entry function, if the module has one.
    pub fn entry(&self) -> Option<u32> {
        Some(self.container().entry()).filter(|&e| e != NO_ENTRY)
    }

    /// The function exported as `name`.
    pub fn export(&self, name: &str) -> Option<u32> {
        let m = self.container();
        (0..m.count(Section::Exports))
            .filter_map(|i| m.export(i))
            .find(|e| m.export_name(e) == Some(name))
            .map(|e| e.func)
    }

    /// Function `index`'s name, if the module has names.
    pub fn func_name(&self, index: u32) -> Option<&str> {
        let m = selvm_bytecode::Module::parse(&self.bytes).ok()?;
        m.func_name(index)
    }
}
