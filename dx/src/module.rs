//! Module-level translation: walks the sections in order (validating each with
//! `wasmparser`), maps types, imports, tables, memory, globals, exports and segments
//! onto the `.sbc` ones, and translates each function body as it arrives.

use crate::error::{Error, FuncId};
use crate::func::{self, FuncCtx};
use crate::info::{DataSegment, ElemSegment, ExportKind, ImportKind, Init, ModuleInfo, TableInfo};
use crate::segments::Segment;
use crate::types::{signature, supported_features};
use crate::{ImportPolicy, Options, Translation};
use selvm_bytecode::Op;
use selvm_bytecode::format::{MAX_MEMORY_PAGES, MAX_TABLE_SIZE, NULL_ELEM, PAGE_SIZE};
use selvm_vm::asm::builder::{FunctionDef, GlobalDef, ModuleBuilder, Signature, TableDef};
use std::collections::HashMap;
use wasmparser::{
    ConstExpr, DataKind, ElementItems, ElementKind, ExternalKind, FuncType, KnownCustom, Name,
    Operator, Parser, Payload, TableInit, TypeRef, ValidPayload, Validator,
};

/// Everything learned from the sections before the code, shared with the function
/// translator.
pub(crate) struct ModuleState {
    /// The module's function types.
    pub types: Vec<FuncType>,
    /// The `.sbc` signature index of each type.
    pub sigs: Vec<u32>,
    /// The type index of each function (imports first).
    pub func_types: Vec<u32>,
    /// Function names from the name section.
    pub names: HashMap<u32, String>,
    /// Number of imported functions.
    pub imported_funcs: u32,
    /// Bytecode global of wasm global 0 (2 under the sel4 policy, else 0).
    pub global_offset: u32,
    /// Imported functions that read a reserved global (`seL4_GetIPCBuffer`,
    /// `seL4_GetBootInfo`): function index to bytecode global.
    pub getters: HashMap<u32, u32>,
    pub(crate) builder: ModuleBuilder,
    pub(crate) info: ModuleInfo,
    policy: ImportPolicy,
    default_table_max: u32,
    /// Functions translated so far (imports included).
    next_func: u32,
    /// Index of each constant in the pool.
    const_index: HashMap<u64, u32>,
    /// How code reaches each data segment (set when the code section starts).
    pub data_segments: Vec<Segment>,
    /// How code reaches each element segment (set when the code section starts).
    pub elem_segments: Vec<Segment>,
}

impl ModuleState {
    /// The function `index` as errors name it.
    pub(crate) fn func_id(&self, index: u32) -> FuncId {
        FuncId {
            index,
            name: self.names.get(&index).cloned(),
        }
    }
}

/// Function names from the `name` section, if there is a readable one (errors in it are
/// ignored here; the validator does not check custom sections either).
fn read_names(wasm: &[u8]) -> HashMap<u32, String> {
    let mut names = HashMap::new();
    for payload in Parser::new(0).parse_all(wasm) {
        let Ok(Payload::CustomSection(reader)) = payload else {
            if payload.is_err() {
                break;
            }
            continue;
        };
        let KnownCustom::Name(reader) = reader.as_known() else {
            continue;
        };
        for name in reader.into_iter().flatten() {
            if let Name::Function(map) = name {
                for naming in map.into_iter().flatten() {
                    names.insert(naming.index, naming.name.to_string());
                }
            }
        }
    }
    names
}

/// Evaluates a constant expression of the supported features.
fn const_init(expr: &ConstExpr<'_>) -> Result<Init, Error> {
    let mut reader = expr.get_operators_reader();
    let offset = reader.original_position();
    let op = reader.read().map_err(|e| Error::invalid(e, None))?;
    Ok(match op {
        Operator::I32Const { value } => Init::Value(value as u32 as u64),
        Operator::I64Const { value } => Init::Value(value as u64),
        Operator::F32Const { value } => Init::Value(value.bits() as u64),
        Operator::F64Const { value } => Init::Value(value.bits()),
        Operator::RefNull { .. } => Init::Value(u64::MAX),
        Operator::RefFunc { function_index } => Init::Value(function_index as u64),
        Operator::GlobalGet { global_index } => Init::Global(global_index),
        _ => return Err(Error::unsupported(None, offset, "constant expression")),
    })
}

