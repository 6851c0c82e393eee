//! Encoding and decoding follow from the one instruction table: every op round-trips,
//! unknown opcodes and stray bits are rejected.

use selvm_bytecode::operand::Kind;
use selvm_bytecode::{DecodeError, Instr, Op};

#[test]
fn every_op_round_trips_through_its_word() {
    for &op in Op::ALL {
        assert_eq!(Op::from_mnemonic(op.mnemonic()), Some(op));
        let values: Vec<u32> = op
            .operands()
            .iter()
            .enumerate()
            .map(|(i, (_, k))| {
                if k.is_wide() {
                    0x8765_4321
                } else {
                    0x8000 + i as u32
                }
            })
            .collect();
        let word = op.encode_raw(&values);
        let instr = Instr::decode(word).unwrap();
        assert_eq!(instr.op(), op);
        assert_eq!(instr.encode(), word, "{}", op.mnemonic());
        let back: Vec<u32> = op.operand_values(word).map(|(_, v)| v).collect();
        assert_eq!(back, values);
    }
}

#[test]
fn wide_operands_use_bc_and_come_last() {
    for &op in Op::ALL {
        let ops = op.operands();
        for (i, &(field, kind)) in ops.iter().enumerate() {
            assert_eq!(
                kind.is_wide(),
                field == selvm_bytecode::operand::Field::Bc,
                "{}",
                op.mnemonic()
            );
            if kind.is_wide() {
                assert_eq!(i, ops.len() - 1);
            }
        }
    }
}

#[test]
fn bad_words_do_not_decode() {
    assert_eq!(Instr::decode(0xffff), Err(DecodeError::Opcode(0xffff)));
    let nop_with_bits = Op::Nop as u64 | 1 << 20;
    assert_eq!(
        Instr::decode(nop_with_bits),
        Err(DecodeError::UnusedBits(Op::Nop))
    );
    let mov_with_c = Op::Mov.encode_raw(&[1, 2]) | 1 << 50;
    assert_eq!(
        Instr::decode(mov_with_c),
        Err(DecodeError::UnusedBits(Op::Mov))
    );
}

#[test]
fn signed_fields_sign_extend() {
    let word = Op::I32AddImm.encode_raw(&[1, 2, (-5i16) as u16 as u32]);
    assert!(matches!(Instr::decode(word), Ok(Instr::I32AddImm { c, .. }) if c.0 == -5));
    assert_eq!(Kind::Jump16.name(), "jump16");
}
