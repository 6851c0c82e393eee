//! `docs/wasm-abi.md` carries the import table generated from `selvm_abi::wasm::IMPORTS`;
//! this test regenerates it and fails if the committed file is stale, and checks that
//! the worked example `user/examples/hello.wat` is a valid module whose imports and
//! exports follow the ABI.
//! Update the doc with: `SELVM_BLESS=1 cargo test -p selvm-abi --test wasm_abi_doc`

use selvm_abi::vm::syscall_code;
use selvm_abi::wasm::{
    ENTRY_EXPORT, IMPORT_MODULE, IMPORTS, Import, Lowering, MEMORY_EXPORT, ValType, import,
};

const BEGIN: &str = "<!-- BEGIN GENERATED: cargo test -p selvm-abi --test wasm_abi_doc -->\n";
const END: &str = "<!-- END GENERATED -->";

fn types(list: &[ValType]) -> String {
    list.iter().map(|t| t.name()).collect::<Vec<_>>().join(", ")
}

fn row(imp: &Import) -> String {
    let lowered = match imp.lowering {
        Lowering::Syscall(s) => format!("`syscall` {s:?} ({:#06x})", syscall_code(s)),
        Lowering::Global(g) => format!("`global.get {g}`"),
    };
    let yes = |b: bool| if b { "yes" } else { "" };
    let sender = imp.sender.map(|p| format!("param {p}")).unwrap_or_default();
    format!(
        "| `{}` | {} | {} | {} | {} | {} | {} |\n",
        imp.name,
        types(imp.params),
        types(imp.results),
        lowered,
        yes(imp.load_mrs),
        yes(imp.store_mrs),
        sender
    )
}

fn table() -> String {
    let mut t = String::from(
        "| import | params | results | lowered to | MRs loaded | MRs stored | sender |\n",
    );
    t.push_str("|---|---|---|---|---|---|---|\n");
    for imp in &IMPORTS {
        t.push_str(&row(imp));
    }
    t
}

#[test]
fn wasm_abi_md_import_table_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/wasm-abi.md");
    let text = std::fs::read_to_string(path).expect("docs/wasm-abi.md exists");
    let begin = text.find(BEGIN).expect("BEGIN marker") + BEGIN.len();
    let end = text.find(END).expect("END marker");
    let generated = table();
    if text[begin..end] == generated {
        return;
    }
    if std::env::var_os("SELVM_BLESS").is_some() {
        let updated = format!("{}{generated}{}", &text[..begin], &text[end..]);
        std::fs::write(path, updated).unwrap();
        return;
    }
    panic!(
        "docs/wasm-abi.md's import table is stale.\n\
         Update it with: SELVM_BLESS=1 cargo test -p selvm-abi --test wasm_abi_doc"
    );
}

#[test]
fn generated_rows_name_the_syscall_code() {
    let call = row(import("seL4_Call").unwrap());
    assert_eq!(
        call,
        "| `seL4_Call` | i64, i64 | i64 | `syscall` Call (0xffff) | yes | yes |  |\n"
    );
    let get = row(import("seL4_GetIPCBuffer").unwrap());
    assert_eq!(
        get,
        "| `seL4_GetIPCBuffer` |  | i32 | `global.get 0` |  |  |  |\n"
    );
}

fn val_type(t: wasmparser::ValType) -> Option<ValType> {
    match t {
        wasmparser::ValType::I32 => Some(ValType::I32),
        wasmparser::ValType::I64 => Some(ValType::I64),
        _ => None,
    }
}

