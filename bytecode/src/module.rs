//! A parsed `.sbc` module: the header checked and every section located, read in place
//! over the file's bytes. Records are decoded on access; nothing is copied.

use crate::format::{
    ABI_VERSION, DIRECTORY_OFFSET, FORMAT_VERSION, HEADER_SIZE, MAGIC, SECTION_COUNT, Section,
};
use crate::records::{DataRec, ExportRec, Fields, FuncRec, GlobalRec, NameRec, TableRec, TypeRec};
use crate::rule::{Error, Rule};

/// A module whose container is well formed (header valid, sections inside the file).
/// Its contents are not yet verified: see [`crate::Verifier`].
#[derive(Clone, Copy, Debug)]
pub struct Module<'a> {
    bytes: &'a [u8],
    sections: [&'a [u8]; SECTION_COUNT],
    entry: u32,
    memory_min: u32,
    memory_max: u32,
}

impl<'a> Module<'a> {
    /// Checks the header and locates the sections.
    pub fn parse(bytes: &'a [u8]) -> Result<Module<'a>, Error> {
        if bytes.len() < HEADER_SIZE {
            return Err(Error::module(Rule::Truncated, 0, bytes.len() as u64));
        }
        let h = Fields(&bytes[..HEADER_SIZE]);
        if bytes[..4] != MAGIC {
            return Err(Error::module(Rule::Magic, 0, h.u32(0) as u64));
        }
        if h.u16(4) != FORMAT_VERSION {
            return Err(Error::module(Rule::FormatVersion, 0, h.u16(4) as u64));
        }
        if h.u16(6) != ABI_VERSION {
            return Err(Error::module(Rule::AbiVersion, 0, h.u16(6) as u64));
        }
        if h.u32(20) != 0 || h.u64(120) != 0 {
            return Err(Error::module(Rule::Reserved, 0, 0));
        }
        let mut sections: [&[u8]; SECTION_COUNT] = [&[]; SECTION_COUNT];
        for (i, section) in Section::ALL.iter().enumerate() {
            let at = DIRECTORY_OFFSET + 8 * i;
            let (offset, count) = (h.u32(at) as u64, h.u32(at + 4) as u64);
            if offset % 8 != 0 {
                return Err(Error::module(Rule::SectionAlign, i as u32, offset));
            }
            let end = offset + count * section.record_size() as u64;
            if count != 0 && (offset < HEADER_SIZE as u64 || end > bytes.len() as u64) {
                return Err(Error::module(Rule::SectionBounds, i as u32, offset));
            }
            if count != 0 {
                sections[i] = &bytes[offset as usize..end as usize];
            }
        }
        Ok(Module {
            bytes,
            sections,
            entry: h.u32(8),
            memory_min: h.u32(12),
            memory_max: h.u32(16),
        })
    }

    /// The whole file.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The entry function, or [`crate::format::NO_ENTRY`].
    pub fn entry(&self) -> u32 {
        self.entry
    }

    /// Initial memory size in 64 KiB pages.
    pub fn memory_min(&self) -> u32 {
        self.memory_min
    }

    /// Maximum memory size in 64 KiB pages.
    pub fn memory_max(&self) -> u32 {
        self.memory_max
    }

    /// Number of records in a section.
    pub fn count(&self, section: Section) -> u32 {
        (self.sections[section as usize].len() / section.record_size()) as u32
    }

    fn record(&self, section: Section, index: u32) -> Option<Fields<'a>> {
        let size = section.record_size();
        let start = (index as usize).checked_mul(size)?;
        let data = self.sections[section as usize];
        data.get(start..start.checked_add(size)?).map(Fields)
    }

    /// Signature `index`.
    pub fn ty(&self, index: u32) -> Option<TypeRec> {
        let r = self.record(Section::Types, index)?;
        Some(TypeRec {
            params: r.u16(0),
            results: r.u16(2),
            first: r.u32(4),
        })
    }

