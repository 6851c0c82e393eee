//! The assembler: text (see `docs/assembly.md`) to `.sbc` bytes. It checks syntax and
//! operand ranges only; whether the module makes sense is the verifier's business, so
//! the assembler can also write the hostile samples the verifier tests reject.

use super::builder::{FunctionDef, GlobalDef, ModuleBuilder, TableDef};
use super::syntax::{parse_bits64, parse_f32_bits, parse_int, parse_signature, parse_string};
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use selvm_bytecode::Op;
use selvm_bytecode::format::{NULL_ELEM, ValType};
use selvm_bytecode::operand::Kind;

/// An assembly error: the line (1-based) and what is wrong there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AsmError {
    /// Line number, from 1.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for AsmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

type Result<T> = core::result::Result<T, String>;

/// Names an embedder lets its programs use for numbers (the hosted machine's seL4
/// constants, say: the vm knows nothing of seL4, so they come from outside).
pub type Symbols<'a> = &'a dyn Fn(&str) -> Option<i128>;

/// Assembles `text` into `.sbc` bytes.
pub fn assemble(text: &str) -> core::result::Result<alloc::vec::Vec<u8>, AsmError> {
    assemble_with(text, &|_| None)
}

/// Assembles `text`, where any integer operand may also be a name: one defined by an
/// `.equ NAME VALUE` line of the program, or one `symbols` knows.
pub fn assemble_with(
    text: &str,
    symbols: Symbols<'_>,
) -> core::result::Result<alloc::vec::Vec<u8>, AsmError> {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, super::syntax::strip_comment(l).trim()))
        .filter(|(_, l)| !l.is_empty())
        .collect();
    let mut asm = Assembler {
        builder: ModuleBuilder::default(),
        functions: BTreeMap::new(),
        equates: BTreeMap::new(),
        symbols,
    };
    asm.builder.names = true;
    for &(line, l) in &lines {
        if let Some(rest) = l.strip_prefix(".func ") {
            let name = rest.split_whitespace().next().unwrap_or("");
            let index = asm.functions.len() as u32;
            if asm.functions.insert(name.to_string(), index).is_some() {
                return Err(AsmError {
                    line,
                    message: format!("function {name} defined twice"),
                });
            }
        }
    }
    let mut body: Option<(usize, Vec<(usize, &str)>)> = None;
    for &(line, l) in &lines {
        let at = |message: String| AsmError { line, message };
        match (&mut body, l) {
            (Some((_, b)), ".end") => {
                let b = core::mem::take(b);
                body = None;
                asm.function_body(&b)
                    .map_err(|(line, message)| AsmError { line, message })?;
            }
            (Some((_, b)), _) => b.push((line, l)),
            (None, _) if l.starts_with(".func ") => {
                asm.function_header(&l[6..]).map_err(at)?;
                body = Some((line, Vec::new()));
            }
            (None, _) => asm.directive(l).map_err(at)?,
        }
    }
    if let Some((line, _)) = body {
        return Err(AsmError {
            line,
            message: "function without .end".into(),
        });
    }
    Ok(asm.builder.finish())
}

struct Assembler<'s> {
    builder: ModuleBuilder,
    functions: BTreeMap<String, u32>,
    /// Names `.equ` defined.
    equates: BTreeMap<String, i128>,
    /// Names the embedder knows.
    symbols: Symbols<'s>,
}

/// A literal integer in `min..=max`.
fn int_in(text: &str, min: i128, max: i128) -> Result<i128> {
    let v = parse_int(text).ok_or_else(|| format!("expected a number, found `{text}`"))?;
    in_range(v, min, max)
}

fn in_range(v: i128, min: i128, max: i128) -> Result<i128> {
    if v < min || v > max {
        return Err(format!("{v} out of range {min}..={max}"));
    }
    Ok(v)
}

fn indexed(text: &str, prefix: char, max: i128) -> Result<u32> {
    let digits = text
        .strip_prefix(prefix)
        .ok_or_else(|| format!("expected {prefix}N, found `{text}`"))?;
    Ok(int_in(digits, 0, max)? as u32)
}

/// Whether `text` can be a name: a letter or `_`, then letters, digits, `_` and `.`.
fn is_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

