//! The `invocations!` macro: turns a table of invocations (`table.rs`, and the vm
//! architecture's in `vm/invocation.rs`) into the label enum, one argument struct per
//! invocation with the index of every message register and extra cap as a named
//! constant, its encoder, and the `const` table of specs.
//!
//! A table entry reads
//!
//! ```text
//! "Copies a capability, possibly with fewer rights."
//! CNodeCopy = 19 on CNode {
//!     mrs {
//!         DEST_INDEX dest_index = "the destination slot, resolved in the invoked CNode";
//!         RIGHTS rights: CapRights = "the rights the copy keeps";
//!     }
//!     caps { SRC_ROOT src_root = "the CNode the source is resolved in"; }
//!     reply {}
//! }
//! ```
//!
//! Message registers and extra caps are numbered in the order written; a field's type is
//! `Word` unless written (`: CapRights`, `: bool`; anything `MrWord`). A last message
//! register written `..REGS regs = "…";` is a variable-length tail (a `&[Word]` field);
//! a reply's `..` entry is the variable-length rest of a successful reply. The upper-case
//! name becomes the index constant, the lower-case one the struct field.

/// The number of identifiers given (a `usize` constant expression).
macro_rules! count {
    () => { 0usize };
    ($head:ident $($tail:ident)*) => { 1usize + $crate::invocation::macros::count!($($tail)*) };
}
pub(crate) use count;

/// The Rust type of a message-register field: `Word` unless the table names one.
macro_rules! mr_type {
    () => {
        $crate::Word
    };
    ($ty:ty) => {
        $ty
    };
}
pub(crate) use mr_type;

/// One index constant per name, numbered in order from 0 (`$kind` says of what).
macro_rules! indices {
    ($kind:literal [$($done:ident)*]) => {};
    ($kind:literal [$($done:ident)*] $CONST:ident $field:ident $doc:literal; $($rest:tt)*) => {
        #[doc = concat!($kind, " of `", stringify!($field), "`: ", $doc, ".")]
        pub const $CONST: usize = $crate::invocation::macros::count!($($done)*);
        $crate::invocation::macros::indices!($kind [$($done)* $CONST] $($rest)*);
    };
}
pub(crate) use indices;

/// A `Field` spec per name.
macro_rules! fields {
    ($($field:ident $doc:literal),*) => {
        &[$($crate::invocation::Field { name: stringify!($field), doc: $doc }),*]
    };
}
pub(crate) use fields;

/// The parts of one entry shared by invocations with and without a tail: index
/// constants, counts, the spec and the `Invocation` impl. `[$($gen)*]` is the struct's
/// generics (`<'a>` with a tail), `$mrs_ty`/`$encode` its MR encoding.
macro_rules! entry_common {
    (
        [$($gen:tt)*] $Name:ident = $value:literal on $Object:ident $doc:literal
        mrs { $($MR:ident $mr:ident $mr_doc:literal;)* }
        tail { $($TAIL:ident $tail:ident $tail_doc:literal;)? }
        caps { $($CAP:ident $cap:ident $cap_doc:literal;)* }
        reply { $($REPLY:ident $reply:ident $reply_doc:literal;)* }
        reply_tail { $($RTAIL:ident $rtail:ident $rtail_doc:literal;)? }
        mrs_type $mrs_ty:ty, encode |$this:ident| $encode:expr
    ) => {
        impl $($gen)* $Name $($gen)* {
            $crate::invocation::macros::indices!("Message register" [] $($MR $mr $mr_doc;)*);
            $(
                #[doc = concat!("First message register of the variable-length `", stringify!($tail), "`: ", $tail_doc, ".")]
                pub const $TAIL: usize = Self::MRS;
            )?
            $crate::invocation::macros::indices!("Extra cap" [] $($CAP $cap $cap_doc;)*);
            $crate::invocation::macros::indices!("Word of a successful reply" [] $($REPLY $reply $reply_doc;)*);
            $(
                #[doc = concat!("First word of a successful reply's variable-length `", stringify!($rtail), "`: ", $rtail_doc, ".")]
                pub const $RTAIL: usize = Self::REPLY_WORDS;
            )?
            /// Message registers the invocation always takes (a tail comes after them).
            pub const MRS: usize = $crate::invocation::macros::count!($($MR)*);
            /// Extra caps the invocation takes.
            pub const CAPS: usize = $crate::invocation::macros::count!($($CAP)*);
            /// Words a successful reply always carries (a tail comes after them).
            pub const REPLY_WORDS: usize = $crate::invocation::macros::count!($($REPLY)*);
            /// The invocation's row of the table.
            pub const SPEC: $crate::invocation::InvocationSpec = $crate::invocation::InvocationSpec {
                name: stringify!($Name),
                label: $value,
                object: $crate::invocation::InvokedObject::$Object,
                doc: $doc,
                mrs: $crate::invocation::macros::fields!($($mr $mr_doc),*),
                mr_tail: $crate::invocation::macros::optional_field!($($tail $tail_doc)?),
                caps: $crate::invocation::macros::fields!($($cap $cap_doc),*),
                reply: $crate::invocation::macros::fields!($($reply $reply_doc),*),
                reply_tail: $crate::invocation::macros::optional_field!($($rtail $rtail_doc)?),
            };
        }

        impl<'a> $crate::invocation::Decode<'a> for $Name $($gen)* {
            fn from_message(mrs: &'a [$crate::Word], caps: &[$crate::CPtr]) -> Option<Self> {
                if mrs.len() < Self::MRS || caps.len() < Self::CAPS {
                    return None;
                }
                Some(Self {
                    $($mr: $crate::invocation::MrWord::from_word(mrs[Self::$MR]),)*
                    $($tail: &mrs[Self::$TAIL..],)?
                    $($cap: caps[Self::$CAP],)*
                })
            }
        }

        impl $($gen)* $crate::invocation::Invocation for $Name $($gen)* {
            const LABEL: $crate::Word = $value;
            const SPEC: $crate::invocation::InvocationSpec = Self::SPEC;
            type Mrs = $mrs_ty;
            type Caps = [$crate::CPtr; $crate::invocation::macros::count!($($CAP)*)];

            #[inline]
            fn mrs(&self) -> Self::Mrs {
                let $this = self;
                let _ = $this;
                $encode
            }

            #[inline]
            fn caps(&self) -> Self::Caps {
                [$(self.$cap),*]
            }
        }
    };
}
pub(crate) use entry_common;

