//! `memory.init` and `table.init` (segments in the constant pool, named by descriptors),
//! `table.copy`, `table.fill` and `call_ref`: results, bounds, descriptor checks, and
//! `memory.init` resuming after budget stops.

mod common;

use common::Run;
use selvm_vm::{Stop, Trap};

/// Constants of a data segment: its length, then its bytes eight to a word.
fn data_consts(bytes: &[u8]) -> String {
    let mut s = format!(".const {}\n", bytes.len());
    for chunk in bytes.chunks(8) {
        let mut w = [0u8; 8];
        w[..chunk.len()].copy_from_slice(chunk);
        s += &format!(".const {:#x}\n", u64::from_le_bytes(w));
    }
    s
}

/// Runs `memory.init` with `dst, src, len` and a descriptor in slices of `budget`; the
/// memory's first 4 KiB, or the stop.
fn init(segment: &[u8], args: [u64; 4], budget: u64) -> Result<Vec<u8>, Stop> {
    let text = format!(
        "{}.memory 1 1\n.entry main\n.func main (i64 i64 i64 i64) -> () frame 4\n\
         memory.init r0\nreturn r0, 0\n.end\n",
        data_consts(segment)
    );
    let mut run = Run::new(&text, None, &args);
    loop {
        match run.step(budget).stop {
            Stop::Budget => {}
            Stop::Returned => return Ok(run.memory.bytes()[..4096].to_vec()),
            other => return Err(other),
        }
    }
}

fn descriptor(header: u64, length: u64) -> u64 {
    header << 32 | length
}

#[test]
fn memory_init_copies_a_segment_range_and_resumes() {
    let segment: Vec<u8> = (0..1000u32).map(|i| (i * 7 + 3) as u8).collect();
    for (dst, src, len) in [
        (0, 0, 1000),
        (5, 3, 997),
        (100, 999, 1),
        (7, 1000, 0),
        (1, 1, 300),
    ] {
        for budget in [1, 2, 1000] {
            let got = init(&segment, [dst, src, len, descriptor(0, 1000)], budget).unwrap();
            let mut want = vec![0u8; 4096];
            want[dst as usize..(dst + len) as usize]
                .copy_from_slice(&segment[src as usize..(src + len) as usize]);
            assert!(got == want, "init {dst} {src} {len} budget {budget}");
        }
    }
}

#[test]
fn memory_init_checks_the_segment_then_the_memory() {
    let segment = [1u8; 20];
    let d = descriptor(0, 20);
    let seg_trap = Err(Stop::Trap(Trap::SegmentOutOfBounds));
    assert_eq!(init(&segment, [0, 10, 11, d], 9), seg_trap);
    assert_eq!(init(&segment, [0, 21, 0, d], 9), seg_trap);
    // Dropped (length 0): only the empty range at 0 works.
    assert!(init(&segment, [0, 0, 0, descriptor(0, 0)], 9).is_ok());
    assert_eq!(init(&segment, [0, 0, 1, descriptor(0, 0)], 9), seg_trap);
    // Hostile descriptors: a length above the header's, a header outside the pool, a
    // header whose payload would leave the pool.
    assert_eq!(init(&segment, [0, 0, 1, descriptor(0, 21)], 9), seg_trap);
    assert_eq!(init(&segment, [0, 0, 0, descriptor(9, 0)], 9), seg_trap);
    assert_eq!(init(&segment, [0, 0, 1, descriptor(1, 1)], 9), seg_trap);
    // The memory range: a fault before anything is written.
    match init(&segment, [65530, 0, 20, d], 9) {
        Err(Stop::Fault(f)) => assert_eq!(f.address, 65530),
        other => panic!("{other:?}"),
    }
    assert!(init(&segment, [65536, 0, 0, d], 9).is_ok());
}

/// A module with tables t0 (4 elements: f0 f1 null f0, max 8) and t1 (3 null, max 3),
/// an element segment [f1, null, f0] at constant 0, and `main` running `body` with its
/// four parameters, returning t0 then t1 as seen by `table.get`.
fn tables(body: &str, args: [u64; 4]) -> Result<Vec<u64>, Stop> {
    let text = format!(
        ".const 3\n.const 1\n.const 0xffffffffffffffff\n.const 0\n\
         .table 4 8 f0 f1 null f0\n.table 3 3\n.entry main\n\
         .func f0 () -> (i64) frame 1\ni64.const r0, 10\nreturn r0, 1\n.end\n\
         .func f1 () -> (i64) frame 1\ni64.const r0, 11\nreturn r0, 1\n.end\n\
         .func main (i64 i64 i64 i64) -> (i64 i64 i64 i64 i64 i64 i64) frame 8\n{body}\n\
         i32.const r4, 0\ntable.get r0, r4, t0\ni32.const r4, 1\ntable.get r1, r4, t0\n\
         i32.const r4, 2\ntable.get r2, r4, t0\ni32.const r4, 3\ntable.get r3, r4, t0\n\
         i32.const r7, 0\ntable.get r4, r7, t1\ni32.const r7, 1\ntable.get r5, r7, t1\n\
         i32.const r7, 2\ntable.get r6, r7, t1\nreturn r0, 7\n.end\n"
    );
    let mut run = Run::new(&text, None, &args);
    match run.finish() {
        Stop::Returned => Ok(run.results(7)),
        other => Err(other),
    }
}