impl Assembler<'_> {
    /// The value of a name, from `.equ` first, then the embedder's symbols.
    fn symbol(&self, text: &str) -> Option<i128> {
        if !is_name(text) {
            return None;
        }
        self.equates
            .get(text)
            .copied()
            .or_else(|| (self.symbols)(text))
    }

    /// An integer operand in `min..=max`: a literal or a name.
    fn int_in(&self, text: &str, min: i128, max: i128) -> Result<i128> {
        match self.symbol(text) {
            Some(v) => in_range(v, min, max),
            None if is_name(text) && parse_int(text).is_none() => {
                Err(format!("unknown name `{text}` (define it with .equ)"))
            }
            None => int_in(text, min, max),
        }
    }

    /// A 64-bit value operand: an integer or float literal, or a name.
    fn bits64(&self, text: &str) -> Option<u64> {
        match self.symbol(text) {
            Some(v) => (i64::MIN as i128..=u64::MAX as i128)
                .contains(&v)
                .then_some(v as u64),
            None => parse_bits64(text),
        }
    }

    fn func(&self, name: &str) -> Result<u32> {
        if let Some(n) = name.strip_prefix('#') {
            return Ok(int_in(n, 0, u32::MAX as i128)? as u32);
        }
        self.functions
            .get(name)
            .copied()
            .ok_or_else(|| format!("no function `{name}`"))
    }

    fn directive(&mut self, line: &str) -> Result<()> {
        let (name, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let rest = rest.trim();
        let args: Vec<&str> = rest.split_whitespace().collect();
        if name == ".equ" {
            let [equ, value] = args[..] else {
                return Err("expected `.equ NAME VALUE`".into());
            };
            if !is_name(equ) || parse_int(equ).is_some() {
                return Err(format!("`{equ}` is not a name"));
            }
            let value = self.int_in(value, i64::MIN as i128, u64::MAX as i128)?;
            if self.equates.insert(equ.to_string(), value).is_some() {
                return Err(format!("`{equ}` defined twice"));
            }
            return Ok(());
        }
        let b = &mut self.builder;
        match name {
            ".memory" if args.len() == 2 => {
                let max = u32::MAX as i128;
                b.memory = (
                    int_in(args[0], 0, max)? as u32,
                    int_in(args[1], 0, max)? as u32,
                );
            }
            ".type" => {
                let sig = parse_signature(rest).ok_or("bad signature")?;
                b.types.push(sig);
            }
            ".const" if args.len() == 1 => {
                let bits = self.bits64(args[0]).ok_or("bad constant")?;
                self.builder.constants.push(bits);
            }
            ".global" if args.len() == 3 => {
                let ty = ValType::from_name(args[0]).ok_or("unknown value type")?;
                let mutable = match args[1] {
                    "mut" => true,
                    "const" => false,
                    _ => return Err("expected `mut` or `const`".into()),
                };
                let init = self.bits64(args[2]).ok_or("bad initial value")?;
                self.builder.globals.push(GlobalDef { ty, mutable, init });
            }
            ".table" if args.len() >= 2 => {
                let max = u32::MAX as i128;
                let (initial, limit) = (int_in(args[0], 0, max)?, int_in(args[1], 0, max)?);
                let elems = args[2..]
                    .iter()
                    .map(|&e| {
                        if e == "null" {
                            Ok(NULL_ELEM)
                        } else {
                            self.func(e)
                        }
                    })
                    .collect::<Result<Vec<u32>>>()?;
                let t = TableDef {
                    initial: initial as u32,
                    max: limit as u32,
                    elems,
                };
                self.builder.tables.push(t);
            }
            ".data" => {
                let (address, text) = rest
                    .split_once(char::is_whitespace)
                    .ok_or(".data ADDRESS \"BYTES\"")?;
                let address = int_in(address, 0, u64::MAX as i128)? as u64;
                let bytes = parse_string(text.trim()).ok_or("bad string literal")?;
                b.data.push((address, bytes));
            }
            ".export" if args.len() == 2 => {
                let name = parse_string(args[0]).ok_or("bad export name")?;
                let name = String::from_utf8(name).map_err(|_| "export name not UTF-8")?;
                let func = self.func(args[1])?;
                self.builder.exports.push((name, func));
            }
            ".entry" if args.len() == 1 => {
                let entry = self.func(args[0])?;
                self.builder.entry = Some(entry);
            }
            _ => return Err(format!("unknown directive or wrong arguments: `{line}`")),
        }
        Ok(())
    }

    /// `.func NAME SIGNATURE frame N`
    fn function_header(&mut self, rest: &str) -> Result<()> {
        let (name, rest) = rest
            .trim()
            .split_once(char::is_whitespace)
            .ok_or("bad .func line")?;
        let (sig, frame) = rest.rsplit_once("frame").ok_or("expected `frame N`")?;
        let sig = parse_signature(sig).ok_or("bad signature")?;
        let frame = int_in(frame.trim(), 0, u16::MAX as i128)? as u16;
        let ty = self.builder.type_index(sig);
        let name = name.to_string();
        self.builder.functions.push(FunctionDef {
            name,
            ty,
            frame,
            code: Vec::new(),
        });
        Ok(())
    }

    fn function_body(
        &mut self,
        lines: &[(usize, &str)],
    ) -> core::result::Result<(), (usize, String)> {
        let mut labels = BTreeMap::new();
        let mut instructions = Vec::new();
        for &(line, mut text) in lines {
            while let Some((label, rest)) = text.split_once(':') {
                if !label
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
                {
                    break;
                }
                if labels.insert(label, instructions.len() as i64).is_some() {
                    return Err((line, format!("label {label} defined twice")));
                }
                text = rest.trim();
            }
            if !text.is_empty() {
                instructions.push((line, text));
            }
        }
        let mut code = Vec::with_capacity(instructions.len());
        for (offset, &(line, text)) in instructions.iter().enumerate() {
            let word = self
                .instruction(text, offset as i64, &labels)
                .map_err(|m| (line, m))?;
            code.push(word);
        }
        self.builder.functions.last_mut().expect("header seen").code = code;
        Ok(())
    }

    fn instruction(
        &mut self,
        text: &str,
        offset: i64,
        labels: &BTreeMap<&str, i64>,
    ) -> Result<u64> {
        let (mnemonic, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
        if mnemonic == ".word" {
            return Ok(self.int_in(rest.trim(), 0, u64::MAX as i128)? as u64);
        }
        let op = Op::from_mnemonic(mnemonic).ok_or_else(|| format!("unknown op `{mnemonic}`"))?;
        let texts: Vec<&str> = if rest.trim().is_empty() {
            Vec::new()
        } else {
            rest.split(',').map(str::trim).collect()
        };
        if texts.len() != op.operands().len() {
            let n = op.operands().len();
            return Err(format!(
                "{mnemonic} takes {n} operands, found {}",
                texts.len()
            ));
        }
        let mut values = [0u32; 3];
        for (i, (&(_, kind), text)) in op.operands().iter().zip(texts).enumerate() {
            values[i] = self.operand(kind, text, offset, labels)?;
        }
        Ok(op.encode_raw(&values))
    }

    fn operand(
        &mut self,
        kind: Kind,
        text: &str,
        offset: i64,
        labels: &BTreeMap<&str, i64>,
    ) -> Result<u32> {
        Ok(match kind {
            Kind::Reg => indexed(text, 'r', u16::MAX as i128)?,
            Kind::U16 => self.int_in(text, 0, u16::MAX as i128)? as u32,
            Kind::I16 => {
                self.int_in(text, i16::MIN as i128, i16::MAX as i128)? as i16 as u16 as u32
            }
            Kind::I32 => self.int_in(text, i32::MIN as i128, u32::MAX as i128)? as u32,
            Kind::Count => self.int_in(text, 0, u32::MAX as i128)? as u32,
            Kind::F32 => parse_f32_bits(text).ok_or_else(|| format!("bad f32 `{text}`"))?,
            Kind::Jump16 | Kind::Jump32 => {
                let delta = match text.strip_prefix('@') {
                    Some(n) => int_in(
                        n.trim_start_matches('+'),
                        i32::MIN as i128,
                        i32::MAX as i128,
                    )? as i64,
                    None => {
                        labels
                            .get(text)
                            .ok_or_else(|| format!("no label `{text}`"))?
                            - offset
                    }
                };
                let (min, max) = if kind == Kind::Jump16 {
                    (i16::MIN as i64, i16::MAX as i64)
                } else {
                    (i32::MIN as i64, i32::MAX as i64)
                };
                if delta < min || delta > max {
                    return Err(format!("jump to `{text}` too far for this instruction"));
                }
                delta as u32
                    & if kind == Kind::Jump16 {
                        0xffff
                    } else {
                        u32::MAX
                    }
            }
            Kind::Func => self.func(text)?,
            Kind::Const => match text.strip_prefix('#') {
                Some(n) => int_in(n, 0, u32::MAX as i128)? as u32,
                None => {
                    let bits = self
                        .bits64(text)
                        .ok_or_else(|| format!("bad constant `{text}`"))?;
                    self.builder.constant_index(bits)
                }
            },
            Kind::Global => indexed(text, 'g', u32::MAX as i128)?,
            Kind::Table => indexed(text, 't', u16::MAX as i128)?,
            Kind::Type => match text.strip_prefix('#') {
                Some(n) => int_in(n, 0, u16::MAX as i128)? as u32,
                None => self.builder.type_index(
                    parse_signature(text).ok_or_else(|| format!("bad signature `{text}`"))?,
                ),
            },
        })
    }
}
