//! The invocation table against its users, row by row: libsel4's encoder (through its
//! host mock, which records what it sends), the test kit's client and the table agree
//! on every label's MRs and extra caps; and each generic kernel decoder needs exactly
//! the table's registers and caps (one fewer answers TruncatedMessage, the full count
//! never does).

use libsel4::mock;
use selvm_abi::vm::{self, VmInvocationLabel as V};
use selvm_abi::{
    CPtr, CapRights, Decode, INVOCATION_SPECS, Invocation, InvocationLabel as L, InvocationSpec,
    InvocationVisitor, ObjectType, Word, args::*, boot,
};
use selvm_kernel::{Outcome, SyscallError};
use selvm_kernel_testkit::client::Message;
use selvm_kernel_testkit::system::largest_untyped;
use selvm_kernel_testkit::threads::spawn;
use selvm_kernel_testkit::{Client, TestKernel, TestMemory, msg};

/// A message: label, registers, extra caps.
type Wire = (Word, Vec<Word>, Vec<CPtr>);

/// Sample arguments of a row: distinct small values (rights keep their 4 bits), and a
/// 3-word tail. Where libsel4 derives a field from its own arguments the sample is one
/// it can express: a tail's `count` is the tail's length, the IRQ trigger (a bool in
/// libsel4) is 1.
fn sample(spec: &InvocationSpec) -> Wire {
    let tail = spec.mr_tail.map_or(0, |_| 3);
    let mut mrs: Vec<Word> = (1..=spec.mrs.len() as Word).collect();
    mrs.extend((0..tail as Word).map(|i| 0x40 + i));
    if spec.mr_tail.is_some() {
        mrs[spec.mr("count").expect("a tail has a count")] = tail as Word;
    }
    if let Some(i) = spec.mr("trigger") {
        mrs[i] = 1;
    }
    let caps = (0..spec.caps.len() as CPtr).map(|j| 0x200 + j).collect();
    (spec.label, mrs, caps)
}

