//! The hosted machine end to end: programs in the assembly syntax booted as
//! the root task on the kernel, each stop of the interpreter turned into a
//! kernel entry, and every way a run can end.

use selvm_abi::vm::fault::TrapKind;
use selvm_machine::{Config, Exit, FaultKind, Machine};
use selvm_vm::asm::assemble;

/// RAM of the test machines.
const RAM_WORDS: usize = (16 << 20) / 8;

/// Boots `source` and runs it; returns the exit and the console output.
fn run(source: &str, config: Config) -> (Exit, Vec<u8>) {
    let image = assemble(source).expect("assembles");
    let ram = vec![0u64; RAM_WORDS];
    let mut m = Machine::boot(ram, &image, config).expect("boots");
    let mut out = Vec::new();
    let exit = m.run_to_exit(|b| out.extend_from_slice(b));
    (exit, out)
}

/// `putchar` for each byte of `text`, then DebugHalt with `status`.
fn printer(text: &str, status: i32) -> String {
    let mut body = String::new();
    for b in text.bytes() {
        body += &format!("    i64.const r0, {b}\n    syscall r0, 6, 0xfff7\n");
    }
    format!(
        ".memory 1 1\n.entry main\n.func main () -> () frame 8\n{body}    i64.const r0, {status}\n    syscall r0, 6, 0xfff5\n    return r0, 0\n.end\n"
    )
}

#[test]
fn debug_put_char_reaches_the_console_and_halt_stops_with_its_status() {
    let (exit, out) = run(&printer("hi\n", 0), Config::default());
    assert_eq!(out, b"hi\n");
    assert_eq!(exit, Exit::Halted(0));
    let (exit, _) = run(&printer("x", 7), Config::default());
    assert_eq!(exit, Exit::Halted(7));
}

#[test]
fn returning_from_the_entry_finishes_the_machine() {
    let src = ".memory 1 1\n.entry main\n.func main () -> () frame 1\n    return r0, 0\n.end\n";
    assert_eq!(run(src, Config::default()).0, Exit::Finished);
}

#[test]
fn an_unmapped_load_is_an_unhandled_vm_fault_naming_the_function() {
    // Memory is 1 page + the loader's page (128 KiB): 1 MiB is unmapped.
    let src = ".memory 1 1\n.entry main\n.func main () -> () frame 2\n    i64.const r0, 0x100000\n    load64 r1, r0, 8\n    return r0, 0\n.end\n";
    let (exit, _) = run(src, Config::default());
    let Exit::Fault(report) = exit else {
        panic!("{exit:?}");
    };
    assert_eq!(report.kind, FaultKind::LoadFault);
    assert_eq!(report.address, Some(0x100008));
    assert_eq!(report.function, "main");
    assert_eq!(report.pc, (0, 1));
}

#[test]
fn mapped_memory_holds_data_segments_and_stores() {
    // The data segment at 0x100 is read back, incremented, stored, printed.
    let src = ".memory 1 1\n.data 0x100 \"A\"\n.entry main\n.func main () -> () frame 8\n    i64.const r1, 0x100\n    load8_u r0, r1, 0\n    i32.add_imm r0, r0, 1\n    store8 r0, r1, 1\n    load8_u r0, r1, 1\n    syscall r0, 6, 0xfff7\n    i64.const r0, 0\n    syscall r0, 6, 0xfff5\n    return r0, 0\n.end\n";
    let (exit, out) = run(src, Config::default());
    assert_eq!((exit, out), (Exit::Halted(0), b"B".to_vec()));
}

#[test]
fn a_vm_trap_is_an_unhandled_user_exception() {
    let src = ".memory 1 1\n.entry main\n.func main () -> () frame 3\n    i32.const r0, 1\n    i32.const r1, 0\n    i32.div_s r2, r0, r1\n    return r0, 0\n.end\n";
    let (exit, _) = run(src, Config::default());
    let Exit::Fault(report) = exit else {
        panic!("{exit:?}");
    };
    assert_eq!(report.kind, FaultKind::Trap(TrapKind::DivideByZero, 0));
    assert_eq!(report.address, None);
}

#[test]
fn an_endless_loop_stops_at_the_instruction_limit_and_is_preempted_by_ticks() {
    let src = ".memory 1 1\n.entry main\n.func main () -> () frame 1\nloop:\n    jump loop\n.end\n";
    let config = Config {
        max_instructions: Some(1_000_000),
        tick_instructions: 10_000,
        ..Config::default()
    };
    let image = assemble(src).expect("assembles");
    let ram = vec![0u64; RAM_WORDS];
    let mut m = Machine::boot(ram, &image, config).expect("boots");
    assert_eq!(m.run_to_exit(|_| {}), Exit::InstructionLimit);
    assert_eq!(m.instructions, 1_000_000);
    // One tick per 10,000 instructions, and slices as long as a tick.
    assert_eq!(
        m.kernel_entries, 100,
        "a tick at every 10,000th instruction"
    );
}

#[test]
fn unknown_syscalls_without_a_handler_kill_the_thread() {
    let src = ".memory 1 1\n.entry main\n.func main () -> () frame 8\n    syscall r0, 6, 0x1234\n    return r0, 0\n.end\n";
    let (exit, _) = run(src, Config::default());
    assert!(matches!(exit, Exit::Fault(_)), "{exit:?}");
}

#[test]
fn a_bad_image_is_a_clear_error() {
    let ram = vec![0u64; RAM_WORDS];
    let err = Machine::boot(ram, b"not a module", Config::default())
        .err()
        .expect("refused");
    assert!(err.to_string().contains("not a valid .sbc module"), "{err}");
}

#[test]
fn programs_with_more_than_256_frames_of_memory_boot() {
    // 20 pages of 64 KiB plus the loader's page: 336 frames, retyped in
    // batches of at most 256 (seL4's fan-out limit); the last byte is usable.
    let src = ".memory 20 20\n.entry main\n.func main () -> () frame 8\n    i64.const r1, 0x13ffff\n    i32.const r0, 33\n    store8 r0, r1, 0\n    load8_u r0, r1, 0\n    syscall r0, 6, 0xfff7\n    i64.const r0, 0\n    syscall r0, 6, 0xfff5\n    return r0, 0\n.end\n";
    let (exit, out) = run(src, Config::default());
    assert_eq!((exit, out), (Exit::Halted(0), b"!".to_vec()));
}
