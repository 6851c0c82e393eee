//! Writes `.sbc` bytes from in-memory tables: the one writer of the container format,
//! used by the assembler (and later by dx).

use alloc::string::String;
use alloc::vec::Vec;
use selvm_bytecode::Op;
use selvm_bytecode::format::{
    ABI_VERSION, DIRECTORY_OFFSET, FORMAT_VERSION, HEADER_SIZE, MAGIC, NO_ENTRY, SECTION_COUNT,
    Section, ValType,
};
use selvm_bytecode::operand::Kind;

/// A signature: parameter and result types.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Signature {
    /// Parameter types.
    pub params: Vec<ValType>,
    /// Result types.
    pub results: Vec<ValType>,
}

/// A function to write.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FunctionDef {
    /// Its name (written to the name section).
    pub name: String,
    /// Signature index.
    pub ty: u32,
    /// Registers in the frame.
    pub frame: u16,
    /// Instruction words.
    pub code: Vec<u64>,
}

/// A global to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GlobalDef {
    /// Value type.
    pub ty: ValType,
    /// Whether `global.set` may change it.
    pub mutable: bool,
    /// Initial value (bits).
    pub init: u64,
}

/// A table to write.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TableDef {
    /// Initial size.
    pub initial: u32,
    /// Maximum size.
    pub max: u32,
    /// Initial elements (function indices or `NULL_ELEM`).
    pub elems: Vec<u32>,
}

/// Everything an `.sbc` file holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModuleBuilder {
    /// Signatures.
    pub types: Vec<Signature>,
    /// Functions.
    pub functions: Vec<FunctionDef>,
    /// Constant pool.
    pub constants: Vec<u64>,
    /// Globals.
    pub globals: Vec<GlobalDef>,
    /// Tables.
    pub tables: Vec<TableDef>,
    /// Data segments: address and bytes.
    pub data: Vec<(u64, Vec<u8>)>,
    /// Exports: name and function index.
    pub exports: Vec<(String, u32)>,
    /// Entry function.
    pub entry: Option<u32>,
    /// Memory limits in pages: initial and maximum.
    pub memory: (u32, u32),
    /// Whether to write the name section.
    pub names: bool,
}

/// The canonical order of signatures, in which a module lists them: by parameter
/// types, then result types, each compared as a sequence of type codes. Listing them
/// strictly ascending makes duplicates impossible, and the verifier checks that by
/// comparing each signature with the one before it (linear time, no scratch space).
pub fn canonical_order(x: &Signature, y: &Signature) -> core::cmp::Ordering {
    let codes = |v: &[ValType]| v.iter().map(|&t| t as u8).collect::<Vec<u8>>();
    (codes(&x.params), codes(&x.results)).cmp(&(codes(&y.params), codes(&y.results)))
}

/// Instruction word `w` with its signature operands renumbered by `renumber` (words
/// that are not instructions stay as they are).
fn renumber_types(w: u64, renumber: impl Fn(u32) -> u32) -> u64 {
    let Some(op) = Op::from_u16(w as u16) else {
        return w;
    };
    op.operands()
        .iter()
        .filter(|&&(_, kind)| kind == Kind::Type)
        .fold(w, |w, &(field, _)| {
            (w & !field.mask()) | field.put(renumber(field.get(w)))
        })
}

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}
fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}
fn put64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

impl ModuleBuilder {
    /// The index of signature `sig`, added if new.
    pub fn type_index(&mut self, sig: Signature) -> u32 {
        match self.types.iter().position(|t| *t == sig) {
            Some(i) => i as u32,
            None => {
                self.types.push(sig);
                self.types.len() as u32 - 1
            }
        }
    }

    /// The index of constant `value`, added if new.
    pub fn constant_index(&mut self, value: u64) -> u32 {
        match self.constants.iter().position(|&c| c == value) {
            Some(i) => i as u32,
            None => {
                self.constants.push(value);
                self.constants.len() as u32 - 1
            }
        }
    }

    /// The signatures in canonical order (see [`canonical_order`]) and, for each old
    /// index, its new one.
    fn sorted_types(&self) -> (Vec<&Signature>, Vec<u32>) {
        let mut order: Vec<usize> = (0..self.types.len()).collect();
        order.sort_by(|&x, &y| canonical_order(&self.types[x], &self.types[y]));
        let mut new_index = alloc::vec![0; order.len()];
        for (new, &old) in order.iter().enumerate() {
            new_index[old] = new as u32;
        }
        (order.iter().map(|&i| &self.types[i]).collect(), new_index)
    }

