//! The verifier: checks every rule of [`crate::Rule`] over a parsed module, in place and
//! with constant scratch space, one bounded step at a time so a kernel can run it
//! preemptibly. Once it has passed, the interpreter may trust that register indices are
//! inside their frames, jumps land on instructions of the same function, calls name
//! existing functions with fitting argument windows, indices into the constant pool,
//! globals and tables are valid, and no function's code can run off its end.

mod code;

use crate::format::{
    MAX_MEMORY_PAGES, MAX_TABLE_SIZE, NO_ENTRY, NULL_ELEM, PAGE_SIZE, Section, ValType,
};
use crate::module::Module;
use crate::rule::{Error, Rule};

/// How far verification has got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// More steps are needed.
    More,
    /// The whole module is verified.
    Done,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Stage {
    Header,
    Types,
    Funcs,
    Globals,
    Tables,
    Data,
    Exports,
    Names,
    Code,
    Done,
}

/// A resumable verification of one module. Each [`Verifier::step`] checks one signature,
/// one section of fixed-size records, or one function's code.
#[derive(Clone, Copy, Debug)]
pub struct Verifier<'a> {
    module: Module<'a>,
    stage: Stage,
    index: u32,
}

fn err(rule: Rule, index: u32, value: impl Into<u64>) -> Error {
    Error::module(rule, index, value.into())
}

