//! The riscv64 configuration on the host: a kernel with the riscv64 `Arch`
//! boots with seL4's reference numbers, lays its TCBs out in 2^10 bytes, keeps
//! a 23-character name, and has SetTLSBase.

use super::*;
use crate::cap::Cap;
use crate::invocation::{Caller, Outcome};
use crate::slot::SlotMemory;
use crate::syscall::SyscallExit;
use crate::{BootConfig, Kernel};
use selvm_abi::args::UntypedRetype;
use selvm_abi::ipc_buffer::offsets;
use selvm_abi::{Invocation, MessageInfo, ObjectType, Syscall, boot, largest_ram_untyped};
use std::vec;

type Riscv64Kernel<'m> = Kernel<Riscv64, &'m mut [u64]>;

/// Retypes `count` objects of `ty` into root CNode slots from `at`.
fn retype_to_root(ty: ObjectType, at: Word, count: Word) -> UntypedRetype {
    UntypedRetype {
        object_type: ty.word(),
        size_bits: 0,
        root: boot::CAP_INIT_THREAD_CNODE,
        node_index: 0,
        node_depth: 0,
        node_offset: at,
        num_objects: count,
    }
}

/// Makes the current thread execute `ecall` with `number` in a7 and `a0`.
fn ecall(k: &mut Riscv64Kernel<'_>, number: Word, a0: Word) -> SyscallExit {
    let t = k.current_thread();
    let ctx = k.context_mut(t);
    (ctx[A7], ctx[A0], ctx[FAULT_IP], ctx[NEXT_IP]) = (number, a0, 0x1_0000, 0x1_0004);
    k.handle_syscall()
}

#[test]
fn the_riscv64_configuration_runs_on_its_own_numbers() {
    let mut ram = vec![0u64; (8 << 20) / 8];
    let (mut k, b) = Kernel::boot(
        0x8000_0000,
        &mut ram[..],
        &BootConfig::default(),
        Riscv64::detached(),
    )
    .expect("boots");
    let root = Caller { tcb: b.root_tcb };
    // The root CNode: 2^13 slots, a guard that resolves a CPtr in 64 bits.
    assert!(matches!(
        b.root_cnode,
        Cap::CNode {
            radix: 13,
            guard_size: 51,
            guard: 0,
            ..
        }
    ));
    assert_eq!(b.empty.end, 1 << 13);

    // TCBs are 2^10 bytes: two retyped together lie 1024 bytes apart.
    let ut = largest_ram_untyped(b.untyped, &b.untyped_list).expect("an untyped");
    let at = b.empty.start;
    let retype = retype_to_root(ObjectType::Tcb, at, 2);
    invoke_ok(&mut k, root, ut, retype);
    let tcb = |k: &Riscv64Kernel<'_>, i| match k.memory().cap(k.boot_objects().root_cnode.offset(i))
    {
        Cap::Thread { tcb } => tcb,
        other => panic!("{other:?}"),
    };
    let (t0, t1) = (tcb(&k, at), tcb(&k, at + 1));
    assert_eq!(t1 - t0, 1 << 10);
    assert_eq!(k.context(t1).len(), CONTEXT_REGISTERS);
    assert_eq!(k.context(t1)[SSTATUS], SSTATUS_INITIAL, "SPIE, no FPU");

    // A name keeps 23 characters and a NUL (what the 2^10 TCB has room for).
    let name = b"a-thread-name-longer-than-riscv64-keeps\0";
    let buffer = k
        .ipc_buffer(b.root_tcb, true)
        .expect("the root's IPC buffer");
    for (i, chunk) in name.chunks(8).enumerate() {
        let mut w = [0u8; 8];
        w[..chunk.len()].copy_from_slice(chunk);
        let m = k.memory_mut_for_corruption_tests();
        m.write(buffer + offsets::msg(i) as u64, u64::from_le_bytes(w));
    }
    ecall(&mut k, Syscall::DebugNameThread.word(), at + 1);
    let kept: std::vec::Vec<u8> = k
        .thread_name(t1)
        .iter()
        .flat_map(|w| w.to_le_bytes())
        .collect();
    assert_eq!(&kept[..23], &name[..23]);
    assert_eq!(kept[23], 0);
    assert_eq!(kept.len(), 24);

    // SetTLSBase (-29) sets the caller's tp; -28 is no system call.
    assert_eq!(
        ecall(&mut k, Syscall::SetTlsBase.word(), 0xdead_b000),
        SyscallExit::Resume
    );
    assert_eq!(k.context(b.root_tcb)[TP], 0xdead_b000);
    assert_eq!(k.double_faults(), 0);
    ecall(&mut k, (-28i64) as Word, 0);
    assert_eq!(k.double_faults(), 1, "an unknown syscall with no handler");
    k.check_invariants().expect("a valid state");
}

