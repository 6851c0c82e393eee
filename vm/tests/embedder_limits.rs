//! Regression tests for three ways a module or an embedder could once hurt the host:
//! verification time quadratic in the number of signatures, table storage sized by a
//! module's declarations, and a panic when `run` gets a stack too small for the thread.

mod common;

use common::{eval, load};
use selvm_bytecode::Rule;
use selvm_bytecode::format::{DIRECTORY_OFFSET, MAX_TABLE_SIZE, Section, ValType};
use selvm_vm::asm::assemble;
use selvm_vm::asm::builder::{FunctionDef, ModuleBuilder, Signature};
use selvm_vm::module::NULL_REF;
use selvm_vm::{Dispatch, FlatMemory, Module, Stop, Thread, Trap};

fn rule(bytes: &[u8]) -> Result<(), Rule> {
    Module::load(bytes).map(|_| ()).map_err(|e| e.rule)
}

/// Offset of `section`'s records in `bytes`.
fn section(bytes: &[u8], section: Section) -> usize {
    let at = DIRECTORY_OFFSET + 8 * section as usize;
    u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize
}

#[test]
fn signatures_must_ascend_so_duplicates_are_found_in_one_pass() {
    // The writer sorts: signatures declared out of order still assemble to a valid
    // module, with the function records and `call_indirect`'s operand renumbered.
    let text = "
        .memory 0 0
        .type (i64) -> (i64)
        .type (i32) -> ()
        .table 1 1 inc
        .entry main
        .func main () -> (i64) frame 2
            i64.const r0, 41
            i32.const r1, 0
            call_indirect r0, r1, (i64) -> (i64)
            return r0, 1
        .end
        .func inc (i64) -> (i64) frame 1
            i64.add_imm r0, r0, 1
            return r0, 1
        .end";
    assert_eq!(eval(text, &[], 1), Ok(vec![42]));
    // Swapping two signature records (and so the order) is rejected.
    let mut bytes = assemble(text).unwrap();
    let types = section(&bytes, Section::Types);
    let (first, second) = bytes[types..types + 16].split_at_mut(8);
    first.swap_with_slice(second);
    assert_eq!(rule(&bytes), Err(Rule::TypeOrder));
}

#[test]
fn many_signatures_verify_in_linear_time() {
    // 4^7 = 16,384 distinct signatures of seven parameters: each is compared with its
    // predecessor only (the old check compared each with every earlier one: 134
    // million comparisons).
    let codes = [ValType::I32, ValType::I64, ValType::F32, ValType::F64];
    let mut b = ModuleBuilder::default();
    for i in 0..4usize.pow(7) {
        let params = (0..7).map(|d| codes[(i >> (2 * (6 - d))) & 3]).collect();
        b.type_index(Signature {
            params,
            results: vec![],
        });
    }
    b.functions.push(FunctionDef {
        name: "main".into(),
        ty: 0,
        frame: 7,
        code: vec![assemble_return()],
    });
    let module = Module::load(&b.finish()).expect("verifies");
    assert_eq!(module.container().count(Section::Types), 16_384);
}

/// The word of `return r0, 0`.
fn assemble_return() -> u64 {
    selvm_bytecode::Op::Return.encode_raw(&[0, 0])
}

#[test]
fn tables_together_are_capped_and_the_loader_stores_only_listed_elements() {
    let half = MAX_TABLE_SIZE / 2;
    let two = |a: u32, b: u32| assemble(&format!(".table 0 {a}\n.table 0 {b}")).unwrap();
    assert_eq!(rule(&two(half, half)), Ok(()));
    assert_eq!(rule(&two(half, half + 1)), Err(Rule::TablesTotal));
    let many: String = (0..64).map(|_| ".table 1048576 1048576\n").collect();
    assert_eq!(rule(&assemble(&many).unwrap()), Err(Rule::TablesTotal));

    // A table of 2^20 null elements costs the loader nothing; a thread's context area
    // (the embedder's memory) holds it, and every unlisted element is null.
    let text = format!(
        ".memory 0 0\n.table {MAX_TABLE_SIZE} {MAX_TABLE_SIZE} f\n.entry f\n\
         .func f () -> (i64 i64) frame 2\n\
         i32.const r0, {}\ntable.get r0, r0, t0\ni32.const r1, 0\ntable.get r1, r1, t0\n\
         return r0, 2\n.end",
        MAX_TABLE_SIZE - 1
    );
    let module = load(&text);
    assert_eq!(module.tables()[0].elems.len(), 1);
    let mut stack = vec![7; module.context_words() + 64];
    let mut thread = Thread::new(&module, &mut stack, 0, &[], 4).unwrap();
    let exit = thread.run(&module, &mut stack, &mut FlatMemory::new(0, 0), 100);
    assert_eq!(exit.stop, Stop::Returned);
    assert_eq!(thread.registers(&mut stack)[..2], [NULL_REF, 0]);
}

/// `main` (frame 16) calls `leaf` (frame 2) with its window at r0, so inside `leaf` the
/// thread needs 2 registers and after its return 16.
const DEEP: &str = "
    .memory 0 0
    .entry main
    .func main () -> (i64) frame 16
        i64.const r15, 5
        i64.const r0, 1
        call r0, leaf
        i64.add r0, r0, r15
        return r0, 1
    .end
    .func leaf (i64) -> (i64) frame 2
        i64.add_imm r0, r0, 1
        i64.add_imm r0, r0, 1
        return r0, 1
    .end";

#[test]
fn a_stack_too_small_for_the_thread_traps_instead_of_panicking() {
    let module = load(DEEP);
    for &dispatch in Dispatch::ALL {
        let mut stack = vec![0; 64];
        let mut thread = Thread::new(&module, &mut stack, 0, &[], 4).unwrap();
        let mut memory = FlatMemory::new(0, 0);
        let mut run = |thread: &mut Thread, stack: &mut [u64], budget| {
            thread.run_with(dispatch, &module, stack, &mut memory, budget)
        };
        // Smaller than the context area and call frames, or than main's frame.
        for words in [0, 7, 8 + 15] {
            let exit = run(&mut thread, &mut stack[..words], 10);
            assert_eq!(
                exit.stop,
                Stop::Trap(Trap::StackTooSmall),
                "{dispatch:?}, {words} words"
            );
            assert_eq!((exit.executed, thread.position()), (0, (0, 0)));
        }
        // Into `leaf` with the whole stack; then a stack that fits `leaf` but not
        // `main`: `leaf` runs, and its return traps, changing nothing.
        assert_eq!(run(&mut thread, &mut stack, 3).stop, Stop::Budget);
        let exit = run(&mut thread, &mut stack[..8 + 2], 10);
        assert_eq!(exit.stop, Stop::Trap(Trap::StackTooSmall), "{dispatch:?}");
        assert_eq!(
            exit.executed, 3,
            "{dispatch:?}: the two adds and the return"
        );
        assert_eq!(thread.position().0, 1, "{dispatch:?}: still in leaf");
        // With the whole stack again, it goes on to the right result.
        assert_eq!(run(&mut thread, &mut stack, 10).stop, Stop::Returned);
        assert_eq!(thread.registers(&mut stack)[0], 3 + 5, "{dispatch:?}");
    }
}
