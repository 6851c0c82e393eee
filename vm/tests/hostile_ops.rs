//! Every op that takes only registers and plain immediates, with several register
//! patterns (including aliased ones) and edge values in its operands, run in a
//! canary-guarded sandbox twice: in one go and one instruction at a time. Both runs stop
//! the same way with the same registers and memory, never run away, and touch nothing
//! outside the program's memory and stack.

use selvm_bytecode::Op;
use selvm_bytecode::operand::Kind;
use selvm_vm::asm::assemble;
use selvm_vm::{Module, Stop};
use selvm_vm_fuzzkit::sandbox::Guarded;

const SIZE: u64 = 0x10000;

/// Edge values for register operands: integer and float limits, NaNs, memory bounds.
const EDGES: [u64; 14] = [
    0,
    1,
    u64::MAX,
    0x8000_0000,
    0x7fff_ffff,
    1 << 63,
    0xffff_ffff,
    0x1_0000_0000,
    0x7fc0_0001,           // an f32 NaN
    0x7ff8_0000_0000_0001, // an f64 NaN
    0x43e0_0000_0000_0000, // 2^63 as f64
    0x4f00_0000,           // 2^31 as f32
    300,
    SIZE - 1,
];

/// The instruction word for `op` with registers `regs` (in order of its register
/// operands) and immediate `imm` for every other operand, if it has only registers and
/// plain immediates.
fn instance(op: Op, regs: [u32; 3], imm: u32) -> Option<u64> {
    let mut next = regs.into_iter();
    let values: Option<Vec<u32>> = op
        .operands()
        .iter()
        .map(|&(_, kind)| match kind {
            Kind::Reg => next.next(),
            Kind::U16 | Kind::I16 | Kind::I32 | Kind::F32 => Some(imm),
            _ => None,
        })
        .collect();
    Some(op.encode_raw(&values?))
}

#[test]
fn every_op_with_edge_operands_stops_the_same_however_it_is_sliced() {
    let mut ran = std::collections::BTreeSet::new();
    for &op in Op::ALL {
        for regs in [[3, 1, 2], [2, 1, 2], [1, 2, 1], [1, 1, 1]] {
            for imm in [0, 0xffff] {
                let Some(word) = instance(op, regs, imm) else {
                    continue;
                };
                let text = format!(
                    ".memory 1 1\n.func main (i64 i64 i64) -> (i64) frame 6\n\
                     .word {word:#x}\nreturn r3, 1\n.end"
                );
                let Ok(module) = Module::load(&assemble(&text).unwrap()) else {
                    continue; // e.g. a syscall whose register range leaves the frame
                };
                ran.insert(op.mnemonic());
                let mut whole = Guarded::start(&module, 0, &[0, 0, 0], 1, 64, 4).unwrap();
                let mut sliced = whole.clone();
                // Both start equal and must stay equal, so their memories carry over.
                for x in EDGES {
                    for y in EDGES {
                        let mut outcomes = Vec::new();
                        for (g, slice) in [(&mut whole, 1 << 20), (&mut sliced, 1)] {
                            g.restart(0, &[x, x ^ y, y], 4).unwrap();
                            let stop = g.drive(1 << 20, slice).stop;
                            assert_ne!(stop, Stop::Budget, "{op:?} ran away");
                            let regs: Vec<u64> = (0..6).map(|r| g.register(r)).collect();
                            outcomes.push((stop, regs));
                        }
                        assert!(
                            outcomes[0] == outcomes[1]
                                && whole.sandbox.memory() == sliced.sandbox.memory(),
                            "{op:?} {regs:?} {imm:#x} on {x:#x}, {y:#x}: {:?} vs {:?}",
                            outcomes[0],
                            outcomes[1],
                        );
                    }
                }
                whole.sandbox.check().expect("a canary changed");
                sliced.sandbox.check().expect("a canary changed");
            }
        }
    }
    assert!(ran.len() > 170, "only {} ops ran", ran.len());
}
