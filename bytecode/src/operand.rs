//! Operand kinds: what a field of an instruction word means.
//!
//! An instruction word has three 16-bit fields `a`, `b`, `c` (bits 16..32, 32..48, 48..64)
//! after the 16-bit opcode; `bc` names `b` and `c` read together as one 32-bit field.
//! Each operand of an instruction is one field interpreted as one of the kinds below.

/// Where an operand lives in the instruction word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// Bits 16..32.
    A,
    /// Bits 32..48.
    B,
    /// Bits 48..64.
    C,
    /// Bits 32..64 (`b` and `c` together).
    Bc,
}

impl Field {
    /// The bit position of the field's lowest bit.
    pub const fn shift(self) -> u32 {
        match self {
            Field::A => 16,
            Field::B | Field::Bc => 32,
            Field::C => 48,
        }
    }

    /// The mask of the field, already shifted into place.
    pub const fn mask(self) -> u64 {
        match self {
            Field::Bc => 0xffff_ffff << 32,
            f => 0xffff << f.shift(),
        }
    }

    /// The raw value of this field in `word` (zero-extended).
    pub const fn get(self, word: u64) -> u32 {
        ((word & self.mask()) >> self.shift()) as u32
    }

    /// `raw` placed in this field (excess bits dropped).
    pub const fn put(self, raw: u32) -> u64 {
        ((raw as u64) << self.shift()) & self.mask()
    }
}

/// What an operand means; the verifier, assembler and disassembler act on this.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A register of the current frame (`r0`…), 16 bits.
    Reg,
    /// An unsigned 16-bit number (memory offset, count, code).
    U16,
    /// A signed 16-bit immediate, sign-extended to the operation's width.
    I16,
    /// A signed 32-bit immediate.
    I32,
    /// The bits of an `f32` immediate.
    F32,
    /// An unsigned 32-bit count (jump table length).
    Count,
    /// A signed 16-bit branch offset in words, relative to the word that holds it.
    Jump16,
    /// A signed 32-bit branch offset in words, relative to the word that holds it.
    Jump32,
    /// A function index (32 bits).
    Func,
    /// A constant pool index (32 bits).
    Const,
    /// A global index (32 bits).
    Global,
    /// A table index (16 bits).
    Table,
    /// A signature (type) index (16 bits).
    Type,
}

impl Kind {
    /// The name used in the generated ISA reference.
    pub const fn name(self) -> &'static str {
        match self {
            Kind::Reg => "reg",
            Kind::U16 => "u16",
            Kind::I16 => "i16",
            Kind::I32 => "i32",
            Kind::F32 => "f32",
            Kind::Count => "count",
            Kind::Jump16 => "jump16",
            Kind::Jump32 => "jump32",
            Kind::Func => "func",
            Kind::Const => "const",
            Kind::Global => "global",
            Kind::Table => "table",
            Kind::Type => "type",
        }
    }

    /// Whether the kind needs the 32-bit `bc` field.
    pub const fn is_wide(self) -> bool {
        matches!(
            self,
            Kind::I32
                | Kind::F32
                | Kind::Count
                | Kind::Jump32
                | Kind::Func
                | Kind::Const
                | Kind::Global
        )
    }
}

/// A typed operand value: converts to and from the raw field bits.
pub trait Operand: Copy {
    /// The operand's kind.
    const KIND: Kind;
    /// The value from the raw (zero-extended) field bits.
    fn from_bits(raw: u32) -> Self;
    /// The raw field bits of the value.
    fn to_bits(self) -> u32;
}

macro_rules! operand_types {
    ($( $(#[$doc:meta])* $name:ident($inner:ty) = $kind:ident, from $from:expr, to $to:expr; )*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $name(pub $inner);

        impl Operand for $name {
            const KIND: Kind = Kind::$kind;
            #[inline(always)]
            fn from_bits(raw: u32) -> Self {
                let f: fn(u32) -> $inner = $from;
                $name(f(raw))
            }
            #[inline(always)]
            fn to_bits(self) -> u32 {
                let f: fn($inner) -> u32 = $to;
                f(self.0)
            }
        }
    )*};
}

operand_types! {
    /// A frame-relative register index.
    Reg(u16) = Reg, from |r| r as u16, to |v| v as u32;
    /// An unsigned 16-bit number.
    U16(u16) = U16, from |r| r as u16, to |v| v as u32;
    /// A signed 16-bit immediate.
    I16(i16) = I16, from |r| r as u16 as i16, to |v| v as u16 as u32;
    /// A signed 32-bit immediate.
    I32(i32) = I32, from |r| r as i32, to |v| v as u32;
    /// The bits of an `f32` immediate.
    F32(u32) = F32, from |r| r, to |v| v;
    /// An unsigned 32-bit count.
    Count(u32) = Count, from |r| r, to |v| v;
    /// A signed 16-bit branch offset (words, relative to this word).
    Jump16(i16) = Jump16, from |r| r as u16 as i16, to |v| v as u16 as u32;
    /// A signed 32-bit branch offset (words, relative to this word).
    Jump32(i32) = Jump32, from |r| r as i32, to |v| v as u32;
    /// A function index.
    Func(u32) = Func, from |r| r, to |v| v;
    /// A constant pool index.
    Const(u32) = Const, from |r| r, to |v| v;
    /// A global index.
    Global(u32) = Global, from |r| r, to |v| v;
    /// A table index.
    Table(u16) = Table, from |r| r as u16, to |v| v as u32;
    /// A signature index.
    Type(u16) = Type, from |r| r as u16, to |v| v as u32;
}

impl Reg {
    /// The register index as a `usize`.
    #[inline(always)]
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}
