//! Value types and signatures: WebAssembly's mapped onto the `.sbc` ones, and the
//! feature set dx accepts.

use selvm_bytecode::format::ValType as SbcType;
use selvm_vm::asm::builder::Signature;
use wasmparser::{FuncType, ValType, WasmFeatures};

/// The WebAssembly features dx translates: what rustc emits for
/// `wasm32-unknown-unknown` (plus the reference types tables need). The validator
/// rejects everything else.
pub(crate) fn supported_features() -> WasmFeatures {
    WasmFeatures::MUTABLE_GLOBAL
        | WasmFeatures::SATURATING_FLOAT_TO_INT
        | WasmFeatures::SIGN_EXTENSION
        | WasmFeatures::MULTI_VALUE
        | WasmFeatures::BULK_MEMORY
        | WasmFeatures::REFERENCE_TYPES
        | WasmFeatures::FLOATS
        | WasmFeatures::GC_TYPES
}

/// The `.sbc` type of a value type. Both reference types are `funcref` slots in the
/// `.sbc` (a 64-bit value, null all ones); `None` for types outside the feature set.
pub(crate) fn sbc_type(t: ValType) -> Option<SbcType> {
    Some(match t {
        ValType::I32 => SbcType::I32,
        ValType::I64 => SbcType::I64,
        ValType::F32 => SbcType::F32,
        ValType::F64 => SbcType::F64,
        ValType::Ref(_) => SbcType::FuncRef,
        ValType::V128 => return None,
    })
}

/// The `.sbc` signature of a function type.
pub(crate) fn signature(t: &FuncType) -> Option<Signature> {
    Some(Signature {
        params: t
            .params()
            .iter()
            .map(|&v| sbc_type(v))
            .collect::<Option<_>>()?,
        results: t
            .results()
            .iter()
            .map(|&v| sbc_type(v))
            .collect::<Option<_>>()?,
    })
}

/// The bits a zeroed local of type `t` starts with (null for references).
pub(crate) fn zero_bits(t: ValType) -> u64 {
    match t {
        ValType::Ref(_) => u64::MAX,
        _ => 0,
    }
}
