//! The `isa!` macro: turns the one instruction table in `isa.rs` into the op enum,
//! the decoded instruction enum, encoding, decoding and the metadata that the
//! verifier, assembler, disassembler and the generated `docs/isa.md` read.

/// The [`Field`](crate::operand::Field) named by an operand position ident.
macro_rules! field {
    (a) => {
        $crate::operand::Field::A
    };
    (b) => {
        $crate::operand::Field::B
    };
    (c) => {
        $crate::operand::Field::C
    };
    (bc) => {
        $crate::operand::Field::Bc
    };
}

/// Generates `Op` and `Instr` from the instruction table (see `isa.rs`).
macro_rules! isa {
    ($( group $group:literal { $(
        $name:ident $mnemonic:literal ( $($pos:ident : $kind:ident),* ) $doc:literal;
    )* } )*) => {
        /// An opcode: the low 16 bits of an instruction word. Opcodes are numbered in
        /// table order, so reordering the table changes the format version.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u16)]
        pub enum Op { $($( #[doc = $doc] $name, )*)* }

        impl Op {
            /// Every op, in opcode order (`Op::ALL[n]` has opcode `n`).
            pub const ALL: &'static [Op] = &[$($( Op::$name, )*)*];

            /// The op with opcode `code`, if there is one.
            #[inline]
            pub fn from_u16(code: u16) -> Option<Op> {
                Self::ALL.get(code as usize).copied()
            }

            /// The op written `mnemonic` in assembly, if there is one.
            pub fn from_mnemonic(mnemonic: &str) -> Option<Op> {
                Self::ALL.iter().copied().find(|op| op.mnemonic() == mnemonic)
            }

            /// The assembly mnemonic.
            pub const fn mnemonic(self) -> &'static str {
                match self { $($( Op::$name => $mnemonic, )*)* }
            }

            /// The one-line semantics.
            pub const fn doc(self) -> &'static str {
                match self { $($( Op::$name => $doc, )*)* }
            }

            /// The heading of the op's group in the ISA reference.
            pub const fn group(self) -> &'static str {
                match self { $($( Op::$name => $group, )*)* }
            }

            /// The operands in assembly order, with the field each occupies.
            pub const fn operands(self) -> &'static [(
                $crate::operand::Field,
                $crate::operand::Kind,
            )] {
                match self { $($( Op::$name => &[$(
                    (field!($pos), <$crate::operand::$kind as $crate::operand::Operand>::KIND)
                ),*], )*)* }
            }
        }

        /// A decoded instruction: the op with its typed operands (fields named after
        /// the word's fields `a`, `b`, `c`, `bc`; their meaning is the op's doc line).
        /// `repr(u16)`: the discriminant is the opcode, so [`Instr::op`] is a plain load
        /// of the first 16 bits (the dispatchers index their handler tables with it).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[allow(missing_docs)] // operand fields are documented by each variant's line
        #[repr(u16)]
        pub enum Instr { $($(
            #[doc = $doc]
            $name { $($pos: $crate::operand::$kind),* },
        )*)* }

        impl Instr {
            /// The instruction's op (its discriminant: always inlined, because the
            /// dispatchers index their handler tables with it).
            #[inline(always)]
            pub const fn op(&self) -> Op {
                match self { $($( Instr::$name { .. } => Op::$name, )*)* }
            }

            /// The instruction word.
            pub fn encode(self) -> u64 {
                use $crate::operand::Operand as _;
                match self { $($(
                    Instr::$name { $($pos),* } =>
                        Op::$name as u64 $( | field!($pos).put($pos.to_bits()) )*,
                )*)* }
            }

            /// Decodes one instruction word; unused fields must be zero.
            pub fn decode(word: u64) -> Result<Instr, $crate::isa::DecodeError> {
                use $crate::operand::Operand as _;
                let op = Op::from_u16(word as u16)
                    .ok_or($crate::isa::DecodeError::Opcode(word as u16))?;
                if word & !op.used_mask() != 0 {
                    return Err($crate::isa::DecodeError::UnusedBits(op));
                }
                Ok(match op { $($(
                    Op::$name => Instr::$name { $(
                        $pos: $crate::operand::$kind::from_bits(field!($pos).get(word))
                    ),* },
                )*)* })
            }
        }
    };
}
