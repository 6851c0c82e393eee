use super::args::*;
use super::*;
use crate::MSG_MAX_EXTRA_CAPS;

#[test]
fn round_trip_every_label() {
    for (i, l) in InvocationLabel::ALL.iter().enumerate() {
        assert_eq!(l.word(), i as Word);
        assert_eq!(InvocationLabel::from_word(i as Word), Some(*l));
    }
}

#[test]
fn spot_values() {
    assert_eq!(InvocationLabel::UntypedRetype.word(), 1);
    assert_eq!(InvocationLabel::TcbSetTlsBase.word(), 15);
    assert_eq!(InvocationLabel::CNodeRevoke.word(), 16);
    assert_eq!(InvocationLabel::CNodeSaveCaller.word(), 24);
    assert_eq!(InvocationLabel::IrqIssueIrqHandler.word(), 25);
    assert_eq!(InvocationLabel::DomainSetSet.word(), 29);
    assert_eq!(InvocationLabel::PageTableMap.word(), ARCH_LABEL_FIRST);
    assert_eq!(
        InvocationLabel::IrqIssueIrqHandlerTrigger.word() + 1,
        VM_ARCH_LABEL_FIRST
    );
    assert!(InvocationLabel::PageMap.is_arch());
    assert!(!InvocationLabel::DomainSetSet.is_arch());
}

#[test]
fn rejects_neighbours() {
    assert_eq!(InvocationLabel::from_word(38), None);
    assert_eq!(InvocationLabel::from_word(VM_ARCH_LABEL_FIRST), None);
    assert_eq!(InvocationLabel::from_word(Word::MAX), None);
    assert_eq!(InvocationLabel::from_word(1 << 52), None);
}

#[test]
fn every_label_but_0_has_one_row_and_the_rows_are_well_formed() {
    assert_eq!(InvocationLabel::InvalidInvocation.spec(), None);
    assert_eq!(INVOCATION_SPECS.len() + 1, InvocationLabel::ALL.len());
    let labels = InvocationLabel::ALL[1..]
        .iter()
        .map(|l| (l.word(), l.name(), l.spec()));
    let vm = crate::vm::VmInvocationLabel::ALL
        .iter()
        .map(|l| (l.word(), l.name(), l.spec()));
    for (word, name, spec) in labels.chain(vm) {
        let spec = spec.expect("a row");
        assert_eq!((spec.label, spec.name), (word, name));
        assert_eq!(spec_of(word), Some(spec));
        let tail = spec.mr_tail.is_some() as usize;
        assert!(spec.mrs.len() + tail <= MSG_MAX_LENGTH, "{name}");
        assert!(spec.caps.len() <= MSG_MAX_EXTRA_CAPS, "{name}");
        // Names are unique within a row, so the index constants are too.
        let names: std::vec::Vec<&str> = (spec.mrs.iter().chain(spec.mr_tail.iter()))
            .chain(spec.caps)
            .map(|f| f.name)
            .collect();
        for (i, n) in names.iter().enumerate() {
            assert!(!names[..i].contains(n), "{name}: {n} twice");
        }
    }
    assert_eq!(spec_of(0), None);
    assert_eq!(spec_of(44), None);
}

#[test]
fn index_constants_follow_the_order_written() {
    assert_eq!(UntypedRetype::MRS, 6);
    assert_eq!(UntypedRetype::CAPS, 1);
    assert_eq!(UntypedRetype::NUM_OBJECTS, 5);
    assert_eq!(UntypedRetype::ROOT, 0);
    assert_eq!((CNodeRotate::DEST_BADGE, CNodeRotate::PIVOT_BADGE), (2, 5));
    assert_eq!((CNodeRotate::PIVOT_ROOT, CNodeRotate::SRC_ROOT), (0, 1));
    assert_eq!((TcbWriteRegisters::MRS, TcbWriteRegisters::REGS), (2, 2));
    assert_eq!(TcbReadRegisters::REPLY_REGS, 0);
    assert_eq!(PageGetAddress::REPLY_PADDR, 0);
    assert_eq!(TcbConfigure::BUFFER_FRAME, 2);
    assert_eq!(IrqIssueIrqHandlerTrigger::DEPTH, 3);
    let spec = CNodeMint::SPEC;
    assert_eq!(spec.mr("badge"), Some(CNodeMint::BADGE));
    assert_eq!(spec.cap("src_root"), Some(CNodeMint::SRC_ROOT));
    assert_eq!(spec.object, InvokedObject::CNode);
}

