//! The verifier rejects one sample per rule, naming that rule; every rule has a sample.

mod common;

use common::rejected::{VALID, samples, with_body};
use selvm_bytecode::format::{DIRECTORY_OFFSET, Section};
use selvm_bytecode::{Location, Rule};
use selvm_vm::Module;
use selvm_vm::asm::assemble;

fn rule_of_bytes(bytes: &[u8]) -> Rule {
    match Module::load(bytes) {
        Ok(_) => panic!("accepted"),
        Err(e) => e.rule,
    }
}

#[test]
fn the_valid_sample_is_accepted() {
    Module::load(&assemble(VALID).unwrap()).unwrap();
}

#[test]
fn each_sample_breaks_its_rule() {
    for (expected, bytes) in samples() {
        let got = rule_of_bytes(&bytes);
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

#[test]
fn functions_tile_the_code_section() {
    // Found by flipping bit 418 of `VALID` (the code section's count): words outside
    // every function were decoded unverified and the loader panicked.
    use selvm_bytecode::format::FUNC_SIZE;
    let valid = assemble(VALID).unwrap();
    let section = |s: Section| {
        let at = DIRECTORY_OFFSET + 8 * s as usize;
        u32::from_le_bytes(valid[at..at + 4].try_into().unwrap()) as usize
    };
    let mut orphan = valid.clone();
    orphan[DIRECTORY_OFFSET + 8 * Section::Code as usize + 4] ^= 4;
    assert_eq!(rule_of_bytes(&orphan), Rule::FuncCode, "orphan code words");
    let mut overlap = valid.clone();
    let second_start = section(Section::Funcs) + FUNC_SIZE + 8;
    overlap[second_start..second_start + 4].copy_from_slice(&0u32.to_le_bytes());
    assert_eq!(
        rule_of_bytes(&overlap),
        Rule::FuncCode,
        "overlapping functions"
    );
}
