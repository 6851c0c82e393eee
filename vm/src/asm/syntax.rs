//! Lexical pieces of the assembly syntax shared by the assembler and disassembler:
//! comments, numbers, strings and signatures (see `docs/assembly.md`).

use super::builder::Signature;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;
use selvm_bytecode::format::ValType;

/// The line without its `;` comment (a `;` inside a string literal does not count).
pub fn strip_comment(line: &str) -> &str {
    let mut quoted = false;
    let mut escaped = false;
    for (i, ch) in line.char_indices() {
        match ch {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => return &line[..i],
            _ => {}
        }
    }
    line
}

/// An integer literal: decimal or `0x`/`0b` with optional `-` and `_` separators.
pub fn parse_int(text: &str) -> Option<i128> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let digits: String = digits.chars().filter(|&c| c != '_').collect();
    let value = if let Some(hex) = digits.strip_prefix("0x") {
        i128::from_str_radix(hex, 16).ok()?
    } else if let Some(bin) = digits.strip_prefix("0b") {
        i128::from_str_radix(bin, 2).ok()?
    } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse().ok()?
    } else {
        return None;
    };
    Some(if negative { -value } else { value })
}

/// Whether a literal is written as a float (`1.5`, `1e9`, `inf`, `nan`), not an integer.
pub fn is_float(text: &str) -> bool {
    let t = text.trim_start_matches('-');
    !t.starts_with("0x") && (t.contains(['.', 'e', 'E']) || t == "inf" || t == "nan")
}

/// A 64-bit value: an integer (its two's complement bits) or an f64.
pub fn parse_bits64(text: &str) -> Option<u64> {
    if is_float(text) {
        return text.parse::<f64>().ok().map(f64::to_bits);
    }
    let v = parse_int(text)?;
    (i64::MIN as i128..=u64::MAX as i128)
        .contains(&v)
        .then_some(v as u64)
}

/// A 32-bit float immediate: a float literal, or an integer giving its bits.
pub fn parse_f32_bits(text: &str) -> Option<u32> {
    if is_float(text) {
        return text.parse::<f32>().ok().map(f32::to_bits);
    }
    let v = parse_int(text)?;
    (0..=u32::MAX as i128).contains(&v).then_some(v as u32)
}

/// Prints an f32 immediate so that [`parse_f32_bits`] gives the same bits back.
pub fn print_f32(bits: u32) -> String {
    let x = f32::from_bits(bits);
    if x.is_nan() {
        format!("0x{bits:08x}")
    } else {
        format!("{x:?}")
    }
}

/// A string literal in double quotes with `\n \t \r \0 \\ \" \xNN` escapes.
pub fn parse_string(text: &str) -> Option<Vec<u8>> {
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = Vec::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        out.push(match chars.next()? {
            'n' => b'\n',
            't' => b'\t',
            'r' => b'\r',
            '0' => 0,
            '\\' => b'\\',
            '"' => b'"',
            'x' => {
                let hex: String = chars.by_ref().take(2).collect();
                u8::from_str_radix(&hex, 16).ok()?
            }
            _ => return None,
        });
    }
    Some(out)
}

/// Prints bytes as a string literal that [`parse_string`] reads back exactly.
pub fn print_string(bytes: &[u8]) -> String {
    let mut out = String::from("\"");
    for &b in bytes {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b' '..=b'~' => out.push(b as char),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push('"');
    out
}

fn parse_types(list: &str) -> Option<Vec<ValType>> {
    let inner = list.trim().strip_prefix('(')?.strip_suffix(')')?;
    inner.split_whitespace().map(ValType::from_name).collect()
}

/// A signature `(i32 i64) -> (f64)`.
pub fn parse_signature(text: &str) -> Option<Signature> {
    let (params, results) = text.split_once("->")?;
    Some(Signature {
        params: parse_types(params)?,
        results: parse_types(results)?,
    })
}

/// Prints a signature as [`parse_signature`] reads it.
pub fn print_signature(params: &[u8], results: &[u8]) -> String {
    let names = |codes: &[u8]| -> String {
        let names: Vec<&str> = codes
            .iter()
            .map(|&c| ValType::from_u8(c).map_or("?", ValType::name))
            .collect();
        names.join(" ")
    };
    format!("({}) -> ({})", names(params), names(results))
}
