//! Every numeric, comparison, conversion and branch instruction on its edge cases, run
//! through the interpreter from table-driven one-instruction programs; and a check that
//! every op of the instruction set is tested here or in `machine.rs`.

mod common;

use common::eval;
use selvm_bytecode::Op;
use selvm_vm::{Stop, Trap};

type Want = Result<u64, Trap>;
const DIV0: Want = Err(Trap::DivideByZero);
const OVF: Want = Err(Trap::IntegerOverflow);
const INV: Want = Err(Trap::InvalidConversion);

const fn s32(v: i32) -> u64 {
    v as u32 as u64
}
const fn s64(v: i64) -> u64 {
    v as u64
}
const fn f(v: f32) -> u64 {
    v.to_bits() as u64
}
const fn d(v: f64) -> u64 {
    v.to_bits()
}
const NAN32: u64 = f(f32::NAN);
const NAN64: u64 = d(f64::NAN);
const HI: u64 = 0xdead_beef_0000_0000; // upper bits that i32 and f32 ops must ignore

fn run(program: &str, args: &[u64]) -> Want {
    match eval(program, args, 1) {
        Ok(v) => Ok(v[0]),
        Err(Stop::Trap(t)) => Err(t),
        Err(other) => panic!("unexpected stop {other:?}"),
    }
}

/// Equal, except that where a NaN is wanted any NaN of that width will do (wasm leaves
/// the sign and payload of a NaN result nondeterministic).
fn same(op: &str, got: Want, want: Want) -> bool {
    match (got, want) {
        (Ok(g), Ok(NAN32)) if op.starts_with("f32") => {
            f32::from_bits(g as u32).is_nan() && g >> 32 == 0
        }
        (Ok(g), Ok(NAN64)) => f64::from_bits(g).is_nan(),
        _ => got == want,
    }
}

fn module(body: &str, params: &str) -> String {
    format!(".entry main\n.func main ({params}) -> (i64) frame 4\n{body}\n.end\n")
}

