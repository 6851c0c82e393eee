//! The counting mode: how many WebAssembly operators a run executes, measured by
//! instrumenting the module (so any engine can run it; `selvm bench wasm` uses wasmi
//! 2.x and checks the checksum is unchanged).
//!
//! **What is counted:** every operator executed except the structural markers `block`,
//! `loop`, `else`, `end` (including a function's final `end`) and `nop`, which no
//! engine has to execute. Everything else counts once per execution: `local.*`,
//! `global.*`, constants, `drop`, `select`, `if`, `br`, `br_if`, `br_table`, `return`,
//! calls, loads and stores, arithmetic.
//!
//! **How:** each function body is cut into straight-line segments, a new one starting
//! after every control operator (`block`, `loop`, `if`, `else`, `end`, `br`, `br_if`,
//! `br_table`, `return`, `unreachable`). Calls do not end a segment (execution
//! continues after them). Each segment with counted operators gets its own mutable
//! i64 global, exported as `__count<k>`, and starts with `global.get; i64.const 1;
//! i64.add; global.set`. Once a segment starts all its operators run (the programs do
//! not trap), so operator `o` executed Σ executions(segment) × occurrences(o, segment)
//! times, which also gives the per-operator histogram.

use std::collections::BTreeMap;
use wasm_encoder::reencode::{Error as ReencodeError, Reencode};
use wasm_encoder::{ConstExpr, Function, GlobalType, Instruction, ValType};
use wasmparser::{Operator, Parser, Payload};

/// An instrumented module and what each counter stands for.
pub struct Instrumented {
    /// The module with counters.
    pub wasm: Vec<u8>,
    /// Per counter `k` (export `__count<k>`), the counted operators of its segment.
    pub segments: Vec<Vec<&'static str>>,
}

impl Instrumented {
    /// The export name of counter `k`.
    pub fn export(k: usize) -> String {
        format!("__count{k}")
    }

    /// Operators executed, per operator name, from the counters' values.
    pub fn histogram(&self, counts: &[u64]) -> BTreeMap<&'static str, u64> {
        let mut h = BTreeMap::new();
        for (ops, &n) in self.segments.iter().zip(counts) {
            for &op in ops {
                *h.entry(op).or_insert(0) += n;
            }
        }
        h
    }
}

/// Whether `op` is counted (see the module doc).
fn counted(op: &Operator) -> bool {
    !matches!(
        op,
        Operator::Block { .. }
            | Operator::Loop { .. }
            | Operator::Else
            | Operator::End
            | Operator::Nop
    )
}

/// Whether a new segment starts after `op`.
fn ends_segment(op: &Operator) -> bool {
    matches!(
        op,
        Operator::Block { .. }
            | Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::Else
            | Operator::End
            | Operator::Br { .. }
            | Operator::BrIf { .. }
            | Operator::BrTable { .. }
            | Operator::Return
            | Operator::Unreachable
    )
}

/// The text-format name of `op` (`I64ExtendI32U` → `i64.extend_i32_u`), from wasmparser's
/// variant name; leaked once per distinct name.
fn op_name(op: &Operator, names: &mut BTreeMap<String, &'static str>) -> &'static str {
    let debug = format!("{op:?}");
    let variant = debug.split([' ', '{', '(']).next().unwrap_or_default();
    if let Some(&n) = names.get(variant) {
        return n;
    }
    let mut words: Vec<String> = Vec::new();
    for c in variant.chars() {
        if c.is_ascii_uppercase() || words.is_empty() {
            words.push(String::new());
        }
        words
            .last_mut()
            .expect("pushed")
            .push(c.to_ascii_lowercase());
    }
    let name = match words.first().map(String::as_str) {
        Some("i32" | "i64" | "f32" | "f64" | "local" | "global" | "memory" | "table" | "ref")
            if words.len() > 1 =>
        {
            format!("{}.{}", words[0], words[1..].join("_"))
        }
        _ => words.join("_"),
    };
    let leaked: &'static str = Box::leak(name.into_boxed_str());
    names.insert(variant.to_string(), leaked);
    leaked
}

/// The segments of one body: per segment, the index of its first operator and its
/// counted operators' names.
fn segments(
    ops: &[Operator],
    names: &mut BTreeMap<String, &'static str>,
) -> Vec<(usize, Vec<&'static str>)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, op) in ops.iter().enumerate() {
        if ends_segment(op) || i + 1 == ops.len() {
            let counted: Vec<_> = ops[start..=i]
                .iter()
                .filter(|o| counted(o))
                .map(|o| op_name(o, names))
                .collect();
            if !counted.is_empty() {
                out.push((start, counted));
            }
            start = i + 1;
        }
    }
    out
}

/// The reencoder that adds the counters.
struct Counter {
    /// Index of the first new global (after imported and defined ones).
    first_global: u32,
    /// Counters so far.
    segments: Vec<Vec<&'static str>>,
    /// The number of counters (known from the first pass).
    total: usize,
    names: BTreeMap<String, &'static str>,
}

impl Reencode for Counter {
    type Error = std::convert::Infallible;

