//! The rules a module must satisfy, each with a stable code, and the error that names
//! the rule broken, the function and the word where it happened.

use core::fmt;

macro_rules! rules {
    ($( $(#[$doc:meta])* $name:ident = $code:literal, $msg:literal; )*) => {
        /// A rule of the container format or the verifier. The numbers are stable:
        /// 1xx container, 2xx module tables, 3xx code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u16)]
        pub enum Rule { $( $(#[$doc])* $name = $code, )* }

        impl Rule {
            /// Every rule, in code order.
            pub const ALL: &'static [Rule] = &[$( Rule::$name, )*];

            /// The stable number of the rule.
            pub const fn code(self) -> u16 {
                self as u16
            }

            /// What the rule demands, as a short message about its violation.
            pub const fn message(self) -> &'static str {
                match self { $( Rule::$name => $msg, )* }
            }
        }
    };
}

rules! {
    /// The file is shorter than its header.
    Truncated = 100, "file shorter than the .sbc header";
    /// The magic bytes are wrong.
    Magic = 101, "bad magic: not an .sbc file";
    /// The format version is not the one this reader knows.
    FormatVersion = 102, "unsupported .sbc format version";
    /// The ABI version is not this machine's.
    AbiVersion = 103, "module built for another VM ABI version";
    /// A reserved field is not zero.
    Reserved = 104, "reserved field not zero";
    /// A section lies (partly) outside the file.
    SectionBounds = 105, "section extends past the end of the file";
    /// A section does not start on an 8-byte boundary.
    SectionAlign = 106, "section offset not a multiple of 8";
    /// A value type code is unknown.
    ValueType = 200, "unknown value type";
    /// A signature's value types lie outside the value-type section.
    TypeBounds = 201, "signature's value types outside the value-type section";
    /// Two signatures are equal (signature indices must identify signatures).
    TypeOrder = 202, "signature not after the previous one in canonical order (a duplicate, or out of order)";
    /// A function's signature index is out of range.
    FuncType = 203, "function's signature index out of range";
    /// A function's code is empty, or does not start where the previous function's ends
    /// (the first at 0), or the functions' code does not end with the code section.
    FuncCode = 204, "functions' code not laid end to end over the whole code section, or empty";
    /// A frame cannot hold the function's parameters or results.
    FrameSize = 205, "frame smaller than the function's parameters or results";
    /// A global's mutability flag is neither 0 nor 1.
    GlobalMutability = 206, "global's mutability flag neither 0 nor 1";
    /// A table's limits are inconsistent or too large.
    TableLimits = 207, "table initial size above its maximum, or maximum above 2^20";
    /// A table's initial elements are outside the element section or too many.
    TableElems = 208, "table's elements outside the element section or beyond its initial size";
    /// A table element names no function.
    ElemFunc = 209, "table element names no function";
    /// The memory limits are inconsistent or too large.
    MemoryLimits = 210, "memory minimum above maximum, or maximum above 65536 pages";
    /// A data segment's bytes are outside the bytes section.
    DataBounds = 211, "data segment's bytes outside the bytes section";
    /// A data segment does not fit in the initial memory.
    DataTarget = 212, "data segment outside the initial memory";
    /// An export's name is outside the bytes section or not UTF-8.
    ExportName = 213, "export name outside the bytes section or not UTF-8";
    /// An export names no function.
    ExportFunc = 214, "export names no function";
    /// The entry point names no function.
    Entry = 215, "entry point names no function";
    /// The name section has neither zero records nor one per function.
    NamesCount = 216, "name section has neither zero nor one record per function";
    /// A function name is outside the bytes section or not UTF-8.
    Name = 217, "function name outside the bytes section or not UTF-8";
    /// The tables' maximum sizes add up to more than 2^20 elements (the loader and each
    /// thread's context area would have to hold them all).
    TablesTotal = 218, "tables' maximum sizes together above 2^20 elements";
    /// An instruction word has an unknown opcode.
    Opcode = 300, "unknown opcode";
    /// An instruction word has a non-zero field that its op does not use.
    UnusedBits = 301, "unused instruction field not zero";
    /// A register index is outside the frame.
    Register = 302, "register outside the frame";
    /// A register range (call frame, results, syscall arguments, the consecutive operands
    /// of `memory.init` and the table bulk operations) leaves the frame.
    RegisterRange = 303, "register range outside the frame";
    /// A jump target is outside the function.
    JumpTarget = 304, "jump target outside the function";
    /// A jump target is a jump table entry, not an instruction.
    JumpIntoTable = 305, "jump target inside a jump table";
    /// A jump table entry does not follow a `br_table`.
    StrayEntry = 306, "jump table entry not part of a br_table";
    /// A `br_table` has fewer entries than its count says.
    TableTruncated = 307, "br_table followed by fewer entries than its count + 1";
    /// The last instruction can continue past the end of the function.
    FallsOffEnd = 308, "execution can run off the end of the function";
    /// A function index is out of range.
    FuncIndex = 309, "function index out of range";
    /// A signature index is out of range.
    TypeIndex = 310, "signature index out of range";
    /// A `return` returns another number of results than the signature has.
    ReturnCount = 311, "return count differs from the function's result count";
    /// A constant pool index is out of range.
    ConstIndex = 312, "constant index out of range";
    /// A global index is out of range.
    GlobalIndex = 313, "global index out of range";
    /// `global.set` of an immutable global.
    GlobalImmutable = 314, "global.set of an immutable global";
    /// A table index is out of range.
    TableIndex = 315, "table index out of range";
    /// `memory.copy` or `memory.fill` names one register twice: its operand registers
    /// hold the remaining work while it runs, so they must be three.
    BulkOperands = 316, "memory.copy or memory.fill operands not three distinct registers";
}

/// Where in the module a rule was broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Location {
    /// The header or a module-level table; the number is the record index.
    Module(u32),
    /// A function's code: function index and word offset within the function.
    Code {
        /// Function index.
        func: u32,
        /// Word offset from the function's first word.
        offset: u32,
    },
}

/// A rule broken by a module: which rule, where, and the offending value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error {
    /// The rule broken.
    pub rule: Rule,
    /// Where.
    pub location: Location,
    /// The offending value (an index, register, offset or version), when one applies.
    pub value: u64,
}

impl Error {
    /// An error at a module-level record.
    pub const fn module(rule: Rule, index: u32, value: u64) -> Error {
        Error {
            rule,
            location: Location::Module(index),
            value,
        }
    }

    /// An error in a function's code.
    pub const fn code(rule: Rule, func: u32, offset: u32, value: u64) -> Error {
        Error {
            rule,
            location: Location::Code { func, offset },
            value,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "E{} {}", self.rule.code(), self.rule.message())?;
        match self.location {
            Location::Module(i) => write!(f, " (record {i}")?,
            Location::Code { func, offset } => write!(f, " (function {func}, word {offset}")?,
        }
        write!(f, ", value {})", self.value)
    }
}