/// `Some(Field)` for a name, `None` for none.
macro_rules! optional_field {
    () => {
        None
    };
    ($field:ident $doc:literal) => {
        Some($crate::invocation::Field {
            name: stringify!($field),
            doc: $doc,
        })
    };
}
pub(crate) use optional_field;

/// One entry: the argument struct (with a lifetime if its MRs end in a tail) and the
/// shared parts.
macro_rules! entry {
    // Message registers ending in a variable-length tail.
    (
        $Name:ident = $value:literal on $Object:ident $doc:literal {
            mrs {
                $($MR:ident $mr:ident $(: $mr_ty:ty)? = $mr_doc:literal;)*
                ..$TAIL:ident $tail:ident = $tail_doc:literal;
            }
            caps { $($CAP:ident $cap:ident = $cap_doc:literal;)* }
            reply { $($reply_body:tt)* }
        }
    ) => {
        #[doc = $doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        pub struct $Name<'a> {
            $(#[doc = $mr_doc] pub $mr: $crate::invocation::macros::mr_type!($($mr_ty)?),)*
            #[doc = $tail_doc]
            pub $tail: &'a [$crate::Word],
            $(#[doc = $cap_doc] pub $cap: $crate::CPtr,)*
        }
        $crate::invocation::macros::entry_reply! {
            [<'a>] $Name = $value on $Object $doc
            mrs { $($MR $mr $mr_doc;)* }
            tail { $TAIL $tail $tail_doc; }
            caps { $($CAP $cap $cap_doc;)* }
            mrs_type $crate::invocation::MessageWords, encode |this| {
                let mut words = $crate::invocation::MessageWords::new();
                $(words.push($crate::invocation::MrWord::word(this.$mr));)*
                words.extend(this.$tail);
                words
            }
            reply { $($reply_body)* }
        }
    };
    // Only fixed message registers.
    (
        $Name:ident = $value:literal on $Object:ident $doc:literal {
            mrs { $($MR:ident $mr:ident $(: $mr_ty:ty)? = $mr_doc:literal;)* }
            caps { $($CAP:ident $cap:ident = $cap_doc:literal;)* }
            reply { $($reply_body:tt)* }
        }
    ) => {
        #[doc = $doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        pub struct $Name {
            $(#[doc = $mr_doc] pub $mr: $crate::invocation::macros::mr_type!($($mr_ty)?),)*
            $(#[doc = $cap_doc] pub $cap: $crate::CPtr,)*
        }
        $crate::invocation::macros::entry_reply! {
            [] $Name = $value on $Object $doc
            mrs { $($MR $mr $mr_doc;)* }
            tail {}
            caps { $($CAP $cap $cap_doc;)* }
            mrs_type [$crate::Word; $crate::invocation::macros::count!($($MR)*)], encode |this| {
                [$($crate::invocation::MrWord::word(this.$mr)),*]
            }
            reply { $($reply_body)* }
        }
    };
}
pub(crate) use entry;

/// Splits an entry's reply into fixed words and an optional tail.
macro_rules! entry_reply {
    (
        [$($gen:tt)*] $Name:ident = $value:literal on $Object:ident $doc:literal
        mrs { $($mrs:tt)* } tail { $($tail:tt)* } caps { $($caps:tt)* }
        mrs_type $mrs_ty:ty, encode |$this:ident| $encode:block
        reply {
            $($REPLY:ident $reply:ident = $reply_doc:literal;)*
            $(..$RTAIL:ident $rtail:ident = $rtail_doc:literal;)?
        }
    ) => {
        $crate::invocation::macros::entry_common! {
            [$($gen)*] $Name = $value on $Object $doc
            mrs { $($mrs)* } tail { $($tail)* } caps { $($caps)* }
            reply { $($REPLY $reply $reply_doc;)* }
            reply_tail { $($RTAIL $rtail $rtail_doc;)? }
            mrs_type $mrs_ty, encode |$this| $encode
        }
    };
}
pub(crate) use entry_reply;

/// Generates, from a table of invocations: the label enum (`ALL`, `from_word`, `word`,
/// `name`, `spec`), a module `args` with one argument struct per invocation (encoding
/// and decoding), the `const` table of specs and a function that visits every
/// argument struct.
macro_rules! invocations {
    (
        $(#[$enum_meta:meta])*
        enum $Enum:ident;
        $(invalid $Invalid:ident = $invalid_value:literal $invalid_doc:literal;)?
        $(#[$specs_meta:meta])*
        specs $SPECS:ident;
        $(#[$visit_meta:meta])*
        visit $visit:ident;
        $(
            $doc:literal
            $Name:ident = $value:literal on $Object:ident { $($body:tt)* }
        )*
    ) => {
        $(#[$enum_meta])*
        #[repr(u64)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $Enum {
            $(#[doc = $invalid_doc] $Invalid = $invalid_value,)?
            $(#[doc = $doc] $Name = $value,)*
        }

        impl $Enum {
            /// Every label, in numbering order (the labels are consecutive).
            pub const ALL: [$Enum; $crate::invocation::macros::count!($($Invalid)? $($Name)*)] =
                [$($Enum::$Invalid,)? $($Enum::$Name,)*];

            /// Decodes a label word; `None` for a word outside the table.
            pub const fn from_word(w: $crate::Word) -> Option<Self> {
                let first = Self::ALL[0].word();
                if w >= first && w - first < Self::ALL.len() as $crate::Word {
                    Some(Self::ALL[(w - first) as usize])
                } else {
                    None
                }
            }

            /// The label word.
            pub const fn word(self) -> $crate::Word {
                self as $crate::Word
            }

            /// The invocation's name, as the table writes it.
            pub const fn name(self) -> &'static str {
                match self {
                    $($Enum::$Invalid => stringify!($Invalid),)?
                    $($Enum::$Name => stringify!($Name),)*
                }
            }

            /// The invocation's row of the table (`None` for an invalid label).
            pub const fn spec(self) -> Option<&'static $crate::invocation::InvocationSpec> {
                let mut i = 0;
                while i < $SPECS.len() {
                    if $SPECS[i].label == self.word() {
                        return Some(&$SPECS[i]);
                    }
                    i += 1;
                }
                None
            }
        }

        // The labels are consecutive, so `from_word` can index `ALL`.
        const _: () = {
            let mut i = 1;
            while i < $Enum::ALL.len() {
                assert!($Enum::ALL[i].word() == $Enum::ALL[i - 1].word() + 1);
                i += 1;
            }
        };

        /// One argument struct per invocation: its message registers and extra caps as
        /// fields, the index of each as a named constant (`MRS` and `CAPS` count them),
        /// and its encoding through [`Invocation`](crate::invocation::Invocation).
        pub mod args {
            #[allow(unused_imports)]
            use $crate::{CapRights, Word};
            $(
                $crate::invocation::macros::entry! {
                    $Name = $value on $Object $doc { $($body)* }
                }
            )*
        }

        $(#[$specs_meta])*
        pub const $SPECS: &[$crate::invocation::InvocationSpec] = &[$(args::$Name::SPEC),*];

        $(#[$visit_meta])*
        pub fn $visit(visitor: &mut impl $crate::invocation::InvocationVisitor) {
            $(visitor.visit::<args::$Name>();)*
        }
    };
}
pub(crate) use invocations;
