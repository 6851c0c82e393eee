//! Valid but malicious programs, run in a sandbox whose memory and register stack sit
//! inside canary-filled guard buffers: wild loads and stores at every address class,
//! huge and wrapping bulk operations, budget stops in the middle of a copy, runaway
//! recursion, indirect calls through bad table elements (every op fed edge values is in
//! `hostile_ops.rs`). Each stops cleanly, and no canary outside the program's memory and
//! stack changes.

use selvm_bytecode::Op;
use selvm_vm::asm::assemble;
use selvm_vm::memory::{Access, Fault};
use selvm_vm::{Module, Stop, Trap};
use selvm_vm_fuzzkit::sandbox::{GUARD_BYTES, Guarded};

const SIZE: u64 = 0x10000;

fn load(text: &str) -> Module {
    Module::load(&assemble(text).unwrap_or_else(|e| panic!("{e}\n{text}")))
        .unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// `main (i64 i64 i64) -> (i64)` with a frame of `frame` registers, one page of memory.
fn main3(frame: u32, body: &str) -> Module {
    load(&format!(
        ".memory 1 1\n.entry main\n.func main (i64 i64 i64) -> (i64) frame {frame}\n{body}\n.end\n"
    ))
}

/// Runs `main(args)` in a sandbox whose memory holds [`initial`], in slices of `slice`
/// instructions; checks the canaries and returns the stop, register 0 and the memory.
fn run(module: &Module, args: [u64; 3], slice: u64) -> (Stop, u64, Vec<u8>) {
    let mut g = Guarded::start(module, 0, &args, 1, 1 << 16, 1000).expect("start");
    g.sandbox.parts().0.bytes_mut().copy_from_slice(&initial());
    let stop = g.drive(1 << 24, slice).stop;
    g.sandbox.check().expect("a canary changed");
    (stop, g.register(0), g.sandbox.memory().to_vec())
}

fn initial() -> Vec<u8> {
    (0..SIZE as usize)
        .map(|i| (i as u8) ^ (i >> 8) as u8)
        .collect()
}

/// Bases and offsets of every address class: inside, at the last bytes, straddling the
/// end, just past it, inside the guard zone, far away, wrapping around 2^64.
fn addresses() -> Vec<(u64, u16)> {
    let mut v = vec![
        (0, 0),
        (SIZE - 8, 0),
        (SIZE - 8, 7),
        (SIZE - 1, 0),
        (SIZE, 0),
    ];
    v.extend([
        (SIZE + 1, 0),
        (SIZE + GUARD_BYTES as u64 / 2, 0),
        (SIZE - 1, 0xffff),
    ]);
    v.extend([
        (u64::MAX, 0),
        (u64::MAX - 2, 0),
        (u64::MAX, 1),
        (u64::MAX, 0xffff),
    ]);
    v.extend([
        (u64::MAX - GUARD_BYTES as u64, 0),
        (1 << 32, 0),
        (1 << 63, 0),
        (0, 0xfff9),
    ]);
    v
}

#[test]
fn wild_loads_and_stores_fault_without_touching_anything() {
    let widths = [
        (Op::Load8U, 1),
        (Op::I64Load16S, 2),
        (Op::Load32U, 4),
        (Op::Load64, 8),
        (Op::Store8, 1),
        (Op::Store16, 2),
        (Op::Store32, 4),
        (Op::Store64, 8),
    ];
    for (op, n) in widths {
        let store = op.mnemonic().starts_with("store");
        for (base, offset) in addresses() {
            let body = format!(
                "ldc r1, 0x8877665544332211\n{} r1, r0, {offset}\nreturn r1, 1",
                op.mnemonic()
            );
            let (stop, result, memory) = run(&main3(3, &body), [base, 0, 0], 1 << 20);
            let address = base.wrapping_add(offset as u64);
            let mut want = initial();
            if address <= SIZE - n {
                assert_eq!(stop, Stop::Returned, "{op:?} at {address:#x}");
                let a = address as usize;
                let mut word = [0; 8];
                word[..n as usize].copy_from_slice(&want[a..a + n as usize]);
                let loaded = match op {
                    Op::I64Load16S => u64::from_le_bytes(word) as i16 as u64,
                    _ => u64::from_le_bytes(word),
                };
                if store {
                    let bytes = 0x8877_6655_4433_2211u64.to_le_bytes();
                    want[a..a + n as usize].copy_from_slice(&bytes[..n as usize]);
                } else {
                    assert_eq!(result, loaded, "{op:?} at {address:#x}");
                }
            } else {
                let access = if store { Access::Write } else { Access::Read };
                assert_eq!(stop, Stop::Fault(Fault { address, access }), "{op:?}");
            }
            assert!(memory == want, "{op:?} at {address:#x} changed other bytes");
        }
    }
}

/// `memory.copy` (or `fill`) with registers r0, r1, r2 = dst, src (or byte), len.
fn bulk(op: &str) -> Module {
    main3(3, &format!("{op} r0, r1, r2\nreturn r0, 1"))
}

#[test]
fn huge_and_wrapping_bulk_operations_fault_before_writing() {
    let max = u32::MAX as u64;
    let cases = [
        (0, 0, max),
        (0, 0, 0x10001),
        (SIZE - 100, 0, 200),
        (0, SIZE - 100, 200),
        (u64::MAX - 10, 0, 100),
        (0, u64::MAX - 10, 100),
        (SIZE + 1, 0, 0),
        (0, SIZE + 1, 0),
        (1 << 63, 0, 1),
        (SIZE, SIZE, 0),
        (0, 1, SIZE - 1),
        (1, 0, SIZE - 1),
        (7, 7, 0x1_0000_0100), // i32(len) = 0x100
    ];
    for (dst, src, len) in cases {
        let bytes = len as u32 as u64;
        let fits = |a: u64| a <= SIZE && bytes <= SIZE - a;
        for slice in [1, 3, 1 << 20] {
            let mut want = initial();
            let (stop, _, memory) = run(&bulk("memory.copy"), [dst, src, len], slice);
            let fault = |address, access| Stop::Fault(Fault { address, access });
            match (fits(src), fits(dst)) {
                (true, true) => {
                    want.copy_within(src as usize..(src + bytes) as usize, dst as usize);
                    assert_eq!(stop, Stop::Returned);
                }
                (false, _) => assert_eq!(stop, fault(src, Access::Read)),
                (true, false) => assert_eq!(stop, fault(dst, Access::Write)),
            }
            assert!(memory == want, "copy {dst:#x} {src:#x} {len:#x} / {slice}");
            let mut want = initial();
            let (stop, _, memory) = run(&bulk("memory.fill"), [dst, 0x1ee, len], slice);
            if fits(dst) {
                want[dst as usize..(dst + bytes) as usize].fill(0xee);
                assert_eq!(stop, Stop::Returned);
            } else {
                assert_eq!(stop, fault(dst, Access::Write));
            }
            assert!(memory == want, "fill {dst:#x} {len:#x} / {slice}");
        }
    }
}

#[test]
fn budget_stops_in_the_middle_of_a_copy_resume_exactly() {
    for (dst, src, len) in [(0, 1, 60_000), (1, 0, 60_000), (100, 40_000, 25_000)] {
        let mut want = initial();
        want.copy_within(src as usize..(src + len) as usize, dst as usize);
        for slice in [1, 2, 5, 64] {
            let module = bulk("memory.copy");
            let mut g = Guarded::start(&module, 0, &[dst, src, len], 1, 1 << 16, 10).unwrap();
            g.sandbox.parts().0.bytes_mut().copy_from_slice(&initial());
            let mut stops = 0;
            loop {
                match g.step(slice).stop {
                    Stop::Budget => stops += 1,
                    Stop::Returned => break,
                    other => panic!("{other:?}"),
                }
                g.sandbox.check().expect("a canary changed mid-copy");
            }
            assert!(stops >= len / 256 / slice, "{stops} budget stops");
            assert!(
                g.sandbox.memory() == want.as_slice(),
                "{dst} {src} {len} / {slice}"
            );
        }
    }
}

#[test]
fn runaway_recursion_traps_inside_its_stack() {
    let direct = load(
        ".memory 1 1\n.entry main\n.func main (i64 i64 i64) -> (i64) frame 6\n\
         i64.add_imm r3, r0, 1\ncall r3, main\nreturn r0, 1\n.end",
    );
    // A frame of 60000 registers: the second call no longer fits.
    let wide = load(
        ".memory 1 1\n.entry main\n.func main (i64 i64 i64) -> (i64) frame 60000\n\
         call r59997, main\nreturn r0, 1\n.end",
    );
    let indirect = load(
        ".memory 1 1\n.table 1 1 main\n.entry main\n.func main (i64 i64 i64) -> (i64) frame 6\n\
         i32.const r5, 0\ncall_indirect r3, r5, (i64 i64 i64) -> (i64)\nreturn r0, 1\n.end",
    );
    for module in [&direct, &wide, &indirect] {
        for (words, depth) in [(300_000, 100_000), (1 << 20, 50), (60_010, 1)] {
            let mut g = Guarded::start(module, 0, &[0, 0, 0], 1, words, depth).unwrap();
            let outcome = g.drive(1 << 24, 1 << 20);
            assert_eq!(outcome.stop, Stop::Trap(Trap::StackOverflow));
            assert!(g.thread.depth() <= depth);
            g.sandbox.check().expect("a canary changed");
        }
    }
}

#[test]
fn indirect_calls_through_bad_elements_trap() {
    let module = load(
        ".memory 1 1\n.table 2 4 main other\n.entry main\n\
         .func main (i64 i64 i64) -> (i64) frame 6\n\
         table.set r1, r0, t0\nmov r3, r2\ncall_indirect r3, r0, (i64) -> (i64)\nreturn r3, 1\n.end\n\
         .func other (i64) -> (i64) frame 1\ni64.add_imm r0, r0, 1\nreturn r0, 1\n.end",
    );
    let null = u64::MAX;
    for (index, element, want) in [
        (1, 1, Ok(42)),
        (0x1_0000_0001, 1, Ok(42)), // i32(index) = 1
        (1, null, Err(Trap::NullReference)),
        (1, 2, Err(Trap::BadReference)),
        (1, u32::MAX as u64 - 1, Err(Trap::BadReference)),
        (1, 1 << 32, Err(Trap::BadReference)),
        (1, null - 1, Err(Trap::BadReference)),
        (1, 0, Err(Trap::SignatureMismatch)),
        (2, 1, Err(Trap::TableOutOfBounds)),
        (u32::MAX as u64, 1, Err(Trap::TableOutOfBounds)),
    ] {
        let (stop, result, _) = run(&module, [index, element, 41], 1 << 20);
        match want {
            Ok(v) => assert_eq!((stop, result), (Stop::Returned, v)),
            Err(t) => assert_eq!(stop, Stop::Trap(t), "element {element:#x} at {index:#x}"),
        }
    }
}