/// What libsel4 sends for a row, calling its function with the sample arguments named
/// as the table names them.
fn libsel4_sends(spec: &InvocationSpec, (_, mrs, caps): &Wire) -> Wire {
    use libsel4::vspace::{asid_control, asid_pool, page, page_table};
    use libsel4::{cnode, domain, irq, tcb, untyped};
    let v = |name: &str| mrs[spec.mr(name).unwrap_or_else(|| panic!("{name}?"))];
    let c = |name: &str| caps[spec.cap(name).unwrap_or_else(|| panic!("{name}?"))];
    let flag = |name: &str| v(name) != 0;
    let rights = |name: &str| CapRights::from_word(v(name));
    let s = 7;
    let _ = mock::take_sent();
    let done = match (L::from_word(spec.label), V::from_word(spec.label)) {
        (Some(L::UntypedRetype), _) => untyped::retype(
            s,
            v("object_type"),
            v("size_bits"),
            c("root"),
            v("node_index"),
            v("node_depth"),
            v("node_offset"),
            v("num_objects"),
        ),
        (Some(L::TcbReadRegisters), _) => {
            let mut regs = vec![0; v("count") as usize];
            tcb::read_registers(s, v("flags") & 1 != 0, (v("flags") >> 8) as u8, &mut regs)
        }
        (Some(L::TcbWriteRegisters), _) => {
            let regs = &mrs[TcbWriteRegisters::REGS..];
            tcb::write_registers(s, v("flags") & 1 != 0, (v("flags") >> 8) as u8, regs)
        }
        (Some(L::TcbCopyRegisters), _) => {
            let f = v("flags");
            let bit = |b: u32| f >> b & 1 != 0;
            let arch = (f >> 8) as u8;
            tcb::copy_registers(s, c("source"), bit(0), bit(1), bit(2), bit(3), arch)
        }
        (Some(L::TcbConfigure), _) => tcb::configure(
            s,
            v("fault_ep"),
            c("cspace_root"),
            v("cspace_root_data"),
            c("vspace_root"),
            v("vspace_root_data"),
            v("buffer"),
            c("buffer_frame"),
        ),
        (Some(L::TcbSetPriority), _) => tcb::set_priority(s, c("authority"), v("priority")),
        (Some(L::TcbSetMcPriority), _) => tcb::set_mc_priority(s, c("authority"), v("mcp")),
        (Some(L::TcbSetSchedParams), _) => {
            tcb::set_sched_params(s, c("authority"), v("mcp"), v("priority"))
        }
        (Some(L::TcbSetIpcBuffer), _) => tcb::set_ipc_buffer(s, v("buffer"), c("buffer_frame")),
        (Some(L::TcbSetSpace), _) => tcb::set_space(
            s,
            v("fault_ep"),
            c("cspace_root"),
            v("cspace_root_data"),
            c("vspace_root"),
            v("vspace_root_data"),
        ),
        (Some(L::TcbSuspend), _) => tcb::suspend(s),
        (Some(L::TcbResume), _) => tcb::resume(s),
        (Some(L::TcbBindNotification), _) => tcb::bind_notification(s, c("notification")),
        (Some(L::TcbUnbindNotification), _) => tcb::unbind_notification(s),
        (Some(L::TcbSetTlsBase), _) => tcb::set_tls_base(s, v("tls_base")),
        (Some(L::CNodeRevoke), _) => cnode::revoke(s, v("index"), v("depth")),
        (Some(L::CNodeDelete), _) => cnode::delete(s, v("index"), v("depth")),
        (Some(L::CNodeCancelBadgedSends), _) => {
            cnode::cancel_badged_sends(s, v("index"), v("depth"))
        }
        (Some(L::CNodeCopy), _) => cnode::copy(
            s,
            v("dest_index"),
            v("dest_depth"),
            c("src_root"),
            v("src_index"),
            v("src_depth"),
            rights("rights"),
        ),
        (Some(L::CNodeMint), _) => cnode::mint(
            s,
            v("dest_index"),
            v("dest_depth"),
            c("src_root"),
            v("src_index"),
            v("src_depth"),
            rights("rights"),
            v("badge"),
        ),
        (Some(L::CNodeMove), _) => cnode::move_(
            s,
            v("dest_index"),
            v("dest_depth"),
            c("src_root"),
            v("src_index"),
            v("src_depth"),
        ),
        (Some(L::CNodeMutate), _) => cnode::mutate(
            s,
            v("dest_index"),
            v("dest_depth"),
            c("src_root"),
            v("src_index"),
            v("src_depth"),
            v("badge"),
        ),
        // libsel4's pivot_data is the data of the cap leaving the pivot (seL4's
        // dest_badge), its src_data that of the cap leaving the source (pivot_badge).
        (Some(L::CNodeRotate), _) => cnode::rotate(
            s,
            v("dest_index"),
            v("dest_depth"),
            c("pivot_root"),
            v("pivot_index"),
            v("pivot_depth"),
            v("dest_badge"),
            c("src_root"),
            v("src_index"),
            v("src_depth"),
            v("pivot_badge"),
        ),
        (Some(L::CNodeSaveCaller), _) => cnode::save_caller(s, v("index"), v("depth")),
        (Some(L::IrqIssueIrqHandler), _) => {
            irq::control_get(s, v("irq"), c("root"), v("index"), v("depth"))
        }
        (Some(L::IrqAckIrq), _) => irq::handler_ack(s),
        (Some(L::IrqSetIrqHandler), _) => irq::handler_set_notification(s, c("notification")),
        (Some(L::IrqClearIrqHandler), _) => irq::handler_clear(s),
        (Some(L::DomainSetSet), _) => domain::set(s, v("domain"), c("thread")),
        (Some(L::PageTableMap), _) => page_table::map(s, c("vspace"), v("vaddr"), v("attr")),
        (Some(L::PageTableUnmap), _) => page_table::unmap(s),
        (Some(L::PageMap), _) => page::map(s, c("vspace"), v("vaddr"), rights("rights"), v("attr")),
        (Some(L::PageUnmap), _) => page::unmap(s),
        (Some(L::PageGetAddress), _) => page::get_address(s).map(drop),
        (Some(L::AsidControlMakePool), _) => {
            asid_control::make_pool(s, c("untyped"), c("root"), v("index"), v("depth"))
        }
        (Some(L::AsidPoolAssign), _) => asid_pool::assign(s, c("vspace")),
        (Some(L::IrqIssueIrqHandlerTrigger), _) => irq::control_get_trigger(
            s,
            v("irq"),
            flag("trigger"),
            c("root"),
            v("index"),
            v("depth"),
        ),
        (_, Some(vm_label)) => libsel4_sends_vm(vm_label, s, &v, &c),
        _ => panic!("{}: no libsel4 function for this row", spec.name),
    };
    assert_eq!(done, Ok(()), "{}: the mock answers success", spec.name);
    let sent = mock::take_sent();
    assert_eq!(sent.len(), 1, "{}: one Call", spec.name);
    assert_eq!(sent[0].cap, s, "{}: the service cap", spec.name);
    (
        sent[0].info.label(),
        sent[0].mrs.clone(),
        sent[0].caps.clone(),
    )
}

