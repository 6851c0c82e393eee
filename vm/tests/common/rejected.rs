//! The rejected samples: one hostile module per verifier rule, shared by the verifier
//! tests (each is rejected naming its rule) and the hostile-bytecode tests.

use selvm_bytecode::Rule;
use selvm_bytecode::format::{DIRECTORY_OFFSET, Section};
use selvm_vm::asm::assemble;

/// A module whose `main (i64) -> (i64)` has a frame of 2 registers and `body`.
pub fn with_body(body: &str) -> String {
    format!(".memory 1 1\n.entry main\n.func main (i64) -> (i64) frame 2\n{body}\n.end\n")
}

pub const VALID: &str = "
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

fn text(text: &str) -> Vec<u8> {
    assemble(text).unwrap_or_else(|e| panic!("{e}"))
}

/// `VALID` assembled, with `patch` applied (given the offset of a section).
fn patched(section: Section, patch: impl Fn(&mut Vec<u8>, usize)) -> Vec<u8> {
    let mut bytes = assemble(VALID).unwrap();
    let at = DIRECTORY_OFFSET + 8 * section as usize;
    let offset = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    patch(&mut bytes, offset);
    bytes
}

fn put32(bytes: &mut [u8], at: usize, v: u32) {
    bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

/// One module per rule, each breaking that rule (and, as far as the verifier's order
/// shows, no earlier one).
pub fn samples() -> Vec<(Rule, Vec<u8>)> {
    use Rule::*;
    let dir = |s: Section| DIRECTORY_OFFSET + 8 * s as usize;
    vec![
        (Truncated, assemble(VALID).unwrap()[..100].to_vec()),
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
            TypeOrder,
            text(&format!(".type (i32) -> ()\n.type (i32) -> ()\n{VALID}")),
        ),
        (FuncType, patched(Section::Funcs, |b, o| put32(b, o, 99))),
        (FuncCode, text(".func f () -> () frame 0\n.end")),
        (
            FrameSize,
            text(".func f (i64 i64) -> () frame 1\nreturn r0, 0\n.end"),
        ),
        (
            GlobalMutability,
            patched(Section::Globals, |b, o| b[o + 9] = 2),
        ),
        (TableLimits, text(".table 5 2")),
        (
            TableElems,
            text(&format!(
                ".table 1 4 main main\n{}",
                with_body("return r0, 1")
            )),
        ),
        (ElemFunc, text(".table 1 1 #9")),
        (MemoryLimits, text(".memory 3 2")),
        (
            DataBounds,
            patched(Section::Data, |b, o| put32(b, o + 12, 1000)),
        ),
        (DataTarget, text(".memory 1 1\n.data 0xffff \"ab\"")),
        (
            ExportName,
            patched(Section::Exports, |b, o| put32(b, o + 8, 1000)),
        ),
        (ExportFunc, text(".export \"x\" #9")),
        (Entry, text(".entry #9")),
        (
            NamesCount,
            patched(Section::Code, |b, _| put32(b, dir(Section::Names) + 4, 1)),
        ),
        (Name, patched(Section::Names, |b, o| put32(b, o + 4, 1000))),
        (TablesTotal, text(".table 0 1048576\n.table 0 1")),
        (Opcode, text(&with_body(".word 0xffff\nreturn r0, 1"))),
        (UnusedBits, text(&with_body(".word 0x100000\nreturn r0, 1"))),
        (Register, text(&with_body("mov r0, r2\nreturn r0, 1"))),
        (
            RegisterRange,
            text(&with_body("syscall r1, 5, 0\nreturn r0, 1")),
        ),
        (JumpTarget, text(&with_body("jump @100"))),
        (
            JumpIntoTable,
            text(&with_body(
                "jump t\nbr_table r0, 0\nt: br_table.entry e\ne: return r0, 1",
            )),
        ),
        (
            StrayEntry,
            text(&with_body("br_table.entry e\ne: return r0, 1")),
        ),
        (
            TableTruncated,
            text(&with_body(
                "br_table r0, 2\nbr_table.entry e\ne: return r0, 1",
            )),
        ),
        (FallsOffEnd, text(&with_body("return r0, 1\nnop"))),
        (FuncIndex, text(&with_body("call r0, #9\nreturn r0, 1"))),
        (
            TypeIndex,
            text(&format!(
                ".table 1 1\n{}",
                with_body("call_indirect r0, r0, #9\nreturn r0, 1")
            )),
        ),
        (ReturnCount, text(&with_body("return r0, 0"))),
        (ConstIndex, text(&with_body("ldc r0, #5\nreturn r0, 1"))),
        (
            GlobalIndex,
            text(&with_body("global.get r0, g3\nreturn r0, 1")),
        ),
        (
            GlobalImmutable,
            text(&format!(
                ".global i64 const 0\n{}",
                with_body("global.set r0, g0\nreturn r0, 1")
            )),
        ),
        (
            BulkOperands,
            text(&with_body("memory.fill r0, r1, r0\nreturn r0, 1")),
        ),
        (
            TableIndex,
            text(&with_body("table.size r0, t1\nreturn r0, 1")),
        ),
    ]
}
