//! The vm architecture's pc rule: WriteRegisters (and fault replies) can only
//! install a pc that is an instruction boundary of the thread's module, or the
//! first instruction of another function that can be an entry; anything else
//! is refused with InvalidArgument 2 and changes nothing.

use selvm_abi::vm::VmInvocationLabel as V;
use selvm_abi::vm::VmObjectType;
use selvm_abi::vm::context::{PC, pc_word};
use selvm_abi::{CPtr, InvocationLabel as L, MessageInfo, ObjectType, Word, boot};
use selvm_kernel::arch::vm::{VmCap, hidden};
use selvm_kernel::cap::Cap;
use selvm_kernel::invocation::Caller;
use selvm_kernel::slot::SlotMemory;
use selvm_kernel::{Outcome, SyscallError};
use selvm_machine::loader::{self, VmKernel};
use selvm_vm::asm::assemble;

const PROGRAM: &str = "
.memory 1 1
.entry main
.func main () -> () frame 8
    i32.const r0, 1
    br_table r0, 1
    br_table.entry a
    br_table.entry a
a:
    return r0, 0
.end
.func one (i64) -> () frame 2
    nop
    return r0, 0
.end
.func two (i64 i64) -> () frame 2
    return r0, 0
.end
";

fn invoke(k: &mut VmKernel, cptr: CPtr, label: Word, mrs: &[Word], extra: &[CPtr]) -> Outcome {
    let info = MessageInfo::new(label, 0, extra.len() as Word, mrs.len() as Word).unwrap();
    let caller = Caller {
        tcb: k.boot_objects().root_tcb,
    };
    k.invoke(caller, cptr, info, mrs, extra)
}

fn slot_holding(k: &VmKernel, pred: impl Fn(&Cap) -> bool) -> CPtr {
    let root = k.boot_objects().root_cnode;
    (0..4096)
        .find(|&i| pred(&k.memory().cap(root.offset(i))))
        .expect("a matching cap")
}

#[test]
fn written_pcs_must_be_instruction_boundaries_or_entries() {
    let image = assemble(PROGRAM).expect("assembles");
    let ram = vec![0u64; (16 << 20) / 8];
    let (mut k, _) = loader::boot(ram.into(), &image).expect("boots");
    let module = slot_holding(&k, |c| matches!(VmCap::of(c), Some(VmCap::Module { .. })));
    let untyped = slot_holding(&k, |c| {
        matches!(
            c,
            Cap::Untyped {
                size_bits: 20..,
                is_device: false,
                ..
            }
        )
    });
    let (tcb, stack) = (3000, 3001);
    let retype = |k: &mut VmKernel, ty: Word, size: Word, dest: CPtr| {
        let mrs = [ty, size, 0, 0, dest, 1];
        invoke(
            k,
            untyped,
            L::UntypedRetype.word(),
            &mrs,
            &[boot::CAP_INIT_THREAD_CNODE],
        )
    };
    assert_eq!(
        retype(&mut k, ObjectType::Tcb.word(), 0, tcb),
        Outcome::Done
    );
    assert_eq!(
        retype(&mut k, VmObjectType::RegisterStack.word(), 16, stack),
        Outcome::Done
    );
    assert_eq!(
        invoke(&mut k, tcb, V::TcbBindModule.word(), &[], &[module]),
        Outcome::Done
    );
    assert_eq!(
        invoke(&mut k, tcb, V::TcbBindRegisterStack.word(), &[64], &[stack]),
        Outcome::Done
    );
    assert_eq!(
        invoke(&mut k, tcb, V::TcbSetEntry.word(), &[0, 0, 0], &[]),
        Outcome::Done
    );
    let t = match k.memory().cap(k.boot_objects().root_cnode.offset(tcb)) {
        Cap::Thread { tcb } => tcb,
        other => panic!("{other:?}"),
    };
    let write_pc =
        |k: &mut VmKernel, pc: Word| invoke(k, tcb, L::TcbWriteRegisters.word(), &[0, 1, pc], &[]);
    let refused = Outcome::Error(SyscallError::InvalidArgument { arg: 2 });
    // Inside main: the return is a boundary, the jump-table entries are not,
    // and nothing past the end is.
    assert_eq!(write_pc(&mut k, pc_word(0, 4)), Outcome::Done);
    assert_eq!(k.context(t)[PC], pc_word(0, 4));
    for bad in [pc_word(0, 2), pc_word(0, 3), pc_word(0, 5), pc_word(9, 0)] {
        assert_eq!(write_pc(&mut k, bad), refused, "{bad:#x}");
        assert_eq!(
            k.context(t)[PC],
            pc_word(0, 4),
            "a refused pc changes nothing"
        );
    }
    // Another function: only its first instruction, and only an entry (at
    // most one parameter); the thread then starts it afresh.
    assert_eq!(write_pc(&mut k, pc_word(1, 1)), refused);
    assert_eq!(write_pc(&mut k, pc_word(2, 0)), refused);
    assert_eq!(write_pc(&mut k, pc_word(1, 0)), Outcome::Done);
    assert_eq!(k.context(t)[hidden::ENTRY_FUNCTION], 1);
    assert_eq!(
        k.context(t)[hidden::HOST_STATE],
        0,
        "restarts with an empty call stack"
    );
}

