//! Tests of the checker itself: each rule caught on purpose-made corruption.
//!
//! Every test first builds a legitimate state through real invocations and
//! checks that it is clean, then corrupts memory directly and expects exactly
//! the violation (and, where the checker's order makes it deterministic, the
//! slot) that names the corruption.

use super::{Census, Violation};
use crate::arch::test_double::TestArch;
use crate::boot::{BootConfig, BootSummary};
use crate::cap::{Cap, FrameSize, VmRights, ZombieKind};
use crate::invocation::{Caller, Outcome};
use crate::memory::{PAddr, PhysMem};
use crate::slot::{MdbNode, SlotMemory, SlotRef};
use crate::state::Kernel;
use selvm_abi::boot::CAP_INIT_THREAD_CNODE as ROOT;
use selvm_abi::{CPtr, CapRights, InvocationLabel as L, MessageInfo, ObjectType, Word};
use std::vec::Vec;

/// 1 MiB of RAM at the usual hosted base.
const RAM_WORDS: usize = 1 << 17;
const RAM_BASE: PAddr = 0x8000_0000;

// ---------------------------------------------------------------------------
// Building legitimate states through the kernel API.

fn ram() -> Vec<u64> {
    std::vec![0; RAM_WORDS]
}

fn boot(words: &mut [u64]) -> (Kernel<TestArch, &'_ mut [u64]>, BootSummary) {
    let config = BootConfig {
        root_radix: 8,
        devices: &[],
        ..Default::default()
    };
    let (k, b) = Kernel::boot(RAM_BASE, words, &config, TestArch::default()).expect("boot");
    clean(&k);
    (k, b)
}

/// Sends one message as the root task, without restarting.
fn send_once(
    k: &mut Kernel<TestArch, &'_ mut [u64]>,
    cptr: CPtr,
    label: L,
    mrs: &[Word],
    extra: &[CPtr],
) -> Outcome {
    let info = MessageInfo::new(label.word(), 0, extra.len() as Word, mrs.len() as Word)
        .expect("message within limits");
    let caller = Caller {
        tcb: k.boot_objects().root_tcb,
    };
    k.invoke(caller, cptr, info, mrs, extra)
}

/// Sends one message as the root task, restarting it while it is preempted.
fn send(
    k: &mut Kernel<TestArch, &'_ mut [u64]>,
    cptr: CPtr,
    label: L,
    mrs: &[Word],
    extra: &[CPtr],
) -> Outcome {
    loop {
        let o = send_once(k, cptr, label, mrs, extra);
        if o != Outcome::Preempted {
            return o;
        }
    }
}

/// Retypes `count` objects from the untyped at root slot `ut` into root slots
/// from `dest` on.
fn retype(
    k: &mut Kernel<TestArch, &'_ mut [u64]>,
    ut: CPtr,
    ty: ObjectType,
    size: Word,
    dest: Word,
    count: Word,
) {
    let mrs = [ty.word(), size, 0, 0, dest, count];
    let o = send(k, ut, L::UntypedRetype, &mrs, &[ROOT]);
    assert_eq!(o, Outcome::Done, "retype {ty:?} into slot {dest}");
}

/// Retypes into the CNode whose cap is at root slot `node`, from its slot `offset`.
fn retype_into(
    k: &mut Kernel<TestArch, &'_ mut [u64]>,
    ut: CPtr,
    ty: ObjectType,
    size: Word,
    node: CPtr,
    offset: Word,
    count: Word,
) {
    let mrs = [ty.word(), size, node, 64, offset, count];
    let o = send(k, ut, L::UntypedRetype, &mrs, &[ROOT]);
    assert_eq!(o, Outcome::Done, "retype {ty:?} into CNode at {node}");
}

/// CNode Copy from root slot `src` to root slot `dest`.
fn copy(k: &mut Kernel<TestArch, &'_ mut [u64]>, dest: Word, src: Word) {
    let mrs = [dest, 64, src, 64, CapRights::ALL.word()];
    let o = send(k, ROOT, L::CNodeCopy, &mrs, &[ROOT]);
    assert_eq!(o, Outcome::Done, "copy {src} -> {dest}");
}

/// CNode Delete of root slot `index`.
fn delete(k: &mut Kernel<TestArch, &'_ mut [u64]>, index: Word) {
    let o = send(k, ROOT, L::CNodeDelete, &[index, 64], &[]);
    assert_eq!(o, Outcome::Done, "delete {index}");
}

/// The root CNode's slot `index`.
fn slot(k: &Kernel<TestArch, &'_ mut [u64]>, index: u64) -> SlotRef {
    k.boot_objects().root_cnode.offset(index)
}

fn cap_at(k: &Kernel<TestArch, &'_ mut [u64]>, index: u64) -> Cap {
    k.memory().cap(slot(k, index))
}

/// The root slot of the boot untyped of `bits` bits.
fn untyped_of_bits(b: &BootSummary, bits: u8) -> CPtr {
    (0..b.untyped.end - b.untyped.start)
        .find(|&i| b.untyped_list[i as usize].size_bits == bits)
        .map(|i| b.untyped.start + i)
        .expect("boot untyped of that size")
}