impl<'a> Verifier<'a> {
    /// Starts verifying `module`.
    pub fn new(module: Module<'a>) -> Verifier<'a> {
        Verifier {
            module,
            stage: Stage::Header,
            index: 0,
        }
    }

    /// Where the verification stands, as a word a caller can keep (the kernel
    /// keeps it in the module's cap across a preemption) and hand back to
    /// [`Verifier::resume`] together with the same, unchanged bytes.
    pub fn position(&self) -> u32 {
        ((self.stage as u32) << 28) | (self.index & 0x0fff_ffff)
    }

    /// Continues a verification of `module` from `position` (a value
    /// [`Verifier::position`] returned for these very bytes); `None` for a word
    /// no position has.
    pub fn resume(module: Module<'a>, position: u32) -> Option<Verifier<'a>> {
        const STAGES: [Stage; 10] = [
            Stage::Header,
            Stage::Types,
            Stage::Funcs,
            Stage::Globals,
            Stage::Tables,
            Stage::Data,
            Stage::Exports,
            Stage::Names,
            Stage::Code,
            Stage::Done,
        ];
        let stage = *STAGES.get((position >> 28) as usize)?;
        Some(Verifier {
            module,
            stage,
            index: position & 0x0fff_ffff,
        })
    }

    /// Verifies the whole module at once.
    pub fn run(mut self) -> Result<(), Error> {
        while self.step()? == Progress::More {}
        Ok(())
    }

    /// Does one step of verification.
    pub fn step(&mut self) -> Result<Progress, Error> {
        let m = &self.module;
        let next = match self.stage {
            Stage::Header => {
                self.header()?;
                Stage::Types
            }
            Stage::Types if self.index < m.count(Section::Types) => {
                self.ty(self.index)?;
                self.index += 1;
                return Ok(Progress::More);
            }
            Stage::Types => Stage::Funcs,
            Stage::Funcs => {
                (0..m.count(Section::Funcs)).try_for_each(|i| self.func(i))?;
                self.code_covered()?;
                Stage::Globals
            }
            Stage::Globals => {
                (0..m.count(Section::Globals)).try_for_each(|i| self.global(i))?;
                Stage::Tables
            }
            Stage::Tables => {
                (0..m.count(Section::Tables)).try_for_each(|i| self.table(i))?;
                self.tables_total()?;
                Stage::Data
            }
            Stage::Data => {
                (0..m.count(Section::Data)).try_for_each(|i| self.data(i))?;
                Stage::Exports
            }
            Stage::Exports => {
                (0..m.count(Section::Exports)).try_for_each(|i| self.export(i))?;
                Stage::Names
            }
            Stage::Names => {
                self.names()?;
                Stage::Code
            }
            Stage::Code if self.index < m.count(Section::Funcs) => {
                code::verify_function(m, self.index)?;
                self.index += 1;
                return Ok(Progress::More);
            }
            Stage::Code | Stage::Done => Stage::Done,
        };
        self.stage = next;
        self.index = 0;
        Ok(if next == Stage::Done {
            Progress::Done
        } else {
            Progress::More
        })
    }

    fn header(&self) -> Result<(), Error> {
        let m = &self.module;
        if m.memory_min() > m.memory_max() || m.memory_max() > MAX_MEMORY_PAGES {
            return Err(err(Rule::MemoryLimits, 0, m.memory_max()));
        }
        if m.entry() != NO_ENTRY && m.entry() >= m.count(Section::Funcs) {
            return Err(err(Rule::Entry, 0, m.entry()));
        }
        Ok(())
    }

    fn ty(&self, i: u32) -> Result<(), Error> {
        let m = &self.module;
        let t = m.ty(i).expect("index below count");
        let (params, results) = m.type_values(&t).ok_or(err(Rule::TypeBounds, i, t.first))?;
        for &v in params.iter().chain(results) {
            if ValType::from_u8(v).is_none() {
                return Err(err(Rule::ValueType, i, v));
            }
        }
        // Signatures are listed strictly ascending in canonical order (parameter codes,
        // then result codes, compared lexicographically), so none repeats: one
        // comparison with the previous signature instead of one with every earlier one.
        if let Some(previous) = i.checked_sub(1) {
            let p = m.ty(previous).expect("index below count");
            let before = m
                .type_values(&p)
                .ok_or(err(Rule::TypeBounds, previous, p.first))?;
            if before >= (params, results) {
                return Err(err(Rule::TypeOrder, i, previous));
            }
        }
        Ok(())
    }

    fn func(&self, i: u32) -> Result<(), Error> {
        let m = &self.module;
        let f = m.func(i).expect("index below count");
        let t = m.ty(f.ty).ok_or(err(Rule::FuncType, i, f.ty))?;
        if f.reserved != 0 {
            return Err(err(Rule::Reserved, i, f.reserved));
        }
        let end = f.code_start as u64 + f.code_len as u64;
        let start = match i.checked_sub(1).and_then(|p| m.func(p)) {
            Some(p) => p.code_start as u64 + p.code_len as u64,
            None => 0,
        };
        if f.code_len == 0 || f.code_start as u64 != start || end > m.count(Section::Code) as u64 {
            return Err(err(Rule::FuncCode, i, f.code_start));
        }
        if f.frame < t.params || f.frame < t.results {
            return Err(err(Rule::FrameSize, i, f.frame));
        }
        Ok(())
    }

    /// The functions' code, laid end to end, covers the whole code section: no word is
    /// left unverified, and verification takes time linear in the code's size.
    fn code_covered(&self) -> Result<(), Error> {
        let m = &self.module;
        let (count, words) = (m.count(Section::Funcs), m.count(Section::Code));
        let end = match count.checked_sub(1).and_then(|last| m.func(last)) {
            Some(f) => f.code_start as u64 + f.code_len as u64,
            None => 0,
        };
        if end != words as u64 {
            return Err(err(Rule::FuncCode, count, end));
        }
        Ok(())
    }

    fn global(&self, i: u32) -> Result<(), Error> {
        let g = self.module.global(i).expect("index below count");
        if ValType::from_u8(g.valtype).is_none() {
            return Err(err(Rule::ValueType, i, g.valtype));
        }
        if g.mutable > 1 {
            return Err(err(Rule::GlobalMutability, i, g.mutable));
        }
        if g.reserved != [0; 6] {
            return Err(err(Rule::Reserved, i, 0u64));
        }
        Ok(())
    }

    fn table(&self, i: u32) -> Result<(), Error> {
        let m = &self.module;
        let t = m.table(i).expect("index below count");
        if t.initial > t.max || t.max > MAX_TABLE_SIZE {
            return Err(err(Rule::TableLimits, i, t.max));
        }
        let end = t.elem_start as u64 + t.elem_count as u64;
        if t.elem_count > t.initial || end > m.count(Section::Elems) as u64 {
            return Err(err(Rule::TableElems, i, t.elem_count));
        }
        for e in t.elem_start..t.elem_start + t.elem_count {
            let f = m.elem(e).expect("inside the element section");
            if f != NULL_ELEM && f >= m.count(Section::Funcs) {
                return Err(err(Rule::ElemFunc, i, f));
            }
        }
        Ok(())
    }

    /// All tables together stay within [`MAX_TABLE_SIZE`] elements, so what a loader
    /// allocates and a thread's context area holds for them is bounded by the format,
    /// not by what a module declares.
    fn tables_total(&self) -> Result<(), Error> {
        let m = &self.module;
        let mut total: u64 = 0;
        for i in 0..m.count(Section::Tables) {
            total += m.table(i).expect("index below count").max as u64;
            if total > MAX_TABLE_SIZE as u64 {
                return Err(err(Rule::TablesTotal, i, total));
            }
        }
        Ok(())
    }

    fn data(&self, i: u32) -> Result<(), Error> {
        let m = &self.module;
        let d = m.data(i).expect("index below count");
        m.data_bytes(&d).ok_or(err(Rule::DataBounds, i, d.start))?;
        let memory = m.memory_min() as u64 * PAGE_SIZE;
        if d.address > memory || d.len as u64 > memory - d.address {
            return Err(err(Rule::DataTarget, i, d.address));
        }
        Ok(())
    }

    fn export(&self, i: u32) -> Result<(), Error> {
        let m = &self.module;
        let e = m.export(i).expect("index below count");
        m.export_name(&e)
            .ok_or(err(Rule::ExportName, i, e.name_start))?;
        if e.func >= m.count(Section::Funcs) {
            return Err(err(Rule::ExportFunc, i, e.func));
        }
        if e.reserved != 0 {
            return Err(err(Rule::Reserved, i, e.reserved));
        }
        Ok(())
    }

    fn names(&self) -> Result<(), Error> {
        let m = &self.module;
        let count = m.count(Section::Names);
        if count != 0 && count != m.count(Section::Funcs) {
            return Err(err(Rule::NamesCount, 0, count));
        }
        for i in 0..count {
            let r = m.name_record(i).expect("index below count");
            m.func_name(i).ok_or(err(Rule::Name, i, r.start))?;
        }
        Ok(())
    }
}
