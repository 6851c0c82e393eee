//! Control flow, calls, memory, bulk operations, tables, globals and the embedder
//! interface (syscalls, faults, growth, budgets, several threads on one module).

mod common;

use common::paged::{PAGE, PagedMemory};
use common::{Run, eval, load};
use selvm_vm::memory::{Access, Fault};
use selvm_vm::{StartError, Stop, Thread, Trap};

fn main_i64(frame: u32, body: &str) -> String {
    format!(".memory 1 2\n.entry main\n.func main (i64) -> (i64) frame {frame}\n{body}\n.end\n")
}

fn one(text: &str, arg: u64) -> Result<u64, Stop> {
    eval(text, &[arg], 1).map(|v| v[0])
}

#[test]
fn constants_moves_select_and_jumps() {
    let p = |body: &str| one(&main_i64(4, &format!("{body}\nreturn r1, 1")), 0);
    assert_eq!(p("i32.const r1, -1"), Ok(0xffff_ffff));
    assert_eq!(p("i64.const r1, -1"), Ok(u64::MAX));
    assert_eq!(p("f32.const r1, 1.5"), Ok(1.5f32.to_bits() as u64));
    assert_eq!(p("ldc r1, 0x123456789abcdef0"), Ok(0x1234_5678_9abc_def0));
    assert_eq!(p("ldc r1, -2.5"), Ok((-2.5f64).to_bits()));
    assert_eq!(
        p("i64.const r1, 7\ni64.const r2, 9\ni32.const r3, 1\nselect r1, r2, r3"),
        Ok(9)
    );
    assert_eq!(
        p("i64.const r1, 7\ni64.const r2, 9\nldc r3, 0x100000000\nselect r1, r2, r3"),
        Ok(7)
    );
    assert_eq!(
        p("nop\ni64.const r1, 1\njump end\ni64.const r1, 2\nend: nop"),
        Ok(1)
    );
    let cond = "i32.const r1, 0\nldc r2, 0x100000000\nbr_if r2, no\nbr_unless r2, yes\nno: trap 1\nyes: i32.const r1, 5";
    assert_eq!(p(cond), Ok(5));
}

#[test]
fn trap_instruction_stops_on_itself() {
    let mut run = Run::new(&main_i64(1, "nop\ntrap 7"), None, &[0]);
    assert_eq!(run.finish(), Stop::Trap(Trap::Program(7)));
    let (func, pc) = run.thread.position();
    assert_eq!((func, pc), (0, 1));
    assert_eq!(
        run.finish(),
        Stop::Trap(Trap::Program(7)),
        "running again traps again"
    );
}

#[test]
fn jump_tables_clamp_to_the_default() {
    let body = "br_table r0, 2\nbr_table.entry a\nbr_table.entry b\nbr_table.entry c\n\
                a: i64.const r0, 10\nreturn r0, 1\nb: i64.const r0, 11\nreturn r0, 1\nc: i64.const r0, 12\nreturn r0, 1";
    let text = main_i64(1, body);
    for (arg, want) in [
        (0, 10),
        (1, 11),
        (2, 12),
        (3, 12),
        (u64::MAX, 12),
        (0xffff_ffff_0000_0001, 11),
    ] {
        assert_eq!(one(&text, arg), Ok(want), "index {arg:#x}");
    }
}

const CALLS: &str = "
.memory 0 0
.table 3 4 add null mul
.entry main
.func main (i64) -> (i64) frame 4
    i64.const r1, 6
    i64.const r2, 7
    call_indirect r1, r0, (i64 i64) -> (i64)
    return r1, 1
.end
.func add (i64 i64) -> (i64) frame 2
    i64.add r0, r0, r1
    return r0, 1
.end
.func mul (i64 i64) -> (i64) frame 3
    i64.mul r2, r0, r1
    return r2, 1
.end
.func other () -> () frame 1
    return r0, 0
.end
";

#[test]
fn indirect_calls_check_the_element() {
    assert_eq!(one(CALLS, 0), Ok(13));
    assert_eq!(one(CALLS, 2), Ok(42));
    assert_eq!(one(CALLS, 1), Err(Stop::Trap(Trap::NullReference)));
    assert_eq!(one(CALLS, 3), Err(Stop::Trap(Trap::TableOutOfBounds)));
    let mismatch = CALLS.replace(
        "i64.const r2, 7\n",
        "i64.const r2, 7\nref.func r3, other\ntable.set r3, r0, t0\n",
    );
    assert_eq!(one(&mismatch, 0), Err(Stop::Trap(Trap::SignatureMismatch)));
    let bad = CALLS.replace(
        "i64.const r2, 7\n",
        "i64.const r2, 7\nldc r3, 999\ntable.set r3, r0, t0\n",
    );
    assert_eq!(one(&bad, 0), Err(Stop::Trap(Trap::BadReference)));
}

