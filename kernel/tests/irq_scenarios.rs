//! IRQ scenarios: issuing handler caps with seL4's checks, binding a
//! notification, interrupt delivery as a signal with the line masked until the
//! handler's Ack, clearing, and deleting or revoking handler caps.

use selvm_abi::args::{
    IrqAckIrq, IrqClearIrqHandler, IrqIssueIrqHandler, IrqIssueIrqHandlerTrigger, IrqSetIrqHandler,
};
use selvm_abi::{CapRights, InvocationLabel as L, ObjectType, Syscall, Word, boot};
use selvm_kernel::cap::Cap;
use selvm_kernel::slot::SlotMemory;
use selvm_kernel_testkit::msg;
use selvm_kernel_testkit::system::largest_untyped;
use selvm_kernel_testkit::threads::{Returned, call, invoke, syscall};
use selvm_kernel_testkit::{TestKernel, TestMemory};

const ROOT: Word = boot::CAP_INIT_THREAD_CNODE;
const CONTROL: Word = boot::CAP_IRQ_CONTROL;
const H: Word = 40;
const NTFN: Word = 50;

fn ok(r: &Returned) {
    assert_eq!(r.label, 0, "expected success: {r:?}");
}

fn err(r: &Returned, code: u64, mrs: &[Word]) {
    assert_eq!((r.label, r.mrs.as_slice()), (code, mrs), "{r:?}");
}

fn with_kernel(f: impl FnOnce(&mut TestKernel<'_>)) {
    let mut mem = TestMemory::new(1 << 20);
    let (mut k, summary) = mem.boot_small();
    let big = largest_untyped(&summary);
    ok(&invoke(
        &mut k,
        big,
        &msg::retype(ObjectType::Notification, 0, NTFN, 1),
    ));
    f(&mut k);
    k.check_invariants().expect("invariants at the end");
}

fn issue(k: &mut TestKernel<'_>, irq: Word, slot: Word) -> Returned {
    invoke(
        k,
        CONTROL,
        &IrqIssueIrqHandler {
            irq,
            index: slot,
            depth: 64,
            root: ROOT,
        },
    )
}

#[test]
fn issue_irq_handler_checks_in_sel4s_order() {
    with_kernel(|k| {
        err(
            &call(k, CONTROL, L::IrqIssueIrqHandler, &[3, H, 64], &[]),
            7,
            &[],
        );
        err(
            &call(k, CONTROL, L::IrqIssueIrqHandler, &[3, H], &[ROOT]),
            7,
            &[],
        );
        err(&issue(k, 128, H), 4, &[0, 127]);
        err(&issue(k, 3, NTFN), 8, &[]);
        err(
            &invoke(
                k,
                CONTROL,
                &IrqIssueIrqHandler {
                    irq: 3,
                    index: H,
                    depth: 65,
                    root: ROOT,
                },
            ),
            4,
            &[1, 64],
        );
        err(
            &call(k, CONTROL, L::IrqAckIrq, &[3, H, 64], &[ROOT]),
            3,
            &[],
        );
        ok(&issue(k, 3, H));
        assert_eq!(
            k.memory().cap(k.boot_objects().root_cnode.offset(H)),
            Cap::IrqHandler { irq: 3 }
        );
        err(&issue(k, 3, H + 1), 9, &[]);
        // The riscv64 form carries a trigger flag after the line number.
        ok(&invoke(
            k,
            CONTROL,
            &IrqIssueIrqHandlerTrigger {
                irq: 4,
                trigger: 1,
                index: H + 1,
                depth: 64,
                root: ROOT,
            },
        ));
    });
}

#[test]
fn an_interrupt_signals_the_notification_and_stays_masked_until_ack() {
    with_kernel(|k| {
        ok(&issue(k, 5, H));
        ok(&invoke(
            k,
            ROOT,
            &msg::mint(NTFN + 1, NTFN, CapRights::READ | CapRights::WRITE, 0x20),
        ));
        err(&call(k, H, L::IrqSetIrqHandler, &[], &[]), 7, &[]);
        err(
            &invoke(k, H, &IrqSetIrqHandler { notification: ROOT }),
            2,
            &[0],
        );
        ok(&invoke(
            k,
            H,
            &IrqSetIrqHandler {
                notification: NTFN + 1,
            },
        ));
        k.handle_interrupt(5);
        assert_ne!(k.arch().masked & (1 << 5), 0, "masked until acknowledged");
        let r = syscall(k, Syscall::NBRecv, NTFN, 0, &[], &[]);
        assert_eq!(r.badge, 0x20, "the badge of the handler's notification cap");
        ok(&invoke(k, H, &IrqAckIrq {}));
        assert_eq!(k.arch().masked & (1 << 5), 0);
        // Cleared: interrupts no longer signal.
        ok(&invoke(k, H, &IrqClearIrqHandler {}));
        k.handle_interrupt(5);
        assert_eq!(syscall(k, Syscall::NBRecv, NTFN, 0, &[], &[]).badge, 0);
    });
}

#[test]
fn lines_start_masked_a_handler_unmasks_its_line_and_deleting_it_masks_again() {
    with_kernel(|k| {
        assert_ne!(k.arch().masked & (1 << 4), 0, "masked at boot");
        ok(&issue(k, 4, H));
        assert_eq!(k.arch().masked & (1 << 4), 0, "a handler unmasks its line");
        assert_ne!(k.arch().masked & (1 << 3), 0, "others stay masked");
        ok(&invoke(k, ROOT, &msg::delete(H)));
        assert_ne!(
            k.arch().masked & (1 << 4),
            0,
            "the last handler cap gone: masked"
        );
    });
}

#[test]
fn a_read_only_notification_cannot_be_an_irq_target_and_unknown_lines_are_masked() {
    with_kernel(|k| {
        ok(&issue(k, 6, H));
        ok(&invoke(
            k,
            ROOT,
            &msg::mint(NTFN + 1, NTFN, CapRights::READ, 0),
        ));
        err(
            &invoke(
                k,
                H,
                &IrqSetIrqHandler {
                    notification: NTFN + 1,
                },
            ),
            2,
            &[0],
        );
        k.handle_interrupt(9);
        assert_ne!(
            k.arch().masked & (1 << 9),
            0,
            "a line without a handler is masked"
        );
    });
}

#[test]
fn deleting_or_revoking_handler_caps_frees_the_line() {
    with_kernel(|k| {
        ok(&issue(k, 7, H));
        ok(&invoke(k, H, &IrqSetIrqHandler { notification: NTFN }));
        ok(&invoke(k, ROOT, &msg::copy(H + 1, H, CapRights::ALL)));
        // Not the last cap: the line stays issued.
        ok(&invoke(k, ROOT, &msg::delete(H)));
        err(&issue(k, 7, H), 9, &[]);
        // The last cap: the line is free again and its notification slot empty.
        ok(&invoke(k, ROOT, &msg::delete(H + 1)));
        assert!(
            k.memory()
                .cap(k.boot_objects().irq_node.offset(7))
                .is_null()
        );
        ok(&issue(k, 7, H));
        ok(&issue(k, 8, H + 1));
        ok(&invoke(k, ROOT, &msg::revoke(CONTROL)));
        assert!(
            k.memory()
                .cap(k.boot_objects().root_cnode.offset(H))
                .is_null()
        );
        assert!(
            k.memory()
                .cap(k.boot_objects().root_cnode.offset(H + 1))
                .is_null()
        );
        ok(&issue(k, 8, H));
    });
}