const N: u64 = u64::MAX;

#[test]
fn table_init_copy_and_fill() {
    let d = descriptor(0, 3);
    assert_eq!(
        tables("table.init r0, t1", [0, 0, 3, d]),
        Ok(vec![0, 1, N, 0, 1, N, 0])
    );
    assert_eq!(
        tables("table.init r0, t0", [2, 1, 2, d]),
        Ok(vec![0, 1, N, 0, N, N, N])
    );
    assert_eq!(
        tables("table.init r0, t0", [4, 3, 0, d]),
        Ok(vec![0, 1, N, 0, N, N, N])
    );
    let table_trap = Err(Stop::Trap(Trap::TableOutOfBounds));
    let seg_trap = Err(Stop::Trap(Trap::SegmentOutOfBounds));
    assert_eq!(tables("table.init r0, t1", [1, 0, 3, d]), table_trap);
    assert_eq!(tables("table.init r0, t0", [0, 1, 3, d]), seg_trap);
    assert_eq!(
        tables("table.init r0, t0", [0, 0, 1, descriptor(0, 0)]),
        seg_trap
    );
    assert_eq!(
        tables("table.init r0, t0", [0, 0, 0, descriptor(3, 1)]),
        seg_trap
    );
    // Copies within a table (overlapping, both directions) and across tables.
    assert_eq!(
        tables("table.copy r0, t0, t0", [1, 0, 3, 0]),
        Ok(vec![0, 0, 1, N, N, N, N])
    );
    assert_eq!(
        tables("table.copy r0, t0, t0", [0, 1, 3, 0]),
        Ok(vec![1, N, 0, 0, N, N, N])
    );
    assert_eq!(
        tables("table.copy r0, t1, t0", [0, 1, 3, 0]),
        Ok(vec![0, 1, N, 0, 1, N, 0])
    );
    assert_eq!(
        tables("table.copy r0, t1, t0", [3, 4, 0, 0]),
        Ok(vec![0, 1, N, 0, N, N, N])
    );
    assert_eq!(tables("table.copy r0, t1, t0", [1, 0, 3, 0]), table_trap);
    assert_eq!(tables("table.copy r0, t1, t0", [0, 2, 3, 0]), table_trap);
    assert_eq!(tables("table.copy r0, t1, t0", [4, 0, 0, 0]), table_trap);
    // Fill: start, value, count.
    assert_eq!(
        tables("table.fill r0, t0", [1, 7, 2, 0]),
        Ok(vec![0, 7, 7, 0, N, N, N])
    );
    assert_eq!(
        tables("table.fill r0, t0", [4, 7, 0, 0]),
        Ok(vec![0, 1, N, 0, N, N, N])
    );
    assert_eq!(tables("table.fill r0, t1", [1, 7, 3, 0]), table_trap);
    assert_eq!(
        tables("table.fill r0, t1", [0x1_0000_0000, 7, 3, 0]),
        Ok(vec![0, 1, N, 0, 7, 7, 7])
    );
}

#[test]
fn call_ref_checks_the_reference() {
    let text = |body: &str| {
        format!(
            ".entry main\n.func f0 (i64) -> (i64) frame 1\ni64.add_imm r0, r0, 1\nreturn r0, 1\n.end\n\
             .func f1 () -> () frame 1\nreturn r0, 0\n.end\n\
             .func main (i64) -> (i64) frame 3\n{body}\nreturn r1, 1\n.end\n"
        )
    };
    let run = |body: &str, reference: u64| {
        let mut run = Run::new(&text(body), None, &[reference]);
        match run.finish() {
            Stop::Returned => Ok(run.results(1)[0]),
            other => Err(other),
        }
    };
    let call = "i64.const r1, 41\ncall_ref r1, r0, (i64) -> (i64)";
    assert_eq!(run(call, 0), Ok(42));
    assert_eq!(run(call, 1), Err(Stop::Trap(Trap::SignatureMismatch)));
    assert_eq!(run(call, 2), Err(Stop::Trap(Trap::BadReference)));
    assert_eq!(run(call, 1 << 32), Err(Stop::Trap(Trap::BadReference)));
    assert_eq!(run(call, N), Err(Stop::Trap(Trap::NullReference)));
}