#[test]
fn tables_and_references() {
    let body = "table.size r1, t0\n\
                ref.null r2\ni32.const r3, 2\ntable.grow r2, r3, t0\n\
                i64.mul_imm r1, r1, 100\ni64.add r1, r1, r2\n\
                table.size r2, t0\ni64.mul_imm r1, r1, 10\ni64.add r1, r1, r2\n\
                i32.const r3, 4\ntable.get r2, r3, t0\nref.is_null r2, r2\ni64.mul_imm r1, r1, 10\ni64.add r1, r1, r2\n\
                ref.func r2, main\ni32.const r3, 0\ntable.set r2, r3, t0\ntable.get r2, r3, t0\nref.is_null r2, r2\n\
                i64.mul_imm r1, r1, 10\ni64.add r1, r1, r2\n\
                i32.const r3, 10\ntable.grow r2, r3, t0\ni64.eq_imm r2, r2, 0\nreturn r1, 1";
    let text = format!(
        ".table 3 5\n{}",
        main_i64(4, &body.replace("\ni64.eq_imm r2, r2, 0", ""))
    );
    // size 3; grow by 2 → old size 3; 3·100 + 3 = 303; ·10 + new size 5 = 3035; element 4 is null → 30351;
    // element 0 set to main → not null → 303510.
    assert_eq!(one(&text, 0), Ok(303510));
    let out_of_bounds = format!(
        ".table 1 1\n{}",
        main_i64(4, "i32.const r1, 1\ntable.get r2, r1, t0\nreturn r2, 1")
    );
    assert_eq!(
        one(&out_of_bounds, 0),
        Err(Stop::Trap(Trap::TableOutOfBounds))
    );
    let grow_fail = format!(
        ".table 1 1\n{}",
        main_i64(4, "i32.const r1, 1\ntable.grow r2, r1, t0\nreturn r2, 1")
    );
    assert_eq!(one(&grow_fail, 0), Ok(0xffff_ffff));
}

#[test]
fn globals_belong_to_each_thread() {
    let text = ".global i64 mut 100\n.entry main\n.func main (i64) -> (i64) frame 2\n\
                global.get r1, g0\ni64.add r1, r1, r0\nglobal.set r1, g0\nsyscall r1, 1, 0\n\
                global.get r1, g0\nreturn r1, 1\n.end";
    let module = load(text);
    let mut stacks = [vec![0u64; 256], vec![0u64; 256]];
    let mut threads: Vec<Thread> = stacks
        .iter_mut()
        .zip([1, 2])
        .map(|(s, arg)| Thread::new(&module, s, 0, &[arg], 4).unwrap())
        .collect();
    let mut memory = selvm_vm::FlatMemory::new(0, 0);
    // Interleave: both run to their syscall, then both finish.
    for (t, s) in threads.iter_mut().zip(stacks.iter_mut()) {
        assert!(matches!(
            t.run(&module, s, &mut memory, 100).stop,
            Stop::Syscall { number: 0, .. }
        ));
    }
    for ((t, s), want) in threads.iter_mut().zip(stacks.iter_mut()).zip([101, 102]) {
        assert_eq!(t.run(&module, s, &mut memory, 100).stop, Stop::Returned);
        assert_eq!(t.registers(s)[0], want);
    }
}

#[test]
fn syscalls_hand_registers_to_the_embedder() {
    let text = main_i64(
        4,
        "i64.const r1, 5\ni64.const r2, 6\nsyscall r1, 2, 42\ni64.add r0, r1, r2\nreturn r0, 1",
    );
    let mut run = Run::new(&text, None, &[0]);
    let exit = run.step(100);
    let Stop::Syscall {
        number: 42,
        first,
        count: 2,
    } = exit.stop
    else {
        panic!("{exit:?}")
    };
    let regs = run.thread.registers(&mut run.stack);
    assert_eq!(&regs[first..first + 2], &[5, 6]);
    regs[first + 1] = 100;
    assert_eq!(run.finish(), Stop::Returned);
    assert_eq!(run.results(1), vec![105]);
}

