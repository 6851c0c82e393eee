//! dx: translates a WebAssembly module into a seLVM register-bytecode module (`.sbc`),
//! as Android's dx turned stack JVM code into register Dalvik code.
//!
//! [`translate`] parses and validates the input with `wasmparser` (the feature set
//! rustc uses for `wasm32-unknown-unknown`: MVP, mutable globals, multi-value, sign
//! extension, non-trapping float-to-int, bulk memory, reference types), translates each
//! function body into register code (locals are registers, the operand stack becomes
//! registers with copies eliminated) and writes the module with the VM's
//! `ModuleBuilder`. See `docs/dx.md`.

#![forbid(unsafe_code)]

mod error;
mod func;
mod info;
mod module;
mod segments;
mod sel4;
mod types;

pub use error::{Error, FuncId, Place};
pub use info::{DataSegment, ElemSegment, ExportKind, ImportKind, Init, ModuleInfo, TableInfo};

/// What dx does with a module's imports (and so the module's global layout).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ImportPolicy {
    /// Programs for the vm architecture (`docs/wasm-abi.md`): imports from module
    /// `sel4` with their exact signatures are lowered to system calls; any other import
    /// is an error naming it. Bytecode globals 0 and 1 are the reserved IPC-buffer and
    /// BootInfo globals the kernel writes, and wasm global `k` is bytecode global
    /// `k + 2` (so `__stack_pointer` is bytecode global 2).
    #[default]
    Sel4,
    /// Modules that import nothing at all, with globals unshifted (wasm global `k` is
    /// bytecode global `k`): for computations run outside the kernel (benchmarks,
    /// differential tests).
    Reject,
    /// For embedders that link modules themselves (the spec-test embedder): an imported
    /// function `i` becomes a stub whose body is `syscall r0, n, i` (n = max(params,
    /// results)) followed by `return`, so the embedder services the call; imported
    /// globals, tables and memories become the module's own, which the embedder fills.
    /// Active segments and the start function are then left to the embedder too
    /// ([`ModuleInfo`]), which instantiates in the specification's order. Globals are
    /// unshifted.
    Host,
}

/// Translation options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// What to do with imports.
    pub imports: ImportPolicy,
    /// The maximum size given to a table that declares none (the machine reserves
    /// room for every table's maximum in each thread's context area).
    pub default_table_max: u32,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            imports: ImportPolicy::Sel4,
            default_table_max: 1024,
        }
    }
}

/// A translated module.
#[derive(Clone, Debug)]
pub struct Translation {
    /// The `.sbc` bytes.
    pub sbc: Vec<u8>,
    /// What an embedder needs beyond the `.sbc`: imports, all exports, segments.
    pub info: ModuleInfo,
}

/// Translates the WebAssembly module `wasm` into a `.sbc` module.
pub fn translate(wasm: &[u8], options: &Options) -> Result<Translation, Error> {
    module::translate(wasm, options)
}