/// Checks a module's `sel4` imports and entry exports against the ABI; returns the
/// names of the imports it uses.
fn check_module(wasm: &[u8]) -> Result<Vec<String>, String> {
    use wasmparser::{ExternalKind, Payload, TypeRef};
    // Exactly the features dx translates (the ones `cargo xtask build-user` pins).
    use wasmparser::WasmFeatures as F;
    let features = F::MUTABLE_GLOBAL
        | F::SIGN_EXTENSION
        | F::SATURATING_FLOAT_TO_INT
        | F::BULK_MEMORY
        | F::MULTI_VALUE
        | F::REFERENCE_TYPES
        | F::FLOATS
        | F::GC_TYPES;
    wasmparser::Validator::new_with_features(features)
        .validate_all(wasm)
        .map_err(|e| e.to_string())?;
    let mut func_types = Vec::new();
    let mut funcs = Vec::new(); // type index of every function, imports first
    let mut imported = Vec::new();
    let mut exports = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        match payload.map_err(|e| e.to_string())? {
            Payload::TypeSection(r) => {
                for t in r.into_iter_err_on_gc_types() {
                    let t = t.map_err(|e| e.to_string())?;
                    let conv = |l: &[wasmparser::ValType]| {
                        l.iter().map(|&v| val_type(v)).collect::<Option<Vec<_>>>()
                    };
                    func_types.push((conv(t.params()), conv(t.results())));
                }
            }
            Payload::ImportSection(r) => {
                for i in r.into_imports() {
                    let i = i.map_err(|e| e.to_string())?;
                    if i.module != IMPORT_MODULE {
                        return Err(format!("import {}.{} not from sel4", i.module, i.name));
                    }
                    let TypeRef::Func(ty) = i.ty else {
                        return Err(format!("import {} is not a function", i.name));
                    };
                    let abi = import(i.name).ok_or(format!("unknown import {}", i.name))?;
                    let (params, results) = &func_types[ty as usize];
                    if params.as_deref() != Some(abi.params)
                        || results.as_deref() != Some(abi.results)
                    {
                        return Err(format!("import {} has the wrong signature", i.name));
                    }
                    funcs.push(ty);
                    imported.push(i.name.to_string());
                }
            }
            Payload::FunctionSection(r) => {
                for f in r {
                    funcs.push(f.map_err(|e| e.to_string())?);
                }
            }
            Payload::ExportSection(r) => {
                for e in r {
                    let e = e.map_err(|e| e.to_string())?;
                    exports.push((e.name.to_string(), e.kind, e.index));
                }
            }
            _ => {}
        }
    }
    let start = exports
        .iter()
        .find(|(n, k, _)| n == ENTRY_EXPORT && *k == ExternalKind::Func);
    let (_, _, index) = start.ok_or("no _start export")?;
    let (params, results) = &func_types[funcs[*index as usize] as usize];
    if params.as_deref() != Some(&[]) || results.as_deref() != Some(&[]) {
        return Err("_start takes parameters or returns results".into());
    }
    if !exports
        .iter()
        .any(|(n, k, _)| n == MEMORY_EXPORT && *k == ExternalKind::Memory)
    {
        return Err("no memory export".into());
    }
    Ok(imported)
}

#[test]
fn worked_example_follows_the_abi() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../user/examples/hello.wat");
    let wasm = wat::parse_file(path).expect("hello.wat parses");
    let used = check_module(&wasm).expect("hello.wat follows the ABI");
    assert_eq!(
        used,
        [
            "seL4_DebugPutChar",
            "seL4_Call",
            "seL4_GetBootInfo",
            "seL4_GetIPCBuffer",
            "seL4_DebugHalt"
        ]
    );
}

#[test]
fn checker_rejects_abi_violations() {
    let bad = [
        (
            r#"(module (import "env" "f" (func)) (memory (export "memory") 1) (func (export "_start")))"#,
            "not from sel4",
        ),
        (
            r#"(module (import "sel4" "seL4_Call" (func (param i32 i64) (result i64))) (memory (export "memory") 1) (func (export "_start")))"#,
            "wrong signature",
        ),
        (
            r#"(module (import "sel4" "seL4_Fork" (func)) (memory (export "memory") 1) (func (export "_start")))"#,
            "unknown import",
        ),
        (
            r#"(module (memory (export "memory") 1) (func (export "_start") (param i32)))"#,
            "takes parameters",
        ),
        (
            r#"(module (memory 1) (func (export "_start")))"#,
            "no memory export",
        ),
        (r#"(module (memory (export "memory") 1))"#, "no _start"),
        (
            r#"(module (memory (export "memory") 1) (func (export "_start") (drop (v128.const i64x2 0 0))))"#,
            "SIMD",
        ),
    ];
    for (text, why) in bad {
        let wasm = wat::parse_str(text).unwrap();
        let err = check_module(&wasm).unwrap_err();
        assert!(err.contains(why), "{text}: {err}");
    }
}

/// Built user programs named in `SELVM_USER_WASM` (paths separated by `:`, as
/// `cargo xtask test` sets it after building user/hello) follow the ABI too, and carry no
/// path of the build machine's checkout (the build remaps them to `/selvm`).
#[test]
fn built_user_programs_follow_the_abi() {
    let Some(list) = std::env::var_os("SELVM_USER_WASM") else {
        return;
    };
    let checkout = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap();
    let checkout = checkout.to_str().unwrap().as_bytes();
    for path in std::env::split_paths(&list) {
        let wasm = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let used = check_module(&wasm).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            !used.is_empty(),
            "{}: imports nothing from sel4",
            path.display()
        );
        assert!(
            !wasm.windows(checkout.len()).any(|w| w == checkout),
            "{}: contains the path {} (not remapped)",
            path.display(),
            String::from_utf8_lossy(checkout)
        );
    }
}