#[test]
fn memory_grow_is_the_embedders_decision() {
    let text = main_i64(
        4,
        "memory.size r1\ni32.const r2, 1\nmemory.grow r3, r2\nmemory.size r2\n\
                            i64.mul_imm r1, r1, 100\ni64.add r1, r1, r2\ni64.mul_imm r1, r1, 100\ni64.add r1, r1, r3\nreturn r1, 1",
    );
    let mut run = Run::new(&text, None, &[0]);
    let Stop::MemoryGrow { pages: 1, result } = run.step(100).stop else {
        panic!()
    };
    let old = run.memory.grow(1).unwrap();
    run.thread.registers(&mut run.stack)[result] = old as u64;
    assert_eq!(run.finish(), Stop::Returned);
    assert_eq!(run.results(1), vec![1_02_01]);
}

const LOADS: &str = ".memory 1 1\n.data 0 \"\\x80\\xff\\x01\\x02\\x03\\x04\\x05\\x06\\x87\"\n";

#[test]
fn loads_extend_as_their_op_says() {
    let cases: &[(&str, u64, u64)] = &[
        ("load8_u", 0, 0x80),
        ("i32.load8_s", 0, 0xffff_ff80),
        ("i64.load8_s", 0, 0xffff_ffff_ffff_ff80),
        ("load16_u", 0, 0xff80),
        ("i32.load16_s", 0, 0xffff_ff80),
        ("i64.load16_s", 0, 0xffff_ffff_ffff_ff80),
        ("load32_u", 1, 0x0302_01ff),
        ("i64.load32_s", 5, 0xffff_ffff_8706_0504),
        ("load64", 1, 0x8706_0504_0302_01ff),
    ];
    for &(op, address, want) in cases {
        let text = format!(
            "{LOADS}{}",
            main_i64(2, &format!("{op} r1, r0, 0\nreturn r1, 1"))
        );
        assert_eq!(one(&text, address), Ok(want), "{op} at {address}");
        let text = format!(
            "{LOADS}{}",
            main_i64(2, &format!("{op} r1, r0, {address}\nreturn r1, 1"))
        );
        assert_eq!(one(&text, 0), Ok(want), "{op} offset {address}");
    }
}

#[test]
fn stores_write_little_endian_and_faults_write_nothing() {
    let body = "ldc r1, 0x1122334455667788\nstore64 r1, r0, 0\nstore32 r1, r0, 8\nstore16 r1, r0, 12\nstore8 r1, r0, 14\nreturn r0, 1";
    let mut run = Run::new(&main_i64(2, body), None, &[3]);
    assert_eq!(run.finish(), Stop::Returned);
    let want = [
        0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x88, 0x77, 0x66, 0x55, 0x88, 0x77, 0x88, 0,
    ];
    assert_eq!(&run.memory.bytes()[3..19], &want);
    // A store crossing the end of memory faults on its first byte and changes nothing.
    let mut run = Run::new(
        &main_i64(2, "i64.const r1, -1\nstore64 r1, r0, 0\nreturn r0, 1"),
        None,
        &[65532],
    );
    assert_eq!(
        run.finish(),
        Stop::Fault(Fault {
            address: 65532,
            access: Access::Write
        })
    );
    assert!(run.memory.bytes().iter().all(|&b| b == 0));
    assert_eq!(run.thread.position().1, 1, "pc stays on the faulting store");
    let far = one(&main_i64(2, "load8_u r1, r0, 1\nreturn r1, 1"), u64::MAX);
    assert_eq!(far, Ok(0), "the effective address wraps modulo 2^64");
}

#[test]
fn page_crossing_store_checks_both_pages_then_resumes() {
    let text = main_i64(
        2,
        "ldc r1, 0x1122334455667788\nstore64 r1, r0, 0\nload64 r1, r0, 0\nreturn r1, 1",
    );
    let module = load(&text);
    let mut stack = vec![0; 64];
    let mut thread = Thread::new(&module, &mut stack, 0, &[PAGE - 3], 4).unwrap();
    let mut memory = PagedMemory::new(2);
    memory.mapped[1] = false;
    let exit = thread.run(&module, &mut stack, &mut memory, 100);
    assert_eq!(
        exit.stop,
        Stop::Fault(Fault {
            address: PAGE,
            access: Access::Write
        })
    );
    assert!(
        memory.bytes.iter().all(|&b| b == 0),
        "nothing written to the first page"
    );
    memory.mapped[1] = true;
    assert_eq!(
        thread.run(&module, &mut stack, &mut memory, 100).stop,
        Stop::Returned
    );
    assert_eq!(thread.registers(&mut stack)[0], 0x1122_3344_5566_7788);
}