    /// The value type codes of signature `ty`: parameters, then results.
    pub fn type_values(&self, ty: &TypeRec) -> Option<(&'a [u8], &'a [u8])> {
        let start = ty.first as usize;
        let mid = start + ty.params as usize;
        let end = mid + ty.results as usize;
        let v = self.sections[Section::ValTypes as usize].get(start..end)?;
        Some(v.split_at(ty.params as usize))
    }

    /// Function `index`.
    pub fn func(&self, index: u32) -> Option<FuncRec> {
        let r = self.record(Section::Funcs, index)?;
        Some(FuncRec {
            ty: r.u32(0),
            frame: r.u16(4),
            reserved: r.u16(6),
            code_start: r.u32(8),
            code_len: r.u32(12),
        })
    }

    /// Instruction word `index` of the code section.
    #[inline]
    pub fn code_word(&self, index: u32) -> Option<u64> {
        self.record(Section::Code, index).map(|r| r.u64(0))
    }

    /// Constant pool entry `index`.
    pub fn constant(&self, index: u32) -> Option<u64> {
        self.record(Section::Consts, index).map(|r| r.u64(0))
    }

    /// Global `index`.
    pub fn global(&self, index: u32) -> Option<GlobalRec> {
        let r = self.record(Section::Globals, index)?;
        let mut reserved = [0; 6];
        reserved.copy_from_slice(&r.0[10..16]);
        Some(GlobalRec {
            init: r.u64(0),
            valtype: r.u8(8),
            mutable: r.u8(9),
            reserved,
        })
    }

    /// Table `index`.
    pub fn table(&self, index: u32) -> Option<TableRec> {
        let r = self.record(Section::Tables, index)?;
        Some(TableRec {
            initial: r.u32(0),
            max: r.u32(4),
            elem_start: r.u32(8),
            elem_count: r.u32(12),
        })
    }

    /// Element `index` of the element section (a function index or
    /// [`crate::format::NULL_ELEM`]).
    pub fn elem(&self, index: u32) -> Option<u32> {
        self.record(Section::Elems, index).map(|r| r.u32(0))
    }

    /// Data segment `index`.
    pub fn data(&self, index: u32) -> Option<DataRec> {
        let r = self.record(Section::Data, index)?;
        Some(DataRec {
            address: r.u64(0),
            start: r.u32(8),
            len: r.u32(12),
        })
    }

    /// Export `index`.
    pub fn export(&self, index: u32) -> Option<ExportRec> {
        let r = self.record(Section::Exports, index)?;
        Some(ExportRec {
            func: r.u32(0),
            name_start: r.u32(4),
            name_len: r.u32(8),
            reserved: r.u32(12),
        })
    }

    /// Name record of function `index` (if the module has names).
    pub fn name_record(&self, index: u32) -> Option<NameRec> {
        let r = self.record(Section::Names, index)?;
        Some(NameRec {
            start: r.u32(0),
            len: r.u32(4),
        })
    }

    /// `len` bytes at `start` of the bytes section.
    pub fn bytes_at(&self, start: u32, len: u32) -> Option<&'a [u8]> {
        let start = start as usize;
        self.sections[Section::Bytes as usize].get(start..start.checked_add(len as usize)?)
    }

    /// A UTF-8 string of the bytes section.
    pub fn str_at(&self, start: u32, len: u32) -> Option<&'a str> {
        core::str::from_utf8(self.bytes_at(start, len)?).ok()
    }

    /// The name of function `index`, if the module has names.
    pub fn func_name(&self, index: u32) -> Option<&'a str> {
        let r = self.name_record(index)?;
        self.str_at(r.start, r.len)
    }

    /// The payload of data segment `rec`.
    pub fn data_bytes(&self, rec: &DataRec) -> Option<&'a [u8]> {
        self.bytes_at(rec.start, rec.len)
    }

    /// The name of export `rec`.
    pub fn export_name(&self, rec: &ExportRec) -> Option<&'a str> {
        self.str_at(rec.name_start, rec.name_len)
    }
}