/// The vm architecture's rows (libsel4's `vm` module).
fn libsel4_sends_vm(
    label: V,
    s: CPtr,
    v: &dyn Fn(&str) -> Word,
    c: &dyn Fn(&str) -> CPtr,
) -> Result<(), libsel4::Error> {
    use libsel4::vm::{module, vm_tcb};
    match label {
        V::ModuleWriteFromFrame => module::write_from_frame(
            s,
            v("module_offset"),
            c("frame"),
            v("frame_offset"),
            v("length"),
        ),
        V::ModuleSeal => module::seal(s, v("length")),
        V::TcbBindModule => vm_tcb::bind_module(s, c("module")),
        V::TcbBindRegisterStack => vm_tcb::bind_register_stack(s, c("stack"), v("max_depth")),
        V::TcbSetEntry => {
            vm_tcb::set_entry(s, v("function") as u32, v("argument"), v("stack_pointer"))
        }
        V::TcbSetMemory => vm_tcb::set_memory(s, v("pages"), v("limit")),
    }
}

/// What the test kit's client sends for a row: its named helper where it has one
/// (Retype and the CNode operations), else the argument struct it sends generically.
fn testkit_sends<M: Invocation + Decode<'static>>(spec: &InvocationSpec, wire: &Wire) -> Wire {
    let (_, mrs, caps) = wire;
    let mrs: &'static [Word] = mrs.clone().leak();
    let decoded = M::from_message(mrs, caps).expect("the sample decodes");
    let generic = Message::of(&decoded);
    let v = |name: &str| mrs[spec.mr(name).expect(name)];
    let c = |name: &str| caps[spec.cap(name).expect(name)];
    let mut memory = TestMemory::new(1 << 20);
    let (mut k, b) = memory.boot_small();
    let client = Client::new(b.root_tcb);
    let (cl, k) = (&client, &mut k);
    let s = 7;
    let named = match L::from_word(spec.label) {
        Some(L::UntypedRetype) => {
            let ty = ObjectType::from_word(v("object_type")).expect("a sample type");
            let (index, depth) = (v("node_index"), v("node_depth"));
            let (offset, n) = (v("node_offset"), v("num_objects"));
            Some(cl.retype(k, s, ty, v("size_bits"), c("root"), index, depth, offset, n))
        }
        Some(L::CNodeCopy | L::CNodeMint | L::CNodeMove | L::CNodeMutate) => {
            let dest = (v("dest_index"), v("dest_depth"));
            let src = (c("src_root"), v("src_index"), v("src_depth"));
            let r = |name| CapRights::from_word(v(name));
            Some(match L::from_word(spec.label) {
                Some(L::CNodeCopy) => {
                    cl.copy(k, s, dest.0, dest.1, src.0, src.1, src.2, r("rights"))
                }
                Some(L::CNodeMint) => {
                    let (rights, badge) = (r("rights"), v("badge"));
                    cl.mint(k, s, dest.0, dest.1, src.0, src.1, src.2, rights, badge)
                }
                Some(L::CNodeMove) => cl.move_(k, s, dest.0, dest.1, src.0, src.1, src.2),
                _ => cl.mutate(k, s, dest.0, dest.1, src.0, src.1, src.2, v("badge")),
            })
        }
        Some(L::CNodeRotate) => {
            let dest = (s, v("dest_index"), v("dest_depth"));
            let pivot = (c("pivot_root"), v("pivot_index"), v("pivot_depth"));
            let src = (c("src_root"), v("src_index"), v("src_depth"));
            let badges = (v("dest_badge"), v("pivot_badge"));
            Some(cl.rotate(k, dest, badges.0, pivot, badges.1, src))
        }
        Some(
            label @ (L::CNodeRevoke
            | L::CNodeDelete
            | L::CNodeCancelBadgedSends
            | L::CNodeSaveCaller),
        ) => Some(cl.slot_op(k, label, s, v("index"), v("depth"))),
        _ => None,
    };
    if named.is_some() {
        let sent = client.last_sent.take().expect("the client sent a message");
        assert_eq!(sent, generic, "{}: named helper and table", spec.name);
    }
    (generic.label, generic.mrs, generic.extra)
}