/// Runs `memory.copy dst, src, len` over memory holding 0, 1, 2, … in slices of `budget`.
fn copy(dst: u64, src: u64, len: u64, budget: u64) -> (Vec<u8>, u32) {
    let body = "i64.const r1, 0\ni64.const r2, 0\nmov r1, r0\nglobal.get r2, g0\nglobal.get r3, g1\n\
                memory.copy r1, r2, r3\nreturn r0, 1";
    let text = format!(
        ".global i64 const {src}\n.global i64 const {len}\n{}",
        main_i64(4, body)
    );
    let mut run = Run::new(&text, None, &[dst]);
    for (i, b) in run.memory.bytes_mut().iter_mut().enumerate() {
        *b = i as u8;
    }
    let mut stops = 0;
    loop {
        match run.step(budget).stop {
            Stop::Budget => stops += 1,
            Stop::Returned => return (run.memory.bytes().to_vec(), stops),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn bulk_copy_handles_overlap_and_resumes() {
    let initial: Vec<u8> = (0..65536usize).map(|i| i as u8).collect();
    for (dst, src, len) in [
        (100, 0, 1000),
        (0, 100, 1000),
        (10, 0, 5000),
        (0, 7, 5000),
        (300, 300, 600),
        (0, 0, 0),
    ] {
        let mut want = initial.clone();
        want.copy_within(src as usize..(src + len) as usize, dst as usize);
        for budget in [1, 2, 3, 1000] {
            let (got, stops) = copy(dst, src, len, budget);
            assert!(got == want, "copy {dst} {src} {len} budget {budget}");
            if budget == 1 && len > 512 {
                assert!(stops > 3, "a long copy stops for the budget ({stops})");
            }
        }
    }
}

#[test]
fn bulk_copy_and_fill_check_bounds_first() {
    let text = main_i64(
        4,
        "i64.const r1, 0\ni32.const r2, 0xfff0\nmemory.copy r1, r2, r0\nreturn r0, 1",
    );
    let mut run = Run::new(&text, None, &[0x20]);
    run.memory.bytes_mut()[0xfff0] = 9;
    assert_eq!(
        run.finish(),
        Stop::Fault(Fault {
            address: 0xfff0,
            access: Access::Read
        })
    );
    assert_eq!(run.memory.bytes()[0], 0, "nothing copied");
    let text = main_i64(
        4,
        "i32.const r1, 0xff00\ni32.const r2, 7\nmemory.fill r1, r2, r0\nreturn r0, 1",
    );
    let mut run = Run::new(&text, None, &[0x101]);
    assert_eq!(
        run.finish(),
        Stop::Fault(Fault {
            address: 0xff00,
            access: Access::Write
        })
    );
    assert!(run.memory.bytes().iter().all(|&b| b == 0), "nothing filled");
    let mut run = Run::new(&text, None, &[0x100]);
    assert_eq!(run.finish(), Stop::Returned);
    assert!(run.memory.bytes()[0xff00..].iter().all(|&b| b == 7));
    let zero = main_i64(
        4,
        "i32.const r1, 0x10000\nmemory.fill r1, r2, r0\nreturn r0, 1",
    );
    assert_eq!(
        one(&zero, 0),
        Ok(0),
        "zero bytes at the end of memory is in bounds"
    );
}

#[test]
fn deep_recursion_overflows_cleanly() {
    let text = main_i64(2, "mov r1, r0\ncall r1, main\nreturn r0, 1");
    let mut run = Run::with_stack(&text, None, &[0], 1000, 100);
    assert_eq!(run.finish(), Stop::Trap(Trap::StackOverflow));
    assert_eq!(run.thread.depth(), 100, "call depth limit");
    let mut run = Run::with_stack(&text, None, &[0], 20_500, 10_000);
    assert_eq!(
        run.finish(),
        Stop::Trap(Trap::StackOverflow),
        "register stack limit"
    );
    assert_eq!(
        run.thread.depth(),
        498,
        "frame 498 would end past register 500"
    );
}

#[test]
fn threads_check_their_start() {
    let module = load(&main_i64(8, "return r0, 1"));
    let mut stack = vec![0; 16];
    assert_eq!(
        Thread::new(&module, &mut stack, 1, &[0], 4).unwrap_err(),
        StartError::NoFunction
    );
    assert_eq!(
        Thread::new(&module, &mut stack, 0, &[], 4).unwrap_err(),
        StartError::Arguments
    );
    assert_eq!(
        Thread::new(&module, &mut stack, 0, &[0], 5).unwrap_err(),
        StartError::StackTooSmall
    );
    let mut thread = Thread::new(&module, &mut stack, 0, &[9], 4).unwrap();
    let mut memory = selvm_vm::FlatMemory::new(1, 1);
    assert_eq!(
        thread.run(&module, &mut stack, &mut memory, 10).stop,
        Stop::Returned
    );
    assert!(thread.finished());
    assert_eq!(thread.run(&module, &mut stack, &mut memory, 10).executed, 0);
}
