//! The verifier resumed from a saved position (as the kernel does across a
//! preemption of ModuleSeal) reaches the same verdict as one uninterrupted run.

use selvm_bytecode::{Module, Progress, Verifier};
use selvm_vm::asm::assemble;

/// Verifies `bytes`, saving the position after every step and resuming from it.
fn resumed(bytes: &[u8]) -> (Result<(), selvm_bytecode::Error>, usize) {
    let module = Module::parse(bytes).expect("parses");
    let mut position = Verifier::new(module).position();
    let mut steps = 0;
    loop {
        let mut v = Verifier::resume(Module::parse(bytes).unwrap(), position).expect("a position");
        steps += 1;
        match v.step() {
            Ok(Progress::Done) => return (Ok(()), steps),
            Ok(Progress::More) => position = v.position(),
            Err(e) => return (Err(e), steps),
        }
    }
}

#[test]
fn resuming_after_every_step_gives_the_same_verdict() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/programs");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "s") {
            let bytes = assemble(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let whole = Verifier::new(Module::parse(&bytes).unwrap()).run();
            let (stepwise, steps) = resumed(&bytes);
            assert_eq!(stepwise, whole, "{}", path.display());
            assert!(steps > 2, "{}: {steps} steps", path.display());
        }
    }
    // A module whose second function breaks a rule fails the same way.
    let bad = assemble(
        ".entry f\n.func f () -> () frame 1\n    return r0, 0\n.end\n.func g () -> () frame 1\n    i32.add r0, r0, r9\n    return r0, 0\n.end\n",
    )
    .unwrap();
    let whole = Verifier::new(Module::parse(&bad).unwrap()).run();
    assert!(whole.is_err());
    assert_eq!(resumed(&bad).0, whole);
    assert!(Verifier::resume(Module::parse(&bad).unwrap(), 0xf000_0000).is_none());
}
