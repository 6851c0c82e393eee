//! Loop-invariant constants (dx/src/func/hoist.rs): a loop that reads constants no
//! immediate form takes runs no constant-loading instruction per iteration, and the
//! pinned registers keep their values across calls made inside the loop, nested loops
//! and a second loop that loads the same constants.

use selvm_vm::{FlatMemory, Module, Stop, Thread};

/// `mark(n)`: for i in 0..n, stores 7 at 0x100000 + i, calls `id(i)` and sums
/// `id(i) ^ 0x12345678` and, in an inner loop, `0x10000 + j` for j in 0..2; then a
/// second loop sums the bytes back, reading 0x100000 again. `mark(n)` returns
/// `sum * 1_000_000 + bytes` (wrapping i64 arithmetic).
const WAT: &str = r#"
(module
  (memory 32)
  (func $id (param i32) (result i32) local.get 0)
  (func (export "mark") (param $n i32) (result i64)
    (local $i i32) (local $j i32) (local $sum i64) (local $bytes i64)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store8 (i32.add (local.get $i) (i32.const 0x100000)) (i32.const 7))
        (local.set $sum (i64.add (local.get $sum)
          (i64.extend_i32_u (i32.xor (call $id (local.get $i)) (i32.const 0x12345678)))))
        (local.set $j (i32.const 0))
        (loop $inner
          (local.set $sum (i64.add (local.get $sum)
            (i64.extend_i32_u (i32.add (local.get $j) (i32.const 0x10000)))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $inner (i32.lt_u (local.get $j) (i32.const 2))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.set $i (i32.const 0))
    (block $end
      (loop $again
        (br_if $end (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $bytes (i64.add (local.get $bytes)
          (i64.load8_u (i32.add (local.get $i) (i32.const 0x100000)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $again)))
    (i64.add (i64.mul (local.get $sum) (i64.const 1000000)) (local.get $bytes))))
"#;

/// What `mark(n)` must return.
fn expected(n: u32) -> u64 {
    let mut sum = 0u64;
    for i in 0..n {
        sum = sum.wrapping_add(u64::from(i ^ 0x1234_5678));
        sum = sum.wrapping_add(0x10000 + 0x10001);
    }
    let bytes = 7 * u64::from(n);
    sum.wrapping_mul(1_000_000).wrapping_add(bytes)
}

/// Runs `mark(n)`: its result and the instructions the machine executed.
fn run(n: u32) -> (u64, u64) {
    let wasm = wat::parse_str(WAT).unwrap();
    let options = selvm_dx::Options {
        imports: selvm_dx::ImportPolicy::Reject,
        ..selvm_dx::Options::default()
    };
    let t = selvm_dx::translate(&wasm, &options).unwrap();
    let func = t
        .info
        .exports
        .iter()
        .find_map(|(name, kind)| match (name.as_str(), kind) {
            ("mark", &selvm_dx::ExportKind::Func(f)) => Some(f),
            _ => None,
        })
        .expect("mark is exported");
    let module = Module::load(&t.sbc).unwrap();
    let mut memory = FlatMemory::for_module(&module);
    let mut stack = vec![0u64; 1 << 16];
    let mut thread = Thread::new(&module, &mut stack, func, &[u64::from(n)], 200).unwrap();
    let exit = thread.run(&module, &mut stack, &mut memory, 1 << 40);
    assert!(matches!(exit.stop, Stop::Returned), "{:?}", exit.stop);
    (thread.registers(&mut stack)[0], exit.executed)
}

#[test]
fn hoisted_constants_keep_their_values_across_calls_and_loops() {
    for n in [0, 1, 2, 100] {
        assert_eq!(run(n).0, expected(n), "mark({n})");
    }
}

#[test]
fn a_loop_iteration_loads_no_constant() {
    // Four constants that no immediate form takes are read in the loops: 0x100000
    // (both loops), 7 and 0x12345678 (once per iteration of the first loop) and
    // 0x10000 (twice, in the inner loop). Loaded where they are read, an iteration of
    // both loops costs 31 instructions; hoisted, 25.
    let (_, base) = run(0);
    let (_, hundred) = run(100);
    let per_iteration = (hundred - base) as f64 / 100.0;
    assert!(
        per_iteration <= 25.0,
        "{per_iteration} instructions per iteration of both loops (constants reloaded?)"
    );
}