#[test]
fn set_entry_accepts_a_wasm_function_pointer_from_table_0() {
    // Table 0 holds `two` (a bad entry: two parameters) at 0 and `one` at 1.
    let src = ".memory 1 1\n.table 3 3 two one null\n.entry main\n.func main () -> () frame 8\n    return r0, 0\n.end\n.func one (i64) -> () frame 2\n    return r0, 0\n.end\n.func two (i64 i64) -> () frame 2\n    return r0, 0\n.end\n";
    let image = assemble(src).expect("assembles");
    let ram = vec![0u64; (16 << 20) / 8];
    let (mut k, _) = loader::boot(ram.into(), &image).expect("boots");
    let module = slot_holding(&k, |c| matches!(VmCap::of(c), Some(VmCap::Module { .. })));
    let untyped = slot_holding(&k, |c| {
        matches!(
            c,
            Cap::Untyped {
                size_bits: 20..,
                is_device: false,
                ..
            }
        )
    });
    for (ty, size, dest) in [
        (ObjectType::Tcb.word(), 0, 3000),
        (VmObjectType::RegisterStack.word(), 16, 3001),
    ] {
        let mrs = [ty, size, 0, 0, dest, 1];
        assert_eq!(
            invoke(
                &mut k,
                untyped,
                L::UntypedRetype.word(),
                &mrs,
                &[boot::CAP_INIT_THREAD_CNODE]
            ),
            Outcome::Done
        );
    }
    assert_eq!(
        invoke(&mut k, 3000, V::TcbBindModule.word(), &[], &[module]),
        Outcome::Done
    );
    assert_eq!(
        invoke(&mut k, 3000, V::TcbBindRegisterStack.word(), &[64], &[3001]),
        Outcome::Done
    );
    let flag = selvm_abi::vm::ENTRY_TABLE_ELEMENT;
    let entry = |k: &mut VmKernel, element: Word| {
        invoke(k, 3000, V::TcbSetEntry.word(), &[flag | element, 7, 0], &[])
    };
    assert_eq!(entry(&mut k, 1), Outcome::Done);
    let t = match k.memory().cap(k.boot_objects().root_cnode.offset(3000)) {
        Cap::Thread { tcb } => tcb,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        k.context(t)[hidden::ENTRY_FUNCTION],
        1,
        "element 1 is function `one`"
    );
    assert_eq!(
        entry(&mut k, 0),
        Outcome::Error(SyscallError::InvalidArgument { arg: 0 })
    );
    assert_eq!(
        entry(&mut k, 2),
        Outcome::Error(SyscallError::RangeError { min: 0, max: 2 }),
        "null element"
    );
    assert_eq!(
        entry(&mut k, 3),
        Outcome::Error(SyscallError::RangeError { min: 0, max: 2 })
    );
}
