//! The decoded records of the `.sbc` sections (see [`crate::format`] for their layout).

/// A signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TypeRec {
    /// Number of parameters.
    pub params: u16,
    /// Number of results.
    pub results: u16,
    /// Index of the first parameter type in the value-type section.
    pub first: u32,
}

/// A function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FuncRec {
    /// Signature index.
    pub ty: u32,
    /// Registers in the frame.
    pub frame: u16,
    /// Must be zero.
    pub reserved: u16,
    /// First instruction word in the code section.
    pub code_start: u32,
    /// Number of instruction words.
    pub code_len: u32,
}

/// A global.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GlobalRec {
    /// Initial value.
    pub init: u64,
    /// Value type code.
    pub valtype: u8,
    /// 1 if mutable, 0 if not.
    pub mutable: u8,
    /// Must be zero.
    pub reserved: [u8; 6],
}

/// A table of function references.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableRec {
    /// Initial size in elements.
    pub initial: u32,
    /// Maximum size in elements.
    pub max: u32,
    /// Index of the first initial element in the element section.
    pub elem_start: u32,
    /// Number of initial elements given (the rest are null).
    pub elem_count: u32,
}

/// A data segment: bytes copied into memory before the program starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataRec {
    /// Memory address of the first byte.
    pub address: u64,
    /// Offset in the bytes section.
    pub start: u32,
    /// Length in bytes.
    pub len: u32,
}

/// An exported function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExportRec {
    /// Function index.
    pub func: u32,
    /// Offset of the name in the bytes section.
    pub name_start: u32,
    /// Length of the name in bytes.
    pub name_len: u32,
    /// Must be zero.
    pub reserved: u32,
}

/// A function's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NameRec {
    /// Offset of the name in the bytes section.
    pub start: u32,
    /// Length of the name in bytes.
    pub len: u32,
}

/// Little-endian field reader over one record.
pub(crate) struct Fields<'a>(pub(crate) &'a [u8]);

impl Fields<'_> {
    pub(crate) fn u8(&self, at: usize) -> u8 {
        self.0[at]
    }
    pub(crate) fn u16(&self, at: usize) -> u16 {
        u16::from_le_bytes([self.0[at], self.0[at + 1]])
    }
    pub(crate) fn u32(&self, at: usize) -> u32 {
        u32::from_le_bytes([self.0[at], self.0[at + 1], self.0[at + 2], self.0[at + 3]])
    }
    pub(crate) fn u64(&self, at: usize) -> u64 {
        (self.u32(at) as u64) | ((self.u32(at + 4) as u64) << 32)
    }
}