/// Checks every row of a table: the table's sample message, what libsel4 sends and
/// what the test kit sends are the same.
struct Agree(Vec<&'static str>);

impl InvocationVisitor for Agree {
    fn visit<M: Invocation + Decode<'static> + std::fmt::Debug + PartialEq>(&mut self) {
        let spec = &M::SPEC;
        let table = sample(spec);
        assert_eq!(table.0, M::LABEL);
        let fixed = spec.mrs.len();
        assert!(table.1.len() >= fixed && table.2.len() == spec.caps.len());
        assert_eq!(libsel4_sends(spec, &table), table, "{}: libsel4", spec.name);
        assert_eq!(
            testkit_sends::<M>(spec, &table),
            table,
            "{}: testkit",
            spec.name
        );
        self.0.push(spec.name);
    }
}

#[test]
fn libsel4_the_test_kit_and_the_table_agree_on_every_invocation() {
    let mut agree = Agree(Vec::new());
    selvm_abi::visit_invocations(&mut agree);
    vm::visit_vm_invocations(&mut agree);
    assert_eq!(
        agree.0.len(),
        INVOCATION_SPECS.len() + vm::VM_INVOCATION_SPECS.len()
    );
}

/// Root slots of the objects every decoder fixture may name.
const THREAD: CPtr = 40;
const VSPACE: CPtr = 41;
const EP: CPtr = 50;
const NTFN: CPtr = 51;
const FRAME: CPtr = 52;
const TABLE: CPtr = 53;
const POOL_UNTYPED: CPtr = 54;
const HANDLER: CPtr = 55;
const BADGED: CPtr = 56;
/// Empty root slots.
const FREE: CPtr = 60;
const ROOT: CPtr = boot::CAP_INIT_THREAD_CNODE;
const ME: CPtr = boot::CAP_INIT_THREAD_TCB;

/// A booted system with one of every object a generic invocation applies to.
fn system(k: &mut TestKernel<'_>, b: &selvm_kernel::BootSummary, c: &Client) {
    spawn(k, b, THREAD, 1, 100);
    let ut = largest_untyped(b);
    let objects = [
        (ObjectType::Endpoint, 0, EP),
        (ObjectType::Notification, 0, NTFN),
        (ObjectType::SmallPage, 0, FRAME),
        (ObjectType::PageTable, 0, TABLE),
        (ObjectType::Untyped, 12, POOL_UNTYPED),
    ];
    for (ty, size, at) in objects {
        assert_eq!(
            c.invoke(k, ut, &msg::retype(ty, size, at, 1)),
            Outcome::Done
        );
    }
    let issue = IrqIssueIrqHandler {
        irq: 1,
        index: HANDLER,
        depth: 64,
        root: ROOT,
    };
    assert_eq!(c.invoke(k, boot::CAP_IRQ_CONTROL, &issue), Outcome::Done);
    let badged = msg::mint(BADGED, EP, CapRights::ALL, 9);
    assert_eq!(c.invoke(k, ROOT, &badged), Outcome::Done);
}

