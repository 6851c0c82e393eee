//! Mostly valid modules from `arbitrary` input: the generator picks the module's shape
//! (signatures, functions with frames, constants, globals, tables, data, exports) and
//! then each function's code ([`code`]) so that most choices satisfy the verifier, with
//! a small share of deliberate mistakes (an operand out of range, a stray word) so the
//! verifier's rejections are exercised too. The module is written by the assembler's
//! [`ModuleBuilder`], the one writer of the format.

mod code;

use arbitrary::{Result, Unstructured};
use selvm_bytecode::format::{NULL_ELEM, PAGE_SIZE, ValType};
use selvm_vm::asm::builder::{FunctionDef, GlobalDef, ModuleBuilder, Signature, TableDef};

/// Edge values that arithmetic, conversions and addresses care about.
pub const EDGES: [u64; 16] = [
    0,
    1,
    2,
    u64::MAX,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x1_0000_0000,
    1 << 63,
    (1 << 63) - 1,
    0x7fc0_0000,           // f32 NaN
    0x7ff8_0000_0000_0000, // f64 NaN
    0x7f80_0000,           // f32 infinity
    0x43e0_0000_0000_0000, // 2^63 as f64
    PAGE_SIZE - 1,
    PAGE_SIZE,
];

/// A 64-bit value, mostly an edge value or a small number.
pub fn value(u: &mut Unstructured) -> Result<u64> {
    Ok(match u.int_in_range(0..=3)? {
        0 => *u.choose(&EDGES)?,
        1 => u.int_in_range(0..=300)?,
        2 => u.int_in_range(0..=300u64)?.wrapping_neg(),
        _ => u.arbitrary()?,
    })
}

const TYPES: [ValType; 5] = [
    ValType::I32,
    ValType::I64,
    ValType::F32,
    ValType::F64,
    ValType::FuncRef,
];

fn signature(u: &mut Unstructured) -> Result<Signature> {
    let mut types = |max| -> Result<Vec<ValType>> {
        let n = u.int_in_range(0..=max)?;
        (0..n).map(|_| u.choose(&TYPES).copied()).collect()
    };
    Ok(Signature {
        params: types(3)?,
        results: types(2)?,
    })
}

/// What the code generator needs to know about the module.
pub(crate) struct Shape {
    /// Per function: signature index and frame size.
    pub funcs: Vec<(u32, u16)>,
    /// Parameter and result counts per signature.
    pub types: Vec<(u16, u16)>,
    pub consts: u32,
    /// Mutability per global.
    pub globals: Vec<bool>,
    pub tables: u32,
}

/// A generated module: mostly valid, written with the builder.
pub fn module(u: &mut Unstructured) -> Result<ModuleBuilder> {
    let mut b = ModuleBuilder {
        names: true,
        ..ModuleBuilder::default()
    };
    let min = u.int_in_range(0..=1)?;
    b.memory = (min, min + u.int_in_range(0..=2)?);
    for _ in 0..u.int_in_range(1..=4)? {
        b.type_index(signature(u)?);
    }
    let nfuncs = u.int_in_range(1..=5u32)?;
    let mut shape = Shape {
        funcs: Vec::new(),
        types: b
            .types
            .iter()
            .map(|t| (t.params.len() as u16, t.results.len() as u16))
            .collect(),
        consts: 0,
        globals: Vec::new(),
        tables: 0,
    };
    for _ in 0..nfuncs {
        let ty = u.choose_index(b.types.len())? as u32;
        let (params, results) = shape.types[ty as usize];
        let frame = params.max(results) + u.int_in_range(1..=8)?;
        shape.funcs.push((ty, frame));
    }
    for _ in 0..u.int_in_range(0..=4)? {
        b.constant_index(value(u)?);
    }
    shape.consts = b.constants.len() as u32;
    for _ in 0..u.int_in_range(0..=3)? {
        let mutable = u.ratio(2, 3)?;
        b.globals.push(GlobalDef {
            ty: *u.choose(&TYPES)?,
            mutable,
            init: value(u)?,
        });
        shape.globals.push(mutable);
    }
    for _ in 0..u.int_in_range(0..=2)? {
        let initial = u.int_in_range(0..=4)?;
        let max = initial + u.int_in_range(0..=4)?;
        let n = u.int_in_range(0..=initial)?;
        let elems = (0..n)
            .map(|_| match u.ratio(1, 4)? {
                true => Ok(NULL_ELEM),
                false => u.int_in_range(0..=nfuncs - 1),
            })
            .collect::<Result<_>>()?;
        b.tables.push(TableDef {
            initial,
            max,
            elems,
        });
    }
    shape.tables = b.tables.len() as u32;
    if min > 0 {
        for _ in 0..u.int_in_range(0..=2)? {
            let len = u.int_in_range(0..=16)?;
            let address = u.int_in_range(0..=PAGE_SIZE - len as u64)?;
            b.data.push((address, u.bytes(len)?.to_vec()));
        }
    }
    for (i, &(ty, frame)) in shape.funcs.iter().enumerate() {
        b.functions.push(FunctionDef {
            name: format!("f{i}"),
            ty,
            frame,
            code: code::function(u, &shape, i)?,
        });
    }
    if u.ratio(1, 2)? {
        b.exports.push(("main".into(), 0));
    }
    b.entry = Some(0).filter(|_| u.ratio(7, 8).unwrap_or(true));
    Ok(b)
}
