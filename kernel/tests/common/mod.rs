//! Helpers shared by the scenario tests: a booted small system acting as its
//! root task, short forms of the CNode and Untyped invocations on root slots,
//! and exact checks of outcomes and of the error reply seL4 would send.
#![allow(dead_code)]

use selvm_abi::{
    CPtr, CapRights, Invocation, InvocationLabel as L, LookupFault, ObjectType, Word, boot,
};
use selvm_kernel::cap::{Cap, FrameSize, VmRights};
use selvm_kernel::slot::{MdbNode, SlotMemory, SlotRef};
use selvm_kernel::{BootConfig, BootSummary, Outcome, SyscallError as E};
use selvm_kernel_testkit::TestKernel as Kernel;
use selvm_kernel_testkit::client::Message;
use selvm_kernel_testkit::system::largest_untyped;
use selvm_kernel_testkit::{Client, TestMemory};

/// The root CNode's cptr (root slots are named with depth 64 through it).
pub const ROOT: CPtr = boot::CAP_INIT_THREAD_CNODE;
/// RAM of every test kernel.
pub const MEM: usize = 1 << 20;
/// First root slot the tests use for their own caps (all free after boot).
pub const FREE: CPtr = 64;
/// All rights.
pub const ALL: CapRights = CapRights::ALL;

/// A booted system seen from its root task.
pub struct Sys<'a, 'm> {
    /// The kernel.
    pub k: &'a mut Kernel<'m>,
    /// What boot reported.
    pub b: &'a BootSummary,
    /// The root task's client.
    pub c: &'a Client,
}

/// Boots a small system (root radix 8), runs `f`, then audits the final state.
pub fn run(f: impl FnOnce(&mut Sys<'_, '_>)) {
    run_with(
        &BootConfig {
            root_radix: 8,
            devices: &[],
            ..Default::default()
        },
        f,
    );
}

/// As [`run`], booting with `config`.
pub fn run_with(config: &BootConfig<'_>, f: impl FnOnce(&mut Sys<'_, '_>)) {
    let mut mem = TestMemory::new(MEM);
    let (mut k, b) = mem.boot(config);
    assert!(b.empty.start <= FREE && b.empty.end == 256);
    let c = Client::new(b.root_tcb);
    check(&k);
    f(&mut Sys {
        k: &mut k,
        b: &b,
        c: &c,
    });
    check(&k);
}

/// A client for the root task that reports `Outcome::Preempted` instead of
/// re-sending.
pub fn no_restart(b: &BootSummary) -> Client {
    Client {
        restart: false,
        ..Client::new(b.root_tcb)
    }
}

/// Runs the invariant checker.
#[track_caller]
pub fn check(k: &Kernel<'_>) {
    if let Err(v) = k.check_invariants() {
        panic!("invariant broken: {v:?}");
    }
}

impl Sys<'_, '_> {
    /// Root slot `i`.
    pub fn slot(&self, i: CPtr) -> SlotRef {
        self.k.boot_objects().root_cnode.offset(i)
    }

    /// The cap in root slot `i`.
    pub fn cap(&self, i: CPtr) -> Cap {
        self.k.memory().cap(self.slot(i))
    }

    /// The cap in any slot.
    pub fn cap_at(&self, s: SlotRef) -> Cap {
        self.k.memory().cap(s)
    }

    /// The CDT node of root slot `i`.
    pub fn mdb(&self, i: CPtr) -> MdbNode {
        self.k.memory().mdb(self.slot(i))
    }

    /// The CDT node of any slot.
    pub fn mdb_at(&self, s: SlotRef) -> MdbNode {
        self.k.memory().mdb(s)
    }

    /// The next CDT link of root slot `i`, as a root slot number (`None` if
    /// there is none; panics if it leaves the root CNode).
    pub fn next(&self, i: CPtr) -> Option<CPtr> {
        self.mdb(i).next.map(|s| self.index(s))
    }

    /// The previous CDT link of root slot `i`, as a root slot number.
    pub fn prev(&self, i: CPtr) -> Option<CPtr> {
        self.mdb(i).prev.map(|s| self.index(s))
    }

    fn index(&self, s: SlotRef) -> CPtr {
        let base = self.slot(0).0;
        assert!(
            s.0 >= base && s.0 < base + 256 * 32,
            "{s:?} is not a root slot"
        );
        (s.0 - base) / 32
    }

    /// Whether root slot `i` is empty.
    pub fn empty(&self, i: CPtr) -> bool {
        self.cap(i).is_null()
    }

    /// The watermark of the untyped cap in root slot `i`.
    pub fn watermark(&self, i: CPtr) -> u64 {
        match self.cap(i) {
            Cap::Untyped { watermark, .. } => watermark,
            other => panic!("not an untyped cap: {other:?}"),
        }
    }

    /// Object address of the cap in root slot `i`.
    pub fn ptr(&self, i: CPtr) -> u64 {
        self.cap(i).region().expect("cap names memory").0
    }

    /// Slot `j` of the CNode whose cap is in root slot `i`.
    pub fn inner(&self, i: CPtr, j: u64) -> SlotRef {
        SlotRef(self.ptr(i)).offset(j)
    }

