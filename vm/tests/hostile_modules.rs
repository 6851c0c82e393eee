//! Hostile modules: every verifier rule broken (the rejected samples), every prefix of
//! them, and every single-bit corruption of a valid module. Each is rejected naming a
//! rule, or, if a corruption happens to stay valid, runs in a canary-guarded sandbox
//! without touching anything outside its memory and stack; the host never panics.

mod common;

use common::rejected::{VALID, samples};
use selvm_bytecode::{Location, Progress, Verifier};
use selvm_vm::Module;
use selvm_vm::asm::assemble;
use selvm_vm_fuzzkit::sandbox::Guarded;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Loads `bytes` and, if they verify, runs every function in a sandbox; `Err` if the
/// host panicked or a canary changed.
fn survive(bytes: &[u8]) -> Result<bool, String> {
    catch_unwind(AssertUnwindSafe(|| {
        let Ok(module) = Module::load(bytes) else {
            return Ok(false);
        };
        for func in 0..module.functions().len() as u32 {
            let params = module.functions()[func as usize].params as usize;
            let args = vec![1; params];
            let Ok(mut run) = Guarded::start(&module, func, &args, 1, 4096, 64) else {
                continue;
            };
            run.drive(10_000, 97);
            run.sandbox.check().map_err(|b| format!("{b:?}"))?;
        }
        Ok(true)
    }))
    .unwrap_or_else(|_| Err("the host panicked".into()))
}

#[test]
fn every_broken_rule_is_rejected_whole_and_step_by_step() {
    for (rule, bytes) in samples() {
        let e = Module::load(&bytes).expect_err("a rejected sample loaded");
        assert_eq!(e.rule, rule, "sample for {rule:?}: {e}");
        // The preemptible verifier reaches the same verdict one step at a time.
        let stepped = selvm_bytecode::Module::parse(&bytes).and_then(|m| {
            let mut v = Verifier::new(m);
            while v.step()? == Progress::More {}
            Ok(())
        });
        assert_eq!(stepped.map_err(|e| e.rule), Err(rule), "stepped {rule:?}");
    }
}

#[test]
fn every_prefix_of_every_sample_is_rejected() {
    let mut all = samples();
    all.push((selvm_bytecode::Rule::Truncated, assemble(VALID).unwrap()));
    for (rule, bytes) in all {
        for len in 0..bytes.len() {
            assert_eq!(
                survive(&bytes[..len]),
                Ok(false),
                "{len}-byte prefix of the sample for {rule:?} loaded"
            );
        }
    }
}

#[test]
fn single_bit_corruptions_are_rejected_or_harmless() {
    let valid = assemble(VALID).unwrap();
    let (mut rejected, mut ran) = (0, 0);
    for bit in 0..valid.len() * 8 {
        let mut bytes = valid.clone();
        bytes[bit / 8] ^= 1 << (bit % 8);
        match survive(&bytes) {
            Ok(false) => rejected += 1,
            Ok(true) => ran += 1,
            Err(e) => panic!("bit {bit} flipped: {e}"),
        }
    }
    assert!(rejected > ran, "{rejected} rejected, {ran} ran");
}

#[test]
fn a_module_breaking_a_code_rule_in_every_function_is_rejected_at_each() {
    // One broken code rule per function: the verifier stops at the first, and dropping
    // functions from the front exposes each later one in turn.
    use selvm_bytecode::Rule::*;
    let bodies = [
        (".word 0xffff\nreturn r0, 1", Opcode),
        ("mov r0, r9\nreturn r0, 1", Register),
        ("jump @-100", JumpTarget),
        ("call r0, #77\nreturn r0, 1", FuncIndex),
        ("ldc r0, #3\nreturn r0, 1", ConstIndex),
        ("global.get r0, g9\nreturn r0, 1", GlobalIndex),
        ("syscall r1, 2, 0\nreturn r0, 1", RegisterRange),
        ("return r0, 1\nnop", FallsOffEnd),
    ];
    for first in 0..bodies.len() {
        let funcs: String = bodies[first..]
            .iter()
            .enumerate()
            .map(|(i, (b, _))| format!(".func f{i} (i64) -> (i64) frame 2\n{b}\n.end\n"))
            .collect();
        let bytes = assemble(&format!(".memory 1 1\n{funcs}")).unwrap();
        let e = Module::load(&bytes).expect_err("hostile module loaded");
        assert_eq!(e.rule, bodies[first].1, "{e}");
        assert!(matches!(e.location, Location::Code { func: 0, .. }), "{e}");
    }
}
