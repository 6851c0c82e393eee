//! What an embedder needs to know about a translated module beyond its `.sbc`: the
//! imports it expects, all of its exports (the `.sbc` lists functions only), and, under
//! [`ImportPolicy::Host`](crate::ImportPolicy::Host), the active segments and start
//! function it must apply at instantiation.

/// A constant initializer: a value, or the value of an (imported) global.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Init {
    /// The value's bits (a function reference is its index, null is all ones).
    Value(u64),
    /// The current value of global `index`.
    Global(u32),
}

/// The kind of an import, with its index in its own index space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportKind {
    /// Function `index` (under the host policy its `.sbc` stub calls `syscall` with
    /// `index` as its number; under the sel4 policy it is the lowered seL4 call).
    Func(u32),
    /// Table `index`.
    Table(u32),
    /// The memory.
    Memory,
    /// Global `index`.
    Global(u32),
}

/// The kind of an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportKind {
    /// A function.
    Func(u32),
    /// A table.
    Table(u32),
    /// The memory.
    Memory,
    /// A global.
    Global(u32),
}

/// A table's limits as translated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableInfo {
    /// Initial size.
    pub initial: u32,
    /// Maximum size (the declared one, or [`Options::default_table_max`](crate::Options)).
    pub max: u32,
    /// Whether the element type is `externref` (else `funcref`).
    pub extern_ref: bool,
}

/// An active data segment left to the embedder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataSegment {
    /// Where it goes.
    pub offset: Init,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// An active element segment left to the embedder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElemSegment {
    /// The table.
    pub table: u32,
    /// Where it goes.
    pub offset: Init,
    /// Its elements.
    pub items: Vec<Init>,
}

/// What an embedder needs to know about a translated module.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModuleInfo {
    /// Imports in order: module name, field name, kind.
    pub imports: Vec<(String, String, ImportKind)>,
    /// Exports in order: name and kind.
    pub exports: Vec<(String, ExportKind)>,
    /// Every bytecode global (imports first; under the sel4 policy the two reserved ones
    /// before them): whether it is mutable, and its initializer.
    pub globals: Vec<(bool, Init)>,
    /// Every table (imports first).
    pub tables: Vec<TableInfo>,
    /// The memory's limits in pages, if the module has one (imported or defined).
    pub memory: Option<(u32, u32)>,
    /// Under the host policy: active data segments, in order.
    pub data: Vec<DataSegment>,
    /// Under the host policy: active element segments, in order.
    pub elems: Vec<ElemSegment>,
    /// Under the host policy: the start function.
    pub start: Option<u32>,
}