    /// Root slot of an untyped of `bits` bits with no children: a boot
    /// untyped of that size, or else one carved (once, into the top root
    /// slots) from the largest boot untyped.
    pub fn untyped(&mut self, bits: u8) -> CPtr {
        let b = self.b;
        if let Some(i) =
            (0..b.untyped.len()).find(|&i| b.untyped_list[i as usize].size_bits == bits)
        {
            return b.untyped.start + i;
        }
        let spare = 255 - CPtr::from(bits);
        if matches!(self.cap(spare), Cap::Untyped { .. }) {
            return spare;
        }
        let parent = largest_untyped(b);
        let parent_bits = b.untyped_list[(parent - b.untyped.start) as usize].size_bits;
        assert!(parent_bits > bits, "no untyped larger than {bits} bits");
        let r = self.c.retype(
            self.k,
            parent,
            ObjectType::Untyped,
            bits.into(),
            ROOT,
            0,
            0,
            spare,
            1,
        );
        assert_eq!(r, Outcome::Done, "carving a {bits}-bit untyped");
        spare
    }

    /// Root slot of the largest boot untyped (512 KiB).
    pub fn big(&mut self) -> CPtr {
        self.untyped(19)
    }

    /// Sends a raw message (any label word, registers and extra caps).
    pub fn raw(&mut self, cptr: CPtr, label: Word, mrs: &[Word], extra: &[CPtr]) -> Outcome {
        self.c.send(self.k, cptr, &Message::raw(label, mrs, extra))
    }

    /// Sends `label` with `mrs` and `extra` as written to `cptr`: a message of
    /// another shape than the table's (too few registers or caps).
    pub fn send(&mut self, cptr: CPtr, label: L, mrs: &[Word], extra: &[CPtr]) -> Outcome {
        self.raw(cptr, label.word(), mrs, extra)
    }

    /// Sends a typed invocation of the table to `cptr`.
    pub fn invoke<M: Invocation>(&mut self, cptr: CPtr, msg: &M) -> Outcome {
        self.c.invoke(self.k, cptr, msg)
    }

    /// Retypes from the untyped at root slot `ut` into root slots from `dest`.
    pub fn retype(&mut self, ut: CPtr, ty: ObjectType, size: Word, dest: CPtr, n: Word) -> Outcome {
        self.c.retype(self.k, ut, ty, size, ROOT, 0, 0, dest, n)
    }

    /// Retypes `n` objects from the largest untyped into root slots from `dest`.
    #[track_caller]
    pub fn make(&mut self, ty: ObjectType, size: Word, dest: CPtr, n: Word) {
        let ut = self.big();
        ok(self.retype(ut, ty, size, dest, n));
    }

    /// Copy between root slots.
    pub fn copy(&mut self, dest: CPtr, src: CPtr, rights: CapRights) -> Outcome {
        self.c.copy(self.k, ROOT, dest, 64, ROOT, src, 64, rights)
    }

    /// Mint between root slots.
    pub fn mint(&mut self, dest: CPtr, src: CPtr, rights: CapRights, data: Word) -> Outcome {
        self.c
            .mint(self.k, ROOT, dest, 64, ROOT, src, 64, rights, data)
    }

    /// Move between root slots.
    pub fn mv(&mut self, dest: CPtr, src: CPtr) -> Outcome {
        self.c.move_(self.k, ROOT, dest, 64, ROOT, src, 64)
    }

    /// Mutate between root slots.
    pub fn mutate(&mut self, dest: CPtr, src: CPtr, data: Word) -> Outcome {
        self.c.mutate(self.k, ROOT, dest, 64, ROOT, src, 64, data)
    }

    /// Rotate among root slots without changing data.
    pub fn rotate(&mut self, dest: CPtr, pivot: CPtr, src: CPtr) -> Outcome {
        let at = |i| (ROOT, i, 64);
        self.c.rotate(self.k, at(dest), 0, at(pivot), 0, at(src))
    }

    /// A one-slot CNode operation on root slot `i`.
    pub fn op(&mut self, label: L, i: CPtr) -> Outcome {
        self.c.slot_op(self.k, label, ROOT, i, 64)
    }

    /// A one-slot CNode operation on the CNode at `cnode` with `index` and `depth`.
    pub fn op_at(&mut self, label: L, cnode: CPtr, index: Word, depth: Word) -> Outcome {
        self.c.slot_op(self.k, label, cnode, index, depth)
    }

    /// Puts a guard-less copy of the root CNode (radix 8, so 8 bits per
    /// level) in root slot `at`, to name multi-level addresses through it.
    #[track_caller]
    pub fn flat_root(&mut self, at: CPtr) {
        ok(self.mint(at, ROOT, ALL, guard_data(0, 0)));
    }
}

/// CNode cap data: guard size in bits 0..6, guard above (libsel4's CNode_CapData).
pub const fn guard_data(size: Word, guard: Word) -> Word {
    size | (guard << 6)
}

