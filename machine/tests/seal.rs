//! ModuleSeal is preemptible: with a preemption point taken after every
//! verifier step, a restarted seal continues where it stopped and ends sealed;
//! a write to the module in between makes the next seal start over, so a
//! broken image is never sealed on the strength of an earlier, partial check.

use selvm_abi::vm::VmInvocationLabel as V;
use selvm_abi::vm::VmObjectType;
use selvm_abi::{CPtr, InvocationLabel as L, MessageInfo, ObjectType, Word, boot};
use selvm_kernel::arch::vm::{VmCap, sealed_image};
use selvm_kernel::cap::Cap;
use selvm_kernel::invocation::Caller;
use selvm_kernel::slot::SlotMemory;
use selvm_kernel::{Outcome, SyscallError};
use selvm_machine::loader::{self, VmKernel};
use selvm_vm::asm::assemble;

fn invoke(k: &mut VmKernel, cptr: CPtr, label: Word, mrs: &[Word], extra: &[CPtr]) -> Outcome {
    let info = MessageInfo::new(label, 0, extra.len() as Word, mrs.len() as Word).unwrap();
    let caller = Caller {
        tcb: k.boot_objects().root_tcb,
    };
    k.invoke(caller, cptr, info, mrs, extra)
}

fn cap(k: &VmKernel, cptr: CPtr) -> Cap {
    k.memory().cap(k.boot_objects().root_cnode.offset(cptr))
}

/// The first boot untyped (root slots 16..64) of RAM with at least `min_bits` bits.
fn ram_untyped(k: &VmKernel, min_bits: u8) -> Option<CPtr> {
    (16..64).find(|&i| {
        matches!(
            cap(k, i),
            Cap::Untyped { size_bits, is_device: false, .. } if size_bits >= min_bits
        )
    })
}

/// Seals the module in `slot`, restarting while preempted; returns the final
/// outcome and how many times it was preempted.
fn seal(k: &mut VmKernel, slot: CPtr, len: usize) -> (Outcome, usize) {
    let mut preempted = 0;
    loop {
        match invoke(k, slot, V::ModuleSeal.word(), &[len as Word], &[]) {
            Outcome::Preempted => preempted += 1,
            o => return (o, preempted),
        }
    }
}

fn program(functions: usize, broken: bool) -> Vec<u8> {
    let mut src = String::from(".entry f0\n");
    for i in 0..functions {
        let reg = if broken && i == functions - 1 { 9 } else { 0 };
        src += &format!(
            ".func f{i} () -> () frame 1\n    i32.add r0, r0, r{reg}\n    return r0, 0\n.end\n"
        );
    }
    assemble(&src).unwrap()
}

#[test]
fn a_preempted_seal_resumes_and_a_write_makes_it_start_over() {
    let image = program(1, false);
    let ram = vec![0u64; (16 << 20) / 8];
    let (mut k, _) = loader::boot(ram.into(), &image).expect("boots");
    let untyped = ram_untyped(&k, 20).expect("a large untyped");
    let module = 3000;
    let mrs = [VmObjectType::Module.word(), 16, 0, 0, module, 1];
    let root = [boot::CAP_INIT_THREAD_CNODE];
    assert_eq!(
        invoke(&mut k, untyped, L::UntypedRetype.word(), &mrs, &root),
        Outcome::Done
    );
    let Some(VmCap::Module { ptr, .. }) = VmCap::of(&cap(&k, module)) else {
        panic!()
    };

    // A valid 40-function image: preempted at every step, it still seals.
    let good = program(40, false);
    assert!(k.vm_loader_write(ptr, &good));
    k.preemption().force_every(1);
    let (outcome, preempted) = seal(&mut k, module, good.len());
    assert_eq!(outcome, Outcome::Done);
    assert!(preempted >= 40, "preempted only {preempted} times");
    assert_eq!(sealed_image(&cap(&k, module)), Some(good.len() as u32));

    // A fresh module: half verified, then a write (through a frame) breaks
    // its last function; the next seal starts over and finds it.
    let module2 = 3001;
    let mrs = [VmObjectType::Module.word(), 16, 0, 0, module2, 1];
    k.preemption().force_every(0);
    assert_eq!(
        invoke(&mut k, untyped, L::UntypedRetype.word(), &mrs, &root),
        Outcome::Done
    );
    let Some(VmCap::Module { ptr: ptr2, .. }) = VmCap::of(&cap(&k, module2)) else {
        panic!()
    };
    assert!(k.vm_loader_write(ptr2, &good));
    k.preemption().force_every(1);
    for _ in 0..20 {
        let o = invoke(
            &mut k,
            module2,
            V::ModuleSeal.word(),
            &[good.len() as Word],
            &[],
        );
        assert_eq!(o, Outcome::Preempted);
    }
    k.preemption().force_every(0);
    let bad = program(40, true);
    assert_eq!(bad.len(), good.len());
    let frame = boot::CAP_INIT_THREAD_IPC_BUFFER;
    let Cap::Frame { ptr: frame_at, .. } = cap(&k, frame) else {
        panic!()
    };
    assert!(k.vm_loader_write(frame_at, &bad[..4096.min(bad.len())]));
    let write = [0, 0, bad.len().min(4096) as Word];
    let o = invoke(
        &mut k,
        module2,
        V::ModuleWriteFromFrame.word(),
        &write,
        &[frame],
    );
    assert_eq!(o, Outcome::Done);
    k.preemption().force_every(1);
    let (outcome, _) = seal(&mut k, module2, bad.len());
    assert!(
        matches!(
            outcome,
            Outcome::Error(SyscallError::SealFailed { index: 39, .. })
        ),
        "{outcome:?}"
    );
    assert_eq!(sealed_image(&cap(&k, module2)), None);
}

/// One ModuleWriteFromFrame copies at most a page (`MODULE_WRITE_MAX`): a
/// longer write through a 2 MiB frame answers RangeError(0, 4096) before the
/// frame and module windows are checked, and a page-sized one succeeds.
#[test]
fn a_write_copies_at_most_one_page() {
    let image = program(1, false);
    let ram = vec![0u64; (16 << 20) / 8];
    let (mut k, _) = loader::boot(ram.into(), &image).expect("boots");
    let untyped = ram_untyped(&k, 22).expect("a 4 MiB untyped");
    let root = [boot::CAP_INIT_THREAD_CNODE];
    let (module, frame) = (3000, 3001);
    for (ty, bits, slot) in [
        (VmObjectType::Module.word(), 16, module),
        (ObjectType::LargePage.word(), 0, frame),
    ] {
        let mrs = [ty, bits, 0, 0, slot, 1];
        let o = invoke(&mut k, untyped, L::UntypedRetype.word(), &mrs, &root);
        assert_eq!(o, Outcome::Done, "retype type {ty}");
    }
    let write = |k: &mut VmKernel, len: Word| {
        invoke(
            k,
            module,
            V::ModuleWriteFromFrame.word(),
            &[0, 0, len],
            &[frame],
        )
    };
    let max = selvm_abi::vm::MODULE_WRITE_MAX;
    assert_eq!(
        write(&mut k, max + 1),
        Outcome::Error(SyscallError::RangeError { min: 0, max })
    );
    assert_eq!(
        write(&mut k, 1 << 20),
        Outcome::Error(SyscallError::RangeError { min: 0, max })
    );
    assert_eq!(write(&mut k, max), Outcome::Done);
}
