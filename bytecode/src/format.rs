//! The `.sbc` container layout (see `docs/sbc-format.md`): header, section directory and
//! the fixed-size records of each section. All numbers are little-endian.

/// The first four bytes of every `.sbc` file.
pub const MAGIC: [u8; 4] = *b"\x7fSBC";
/// The container format version this crate reads and writes.
pub const FORMAT_VERSION: u16 = 1;
/// The VM ABI version (register conventions, syscall and trap numbering) this machine
/// implements; the loader rejects modules built for another.
pub const ABI_VERSION: u16 = 1;
/// Size of the header, including the section directory.
pub const HEADER_SIZE: usize = 128;
/// Byte offset of the section directory in the header.
pub const DIRECTORY_OFFSET: usize = 24;
/// `entry` value meaning "no entry point".
pub const NO_ENTRY: u32 = u32::MAX;
/// `elem` value meaning "null element".
pub const NULL_ELEM: u32 = u32::MAX;
/// The largest memory, in 64 KiB pages (4 GiB, as wasm32).
pub const MAX_MEMORY_PAGES: u32 = 65536;
/// The largest table maximum, in elements; also the largest sum of all tables' maxima,
/// so a hostile module cannot make a loader or a thread's context area hold more than
/// 2^20 table words (8 MiB) whatever its number of tables.
pub const MAX_TABLE_SIZE: u32 = 1 << 20;
/// A memory page (WebAssembly's), in bytes.
pub const PAGE_SIZE: u64 = 65536;

/// The sections, in directory order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Section {
    /// Signatures: [`TYPE_SIZE`]-byte records.
    Types,
    /// Value types of the signatures, one byte each ([`ValType`]).
    ValTypes,
    /// Functions: [`FUNC_SIZE`]-byte records.
    Funcs,
    /// Instruction words, 8 bytes each.
    Code,
    /// Constant pool, 8 bytes each.
    Consts,
    /// Globals: [`GLOBAL_SIZE`]-byte records.
    Globals,
    /// Tables: [`TABLE_SIZE`]-byte records.
    Tables,
    /// Table elements: function indices, 4 bytes each.
    Elems,
    /// Data segments: [`DATA_SIZE`]-byte records.
    Data,
    /// Raw bytes referred to by data segments, exports and names.
    Bytes,
    /// Exports: [`EXPORT_SIZE`]-byte records.
    Exports,
    /// Function names: none, or one [`NAME_SIZE`]-byte record per function.
    Names,
}

/// Number of sections in the directory.
pub const SECTION_COUNT: usize = 12;

impl Section {
    /// Every section, in directory order.
    pub const ALL: [Section; SECTION_COUNT] = [
        Section::Types,
        Section::ValTypes,
        Section::Funcs,
        Section::Code,
        Section::Consts,
        Section::Globals,
        Section::Tables,
        Section::Elems,
        Section::Data,
        Section::Bytes,
        Section::Exports,
        Section::Names,
    ];

    /// Size of one record of the section, in bytes.
    pub const fn record_size(self) -> usize {
        match self {
            Section::Types | Section::Names => 8,
            Section::ValTypes | Section::Bytes => 1,
            Section::Code | Section::Consts => 8,
            Section::Elems => 4,
            Section::Funcs
            | Section::Globals
            | Section::Tables
            | Section::Data
            | Section::Exports => 16,
        }
    }
}

/// Size of a signature record: `params: u16, results: u16, first: u32` (index of the
/// first parameter type in the value-type section; results follow the parameters).
pub const TYPE_SIZE: usize = 8;
/// Size of a function record: `type: u32, frame: u16, reserved: u16, code_start: u32,
/// code_len: u32` (code in words).
pub const FUNC_SIZE: usize = 16;
/// Size of a global record: `init: u64, type: u8, mutable: u8, reserved: [u8; 6]`.
pub const GLOBAL_SIZE: usize = 16;
/// Size of a table record: `initial: u32, max: u32, elem_start: u32, elem_count: u32`.
pub const TABLE_SIZE: usize = 16;
/// Size of a data record: `address: u64, bytes_start: u32, len: u32`.
pub const DATA_SIZE: usize = 16;
/// Size of an export record: `func: u32, name_start: u32, name_len: u32, reserved: u32`.
pub const EXPORT_SIZE: usize = 16;
/// Size of a name record: `start: u32, len: u32` (into the bytes section).
pub const NAME_SIZE: usize = 8;

/// A value type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ValType {
    /// 32-bit integer.
    I32 = 1,
    /// 64-bit integer.
    I64 = 2,
    /// 32-bit float.
    F32 = 3,
    /// 64-bit float.
    F64 = 4,
    /// Function reference (a function index, or all ones for null).
    FuncRef = 5,
}

impl ValType {
    /// The value type with code `code`.
    pub const fn from_u8(code: u8) -> Option<ValType> {
        Some(match code {
            1 => ValType::I32,
            2 => ValType::I64,
            3 => ValType::F32,
            4 => ValType::F64,
            5 => ValType::FuncRef,
            _ => return None,
        })
    }

    /// The name used in assembly.
    pub const fn name(self) -> &'static str {
        match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
            ValType::F32 => "f32",
            ValType::F64 => "f64",
            ValType::FuncRef => "funcref",
        }
    }

    /// The value type named `name` in assembly.
    pub fn from_name(name: &str) -> Option<ValType> {
        [
            ValType::I32,
            ValType::I64,
            ValType::F32,
            ValType::F64,
            ValType::FuncRef,
        ]
        .into_iter()
        .find(|t| t.name() == name)
    }
}
