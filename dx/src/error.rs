//! Why a module could not be translated: invalid or unsupported WebAssembly, a rejected
//! import, or a function beyond the register machine's limits. Every error names the
//! place: the function (index and name, when known) and the byte offset in the input.

use core::fmt;

/// A function of the input module: its index in the function index space and its name
/// from the name section, if the module has one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FuncId {
    /// Index in the function index space (imports first).
    pub index: u32,
    /// Name from the `name` custom section.
    pub name: Option<String>,
}

impl fmt::Display for FuncId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(n) => write!(f, "function {} `{}`", self.index, n),
            None => write!(f, "function {}", self.index),
        }
    }
}

/// Where in the input an error is: a function (if inside one) and a byte offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    /// The function, if the error is inside a function body.
    pub func: Option<FuncId>,
    /// Byte offset in the input module.
    pub offset: u64,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.func {
            Some(func) => write!(f, "{func}, offset {:#x}", self.offset),
            None => write!(f, "offset {:#x}", self.offset),
        }
    }
}

/// A translation error.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The input is not valid WebAssembly (malformed or failing validation), or uses a
    /// feature outside the supported set (which the validator rejects).
    #[error("invalid WebAssembly ({place}): {message}")]
    Invalid {
        /// Where.
        place: Place,
        /// The validator's message.
        message: String,
    },
    /// Valid WebAssembly that dx cannot translate (yet).
    #[error("unsupported WebAssembly ({place}): {what}")]
    Unsupported {
        /// Where.
        place: Place,
        /// What is not supported.
        what: String,
    },
    /// An import that the selected import policy does not provide.
    #[error("unsupported import `{module}.{name}` (offset {offset:#x}): {why}")]
    Import {
        /// The import's module name.
        module: String,
        /// The import's field name.
        name: String,
        /// Byte offset of the import.
        offset: u64,
        /// Why it is refused.
        why: String,
    },
    /// A function or module beyond the register machine's limits (65536 registers in a
    /// frame, 65536 signatures, ...).
    #[error("too large for the register machine ({place}): {what}")]
    Limit {
        /// Where.
        place: Place,
        /// Which limit.
        what: String,
    },
}

impl Error {
    /// An [`Error::Invalid`] from a wasmparser error inside `func` (if any).
    pub(crate) fn invalid(e: wasmparser::BinaryReaderError, func: Option<FuncId>) -> Error {
        Error::Invalid {
            place: Place {
                func,
                offset: e.offset(),
            },
            message: e.message().split_whitespace().collect::<Vec<_>>().join(" "),
        }
    }

    /// An [`Error::Unsupported`].
    pub(crate) fn unsupported(func: Option<FuncId>, offset: u64, what: impl Into<String>) -> Error {
        Error::Unsupported {
            place: Place { func, offset },
            what: what.into(),
        }
    }

    /// An [`Error::Limit`].
    pub(crate) fn limit(func: Option<FuncId>, offset: u64, what: impl Into<String>) -> Error {
        Error::Limit {
            place: Place { func, offset },
            what: what.into(),
        }
    }
}