#[rustfmt::skip]
const BINARY: &[(&str, u64, u64, Want)] = &[
    ("i32.add", 0xffff_ffff, 1, Ok(0)), ("i32.add", HI | 5, 2, Ok(7)),
    ("i32.sub", 0, 1, Ok(0xffff_ffff)), ("i32.mul", 0x10000, 0x10001, Ok(0x10000)),
    ("i32.div_s", s32(-7), 2, Ok(s32(-3))), ("i32.div_s", s32(i32::MIN), s32(-1), OVF),
    ("i32.div_s", 1, HI, DIV0), ("i32.div_u", 0xffff_fffe, 2, Ok(0x7fff_ffff)), ("i32.div_u", 1, 0, DIV0),
    ("i32.rem_s", s32(-7), 2, Ok(s32(-1))), ("i32.rem_s", s32(i32::MIN), s32(-1), Ok(0)),
    ("i32.rem_s", 1, 0, DIV0), ("i32.rem_u", 7, 3, Ok(1)), ("i32.rem_u", 7, 0, DIV0),
    ("i32.and", 0xff0f, 0x0ff0, Ok(0x0f00)), ("i32.or", 0xf0, 0x0f, Ok(0xff)), ("i32.xor", 0xff, 0x0f, Ok(0xf0)),
    ("i32.shl", 1, 33, Ok(2)), ("i32.shl", 1, 31, Ok(0x8000_0000)),
    ("i32.shr_s", 0x8000_0000, 31, Ok(0xffff_ffff)), ("i32.shr_s", 0x8000_0000, 32, Ok(0x8000_0000)),
    ("i32.shr_u", 0x8000_0000, 63, Ok(1)), ("i32.rotl", 0x8000_0001, 1, Ok(3)), ("i32.rotl", 0x8000_0001, 33, Ok(3)),
    ("i32.rotr", 3, 1, Ok(0x8000_0001)),
    ("i32.eq", HI | 5, 5, Ok(1)), ("i32.ne", 5, 5, Ok(0)), ("i32.lt_s", s32(-1), 0, Ok(1)), ("i32.lt_u", s32(-1), 0, Ok(0)),
    ("i32.gt_s", 0, s32(-1), Ok(1)), ("i32.gt_u", 0, s32(-1), Ok(0)), ("i32.le_s", 5, 5, Ok(1)), ("i32.le_u", 6, 5, Ok(0)),
    ("i32.ge_s", s32(-2), s32(-1), Ok(0)), ("i32.ge_u", s32(-1), 1, Ok(1)),
    ("i64.add", u64::MAX, 1, Ok(0)), ("i64.sub", 0, 1, Ok(u64::MAX)), ("i64.mul", 1 << 32, 1 << 32, Ok(0)),
    ("i64.div_s", s64(-7), 2, Ok(s64(-3))), ("i64.div_s", s64(i64::MIN), s64(-1), OVF), ("i64.div_s", 1, 0, DIV0),
    ("i64.div_u", u64::MAX, 2, Ok(u64::MAX / 2)), ("i64.div_u", 1, 0, DIV0),
    ("i64.rem_s", s64(-7), 2, Ok(s64(-1))), ("i64.rem_s", s64(i64::MIN), s64(-1), Ok(0)), ("i64.rem_s", 1, 0, DIV0),
    ("i64.rem_u", 7, 3, Ok(1)), ("i64.rem_u", 7, 0, DIV0),
    ("i64.and", 0xff0f, 0x0ff0, Ok(0x0f00)), ("i64.or", 1 << 63, 1, Ok((1 << 63) | 1)), ("i64.xor", u64::MAX, 1, Ok(u64::MAX - 1)),
    ("i64.shl", 1, 65, Ok(2)), ("i64.shr_s", 1 << 63, 63, Ok(u64::MAX)), ("i64.shr_s", 1 << 63, 64, Ok(1 << 63)),
    ("i64.shr_u", 1 << 63, 127, Ok(1)), ("i64.rotl", (1 << 63) | 1, 1, Ok(3)), ("i64.rotr", 3, 65, Ok((1 << 63) | 1)),
    ("i64.eq", 5, 5, Ok(1)), ("i64.ne", HI | 5, 5, Ok(1)), ("i64.lt_s", s64(-1), 0, Ok(1)), ("i64.lt_u", s64(-1), 0, Ok(0)),
    ("i64.gt_s", 0, s64(-1), Ok(1)), ("i64.gt_u", 0, s64(-1), Ok(0)), ("i64.le_s", 5, 5, Ok(1)), ("i64.le_u", 6, 5, Ok(0)),
    ("i64.ge_s", s64(-2), s64(-1), Ok(0)), ("i64.ge_u", s64(-1), 1, Ok(1)),
    ("f32.add", HI | f(1.5), f(2.25), Ok(f(3.75))), ("f32.sub", f(1.0), f(1.0), Ok(f(0.0))),
    ("f32.mul", f(-2.0), f(3.0), Ok(f(-6.0))), ("f32.div", f(1.0), f(0.0), Ok(f(f32::INFINITY))),
    ("f32.div", f(0.0), f(0.0), Ok(NAN32)),
    ("f32.min", f(0.0), f(-0.0), Ok(f(-0.0))), ("f32.min", NAN32, f(1.0), Ok(NAN32)), ("f32.min", f(1.0), f(2.0), Ok(f(1.0))),
    ("f32.max", f(-0.0), f(0.0), Ok(f(0.0))), ("f32.max", f(1.0), NAN32, Ok(NAN32)), ("f32.max", f(1.0), f(2.0), Ok(f(2.0))),
    ("f32.copysign", f(1.0), f(-0.0), Ok(f(-1.0))),
    ("f32.eq", NAN32, NAN32, Ok(0)), ("f32.eq", f(0.0), f(-0.0), Ok(1)), ("f32.ne", NAN32, NAN32, Ok(1)),
    ("f32.lt", f(1.0), f(2.0), Ok(1)), ("f32.gt", f(1.0), NAN32, Ok(0)), ("f32.le", f(2.0), f(2.0), Ok(1)), ("f32.ge", NAN32, f(1.0), Ok(0)),
    ("f64.add", d(0.1), d(0.2), Ok(d(0.1 + 0.2))), ("f64.sub", d(1.0), d(3.0), Ok(d(-2.0))),
    ("f64.mul", d(1e308), d(10.0), Ok(d(f64::INFINITY))), ("f64.div", d(-1.0), d(0.0), Ok(d(f64::NEG_INFINITY))),
    ("f64.min", d(0.0), d(-0.0), Ok(d(-0.0))), ("f64.min", d(1.0), NAN64, Ok(NAN64)),
    ("f64.max", d(-0.0), d(0.0), Ok(d(0.0))), ("f64.max", d(-1.0), d(-2.0), Ok(d(-1.0))),
    ("f64.copysign", d(-3.0), d(1.0), Ok(d(3.0))),
    ("f64.eq", NAN64, NAN64, Ok(0)), ("f64.ne", d(1.0), d(1.0), Ok(0)), ("f64.lt", d(-0.0), d(0.0), Ok(0)),
    ("f64.gt", d(2.0), d(1.0), Ok(1)), ("f64.le", NAN64, d(1.0), Ok(0)), ("f64.ge", d(1.0), d(1.0), Ok(1)),
];