/// A well-formed invocation of each generic row on the objects of [`system`]: its
/// service cap and message.
fn fixture(label: L) -> (CPtr, Message) {
    fn m<M: Invocation>(msg: &M) -> Message {
        Message::of(msg)
    }
    match label {
        L::UntypedRetype => (0, m(&msg::retype(ObjectType::Endpoint, 0, FREE, 1))),
        L::TcbReadRegisters => (THREAD, m(&TcbReadRegisters { flags: 0, count: 1 })),
        L::TcbWriteRegisters => {
            let msg = TcbWriteRegisters {
                flags: 0,
                count: 1,
                regs: &[0x1000],
            };
            (THREAD, m(&msg))
        }
        L::TcbCopyRegisters => (
            THREAD,
            m(&TcbCopyRegisters {
                flags: 0,
                source: ME,
            }),
        ),
        L::TcbConfigure => (THREAD, m(&msg::configure(VSPACE))),
        L::TcbSetPriority => (THREAD, m(&msg::set_priority(10, ME))),
        L::TcbSetMcPriority => (
            THREAD,
            m(&TcbSetMcPriority {
                mcp: 10,
                authority: ME,
            }),
        ),
        L::TcbSetSchedParams => (THREAD, m(&msg::set_sched_params(10, 10, ME))),
        L::TcbSetIpcBuffer => {
            let msg = TcbSetIpcBuffer {
                buffer: 0,
                buffer_frame: FRAME,
            };
            (THREAD, m(&msg))
        }
        L::TcbSetSpace => {
            let msg = TcbSetSpace {
                fault_ep: 0,
                cspace_root_data: 0,
                vspace_root_data: 0,
                cspace_root: ROOT,
                vspace_root: VSPACE,
            };
            (THREAD, m(&msg))
        }
        L::TcbSuspend => (THREAD, m(&TcbSuspend {})),
        L::TcbResume => (THREAD, m(&TcbResume {})),
        L::TcbBindNotification => (THREAD, m(&TcbBindNotification { notification: NTFN })),
        L::TcbUnbindNotification => (THREAD, m(&TcbUnbindNotification {})),
        L::TcbSetTlsBase => (THREAD, m(&TcbSetTlsBase { tls_base: 0 })),
        L::CNodeRevoke => (ROOT, m(&msg::revoke(EP))),
        L::CNodeDelete => (ROOT, m(&msg::delete(EP))),
        L::CNodeCancelBadgedSends => (ROOT, m(&msg::cancel_badged_sends(BADGED))),
        L::CNodeCopy => (ROOT, m(&msg::copy(FREE, EP, CapRights::ALL))),
        L::CNodeMint => (ROOT, m(&msg::mint(FREE, EP, CapRights::ALL, 3))),
        L::CNodeMove => (ROOT, m(&msg::move_(FREE, EP))),
        L::CNodeMutate => (ROOT, m(&msg::mutate(FREE, EP, 3))),
        L::CNodeRotate => {
            let msg = CNodeRotate {
                dest_index: FREE,
                dest_depth: 64,
                dest_badge: 0,
                pivot_root: ROOT,
                pivot_index: EP,
                pivot_depth: 64,
                pivot_badge: 0,
                src_root: ROOT,
                src_index: NTFN,
                src_depth: 64,
            };
            (ROOT, m(&msg))
        }
        L::CNodeSaveCaller => (ROOT, m(&msg::save_caller(FREE))),
        L::IrqIssueIrqHandler => {
            let msg = IrqIssueIrqHandler {
                irq: 2,
                index: FREE,
                depth: 64,
                root: ROOT,
            };
            (boot::CAP_IRQ_CONTROL, m(&msg))
        }
        L::IrqAckIrq => (HANDLER, m(&IrqAckIrq {})),
        L::IrqSetIrqHandler => (HANDLER, m(&IrqSetIrqHandler { notification: NTFN })),
        L::IrqClearIrqHandler => (HANDLER, m(&IrqClearIrqHandler {})),
        L::DomainSetSet => {
            let msg = DomainSetSet {
                domain: 0,
                thread: THREAD,
            };
            (boot::CAP_DOMAIN, m(&msg))
        }
        L::PageTableMap => {
            let msg = PageTableMap {
                vaddr: 0x4000_0000,
                attr: 0,
                vspace: boot::CAP_INIT_THREAD_VSPACE,
            };
            (TABLE, m(&msg))
        }
        L::PageTableUnmap => (TABLE, m(&PageTableUnmap {})),
        L::PageMap => {
            let msg = PageMap {
                vaddr: 0x4000_0000,
                rights: CapRights::ALL,
                attr: 0,
                vspace: boot::CAP_INIT_THREAD_VSPACE,
            };
            (FRAME, m(&msg))
        }
        L::PageUnmap => (FRAME, m(&PageUnmap {})),
        L::PageGetAddress => (FRAME, m(&PageGetAddress {})),
        L::AsidControlMakePool => (
            boot::CAP_ASID_CONTROL,
            m(&msg::make_pool(POOL_UNTYPED, FREE)),
        ),
        L::AsidPoolAssign => (
            boot::CAP_INIT_THREAD_ASID_POOL,
            m(&AsidPoolAssign { vspace: TABLE }),
        ),
        L::IrqIssueIrqHandlerTrigger => {
            let msg = IrqIssueIrqHandlerTrigger {
                irq: 3,
                trigger: 0,
                index: FREE,
                depth: 64,
                root: ROOT,
            };
            (boot::CAP_IRQ_CONTROL, m(&msg))
        }
        L::InvalidInvocation => panic!("label 0 has no row"),
    }
}