/// A CNode cap.
pub const fn cnode(ptr: u64, radix: u8, guard_size: u8, guard: u64) -> Cap {
    Cap::CNode {
        ptr,
        radix,
        guard_size,
        guard,
    }
}

/// An endpoint cap.
pub const fn endpoint(ptr: u64, badge: u64, rights: CapRights) -> Cap {
    Cap::Endpoint { ptr, badge, rights }
}

/// An untyped cap.
pub const fn untyped(ptr: u64, size_bits: u8, is_device: bool, watermark: u64) -> Cap {
    Cap::Untyped {
        ptr,
        size_bits,
        is_device,
        watermark,
    }
}

/// An unmapped read-write 4 KiB frame cap.
pub const fn frame(ptr: u64, is_device: bool) -> Cap {
    let (size, rights) = (FrameSize::Small, VmRights::ReadWrite);
    Cap::Frame {
        ptr,
        size,
        rights,
        is_device,
        mapping: None,
    }
}

/// Asserts success.
#[track_caller]
pub fn ok(o: Outcome) {
    assert_eq!(o, Outcome::Done);
}

/// Asserts the outcome is `expected` and that its reply has `label` and `words`.
#[track_caller]
pub fn err(o: Outcome, expected: E, label: Word, words: &[Word]) {
    assert_eq!(o, Outcome::Error(expected));
    let r = expected.reply();
    assert_eq!((r.label, r.words()), (label, words));
}

/// Asserts IllegalOperation (label 3, no words).
#[track_caller]
pub fn illegal(o: Outcome) {
    err(o, E::IllegalOperation, 3, &[]);
}

/// Asserts TruncatedMessage (label 7, no words).
#[track_caller]
pub fn truncated(o: Outcome) {
    err(o, E::TruncatedMessage, 7, &[]);
}

/// Asserts DeleteFirst (label 8, no words).
#[track_caller]
pub fn delete_first(o: Outcome) {
    err(o, E::DeleteFirst, 8, &[]);
}

/// Asserts RangeError{1, 64} for a depth (label 4, words 1, 64).
#[track_caller]
pub fn bad_depth(o: Outcome) {
    err(o, E::RangeError { min: 1, max: 64 }, 4, &[1, 64]);
}

/// A FailedLookup error.
pub const fn lookup(was_source: bool, fault: LookupFault) -> E {
    E::FailedLookup { was_source, fault }
}

/// A FailedLookup error with MissingCapability.
pub const fn missing(was_source: bool, bits_left: u64) -> E {
    lookup(was_source, LookupFault::MissingCapability { bits_left })
}

/// A FailedLookup error with DepthMismatch.
pub const fn depth(was_source: bool, bits_left: u64, bits_found: u64) -> E {
    lookup(
        was_source,
        LookupFault::DepthMismatch {
            bits_left,
            bits_found,
        },
    )
}

/// A FailedLookup error with GuardMismatch.
pub const fn guard(was_source: bool, bits_left: u64, guard_found: u64, bits_found: u64) -> E {
    lookup(
        was_source,
        LookupFault::GuardMismatch {
            bits_left,
            guard_found,
            bits_found,
        },
    )
}

/// Runs `op` (after `setup`) on a fresh kernel, preempting at every `every`th
/// preemption point (0 = never) and sending `op` again after each
/// `Outcome::Preempted`, with the invariant checker after every step. Returns
/// the number of preemptions, the final outcome and the memory image.
pub fn preempted_run(
    every: u32,
    setup: impl Fn(&mut Sys<'_, '_>),
    op: impl Fn(&mut Sys<'_, '_>) -> Outcome,
) -> (u64, Outcome, Vec<u64>) {
    let mut mem = TestMemory::new(MEM);
    let (preemptions, outcome) = {
        let (mut k, b) = mem.boot_small();
        let c = no_restart(&b);
        let mut s = Sys {
            k: &mut k,
            b: &b,
            c: &c,
        };
        setup(&mut s);
        check(s.k);
        s.k.preemption().force_every(every);
        let mut preemptions = 0;
        let outcome = loop {
            let o = op(&mut s);
            check(s.k);
            if o != Outcome::Preempted {
                break o;
            }
            preemptions += 1;
            assert!(preemptions < 100_000, "never finishes");
        };
        (preemptions, outcome)
    };
    (preemptions, outcome, mem.words().to_vec())
}

/// Asserts that `op` is preempted at least once when forced every `every`
/// points and then ends exactly (word for word) as an uninterrupted run does.
/// Returns the number of preemptions.
#[track_caller]
pub fn assert_restartable(
    every: u32,
    setup: impl Fn(&mut Sys<'_, '_>),
    op: impl Fn(&mut Sys<'_, '_>) -> Outcome,
) -> u64 {
    let (n0, o0, plain) = preempted_run(0, &setup, &op);
    assert_eq!((n0, o0), (0, Outcome::Done));
    let (n, o, restarted) = preempted_run(every, &setup, &op);
    assert!(n >= 1, "never preempted");
    assert_eq!(o, Outcome::Done);
    assert!(plain == restarted, "state differs after {n} preemptions");
    n
}