#[rustfmt::skip]
const UNARY: &[(&str, u64, Want)] = &[
    ("mov", u64::MAX, Ok(u64::MAX)),
    ("i32.clz", 0, Ok(32)), ("i32.clz", HI | 1, Ok(31)), ("i32.ctz", HI, Ok(32)), ("i32.ctz", 8, Ok(3)),
    ("i32.popcnt", u64::MAX, Ok(32)), ("i32.eqz", HI, Ok(1)), ("i32.eqz", 1, Ok(0)),
    ("i32.extend8_s", 0x80, Ok(0xffff_ff80)), ("i32.extend16_s", 0x7fff, Ok(0x7fff)), ("i32.extend16_s", 0x8000, Ok(0xffff_8000)),
    ("i64.clz", 0, Ok(64)), ("i64.ctz", 1 << 63, Ok(63)), ("i64.popcnt", u64::MAX, Ok(64)), ("i64.eqz", 0, Ok(1)),
    ("i64.extend8_s", 0x80, Ok(s64(-128))), ("i64.extend16_s", 0x8000, Ok(s64(-32768))),
    ("i64.extend32_s", 0x8000_0000, Ok(0xffff_ffff_8000_0000)), ("i64.extend32_s", HI | 1, Ok(1)),
    ("f32.abs", f(-0.0), Ok(f(0.0))), ("f32.neg", f(0.0), Ok(f(-0.0))), ("f32.neg", NAN32, Ok(f(-f32::NAN))),
    ("f32.sqrt", f(4.0), Ok(f(2.0))), ("f32.sqrt", f(-1.0), Ok(NAN32)), ("f32.sqrt", f(-0.0), Ok(f(-0.0))),
    ("f32.ceil", f(1.2), Ok(f(2.0))), ("f32.ceil", f(-0.5), Ok(f(-0.0))), ("f32.floor", f(-1.2), Ok(f(-2.0))),
    ("f32.trunc", f(-1.7), Ok(f(-1.0))), ("f32.nearest", f(2.5), Ok(f(2.0))), ("f32.nearest", f(3.5), Ok(f(4.0))),
    ("f32.nearest", f(-0.5), Ok(f(-0.0))),
    ("f64.abs", d(-2.0), Ok(d(2.0))), ("f64.neg", d(2.0), Ok(d(-2.0))), ("f64.sqrt", d(2.0), Ok(d(std::f64::consts::SQRT_2))),
    ("f64.ceil", d(-1.5), Ok(d(-1.0))), ("f64.floor", d(1.5), Ok(d(1.0))), ("f64.trunc", d(1e300), Ok(d(1e300))),
    ("f64.nearest", d(-2.5), Ok(d(-2.0))), ("f64.nearest", d(4503599627370497.0), Ok(d(4503599627370497.0))),
    ("i32.wrap_i64", 0x1_2345_6789, Ok(0x2345_6789)),
    ("i32.trunc_f32_s", f(-1.9), Ok(s32(-1))), ("i32.trunc_f32_s", f(2147483648.0), OVF), ("i32.trunc_f32_s", NAN32, INV),
    ("i32.trunc_f32_u", f(-0.9), Ok(0)), ("i32.trunc_f32_u", f(-1.0), OVF), ("i32.trunc_f32_u", f(4294967040.0), Ok(4294967040)),
    ("i32.trunc_f64_s", d(-2147483648.9), Ok(s32(i32::MIN))), ("i32.trunc_f64_s", d(2147483648.0), OVF),
    ("i32.trunc_f64_u", d(4294967295.9), Ok(0xffff_ffff)), ("i32.trunc_f64_u", d(4294967296.0), OVF),
    ("i64.trunc_f32_s", f(-9223372036854775808.0), Ok(s64(i64::MIN))), ("i64.trunc_f32_s", f(9223372036854775808.0), OVF),
    ("i64.trunc_f32_u", f(18446744073709551616.0), OVF), ("i64.trunc_f32_u", f(1.5), Ok(1)),
    ("i64.trunc_f64_s", NAN64, INV), ("i64.trunc_f64_s", d(-1.5), Ok(s64(-1))),
    ("i64.trunc_f64_u", d(1e19), Ok(10_000_000_000_000_000_000)), ("i64.trunc_f64_u", d(f64::INFINITY), OVF),
    ("i32.trunc_sat_f32_s", NAN32, Ok(0)), ("i32.trunc_sat_f32_s", f(3e9), Ok(s32(i32::MAX))),
    ("i32.trunc_sat_f32_u", f(-5.0), Ok(0)), ("i32.trunc_sat_f64_s", d(-1e10), Ok(s32(i32::MIN))),
    ("i32.trunc_sat_f64_u", d(1e10), Ok(0xffff_ffff)), ("i64.trunc_sat_f32_s", f(f32::INFINITY), Ok(s64(i64::MAX))),
    ("i64.trunc_sat_f32_u", NAN32, Ok(0)), ("i64.trunc_sat_f64_s", d(f64::NEG_INFINITY), Ok(s64(i64::MIN))),
    ("i64.trunc_sat_f64_u", d(1e20), Ok(u64::MAX)),
    ("f32.convert_i32_s", HI | s32(-1), Ok(f(-1.0))), ("f32.convert_i32_u", 0xffff_ffff, Ok(f(4294967296.0))),
    ("f32.convert_i64_s", s64(-1), Ok(f(-1.0))), ("f32.convert_i64_u", u64::MAX, Ok(f(18446744073709551616.0))),
    ("f64.convert_i32_s", 0x8000_0000, Ok(d(-2147483648.0))), ("f64.convert_i32_u", 0x8000_0000, Ok(d(2147483648.0))),
    ("f64.convert_i64_s", s64(-1), Ok(d(-1.0))), ("f64.convert_i64_u", u64::MAX, Ok(d(18446744073709551616.0))),
    ("f32.demote_f64", d(1e300), Ok(f(f32::INFINITY))), ("f32.demote_f64", d(1.5), Ok(f(1.5))),
    ("f64.promote_f32", HI | f(1.5), Ok(d(1.5))),
];