#[test]
fn encoding_puts_each_field_at_its_index() {
    let m = CNodeMint {
        dest_index: 10,
        dest_depth: 11,
        src_index: 12,
        src_depth: 13,
        rights: CapRights::ALL,
        badge: 15,
        src_root: 99,
    };
    let mrs = m.mrs();
    assert_eq!(mrs[CNodeMint::DEST_INDEX], 10);
    assert_eq!(mrs[CNodeMint::SRC_DEPTH], 13);
    assert_eq!(mrs[CNodeMint::RIGHTS], CapRights::ALL.word());
    assert_eq!(mrs, [10, 11, 12, 13, 15, 15]);
    assert_eq!(m.caps(), [99]);
    assert_eq!(<CNodeMint as Invocation>::LABEL, 20);
    let w = TcbWriteRegisters {
        flags: TcbWriteRegisters::flags(true, 2),
        count: 3,
        regs: &[7, 8, 9],
    };
    assert_eq!(w.mrs().as_ref(), [0x201, 3, 7, 8, 9]);
    assert_eq!(w.caps(), []);
    let long = TcbWriteRegisters {
        regs: &[1; 200],
        ..w
    };
    assert_eq!(long.mrs().as_ref().len(), MSG_MAX_LENGTH);
}

#[test]
fn register_flags_pack_as_libsel4_does() {
    assert_eq!(TcbReadRegisters::flags(true, 0), 1);
    assert_eq!(TcbReadRegisters::flags(false, 0xff), 0xff00);
    assert_eq!(TcbCopyRegisters::flags(true, false, true, true, 0), 0b1101);
    assert_eq!(TcbCopyRegisters::flags(false, true, false, false, 1), 0x102);
}

/// For every row: sample registers decode into the argument struct and encode back
/// unchanged, with the table's counts; one register or cap fewer does not decode.
struct RoundTrip(usize);

impl InvocationVisitor for RoundTrip {
    fn visit<M: Invocation + Decode<'static> + core::fmt::Debug + PartialEq>(&mut self) {
        let spec = M::SPEC;
        let tail = if spec.mr_tail.is_some() { 3 } else { 0 };
        // Small distinct values, so rights (4 bits) survive the round trip.
        let mrs: std::vec::Vec<Word> = (1..=(spec.mrs.len() + tail) as Word).collect();
        let mrs: &'static [Word] = mrs.leak();
        let caps: std::vec::Vec<CPtr> = (0..spec.caps.len() as CPtr).map(|c| 0x200 + c).collect();
        let msg = M::from_message(mrs, &caps).expect(spec.name);
        assert_eq!(msg.mrs().as_ref(), mrs, "{}", spec.name);
        assert_eq!(msg.caps().as_ref(), caps, "{}", spec.name);
        if !spec.mrs.is_empty() {
            assert_eq!(M::from_message(&mrs[..spec.mrs.len() - 1], &caps), None);
        }
        if !spec.caps.is_empty() {
            assert_eq!(M::from_message(mrs, &caps[1..]), None);
        }
        self.0 += 1;
    }
}

#[test]
fn every_argument_struct_round_trips_with_the_tables_counts() {
    let mut v = RoundTrip(0);
    visit_invocations(&mut v);
    assert_eq!(v.0, INVOCATION_SPECS.len());
    crate::vm::visit_vm_invocations(&mut v);
    assert_eq!(
        v.0,
        INVOCATION_SPECS.len() + crate::vm::VM_INVOCATION_SPECS.len()
    );
}