/// A machine whose kernel half maps gigapages, as the bare-metal kernel's
/// window does (global, kernel-only).
#[derive(Debug, Default)]
struct Windowed;

impl Riscv64Platform for Windowed {
    fn put_char(&mut self, _c: u8) {}
    fn set_irq_masked(&mut self, _irq: u64, _masked: bool) {}
    fn ack_irq(&mut self, _irq: u64) {}
    fn flush_tlb(&mut self, _flush: crate::vspace::TlbFlush) {}
    fn kernel_root_entry(&self, index: usize) -> Word {
        let leaf = crate::arch::sv39::Pte::Leaf {
            paddr: ((index - 256) as u64) << 30,
            read: true,
            write: true,
            execute: true,
            user: false,
            global: true,
        };
        leaf.encode()
    }
}

/// Sends `args` to `cap` as the root thread; the invocation must succeed.
fn invoke_ok<P: Riscv64Platform, K: Invocation>(
    k: &mut Kernel<Riscv64<P>, &mut [u64]>,
    root: Caller,
    cap: Word,
    args: K,
) {
    let (mrs, caps) = (args.mrs(), args.caps());
    let (mrs, caps) = (mrs.as_ref(), caps.as_ref());
    let info = MessageInfo::new(K::LABEL, 0, caps.len() as Word, mrs.len() as Word).unwrap();
    assert_eq!(k.invoke(root, cap, info, mrs, caps), Outcome::Done);
}

#[test]
fn every_vspace_root_carries_the_kernels_half() {
    let mut ram = vec![0u64; (8 << 20) / 8];
    let arch = Riscv64 { platform: Windowed };
    let (mut k, b) = Kernel::boot(0x8000_0000, &mut ram[..], &BootConfig::default(), arch).unwrap();
    let root = Caller { tcb: b.root_tcb };
    let root_of = |k: &Kernel<Riscv64<Windowed>, &mut [u64]>, slot| match k
        .memory()
        .cap(k.boot_objects().root_cnode.offset(slot))
    {
        Cap::PageTable { ptr, .. } => ptr,
        other => panic!("{other:?}"),
    };
    let kernel_half =
        |k: &Kernel<Riscv64<Windowed>, &mut [u64]>, table: u64| -> std::vec::Vec<Word> {
            (256..512).map(|i| k.memory().read(table + 8 * i)).collect()
        };
    let expected: std::vec::Vec<Word> = (256..512).map(|i| Windowed.kernel_root_entry(i)).collect();
    // The root task's VSpace, from boot.
    let first = root_of(&k, boot::CAP_INIT_THREAD_VSPACE);
    assert_eq!(kernel_half(&k, first), expected);
    k.check_invariants().expect("a valid state");

    // A new page table is empty until it gets an ASID, then has the kernel's half.
    let ut = largest_ram_untyped(b.untyped, &b.untyped_list).unwrap();
    let at = b.empty.start;
    let retype = retype_to_root(ObjectType::PageTable, at, 1);
    invoke_ok(&mut k, root, ut, retype);
    let second = root_of(&k, at);
    assert!(kernel_half(&k, second).iter().all(|&w| w == 0));
    invoke_ok(
        &mut k,
        root,
        boot::CAP_INIT_THREAD_ASID_POOL,
        selvm_abi::args::AsidPoolAssign { vspace: at },
    );
    assert_eq!(kernel_half(&k, second), expected);
    k.check_invariants().expect("a valid state");

    // The checker notices a root whose kernel half was changed.
    k.memory_mut_for_corruption_tests()
        .write(second + 8 * 300, 0);
    assert!(k.check_invariants().is_err());
}