/// Sends `msg` to `service` (0: the largest untyped) on a fresh [`system`].
fn outcome(service: CPtr, msg: &Message) -> Outcome {
    let mut memory = TestMemory::new(1 << 20);
    let (mut k, b) = memory.boot_small();
    let c = Client::new(b.root_tcb);
    system(&mut k, &b, &c);
    let service = if service == 0 {
        largest_untyped(&b)
    } else {
        service
    };
    let o = c.send(&mut k, service, msg);
    k.check_invariants().expect("invariants hold");
    o
}

/// seL4 checks the message length (and the extra caps' presence) of every generic
/// invocation before anything the caller's arguments could fail: a message one
/// register or one cap short of the table's counts answers TruncatedMessage, and one
/// with the full counts never does (the decoder needs no more than the table says).
/// The copy family and Rotate check in stages (slot, then source, then rights or
/// data): their fixtures name real slots, so the earlier stages pass. Rows without
/// registers or caps have no shorter message. The vm architecture's rows are decoded
/// outside the generic kernel and are not checked here.
#[test]
fn each_generic_decoder_needs_exactly_the_tables_registers_and_caps() {
    let truncated = Outcome::Error(SyscallError::TruncatedMessage);
    let mut checked = 0;
    for spec in INVOCATION_SPECS {
        let label = L::from_word(spec.label).expect("a generic label");
        let (service, full) = fixture(label);
        assert!(full.mrs.len() >= spec.mrs.len() && full.extra.len() == spec.caps.len());
        assert_ne!(
            outcome(service, &full),
            truncated,
            "{}: full message",
            spec.name
        );
        if !spec.mrs.is_empty() {
            let short = Message::raw(full.label, &full.mrs[..spec.mrs.len() - 1], &full.extra);
            assert_eq!(
                outcome(service, &short),
                truncated,
                "{}: one MR short",
                spec.name
            );
            checked += 1;
        }
        if !spec.caps.is_empty() {
            let extra = &full.extra[..spec.caps.len() - 1];
            let short = Message::raw(full.label, &full.mrs, extra);
            assert_eq!(
                outcome(service, &short),
                truncated,
                "{}: one cap short",
                spec.name
            );
        }
    }
    // Every row with registers was checked (the rows without any: Suspend, Resume,
    // BindNotification, UnbindNotification, AckIRQ, SetIRQHandler, ClearIRQHandler,
    // PageTableUnmap, PageUnmap, PageGetAddress, ASIDPoolAssign).
    let with_mrs = INVOCATION_SPECS
        .iter()
        .filter(|s| !s.mrs.is_empty())
        .count();
    assert_eq!((checked, with_mrs), (26, 26));
}
