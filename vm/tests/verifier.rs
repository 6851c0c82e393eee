//! The verifier rejects one sample per rule, naming that rule; every rule has a sample.

mod common;

use selvm_bytecode::format::{DIRECTORY_OFFSET, Section};
use selvm_bytecode::{Location, Rule};
use selvm_vm::Module;
use selvm_vm::asm::assemble;

/// A module whose `main (i64) -> (i64)` has a frame of 2 registers and `body`.
fn with_body(body: &str) -> String {
    format!(".memory 1 1\n.entry main\n.func main (i64) -> (i64) frame 2\n{body}\n.end\n")
}

const VALID: &str = "
.memory 1 1
.global i64 mut 0
.table 1 1 main
.data 0 \"ab\"
.export \"main\" main
.entry main
.func main (i64) -> (i64) frame 2
    return r0, 1
.end
.func other () -> () frame 1
    return r0, 0
.end
";

fn rule_of_bytes(bytes: &[u8]) -> Rule {
    match Module::load(bytes) {
        Ok(_) => panic!("accepted"),
        Err(e) => e.rule,
    }
}

fn rule_of(text: &str) -> Rule {
    rule_of_bytes(&assemble(text).unwrap_or_else(|e| panic!("{e}")))
}

/// `VALID` assembled, with `patch` applied (given the offset of a section).
fn patched(section: Section, patch: impl Fn(&mut Vec<u8>, usize)) -> Rule {
    let mut bytes = assemble(VALID).unwrap();
    let at = DIRECTORY_OFFSET + 8 * section as usize;
    let offset = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    patch(&mut bytes, offset);
    rule_of_bytes(&bytes)
}

