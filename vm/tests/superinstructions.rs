//! The superinstructions (`i64.inc_br_lt_s`, `load64.x8`): each does what the sequence
//! it replaces does, at the edges too, and the verifier checks their operands like any
//! other op's. (`vm/tests/dispatch.rs` runs them under every dispatch technique through
//! `loop.s` and `matmul.s`.)

mod common;

use common::rejected::with_body;
use common::{Run, eval};
use selvm_bytecode::Rule;
use selvm_vm::memory::{Access, Fault};
use selvm_vm::{Module, Stop};

fn main(frame: u32, body: &str) -> String {
    format!(
        ".memory 1 1\n.entry main\n.func main (i64 i64) -> (i64 i64) frame {frame}\n{body}\n.end\n"
    )
}

/// Runs `main(x, y)` and returns its two results.
fn two(text: &str, x: u64, y: u64) -> Result<(u64, u64), Stop> {
    eval(text, &[x, y], 2).map(|v| (v[0], v[1]))
}

#[test]
fn inc_br_lt_s_counts_and_branches_while_below() {
    // r2 counts the iterations: the loop runs while (r0 + 1) < r1.
    let text = main(
        3,
        "again: i64.add_imm r2, r2, 1\ni64.inc_br_lt_s r0, r1, again\nmov r1, r2\nreturn r0, 2",
    );
    assert_eq!(two(&text, 0, 10), Ok((10, 10)));
    assert_eq!(two(&text, 5, 5), Ok((6, 1)), "runs once: 6 < 5 is false");
    assert_eq!(two(&text, (-3i64) as u64, 1), Ok((1, 4)), "signed");
}

#[test]
fn inc_br_lt_s_wraps_and_compares_signed() {
    let text = main(
        3,
        "i64.inc_br_lt_s r0, r1, taken\ni64.const r1, 0\nreturn r0, 2\ntaken: i64.const r1, 1\nreturn r0, 2",
    );
    let min = i64::MIN as u64;
    assert_eq!(
        two(&text, i64::MAX as u64, 0),
        Ok((min, 1)),
        "MAX + 1 wraps to MIN < 0"
    );
    assert_eq!(two(&text, u64::MAX, 0), Ok((0, 0)), "-1 + 1 = 0 is not < 0");
    assert_eq!(
        two(&text, 1, u64::MAX),
        Ok((2, 0)),
        "2 is not < -1 (signed)"
    );
    assert_eq!(two(&text, u64::MAX - 1, 0), Ok((u64::MAX, 1)), "-1 < 0");
}

#[test]
fn inc_br_lt_s_with_one_register_compares_the_new_value_with_itself() {
    let text = main(
        3,
        "i64.inc_br_lt_s r0, r0, out\ni64.const r1, 7\nout: return r0, 2",
    );
    assert_eq!(two(&text, 41, 0), Ok((42, 7)), "a + 1 < a + 1 is false");
}

#[test]
fn load64_x8_indexes_eight_byte_elements() {
    let setup = "ldc r2, 0x1122334455667788\ni64.const r3, 24\nstore64 r2, r3, 0\n";
    let text = main(4, &format!("{setup}load64.x8 r0, r0, r1\nreturn r0, 2"));
    assert_eq!(two(&text, 8, 2), Ok((0x1122_3344_5566_7788, 2)), "8 + 8·2");
    assert_eq!(two(&text, 0, 3), Ok((0x1122_3344_5566_7788, 3)), "0 + 8·3");
    assert_eq!(
        two(&text, 40, u64::MAX - 1),
        Ok((0x1122_3344_5566_7788, u64::MAX - 1)),
        "wraps: 40 - 16"
    );
    assert_eq!(
        two(&text, 25, 0),
        Ok((0x0011_2233_4455_6677, 0)),
        "unaligned"
    );
}

#[test]
fn load64_x8_faults_at_its_address_and_changes_nothing() {
    let text = main(3, "i64.const r2, 9\nload64.x8 r2, r0, r1\nreturn r0, 2");
    for (base, index, address) in [(0, 8192, 65536), (65530, 0, 65530), (0, 1 << 61, 0)] {
        let mut run = Run::new(&text, None, &[base, index]);
        let stop = run.finish();
        if address == 0 {
            // 8 · 2^61 wraps to 0: a valid access.
            assert_eq!(stop, Stop::Returned);
            continue;
        }
        let fault = Fault {
            address,
            access: Access::Read,
        };
        assert_eq!(stop, Stop::Fault(fault), "base {base}, index {index}");
        assert_eq!(run.thread.position().1, 1, "pc stays on the load");
        assert_eq!(run.results(3)[2], 9, "the destination keeps its value");
    }
}

#[test]
fn the_verifier_checks_their_operands() {
    let rule = |body: &str| {
        let bytes = selvm_vm::asm::assemble(&with_body(body)).unwrap();
        Module::load(&bytes).map(|_| ()).map_err(|e| e.rule)
    };
    assert_eq!(
        rule("i64.inc_br_lt_s r0, r2, @0\nreturn r0, 1"),
        Err(Rule::Register)
    );
    assert_eq!(
        rule("i64.inc_br_lt_s r2, r0, @0\nreturn r0, 1"),
        Err(Rule::Register)
    );
    assert_eq!(
        rule("i64.inc_br_lt_s r0, r1, @5\nreturn r0, 1"),
        Err(Rule::JumpTarget)
    );
    assert_eq!(
        rule("i64.inc_br_lt_s r0, r1, @-1\nreturn r0, 1"),
        Err(Rule::JumpTarget)
    );
    assert_eq!(
        rule("load64.x8 r0, r1, r2\nreturn r0, 1"),
        Err(Rule::Register)
    );
    assert_eq!(
        rule("load64.x8 r2, r1, r0\nreturn r0, 1"),
        Err(Rule::Register)
    );
    assert_eq!(
        rule("i64.inc_br_lt_s r0, r1, @1\nload64.x8 r0, r1, r0\nreturn r0, 1"),
        Ok(())
    );
}
