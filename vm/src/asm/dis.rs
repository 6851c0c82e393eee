//! The disassembler: `.sbc` bytes to the text the assembler reads, such that assembling
//! the text again gives the same bytes (for modules the assembler wrote).

use super::syntax::{print_f32, print_signature, print_string};
use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::String;
use core::fmt::Write;
use selvm_bytecode::format::{NULL_ELEM, Section, ValType};
use selvm_bytecode::operand::Kind;
use selvm_bytecode::{Error, Module, Op};

/// Disassembles `.sbc` bytes (the container must parse; the contents need not verify).
pub fn disassemble(bytes: &[u8]) -> Result<String, Error> {
    let m = Module::parse(bytes)?;
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, ".memory {} {}", m.memory_min(), m.memory_max());
    for i in 0..m.count(Section::Types) {
        let _ = writeln!(w, ".type {}", signature(&m, Some(i)));
    }
    for i in 0..m.count(Section::Consts) {
        let _ = writeln!(w, ".const 0x{:x}", m.constant(i).unwrap_or(0));
    }
    for g in (0..m.count(Section::Globals)).filter_map(|i| m.global(i)) {
        let ty = ValType::from_u8(g.valtype).map_or("?", ValType::name);
        let mutable = if g.mutable != 0 { "mut" } else { "const" };
        let _ = writeln!(w, ".global {ty} {mutable} 0x{:x}", g.init);
    }
    for t in (0..m.count(Section::Tables)).filter_map(|i| m.table(i)) {
        let _ = write!(w, ".table {} {}", t.initial, t.max);
        for e in t.elem_start..t.elem_start.saturating_add(t.elem_count) {
            match m.elem(e) {
                Some(NULL_ELEM) => w.push_str(" null"),
                Some(f) => {
                    let _ = write!(w, " {}", func_name(&m, f));
                }
                None => break,
            }
        }
        w.push('\n');
    }
    for d in (0..m.count(Section::Data)).filter_map(|i| m.data(i)) {
        let payload = m.data_bytes(&d).unwrap_or(&[]);
        let _ = writeln!(w, ".data 0x{:x} {}", d.address, print_string(payload));
    }
    for e in (0..m.count(Section::Exports)).filter_map(|i| m.export(i)) {
        let name = m.export_name(&e).unwrap_or("?");
        let _ = writeln!(
            w,
            ".export {} {}",
            print_string(name.as_bytes()),
            func_name(&m, e.func)
        );
    }
    if m.entry() != selvm_bytecode::format::NO_ENTRY {
        let _ = writeln!(w, ".entry {}", func_name(&m, m.entry()));
    }
    for i in 0..m.count(Section::Funcs) {
        function(&m, i, w);
    }
    Ok(out)
}

fn signature(m: &Module<'_>, ty: Option<u32>) -> String {
    match ty.and_then(|t| m.ty(t)).and_then(|t| m.type_values(&t)) {
        Some((params, results)) => print_signature(params, results),
        None => String::from("#?"),
    }
}

/// A function's name in the text: its name if the module has names, else `f<index>`;
/// `#<index>` for indices that name no function.
fn func_name(m: &Module<'_>, index: u32) -> String {
    if index >= m.count(Section::Funcs) {
        return format!("#{index}");
    }
    m.func_name(index)
        .map_or_else(|| format!("f{index}"), String::from)
}

fn function(m: &Module<'_>, index: u32, w: &mut String) {
    let Some(f) = m.func(index) else { return };
    let _ = writeln!(
        w,
        "\n.func {} {} frame {}",
        func_name(m, index),
        signature(m, Some(f.ty)),
        f.frame
    );
    let word = |offset: u32| m.code_word(f.code_start.saturating_add(offset));
    let target = |offset: u32, kind: Kind, raw: u32| -> i64 {
        let delta = if kind == Kind::Jump16 {
            raw as u16 as i16 as i64
        } else {
            raw as i32 as i64
        };
        offset as i64 + delta
    };
    let mut labels = BTreeSet::new();
    for offset in 0..f.code_len {
        let Some(wd) = word(offset) else { break };
        if let Some(op) = decodable(wd) {
            for (kind, raw) in op.operand_values(wd) {
                let t = target(offset, kind, raw);
                if matches!(kind, Kind::Jump16 | Kind::Jump32)
                    && (0..f.code_len as i64).contains(&t)
                {
                    labels.insert(t);
                }
            }
        }
    }
    for offset in 0..f.code_len {
        let Some(wd) = word(offset) else { break };
        if labels.contains(&(offset as i64)) {
            let _ = writeln!(w, "L{offset}:");
        }
        let Some(op) = decodable(wd) else {
            let _ = writeln!(w, "    .word 0x{wd:016x}");
            continue;
        };
        let _ = write!(w, "    {}", op.mnemonic());
        for (i, (kind, raw)) in op.operand_values(wd).enumerate() {
            w.push_str(if i == 0 { " " } else { ", " });
            let t = target(offset, kind, raw);
            let text = match kind {
                Kind::Reg => format!("r{raw}"),
                Kind::U16 | Kind::Count => format!("{raw}"),
                Kind::I16 => format!("{}", raw as u16 as i16),
                Kind::I32 => format!("{}", raw as i32),
                Kind::F32 => print_f32(raw),
                Kind::Jump16 | Kind::Jump32 if labels.contains(&t) => format!("L{t}"),
                Kind::Jump16 | Kind::Jump32 => format!("@{}", t - offset as i64),
                Kind::Func => func_name(m, raw),
                Kind::Const => match m.constant(raw) {
                    Some(v) if first_constant(m, v) == Some(raw) => format!("0x{v:x}"),
                    _ => format!("#{raw}"),
                },
                Kind::Global => format!("g{raw}"),
                Kind::Table => format!("t{raw}"),
                Kind::Type if raw < m.count(Section::Types) => signature(m, Some(raw)),
                Kind::Type => format!("#{raw}"),
            };
            w.push_str(&text);
        }
        w.push('\n');
    }
    w.push_str(".end\n");
}

/// The op of a word that decodes with every unused field zero.
fn decodable(word: u64) -> Option<Op> {
    let op = Op::from_u16(word as u16)?;
    (word & !op.used_mask() == 0).then_some(op)
}

/// The first pool index holding `value` (what the assembler's lookup finds).
fn first_constant(m: &Module<'_>, value: u64) -> Option<u32> {
    (0..m.count(Section::Consts)).find(|&i| m.constant(i) == Some(value))
}