/// The root slot of the largest boot untyped.
fn largest_untyped(b: &BootSummary) -> CPtr {
    selvm_abi::largest_ram_untyped(b.untyped, &b.untyped_list).expect("a boot untyped")
}

/// The object address of the cap at root slot `index`.
fn object_at(k: &Kernel<TestArch, &'_ mut [u64]>, index: u64) -> PAddr {
    cap_at(k, index).region().expect("an object cap").0
}

fn clean(k: &Kernel<TestArch, &'_ mut [u64]>) -> Census {
    match k.check_invariants() {
        Ok(census) => census,
        Err(v) => panic!("the legitimate state already violates an invariant: {v:?}"),
    }
}

fn expect(k: &Kernel<TestArch, &'_ mut [u64]>, violation: Violation) {
    assert_eq!(k.check_invariants(), Err(violation));
}

/// Boots and retypes one endpoint from the largest untyped into the first
/// empty slot: returns (kernel, boot summary, untyped slot index, endpoint
/// slot index). The CDT list is then untyped → endpoint.
fn with_endpoint(words: &mut [u64]) -> (Kernel<TestArch, &'_ mut [u64]>, BootSummary, u64, u64) {
    let (mut k, b) = boot(words);
    let ut = largest_untyped(&b);
    let e = b.empty.start;
    retype(&mut k, ut, ObjectType::Endpoint, 0, e, 1);
    clean(&k);
    assert_eq!(k.memory().mdb(slot(&k, ut)).next, Some(slot(&k, e)));
    (k, b, ut, e)
}

/// Makes a zombie legitimately: a radix-2 CNode holding an endpoint in its
/// slot 0 loses its last cap (root slot `b.empty.start`) with a preemption
/// after the first step, leaving a zombie with 3 slots to go. Returns the
/// zombie's root slot index and the CNode's address.
fn with_zombie(k: &mut Kernel<TestArch, &'_ mut [u64]>, b: &BootSummary) -> (u64, PAddr) {
    let ut = largest_untyped(b);
    let at = b.empty.start;
    retype(k, ut, ObjectType::CNode, 2, at, 1);
    retype_into(k, ut, ObjectType::Endpoint, 0, at, 0, 1);
    clean(k);
    k.preemption().force_every(1);
    let o = send_once(k, ROOT, L::CNodeDelete, &[at, 64], &[]);
    k.preemption().force_every(0);
    assert_eq!(o, Outcome::Preempted);
    let Cap::Zombie {
        ptr,
        kind: ZombieKind::CNode { radix: 2 },
        remaining: 3,
    } = cap_at(k, at)
    else {
        panic!("expected a zombie, found {:?}", cap_at(k, at));
    };
    clean(k);
    (at, ptr)
}

// ---------------------------------------------------------------------------
// Corrupting memory.

fn mem<'a, 'm>(k: &'a mut Kernel<TestArch, &'m mut [u64]>) -> &'a mut PhysMem<&'m mut [u64]> {
    k.memory_mut_for_corruption_tests()
}

fn set_cap(k: &mut Kernel<TestArch, &'_ mut [u64]>, s: SlotRef, cap: Cap) {
    mem(k).set_cap(s, cap);
}

/// Rewrites a slot's CDT links, keeping its flags.
fn set_links(
    k: &mut Kernel<TestArch, &'_ mut [u64]>,
    s: SlotRef,
    prev: Option<SlotRef>,
    next: Option<SlotRef>,
) {
    let node = k.memory().mdb(s);
    mem(k).set_mdb(s, MdbNode { prev, next, ..node });
}

fn set_prev(k: &mut Kernel<TestArch, &'_ mut [u64]>, s: SlotRef, prev: Option<SlotRef>) {
    let next = k.memory().mdb(s).next;
    set_links(k, s, prev, next);
}

fn set_next(k: &mut Kernel<TestArch, &'_ mut [u64]>, s: SlotRef, next: Option<SlotRef>) {
    let prev = k.memory().mdb(s).prev;
    set_links(k, s, prev, next);
}

/// Raw word `i` (0-3) of a slot.
fn word_addr(s: SlotRef, i: u64) -> PAddr {
    s.0 + 8 * i
}

/// Places `cap` in the empty slot `dest` right after `src` in `src`'s CDT list,
/// with consistent links (a corruption that only breaks the rule under test).
fn link_after(k: &mut Kernel<TestArch, &'_ mut [u64]>, src: SlotRef, dest: SlotRef, cap: Cap) {
    let after = k.memory().mdb(src).next;
    let m = mem(k);
    m.set_cap(dest, cap);
    m.set_mdb(
        dest,
        MdbNode {
            prev: Some(src),
            next: after,
            revocable: false,
            first_badged: false,
        },
    );
    let src_node = m.mdb(src);
    m.set_mdb(
        src,
        MdbNode {
            next: Some(dest),
            ..src_node
        },
    );
    if let Some(a) = after {
        let a_node = m.mdb(a);
        m.set_mdb(
            a,
            MdbNode {
                prev: Some(dest),
                ..a_node
            },
        );
    }
}

mod cdt;
mod clean;
mod fields;
mod overlap;
mod placement;
mod untyped;
mod vspace;
mod zombies;