fn put32(bytes: &mut [u8], at: usize, v: u32) {
    bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn samples() -> Vec<(Rule, Rule)> {
    use Rule::*;
    let dir = |s: Section| DIRECTORY_OFFSET + 8 * s as usize;
    vec![
        (Truncated, rule_of_bytes(&assemble(VALID).unwrap()[..100])),
        (Magic, patched(Section::Code, |b, _| b[0] = 0)),
        (FormatVersion, patched(Section::Code, |b, _| b[4] = 9)),
        (AbiVersion, patched(Section::Code, |b, _| b[6] = 9)),
        (Reserved, patched(Section::Code, |b, _| b[20] = 1)),
        (
            SectionBounds,
            patched(Section::Code, |b, _| {
                put32(b, dir(Section::Code) + 4, 1 << 20)
            }),
        ),
        (
            SectionAlign,
            patched(Section::Code, |b, o| {
                put32(b, dir(Section::Code), o as u32 + 4)
            }),
        ),
        (ValueType, patched(Section::ValTypes, |b, o| b[o] = 9)),
        (
            TypeBounds,
            patched(Section::Types, |b, o| put32(b, o + 4, 1000)),
        ),
        (
            TypeDuplicate,
            rule_of(&format!(".type (i32) -> ()\n.type (i32) -> ()\n{VALID}")),
        ),
        (FuncType, patched(Section::Funcs, |b, o| put32(b, o, 99))),
        (FuncCode, rule_of(".func f () -> () frame 0\n.end")),
        (
            FrameSize,
            rule_of(".func f (i64 i64) -> () frame 1\nreturn r0, 0\n.end"),
        ),
        (
            GlobalMutability,
            patched(Section::Globals, |b, o| b[o + 9] = 2),
        ),
        (TableLimits, rule_of(".table 5 2")),
        (
            TableElems,
            rule_of(&format!(
                ".table 1 4 main main\n{}",
                with_body("return r0, 1")
            )),
        ),
        (ElemFunc, rule_of(".table 1 1 #9")),
        (MemoryLimits, rule_of(".memory 3 2")),
        (
            DataBounds,
            patched(Section::Data, |b, o| put32(b, o + 12, 1000)),
        ),
        (DataTarget, rule_of(".memory 1 1\n.data 0xffff \"ab\"")),
        (
            ExportName,
            patched(Section::Exports, |b, o| put32(b, o + 8, 1000)),
        ),
        (ExportFunc, rule_of(".export \"x\" #9")),
        (Entry, rule_of(".entry #9")),
        (
            NamesCount,
            patched(Section::Code, |b, _| put32(b, dir(Section::Names) + 4, 1)),
        ),
        (Name, patched(Section::Names, |b, o| put32(b, o + 4, 1000))),
        (Opcode, rule_of(&with_body(".word 0xffff\nreturn r0, 1"))),
        (
            UnusedBits,
            rule_of(&with_body(".word 0x100000\nreturn r0, 1")),
        ),
        (Register, rule_of(&with_body("mov r0, r2\nreturn r0, 1"))),
        (
            RegisterRange,
            rule_of(&with_body("syscall r1, 5, 0\nreturn r0, 1")),
        ),
        (JumpTarget, rule_of(&with_body("jump @100"))),
        (
            JumpIntoTable,
            rule_of(&with_body(
                "jump t\nbr_table r0, 0\nt: br_table.entry e\ne: return r0, 1",
            )),
        ),
        (
            StrayEntry,
            rule_of(&with_body("br_table.entry e\ne: return r0, 1")),
        ),
        (
            TableTruncated,
            rule_of(&with_body(
                "br_table r0, 2\nbr_table.entry e\ne: return r0, 1",
            )),
        ),
        (FallsOffEnd, rule_of(&with_body("return r0, 1\nnop"))),
        (FuncIndex, rule_of(&with_body("call r0, #9\nreturn r0, 1"))),
        (
            TypeIndex,
            rule_of(&format!(
                ".table 1 1\n{}",
                with_body("call_indirect r0, r0, #9\nreturn r0, 1")
            )),
        ),
        (ReturnCount, rule_of(&with_body("return r0, 0"))),
        (ConstIndex, rule_of(&with_body("ldc r0, #5\nreturn r0, 1"))),
        (
            GlobalIndex,
            rule_of(&with_body("global.get r0, g3\nreturn r0, 1")),
        ),
        (
            GlobalImmutable,
            rule_of(&format!(
                ".global i64 const 0\n{}",
                with_body("global.set r0, g0\nreturn r0, 1")
            )),
        ),
        (
            TableIndex,
            rule_of(&with_body("table.size r0, t1\nreturn r0, 1")),
        ),
    ]
}

#[test]
fn the_valid_sample_is_accepted() {
    Module::load(&assemble(VALID).unwrap()).unwrap();
}

#[test]
fn each_sample_breaks_its_rule() {
    for (expected, got) in samples() {
        assert_eq!(
            got,
            expected,
            "sample for E{} ({})",
            expected.code(),
            expected.message()
        );
    }
}

#[test]
fn every_rule_has_a_sample() {
    let covered: Vec<Rule> = samples().into_iter().map(|(r, _)| r).collect();
    for rule in Rule::ALL {
        assert!(covered.contains(rule), "no sample for {rule:?}");
    }
}

#[test]
fn errors_name_function_offset_and_rule() {
    let bytes = assemble(&with_body("nop\nmov r0, r7\nreturn r0, 1")).unwrap();
    let e = Module::load(&bytes).unwrap_err();
    assert_eq!(e.location, Location::Code { func: 0, offset: 1 });
    assert_eq!(e.value, 7);
    assert_eq!(
        e.to_string(),
        "E302 register outside the frame (function 0, word 1, value 7)"
    );
}

#[test]
fn verification_is_resumable_step_by_step() {
    let bytes = assemble(VALID).unwrap();
    let module = selvm_bytecode::Module::parse(&bytes).unwrap();
    let mut verifier = selvm_bytecode::Verifier::new(module);
    let mut steps = 0;
    while verifier.step().unwrap() == selvm_bytecode::Progress::More {
        steps += 1;
    }
    // Header, 2 signatures, 6 record sections, 2 functions, and the final step.
    assert!(steps >= 10, "{steps} steps");
}