#[rustfmt::skip]
const IMMEDIATE: &[(&str, u64, i16, u64)] = &[
    ("i32.add_imm", 0xffff_ffff, 1, 0), ("i32.add_imm", 5, -6, 0xffff_ffff), ("i32.mul_imm", 3, -2, s32(-6)),
    ("i32.and_imm", 0xff, -16, 0xf0), ("i32.or_imm", 0, -1, 0xffff_ffff), ("i32.xor_imm", 0xff, 0x0f, 0xf0),
    ("i32.shl_imm", 1, 31, 0x8000_0000), ("i32.shl_imm", 1, 32, 1), ("i32.shr_s_imm", 0x8000_0000, 4, 0xf800_0000),
    ("i32.shr_u_imm", 0x8000_0000, 4, 0x0800_0000),
    ("i64.add_imm", 0, -1, u64::MAX), ("i64.mul_imm", 1 << 40, 4, 1 << 42), ("i64.and_imm", u64::MAX, 0xff, 0xff),
    ("i64.or_imm", 1 << 63, 1, (1 << 63) | 1), ("i64.xor_imm", 0, -1, u64::MAX), ("i64.shl_imm", 1, 63, 1 << 63),
    ("i64.shl_imm", 1, 64, 1), ("i64.shr_s_imm", 1 << 63, 63, u64::MAX), ("i64.shr_u_imm", 1 << 63, 63, 1),
    ("i32.rotl_imm", 0x8000_0001, 1, 3), ("i32.rotl_imm", 0x8000_0001, 33, 3),
    ("i32.rotl_imm", 0x8000_0001, -1, 0xc000_0000), ("i32.rotl_imm", HI | 1, 0, 1),
    ("i64.rotl_imm", (1 << 63) | 1, 1, 3), ("i64.rotl_imm", 3, 63, (1 << 63) | 1),
    ("i64.rotl_imm", 3, -1, (1 << 63) | 1), ("i64.rotl_imm", 3, 64, 3),
];

#[rustfmt::skip]
const BRANCH: &[(&str, u64, u64, bool)] = &[
    ("i32.br_eq", HI | 5, 5, true), ("i32.br_ne", 5, 5, false), ("i32.br_lt_s", s32(-1), 0, true), ("i32.br_lt_u", s32(-1), 0, false),
    ("i32.br_le_s", 5, 5, true), ("i32.br_le_u", 6, 5, false),
    ("i64.br_eq", HI | 5, 5, false), ("i64.br_ne", 1, 2, true), ("i64.br_lt_s", s64(-1), 0, true), ("i64.br_lt_u", s64(-1), 0, false),
    ("i64.br_le_s", s64(-5), s64(-5), true), ("i64.br_le_u", 0, u64::MAX, true),
];