/// A constant initializer's value when it needs none of the imports.
fn const_value(init: Init, offset: u64) -> Result<u64, Error> {
    match init {
        Init::Value(v) => Ok(v),
        Init::Global(_) => Err(Error::unsupported(
            None,
            offset,
            "initializer reading an imported global (only under the host import policy)",
        )),
    }
}

fn to_u32(v: u64, offset: u64, what: &str) -> Result<u32, Error> {
    u32::try_from(v).map_err(|_| Error::limit(None, offset, what.to_string()))
}

pub(crate) fn translate(wasm: &[u8], options: &Options) -> Result<Translation, Error> {
    let mut m = ModuleState {
        types: Vec::new(),
        sigs: Vec::new(),
        func_types: Vec::new(),
        names: read_names(wasm),
        imported_funcs: 0,
        global_offset: 0,
        getters: HashMap::new(),
        builder: ModuleBuilder::default(),
        info: ModuleInfo::default(),
        policy: options.imports,
        default_table_max: options.default_table_max,
        next_func: 0,
        const_index: HashMap::new(),
        data_segments: Vec::new(),
        elem_segments: Vec::new(),
    };
    let mut passive = Some(crate::segments::read_passive(wasm));
    if m.policy == ImportPolicy::Sel4 {
        reserve_globals(&mut m);
    }
    let mut validator = Validator::new_with_features(supported_features());
    let mut func_ctx = FuncCtx::default();
    let mut start = None;
    let mut start_export_offset = 0;
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(|e| Error::invalid(e, None))?;
        if let ValidPayload::Func(to_validate, body) = validator
            .payload(&payload)
            .map_err(|e| Error::invalid(e, None))?
        {
            let index = m.next_func;
            let fv = to_validate.into_validator(Default::default());
            let translated = func::translate(&m, &mut func_ctx, index, fv, &body)?;
            let def = add_constants(&mut m, translated);
            m.builder.functions.push(def);
            m.next_func += 1;
            continue;
        }
        match payload {
            Payload::CodeSectionStart { .. } => {
                if let Some(p) = passive.take() {
                    (m.data_segments, m.elem_segments) = crate::segments::lay_out(&mut m, p);
                }
            }
            Payload::TypeSection(reader) => {
                for ty in reader.into_iter_err_on_gc_types() {
                    let ty = ty.map_err(|e| Error::invalid(e, None))?;
                    let sig = signature(&ty)
                        .ok_or_else(|| Error::unsupported(None, 0, "value type in signature"))?;
                    let index = m.builder.type_index(sig);
                    if index > u16::MAX as u32 {
                        return Err(Error::limit(None, 0, "more than 65536 signatures"));
                    }
                    m.sigs.push(index);
                    m.types.push(ty);
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports_with_offsets() {
                    let (offset, import) = import.map_err(|e| Error::invalid(e, None))?;
                    add_import(&mut m, import, offset)?;
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    m.func_types.push(ty.map_err(|e| Error::invalid(e, None))?);
                }
            }
            Payload::TableSection(reader) => {
                for table in reader.into_iter_with_offsets() {
                    let (offset, table) = table.map_err(|e| Error::invalid(e, None))?;
                    if !matches!(table.init, TableInit::RefNull) {
                        return Err(Error::unsupported(None, offset, "table initializer"));
                    }
                    add_table(&mut m, &table.ty, offset)?;
                }
            }
            Payload::MemorySection(reader) => {
                for memory in reader.into_iter_with_offsets() {
                    let (offset, memory) = memory.map_err(|e| Error::invalid(e, None))?;
                    set_memory(&mut m, &memory, offset)?;
                }
            }
            Payload::GlobalSection(reader) => {
                for global in reader.into_iter_with_offsets() {
                    let (offset, global) = global.map_err(|e| Error::invalid(e, None))?;
                    let init = const_init(&global.init_expr)?;
                    let bits = match (init, m.policy) {
                        (Init::Global(_), ImportPolicy::Host) => 0,
                        (init, _) => const_value(init, offset)?,
                    };
                    let ty = crate::types::sbc_type(global.ty.content_type)
                        .ok_or_else(|| Error::unsupported(None, offset, "global type"))?;
                    m.builder.globals.push(GlobalDef {
                        ty,
                        mutable: global.ty.mutable,
                        init: bits,
                    });
                    m.info.globals.push((global.ty.mutable, init));
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader.into_iter_with_offsets() {
                    let (offset, export) = export.map_err(|e| Error::invalid(e, None))?;
                    if export.name == "_start" {
                        start_export_offset = offset;
                    }
                    let kind = match export.kind {
                        ExternalKind::Func | ExternalKind::FuncExact => {
                            m.builder
                                .exports
                                .push((export.name.to_string(), export.index));
                            ExportKind::Func(export.index)
                        }
                        ExternalKind::Table => ExportKind::Table(export.index),
                        ExternalKind::Memory => ExportKind::Memory,
                        ExternalKind::Global => ExportKind::Global(export.index + m.global_offset),
                        ExternalKind::Tag => continue,
                    };
                    m.info.exports.push((export.name.to_string(), kind));
                }
            }
            Payload::StartSection { func, .. } => start = Some(func),
            Payload::ElementSection(reader) => {
                for elem in reader.into_iter_with_offsets() {
                    let (offset, elem) = elem.map_err(|e| Error::invalid(e, None))?;
                    let ElementKind::Active {
                        table_index,
                        offset_expr,
                    } = elem.kind
                    else {
                        continue;
                    };
                    let mut items = Vec::new();
                    match elem.items {
                        ElementItems::Functions(r) => {
                            for f in r {
                                let f = f.map_err(|e| Error::invalid(e, None))?;
                                items.push(Init::Value(f as u64));
                            }
                        }
                        ElementItems::Expressions(_, r) => {
                            for e in r {
                                items.push(const_init(&e.map_err(|e| Error::invalid(e, None))?)?);
                            }
                        }
                    }
                    let segment = ElemSegment {
                        table: table_index.unwrap_or(0),
                        offset: const_init(&offset_expr)?,
                        items,
                    };
                    add_elems(&mut m, segment, offset)?;
                }
            }
            Payload::DataSection(reader) => {
                for data in reader.into_iter_with_offsets() {
                    let (offset, data) = data.map_err(|e| Error::invalid(e, None))?;
                    let DataKind::Active { offset_expr, .. } = data.kind else {
                        continue;
                    };
                    let segment = DataSegment {
                        offset: const_init(&offset_expr)?,
                        bytes: data.data.to_vec(),
                    };
                    add_data(&mut m, segment, offset)?;
                }
            }
            _ => {}
        }
    }
    finish(m, start, start_export_offset)
}

/// Adds one import under the module's policy.
fn add_import(
    m: &mut ModuleState,
    import: wasmparser::Import<'_>,
    offset: u64,
) -> Result<(), Error> {
    let refuse = |why: &str| Error::Import {
        module: import.module.to_string(),
        name: import.name.to_string(),
        offset,
        why: why.to_string(),
    };
    match m.policy {
        ImportPolicy::Reject => {
            return Err(refuse("this translation accepts no imports"));
        }
        ImportPolicy::Sel4 => return add_sel4_import(m, import, offset),
        ImportPolicy::Host => {}
    }
    let kind = match import.ty {
        TypeRef::Func(ty) | TypeRef::FuncExact(ty) => {
            let index = m.func_types.len() as u32;
            if index > u16::MAX as u32 {
                return Err(refuse("more than 65536 imported functions"));
            }
            let wasm_ty = m.types.get(ty as usize).ok_or_else(|| refuse("bad type"))?;
            let (params, results) = (wasm_ty.params().len(), wasm_ty.results().len());
            let window = params.max(results);
            let code = vec![
                selvm_bytecode::Instr::Syscall {
                    a: selvm_bytecode::operand::Reg(0),
                    b: selvm_bytecode::operand::U16(window as u16),
                    c: selvm_bytecode::operand::U16(index as u16),
                }
                .encode(),
                selvm_bytecode::Instr::Return {
                    a: selvm_bytecode::operand::Reg(0),
                    b: selvm_bytecode::operand::U16(results as u16),
                }
                .encode(),
            ];
            m.builder.functions.push(FunctionDef {
                name: format!("{}.{}", import.module, import.name),
                ty: m.sigs[ty as usize],
                frame: window.max(1) as u16,
                code,
            });
            m.func_types.push(ty);
            m.imported_funcs += 1;
            m.next_func += 1;
            ImportKind::Func(index)
        }
        TypeRef::Table(t) => {
            let index = m.builder.tables.len() as u32;
            add_table(m, &t, offset)?;
            ImportKind::Table(index)
        }
        TypeRef::Memory(t) => {
            set_memory(m, &t, offset)?;
            ImportKind::Memory
        }
        TypeRef::Global(g) => {
            let ty = crate::types::sbc_type(g.content_type).ok_or_else(|| refuse("type"))?;
            let index = m.builder.globals.len() as u32;
            m.builder.globals.push(GlobalDef {
                ty,
                mutable: g.mutable,
                init: 0,
            });
            m.info.globals.push((g.mutable, Init::Value(0)));
            ImportKind::Global(index)
        }
        TypeRef::Tag(_) => return Err(refuse("tags are not supported")),
    };
    m.info
        .imports
        .push((import.module.to_string(), import.name.to_string(), kind));
    Ok(())
}

/// Bytecode globals 0 and 1: the IPC buffer and BootInfo addresses the kernel writes
/// (immutable for the program); wasm globals follow them.
fn reserve_globals(m: &mut ModuleState) {
    use selvm_abi::wasm::{GLOBAL_BOOT_INFO, GLOBAL_IPC_BUFFER, WASM_GLOBAL_OFFSET};
    debug_assert_eq!((GLOBAL_IPC_BUFFER, GLOBAL_BOOT_INFO), (0, 1));
    for _ in 0..WASM_GLOBAL_OFFSET {
        m.builder.globals.push(GlobalDef {
            ty: selvm_bytecode::format::ValType::I32,
            mutable: false,
            init: 0,
        });
        m.info.globals.push((false, Init::Value(0)));
    }
    m.global_offset = WASM_GLOBAL_OFFSET;
}

/// Adds an import under the sel4 policy: a function of the seL4 API with its exact
/// signature, lowered to a system-call function or a reserved-global read.
fn add_sel4_import(
    m: &mut ModuleState,
    import: wasmparser::Import<'_>,
    offset: u64,
) -> Result<(), Error> {
    let refuse = |why: String| Error::Import {
        module: import.module.to_string(),
        name: import.name.to_string(),
        offset,
        why,
    };
    let (TypeRef::Func(ty) | TypeRef::FuncExact(ty)) = import.ty else {
        return Err(refuse(
            "programs import only functions of the seL4 API (they define their memory, tables and globals)".into(),
        ));
    };
    let wasm_ty = m
        .types
        .get(ty as usize)
        .ok_or_else(|| refuse("bad type".into()))?;
    let api = crate::sel4::lookup(import.module, import.name, wasm_ty).map_err(refuse)?;
    let index = m.func_types.len() as u32;
    let (code, frame) = match api.lowering {
        selvm_abi::wasm::Lowering::Global(g) => {
            m.getters.insert(index, g);
            (crate::sel4::getter_function(g), 1)
        }
        selvm_abi::wasm::Lowering::Syscall(_) => (
            crate::sel4::syscall_function(api),
            crate::sel4::SYSCALL_FRAME,
        ),
    };
    m.builder.functions.push(FunctionDef {
        name: import.name.to_string(),
        ty: m.sigs[ty as usize],
        frame,
        code,
    });
    m.func_types.push(ty);
    m.imported_funcs += 1;
    m.next_func += 1;
    m.info.imports.push((
        import.module.to_string(),
        import.name.to_string(),
        ImportKind::Func(index),
    ));
    Ok(())
}

fn add_table(m: &mut ModuleState, t: &wasmparser::TableType, offset: u64) -> Result<(), Error> {
    if t.table64 {
        return Err(Error::unsupported(None, offset, "64-bit table"));
    }
    let initial = t.initial;
    if initial > MAX_TABLE_SIZE as u64 {
        return Err(Error::limit(
            None,
            offset,
            "table larger than 2^20 elements",
        ));
    }
    let max = t
        .maximum
        .unwrap_or(initial.max(m.default_table_max as u64))
        .min(MAX_TABLE_SIZE as u64)
        .max(initial);
    let extern_ref = t.element_type == wasmparser::RefType::EXTERNREF;
    m.builder.tables.push(TableDef {
        initial: initial as u32,
        max: max as u32,
        elems: Vec::new(),
    });
    m.info.tables.push(TableInfo {
        initial: initial as u32,
        max: max as u32,
        extern_ref,
    });
    Ok(())
}

fn set_memory(m: &mut ModuleState, t: &wasmparser::MemoryType, offset: u64) -> Result<(), Error> {
    if t.memory64 || t.shared || t.page_size_log2.is_some() {
        return Err(Error::unsupported(None, offset, "memory type"));
    }
    let initial = to_u32(t.initial, offset, "memory size")?;
    let max = t.maximum.unwrap_or(MAX_MEMORY_PAGES as u64);
    let max = to_u32(max.min(MAX_MEMORY_PAGES as u64), offset, "memory size")?;
    m.builder.memory = (initial, max);
    m.info.memory = Some((initial, max));
    Ok(())
}

fn add_elems(m: &mut ModuleState, segment: ElemSegment, offset: u64) -> Result<(), Error> {
    if m.policy == ImportPolicy::Host {
        m.info.elems.push(segment);
        return Ok(());
    }
    let base = const_value(segment.offset, offset)? as u32 as usize;
    let table = m
        .builder
        .tables
        .get_mut(segment.table as usize)
        .ok_or_else(|| Error::unsupported(None, offset, "element segment table"))?;
    let end = base.checked_add(segment.items.len());
    if end.is_none_or(|end| end > table.initial as usize) {
        return Err(Error::unsupported(
            None,
            offset,
            "element segment outside the table (instantiation would trap)",
        ));
    }
    for (i, item) in segment.items.iter().enumerate() {
        let v = const_value(*item, offset)?;
        let slot = base + i;
        if table.elems.len() <= slot {
            table.elems.resize(slot + 1, NULL_ELEM);
        }
        table.elems[slot] = if v == u64::MAX { NULL_ELEM } else { v as u32 };
    }
    Ok(())
}

fn add_data(m: &mut ModuleState, segment: DataSegment, offset: u64) -> Result<(), Error> {
    if m.policy == ImportPolicy::Host {
        m.info.data.push(segment);
        return Ok(());
    }
    let address = const_value(segment.offset, offset)? as u32 as u64;
    let end = address + segment.bytes.len() as u64;
    if end > m.builder.memory.0 as u64 * PAGE_SIZE {
        return Err(Error::unsupported(
            None,
            offset,
            "data segment outside the initial memory (instantiation would trap)",
        ));
    }
    if !segment.bytes.is_empty() {
        m.builder.data.push((address, segment.bytes));
    }
    Ok(())
}

/// Entry point, names, and the bytes. `start_export_offset` is where `_start` is
/// exported, for the error a program's `_start` of the wrong type gets.
fn finish(
    mut m: ModuleState,
    start: Option<u32>,
    start_export_offset: u64,
) -> Result<Translation, Error> {
    let is_unit = |m: &ModuleState, f: u32| {
        m.func_types
            .get(f as usize)
            .and_then(|&t| m.types.get(t as usize))
            .is_some_and(|t| t.params().is_empty() && t.results().is_empty())
    };
    let exported = m.builder.exports.iter().find(|(n, _)| n == "_start");
    let exported_start = exported.map(|&(_, f)| f).filter(|&f| is_unit(&m, f));
    // A program's `_start` is its entry (docs/wasm-abi.md): one of another type is an
    // error here, not a module without an entry that only fails when booted. (Under
    // the other policies `_start` is an ordinary export.)
    if let (ImportPolicy::Sel4, Some(&(_, f)), None) = (m.policy, exported, exported_start) {
        let ty = m
            .func_types
            .get(f as usize)
            .and_then(|&t| m.types.get(t as usize));
        let ty = ty.map_or("an unknown type".to_string(), |t| t.to_string());
        return Err(Error::unsupported(
            Some(m.func_id(f)),
            start_export_offset,
            format!(
                "the exported `_start` has type {ty}; a program's entry takes no \
                 parameters and returns nothing: (func) (docs/wasm-abi.md)"
            ),
        ));
    }
    if m.policy == ImportPolicy::Host {
        m.info.start = start;
    } else {
        m.builder.entry = match (start, exported_start) {
            (None, entry) => entry,
            (Some(s), None) => Some(s),
            (Some(s), Some(e)) => Some(add_start_wrapper(&mut m, s, e)),
        };
    }
    m.builder.names = !m.names.is_empty();
    if m.builder.names {
        for (i, f) in m.builder.functions.iter_mut().enumerate() {
            if let Some(n) = m.names.get(&(i as u32)) {
                f.name = n.clone();
            }
        }
    }
    Ok(Translation {
        sbc: m.builder.finish(),
        info: m.info,
    })
}

/// A function running the start function, then `_start`: the `.sbc` entry.
fn add_start_wrapper(m: &mut ModuleState, start: u32, entry: u32) -> u32 {
    use selvm_bytecode::Instr;
    use selvm_bytecode::operand::{Func, Reg, U16};
    let ty = m.builder.type_index(Signature::default());
    let code = vec![
        Instr::Call {
            a: Reg(0),
            bc: Func(start),
        }
        .encode(),
        Instr::Call {
            a: Reg(0),
            bc: Func(entry),
        }
        .encode(),
        Instr::Return {
            a: Reg(0),
            b: U16(0),
        }
        .encode(),
    ];
    m.builder.functions.push(FunctionDef {
        name: "__dx_start".to_string(),
        ty,
        frame: 1,
        code,
    });
    m.builder.functions.len() as u32 - 1
}

/// The function with its `ldc` operands renumbered into the module's constant pool.
fn add_constants(m: &mut ModuleState, t: func::Translated) -> FunctionDef {
    let mut def = t.def;
    for word in &mut def.code {
        if *word as u16 == Op::Ldc as u16 {
            let value = t.consts[(*word >> 32) as usize];
            let pool = &mut m.builder.constants;
            let index = *m.const_index.entry(value).or_insert_with(|| {
                pool.push(value);
                pool.len() as u32 - 1
            });
            *word = (*word & 0xffff_ffff) | ((index as u64) << 32);
        }
    }
    def
}
