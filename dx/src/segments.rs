//! Passive data and element segments for `memory.init`, `table.init`, `data.drop` and
//! `elem.drop`. Each passive segment is stored in the constant pool as a header (its
//! length in bytes or elements) followed by its payload, and gets a mutable i64 global
//! holding its *descriptor* (header index << 32 | current length), which the drop sets
//! to length 0; the VM checks every use against the descriptor (docs/isa.md). Active and
//! declarative segments are dropped at instantiation, so they all share one empty
//! segment and need no global.

use crate::info::Init;
use crate::module::ModuleState;
use selvm_bytecode::format::ValType;
use selvm_vm::asm::builder::GlobalDef;
use wasmparser::{DataKind, ElementItems, ElementKind, Operator, Parser, Payload};

/// How code reaches one segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Segment {
    /// Its descriptor lives in this bytecode global; the second value is the descriptor
    /// once dropped.
    Global(u32, u64),
    /// Dropped from the start: this constant descriptor (length 0).
    Dropped(u64),
    /// A passive element segment dx cannot place in the pool (an item reads a global).
    Unsupported,
}

/// The passive segments' contents, read ahead (the data section follows the code).
#[derive(Default)]
pub(crate) struct Passive {
    /// Per data segment: its bytes if passive.
    pub data: Vec<Option<Vec<u8>>>,
    /// Per element segment: its items if passive (`None` inside: not constant).
    pub elems: Vec<Option<Option<Vec<u64>>>>,
}

/// Reads the passive segments of `wasm` (errors are left to the validating pass).
pub(crate) fn read_passive(wasm: &[u8]) -> Passive {
    let mut p = Passive::default();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload {
            Ok(Payload::DataSection(reader)) => {
                for data in reader.into_iter().flatten() {
                    p.data.push(match data.kind {
                        DataKind::Passive => Some(data.data.to_vec()),
                        DataKind::Active { .. } => None,
                    });
                }
            }
            Ok(Payload::ElementSection(reader)) => {
                for elem in reader.into_iter().flatten() {
                    if !matches!(elem.kind, ElementKind::Passive) {
                        p.elems.push(None);
                        continue;
                    }
                    p.elems.push(Some(elem_items(elem.items)));
                }
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    p
}

/// The items of an element segment as table values, if all are constant.
fn elem_items(items: ElementItems<'_>) -> Option<Vec<u64>> {
    let mut out = Vec::new();
    match items {
        ElementItems::Functions(r) => {
            for f in r {
                out.push(f.ok()? as u64);
            }
        }
        ElementItems::Expressions(_, r) => {
            for e in r {
                let e = e.ok()?;
                let mut ops = e.get_operators_reader();
                out.push(match ops.read().ok()? {
                    Operator::RefNull { .. } => u64::MAX,
                    Operator::RefFunc { function_index } => function_index as u64,
                    _ => return None,
                });
            }
        }
    }
    Some(out)
}

/// Places the passive segments in the constant pool and their descriptors in new
/// globals (after every other global); returns how code reaches each data and element
/// segment.
pub(crate) fn lay_out(m: &mut ModuleState, passive: Passive) -> (Vec<Segment>, Vec<Segment>) {
    let pool = &mut m.builder.constants;
    let empty = pool.len() as u64;
    pool.push(0);
    let empty = Segment::Dropped(empty << 32);
    let mut descriptors = Vec::new();
    let data = passive
        .data
        .into_iter()
        .map(|d| match d {
            None => empty,
            Some(bytes) => {
                let pool = &mut m.builder.constants;
                let header = pool.len() as u64;
                pool.push(bytes.len() as u64);
                for chunk in bytes.chunks(8) {
                    let mut w = [0u8; 8];
                    w[..chunk.len()].copy_from_slice(chunk);
                    pool.push(u64::from_le_bytes(w));
                }
                descriptors.push(header << 32 | bytes.len() as u32 as u64);
                Segment::Global(descriptors.len() as u32 - 1, header << 32)
            }
        })
        .collect::<Vec<_>>();
    let elems = passive
        .elems
        .into_iter()
        .map(|e| match e {
            None => empty,
            Some(None) => Segment::Unsupported,
            Some(Some(items)) => {
                let pool = &mut m.builder.constants;
                let header = pool.len() as u64;
                pool.push(items.len() as u64);
                pool.extend_from_slice(&items);
                descriptors.push(header << 32 | items.len() as u32 as u64);
                Segment::Global(descriptors.len() as u32 - 1, header << 32)
            }
        })
        .collect::<Vec<_>>();
    let first = m.builder.globals.len() as u32;
    for &d in &descriptors {
        m.builder.globals.push(GlobalDef {
            ty: ValType::I64,
            mutable: true,
            init: d,
        });
        m.info.globals.push((true, Init::Value(d)));
    }
    let shift = |s: Segment| match s {
        Segment::Global(i, dropped) => Segment::Global(first + i, dropped),
        s => s,
    };
    (
        data.into_iter().map(shift).collect(),
        elems.into_iter().map(shift).collect(),
    )
}