#[rustfmt::skip]
const BRANCH_IMM: &[(&str, u64, i16, bool)] = &[
    ("i32.br_eq_imm", s32(-1), -1, true), ("i32.br_ne_imm", 5, 5, false), ("i32.br_lt_s_imm", s32(-2), -1, true),
    ("i32.br_lt_u_imm", 0xffff_fffe, -1, true), ("i32.br_gt_s_imm", 0, -1, true), ("i32.br_gt_u_imm", 0, -1, false),
    ("i64.br_eq_imm", u64::MAX, -1, true), ("i64.br_ne_imm", 0xffff_ffff, -1, true), ("i64.br_lt_s_imm", s64(-2), -1, true),
    ("i64.br_lt_u_imm", 5, 3, false), ("i64.br_gt_s_imm", 4, 3, true), ("i64.br_gt_u_imm", u64::MAX, -2, true),
];

#[test]
fn binary_ops() {
    for &(op, x, y, want) in BINARY {
        let got = run(
            &module(&format!("{op} r2, r0, r1\nreturn r2, 1"), "i64 i64"),
            &[x, y],
        );
        assert!(
            same(op, got, want),
            "{op} {x:#x} {y:#x}: {got:x?}, want {want:x?}"
        );
    }
}

#[test]
fn unary_ops() {
    for &(op, x, want) in UNARY {
        let got = run(&module(&format!("{op} r1, r0\nreturn r1, 1"), "i64"), &[x]);
        assert!(same(op, got, want), "{op} {x:#x}: {got:x?}, want {want:x?}");
    }
}

#[test]
fn immediate_ops() {
    for &(op, x, k, want) in IMMEDIATE {
        let got = run(
            &module(&format!("{op} r1, r0, {k}\nreturn r1, 1"), "i64"),
            &[x],
        );
        assert_eq!(got, Ok(want), "{op} {x:#x} {k}");
    }
}

#[test]
fn compare_and_branch() {
    let tail = "i64.const r0, 0\nreturn r0, 1\nyes: i64.const r0, 1\nreturn r0, 1";
    for &(op, x, y, taken) in BRANCH {
        let got = run(
            &module(&format!("{op} r0, r1, yes\n{tail}"), "i64 i64"),
            &[x, y],
        );
        assert_eq!(got, Ok(taken as u64), "{op} {x:#x} {y:#x}");
    }
    for &(op, x, k, taken) in BRANCH_IMM {
        let got = run(&module(&format!("{op} r0, {k}, yes\n{tail}"), "i64"), &[x]);
        assert_eq!(got, Ok(taken as u64), "{op} {x:#x} {k}");
    }
}

/// Ops whose tests live in `machine.rs` (control flow, memory, tables, threads).
const MACHINE_TESTED: &[&str] = &[
    "nop",
    "trap",
    "jump",
    "br_if",
    "br_unless",
    "br_table",
    "br_table.entry",
    "call",
    "call_indirect",
    "return",
    "syscall",
    "i32.const",
    "i64.const",
    "f32.const",
    "ldc",
    "select",
    "global.get",
    "global.set",
    "load8_u",
    "i32.load8_s",
    "i64.load8_s",
    "load16_u",
    "i32.load16_s",
    "i64.load16_s",
    "load32_u",
    "i64.load32_s",
    "load64",
    "store8",
    "store16",
    "store32",
    "store64",
    "memory.size",
    "memory.grow",
    "memory.copy",
    "memory.fill",
    "table.get",
    "table.set",
    "table.size",
    "table.grow",
    "ref.null",
    "ref.is_null",
    "ref.func",
    // vm/tests/superinstructions.rs
    "i64.inc_br_lt_s",
    "load64.x8",
    "memory.init",
    "table.init",
    "table.copy",
    "table.fill",
    "call_ref",
];

#[test]
fn every_op_is_tested() {
    let mut tested: Vec<&str> = MACHINE_TESTED.to_vec();
    tested.extend(BINARY.iter().map(|c| c.0));
    tested.extend(UNARY.iter().map(|c| c.0));
    tested.extend(IMMEDIATE.iter().map(|c| c.0));
    tested.extend(BRANCH.iter().map(|c| c.0));
    tested.extend(BRANCH_IMM.iter().map(|c| c.0));
    let missing: Vec<&str> = Op::ALL
        .iter()
        .map(|op| op.mnemonic())
        .filter(|m| !tested.contains(m))
        .collect();
    assert!(missing.is_empty(), "untested ops: {missing:?}");
}