    /// The `.sbc` bytes. Signatures are written in canonical order, as the verifier
    /// requires (rule E202), and every reference to one (function records, the
    /// signature operands of instructions) is renumbered to match; so writers may add
    /// signatures in any order.
    pub fn finish(&self) -> Vec<u8> {
        let (types, new_index) = self.sorted_types();
        let renumber = |ty: u32| new_index.get(ty as usize).copied().unwrap_or(ty);
        let mut sections: [(Vec<u8>, u32); SECTION_COUNT] = Default::default();
        let mut bytes = Vec::new();
        let mut string = |s: &[u8]| {
            let start = bytes.len() as u32;
            bytes.extend_from_slice(s);
            (start, s.len() as u32)
        };
        let mut valtypes = Vec::new();
        for t in types {
            let s = &mut sections[Section::Types as usize];
            put16(&mut s.0, t.params.len() as u16);
            put16(&mut s.0, t.results.len() as u16);
            put32(&mut s.0, valtypes.len() as u32);
            s.1 += 1;
            valtypes.extend(t.params.iter().chain(&t.results).map(|&v| v as u8));
        }
        sections[Section::ValTypes as usize] = (valtypes.clone(), valtypes.len() as u32);
        let mut code = Vec::new();
        for f in &self.functions {
            let s = &mut sections[Section::Funcs as usize];
            put32(&mut s.0, renumber(f.ty));
            put16(&mut s.0, f.frame);
            put16(&mut s.0, 0);
            put32(&mut s.0, code.len() as u32);
            put32(&mut s.0, f.code.len() as u32);
            s.1 += 1;
            code.extend_from_slice(&f.code);
        }
        for &w in &code {
            put64(
                &mut sections[Section::Code as usize].0,
                renumber_types(w, renumber),
            );
        }
        sections[Section::Code as usize].1 = code.len() as u32;
        for &c in &self.constants {
            put64(&mut sections[Section::Consts as usize].0, c);
        }
        sections[Section::Consts as usize].1 = self.constants.len() as u32;
        for g in &self.globals {
            let s = &mut sections[Section::Globals as usize];
            put64(&mut s.0, g.init);
            s.0.extend_from_slice(&[g.ty as u8, g.mutable as u8, 0, 0, 0, 0, 0, 0]);
            s.1 += 1;
        }
        let mut elems = Vec::new();
        for t in &self.tables {
            let s = &mut sections[Section::Tables as usize];
            put32(&mut s.0, t.initial);
            put32(&mut s.0, t.max);
            put32(&mut s.0, elems.len() as u32);
            put32(&mut s.0, t.elems.len() as u32);
            s.1 += 1;
            elems.extend_from_slice(&t.elems);
        }
        for &e in &elems {
            put32(&mut sections[Section::Elems as usize].0, e);
        }
        sections[Section::Elems as usize].1 = elems.len() as u32;
        for (address, payload) in &self.data {
            let (start, len) = string(payload);
            let s = &mut sections[Section::Data as usize];
            put64(&mut s.0, *address);
            put32(&mut s.0, start);
            put32(&mut s.0, len);
            s.1 += 1;
        }
        for (name, func) in &self.exports {
            let (start, len) = string(name.as_bytes());
            let s = &mut sections[Section::Exports as usize];
            for v in [*func, start, len, 0] {
                put32(&mut s.0, v);
            }
            s.1 += 1;
        }
        if self.names {
            for f in &self.functions {
                let (start, len) = string(f.name.as_bytes());
                let s = &mut sections[Section::Names as usize];
                put32(&mut s.0, start);
                put32(&mut s.0, len);
                s.1 += 1;
            }
        }
        sections[Section::Bytes as usize] = (bytes.clone(), bytes.len() as u32);
        self.layout(&sections)
    }

    /// The header and directory followed by the sections, each 8-byte aligned.
    fn layout(&self, sections: &[(Vec<u8>, u32); SECTION_COUNT]) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_SIZE);
        out.extend_from_slice(&MAGIC);
        put16(&mut out, FORMAT_VERSION);
        put16(&mut out, ABI_VERSION);
        put32(&mut out, self.entry.unwrap_or(NO_ENTRY));
        put32(&mut out, self.memory.0);
        put32(&mut out, self.memory.1);
        put32(&mut out, 0);
        debug_assert_eq!(out.len(), DIRECTORY_OFFSET);
        out.resize(HEADER_SIZE, 0);
        for (i, (data, count)) in sections.iter().enumerate() {
            let offset = if *count == 0 { 0 } else { out.len() as u32 };
            out[DIRECTORY_OFFSET + 8 * i..][..4].copy_from_slice(&offset.to_le_bytes());
            out[DIRECTORY_OFFSET + 8 * i + 4..][..4].copy_from_slice(&count.to_le_bytes());
            out.extend_from_slice(data);
            out.resize(out.len().next_multiple_of(8), 0);
        }
        out
    }
}