    fn parse_global_section(
        &mut self,
        globals: &mut wasm_encoder::GlobalSection,
        section: wasmparser::GlobalSectionReader<'_>,
    ) -> Result<(), ReencodeError<Self::Error>> {
        wasm_encoder::reencode::utils::parse_global_section(self, globals, section)?;
        let ty = GlobalType {
            val_type: ValType::I64,
            mutable: true,
            shared: false,
        };
        for _ in 0..self.total {
            globals.global(ty, &ConstExpr::i64_const(0));
        }
        Ok(())
    }

    fn parse_export_section(
        &mut self,
        exports: &mut wasm_encoder::ExportSection,
        section: wasmparser::ExportSectionReader<'_>,
    ) -> Result<(), ReencodeError<Self::Error>> {
        wasm_encoder::reencode::utils::parse_export_section(self, exports, section)?;
        for k in 0..self.total {
            exports.export(
                &Instrumented::export(k),
                wasm_encoder::ExportKind::Global,
                self.first_global + k as u32,
            );
        }
        Ok(())
    }

    fn parse_function_body(
        &mut self,
        code: &mut wasm_encoder::CodeSection,
        body: wasmparser::FunctionBody<'_>,
    ) -> Result<(), ReencodeError<Self::Error>> {
        let mut f: Function = self.new_function_with_parsed_locals(&body)?;
        let mut reader = body.get_operators_reader()?;
        let mut ops = Vec::new();
        while !reader.eof() {
            ops.push(reader.read()?);
        }
        let segs = segments(&ops, &mut self.names);
        let mut next = segs.iter().peekable();
        for (i, op) in ops.iter().enumerate() {
            if let Some((_, names)) = next.next_if(|(start, _)| *start == i) {
                let global = self.first_global + self.segments.len() as u32;
                self.segments.push(names.clone());
                f.instruction(&Instruction::GlobalGet(global));
                f.instruction(&Instruction::I64Const(1));
                f.instruction(&Instruction::I64Add);
                f.instruction(&Instruction::GlobalSet(global));
            }
            f.instruction(&self.instruction(op.clone())?);
        }
        code.function(&f);
        Ok(())
    }
}

/// Adds the counters to `wasm` (a module with a global and an export section, as
/// rustc's are).
pub fn instrument(wasm: &[u8]) -> Result<Instrumented, String> {
    let err = |e: wasmparser::BinaryReaderError| e.to_string();
    // First pass: the number of globals and of segments.
    let (mut globals, mut total, mut has_globals, mut has_exports) = (0, 0, false, false);
    let mut names = BTreeMap::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(err)? {
            Payload::ImportSection(s) => {
                for import in s.into_imports() {
                    if matches!(import.map_err(err)?.ty, wasmparser::TypeRef::Global(_)) {
                        globals += 1;
                    }
                }
            }
            Payload::GlobalSection(s) => {
                globals += s.count();
                has_globals = true;
            }
            Payload::ExportSection(_) => has_exports = true,
            Payload::CodeSectionEntry(body) => {
                let ops = body
                    .get_operators_reader()
                    .map_err(err)?
                    .into_iter()
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(err)?;
                total += segments(&ops, &mut names).len();
            }
            _ => {}
        }
    }
    if !has_globals || !has_exports {
        return Err("the counting mode needs a module with globals and exports".into());
    }
    let mut counter = Counter {
        first_global: globals,
        segments: Vec::new(),
        total,
        names,
    };
    let mut module = wasm_encoder::Module::new();
    counter
        .parse_core_module(&mut module, Parser::new(0), wasm)
        .map_err(|e| format!("instrumenting: {e}"))?;
    Ok(Instrumented {
        wasm: module.finish(),
        segments: counter.segments,
    })
}

#[cfg(test)]
mod tests {
    use super::instrument;

    /// A loop whose operator count is known by hand: 13 counted operators per
    /// iteration, 4 more on odd `i` (the `then` arm), 4 for the exit test and 1 for the
    /// final `local.get`; `block`, `loop`, `else`, `end` and `nop` are not counted.
    const LOOP: &str = r#"(module
      (global $unused (mut i32) (i32.const 0))
      (memory (export "memory") 1)
      (func (export "run") (param $n i32) (result i64)
        (local $i i32) (local $s i64)
        (block $exit
          (loop $top
            (br_if $exit (i32.ge_u (local.get $i) (local.get $n)))
            (if (i32.and (local.get $i) (i32.const 1))
              (then (local.set $s (i64.add (local.get $s) (i64.const 1))))
              (else nop))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $top)))
        (local.get $s)))"#;

    #[test]
    fn counts_a_loop_exactly() {
        let wasm = wat::parse_str(LOOP).unwrap();
        let inst = instrument(&wasm).unwrap();
        for n in [0u64, 1, 10, 11] {
            let (counters, result) = super::super::run_counters(&inst, n as i32).unwrap();
            assert_eq!(result as u64, n / 2, "result for n = {n}");
            let total: u64 = inst.histogram(&counters).values().sum();
            assert_eq!(total, 13 * n + 4 * (n / 2) + 4 + 1, "n = {n}");
            assert_eq!(inst.histogram(&counters)["br"], n, "n = {n}");
            assert!(!inst.histogram(&counters).contains_key("nop"));
        }
    }

    #[test]
    fn modules_without_globals_are_refused() {
        let wasm = wat::parse_str(
            r#"(module (func (export "run") (param i32) (result i64) i64.const 0))"#,
        )
        .unwrap();
        assert!(instrument(&wasm).is_err());
    }
}
