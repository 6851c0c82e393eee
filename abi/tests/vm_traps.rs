//! The vm ABI names every trap of the register machine and the ABI version `.sbc`
//! modules carry: adding a `Trap` variant without a `TrapKind` fails to compile here.

use selvm_abi::vm::{TrapKind, VM_ABI_VERSION};
use selvm_vm::Trap;

/// The UserException number and code the kernel reports for a VM trap.
fn exception(trap: Trap) -> (TrapKind, u64) {
    match trap {
        Trap::Program(code) => (TrapKind::Program, code.into()),
        Trap::DivideByZero => (TrapKind::DivideByZero, 0),
        Trap::IntegerOverflow => (TrapKind::IntegerOverflow, 0),
        Trap::InvalidConversion => (TrapKind::InvalidConversion, 0),
        Trap::StackOverflow => (TrapKind::StackOverflow, 0),
        Trap::TableOutOfBounds => (TrapKind::TableOutOfBounds, 0),
        Trap::NullReference => (TrapKind::NullReference, 0),
        Trap::BadReference => (TrapKind::BadReference, 0),
        Trap::SignatureMismatch => (TrapKind::SignatureMismatch, 0),
        // The embedder's register stack cannot hold the frame to return to: to
        // the program that is the same as running out of stack (the kernel sizes
        // register stacks at TcbSetEntry, so the hosted machine never sees it).
        Trap::StackTooSmall => (TrapKind::StackOverflow, 1),
        Trap::SegmentOutOfBounds => (TrapKind::SegmentOutOfBounds, 0),
    }
}

#[test]
fn a_too_small_register_stack_is_a_stack_overflow() {
    assert_eq!(exception(Trap::StackTooSmall), (TrapKind::StackOverflow, 1));
}

#[test]
fn every_vm_trap_has_a_kind_of_the_same_name() {
    let traps = [
        Trap::Program(7),
        Trap::DivideByZero,
        Trap::IntegerOverflow,
        Trap::InvalidConversion,
        Trap::StackOverflow,
        Trap::TableOutOfBounds,
        Trap::NullReference,
        Trap::BadReference,
        Trap::SignatureMismatch,
        Trap::SegmentOutOfBounds,
    ];
    let mut kinds = Vec::new();
    for t in traps {
        let (kind, code) = exception(t);
        // The variant names agree ("Program(7)" starts with "Program").
        assert!(
            format!("{t:?}").starts_with(kind.name()),
            "{t:?} vs {kind:?}"
        );
        assert_eq!(
            code,
            if let Trap::Program(c) = t {
                c.into()
            } else {
                0
            }
        );
        assert!(!kinds.contains(&kind));
        kinds.push(kind);
    }
    // Only the kernel's own kind is not a VM trap.
    let rest: Vec<_> = TrapKind::ALL
        .iter()
        .filter(|k| !kinds.contains(k))
        .collect();
    assert_eq!(rest, [&TrapKind::NoCode]);
}

#[test]
fn abi_version_matches_the_sbc_format() {
    assert_eq!(VM_ABI_VERSION, selvm_bytecode::format::ABI_VERSION);
}
