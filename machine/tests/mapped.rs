//! The mmap memory back end against the software MMU: the same programs give the
//! same exits and output on both, and mapping changes reach the host mappings — a
//! frame remapped read-only refuses a store the region had already let through,
//! an unmapped frame faults, and a store half into an unmapped page writes nothing.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

use selvm_machine::{Config, Exit, FaultKind, Machine, MemoryBackend};
use selvm_vm::asm::assemble_with;

/// RAM of the test machines.
const RAM_WORDS: usize = (16 << 20) / 8;

/// Stores 42 at 0x2000 (frame 2 of the image) and prints `A` from it; remaps the
/// frame read-only and prints `B` from it; then `finish`; halts with 9 if that
/// did not fault.
fn program(finish: &str) -> String {
    format!(
        ".memory 1 1
.global i64 const 0
.global i64 const 0
.global i64 mut 0
.entry main
.func main () -> () frame 24
    global.get r15, g0
    global.get r16, g1
    load64 r17, r16, 72          ; BootInfo.userImageFrames.start
    i64.add_imm r17, r17, 2      ; the frame at 0x2000
    i64.const r10, 0x2000
    i64.const r11, 42
    store64 r11, r10, 0
    load64 r12, r10, 0
    i64.add_imm r0, r12, 23
    syscall r0, 6, seL4_SysDebugPutChar
    i64.const r14, seL4_CapInitThreadVSpace
    store64 r14, r15, IPCBuffer.cap0
    mov r3, r17
    ldc r4, PageMap.info
    i64.const r5, 0x2000
    i64.const r6, 2              ; read only
    i64.const r7, 0
    syscall r3, 6, seL4_SysCall
    load64 r12, r10, 0
    i64.add_imm r0, r12, 24
    syscall r0, 6, seL4_SysDebugPutChar
{finish}
    i64.const r0, 9
    syscall r0, 6, seL4_SysDebugHalt
    return r0, 0
.end
"
    )
}

/// A store to the read-only frame.
const STORE: &str = "    store64 r11, r10, 8";
/// PageUnmap of the frame, then a load from it.
const UNMAP_AND_LOAD: &str = "    mov r3, r17
    ldc r4, PageUnmap.info
    syscall r3, 6, seL4_SysCall
    load64 r12, r10, 16";

fn run(source: &str, memory: MemoryBackend) -> (Exit, Vec<u8>, Machine) {
    let image = assemble_with(source, &selvm_abi::vm::symbols::lookup).expect("assembles");
    let config = Config {
        max_instructions: Some(1_000_000),
        memory,
        ..Config::default()
    };
    let mut m = Machine::boot(vec![0u64; RAM_WORDS], &image, config).expect("boots");
    assert_eq!(m.memory_backend(), memory);
    let mut out = Vec::new();
    let exit = m.run_to_exit(|b| out.extend_from_slice(b));
    (exit, out, m)
}

fn fault(exit: &Exit) -> (FaultKind, Option<u64>) {
    match exit {
        Exit::Fault(r) => (r.kind, r.address),
        other => panic!("expected a fault, got {other:?}"),
    }
}

#[test]
fn a_frame_remapped_read_only_refuses_a_store_on_both_back_ends() {
    for memory in [MemoryBackend::Soft, MemoryBackend::Mmap] {
        let (exit, out, m) = run(&program(STORE), memory);
        assert_eq!(out, b"AB", "{memory:?}");
        assert_eq!(
            fault(&exit),
            (FaultKind::StoreFault, Some(0x2008)),
            "{memory:?}"
        );
        if memory == MemoryBackend::Mmap {
            let counts = m.mapping_counts();
            assert!(counts.maps >= 2, "mapped RW, then RO: {counts:?}");
            assert!(counts.clears >= 1, "the remap cleared the page: {counts:?}");
        }
    }
}

#[test]
fn an_unmapped_frame_faults_on_both_back_ends() {
    for memory in [MemoryBackend::Soft, MemoryBackend::Mmap] {
        let (exit, out, _) = run(&program(UNMAP_AND_LOAD), memory);
        assert_eq!(out, b"AB", "{memory:?}");
        assert_eq!(
            fault(&exit),
            (FaultKind::LoadFault, Some(0x2010)),
            "{memory:?}"
        );
    }
}

#[test]
fn machines_on_the_mmap_back_end_give_what_the_software_mmu_gives() {
    // A page-crossing store and load, a store to an unmapped page beside a mapped
    // one (nothing written), and a halt with what was read.
    let src = ".memory 1 1
.entry main
.func main () -> () frame 8
    i64.const r1, 0xfffc
    ldc r2, 0x1122334455667788
    store64 r2, r1, 0            ; crosses into the loader's page at 0x10000
    load64 r3, r1, 0
    i64.ne r4, r3, r2
    br_if r4, bad
    i64.const r0, 79
    syscall r0, 6, seL4_SysDebugPutChar
    i64.const r1, 0x1fffc
    store64 r2, r1, 0            ; 0x20000 is unmapped: faults, writes nothing
bad:
    i64.const r0, 1
    syscall r0, 6, seL4_SysDebugHalt
    return r0, 0
.end
";
    let soft = run(src, MemoryBackend::Soft);
    let mmap = run(src, MemoryBackend::Mmap);
    assert_eq!((&soft.0, &soft.1), (&mmap.0, &mmap.1));
    assert_eq!(soft.1, b"O");
    assert_eq!(fault(&soft.0).0, FaultKind::StoreFault);
    assert_eq!(soft.2.instructions, mmap.2.instructions);
    assert_eq!(
        soft.2.into_ram(),
        mmap.2.into_ram(),
        "the same memory at the end"
    );
}

/// 300,000 loads from a mapped frame in a counted loop, then `halt` with the loaded
/// value: about 600,000 instructions, many slices' worth of memory accesses.
const LOADS: &str = ".memory 1 1
.entry main
.func main () -> () frame 16
    i64.const r10, 0x2000
    i64.const r11, 7
    store64 r11, r10, 0
    i64.const r1, 0
    i64.const r2, 300000
again:
    load64 r12, r10, 0
    i64.inc_br_lt_s r1, r2, again
    mov r0, r12
    syscall r0, 6, seL4_SysDebugHalt
    return r0, 0
.end
";

#[test]
fn long_runs_of_memory_accesses_need_no_more_than_a_small_native_stack() {
    // A slice on the mmap back end once kept a native frame per access until the
    // interpreter returned (its handlers call their slow path, so sibling dispatch
    // cannot reuse the frame): a 1 MiB stack overflowed in slices of 100,000. The
    // machine now runs a slice as calls of a bounded length.
    for memory in [MemoryBackend::Soft, MemoryBackend::Mmap] {
        let exit = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || {
                let image =
                    assemble_with(LOADS, &selvm_abi::vm::symbols::lookup).expect("assembles");
                let config = Config {
                    max_instructions: Some(10_000_000),
                    // Slices as long as the whole loop.
                    tick_instructions: 1_000_000,
                    memory,
                    ..Config::default()
                };
                let mut m = Machine::boot(vec![0u64; RAM_WORDS], &image, config).expect("boots");
                m.run_to_exit(|_| {})
            })
            .expect("spawn")
            .join()
            .unwrap_or_else(|_| panic!("{memory:?}: the run panicked"));
        assert!(matches!(exit, Exit::Halted(7)), "{memory:?}: {exit:?}");
    }
}
