//! Checker self-tests: Clean states: legitimate kernels pass the checker.

use super::*;

// ---------------------------------------------------------------------------
// Clean states.

#[test]
fn boot_state_is_clean_and_counted() {
    let mut words = ram();
    let (k, b) = boot(&mut words);
    let census = clean(&k);
    let untypeds = (b.untyped.end - b.untyped.start) as usize;
    assert_eq!(census.untypeds, untypeds);
    // Root CNode, root TCB and the IRQ node.
    assert_eq!(census.containers, 3);
    // TCB, CNode, IPC buffer and VSpace (twice each), the master reply cap, IRQ
    // control, ASID control, the ASID pool, domain, the untypeds.
    assert_eq!(census.caps, 12 + untypeds);
    assert_eq!(census.zombies, 0);
}

#[test]
fn legitimate_zombie_state_is_clean() {
    let mut words = ram();
    let (mut k, b) = boot(&mut words);
    with_zombie(&mut k, &b);
    let census = clean(&k);
    assert_eq!(census.zombies, 1);
    // The zombie's object is still audited: its endpoint cap is counted.
    assert_eq!(census.containers, 4);
}

/// A tiny deterministic generator (xorshift64).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }

    /// An element of `v`, or `fallback` when it is empty.
    fn pick(&mut self, v: &[u64], fallback: u64) -> u64 {
        if v.is_empty() {
            fallback
        } else {
            v[self.below(v.len() as u64) as usize]
        }
    }
}

/// Root slots from `first` on whose cap satisfies `pred`.
fn root_slots(
    k: &Kernel<TestArch, &mut [u64]>,
    first: u64,
    pred: impl Fn(&Cap) -> bool,
) -> Vec<u64> {
    let n = 1u64 << k.boot_objects().root_radix;
    (first..n).filter(|&i| pred(&cap_at(k, i))).collect()
}

/// A short random run of real invocations (retypes into the root CNode and
/// into child CNodes, copies and mints into both, moves, deletes, revokes),
/// some preempted, checked after every step and at every preemption.
#[test]
fn random_legitimate_run_stays_clean() {
    let mut words = ram();
    let (mut k, b) = boot(&mut words);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // The root task's own TCB and CSpace caps (below this) are left alone.
    let first = b.untyped.start;
    let (mut done, mut preemptions, mut zombies) = (0, 0, 0);
    for _ in 0..400 {
        let untypeds = root_slots(&k, first, |c| matches!(c, Cap::Untyped { .. }));
        let cnodes = root_slots(&k, first, |c| matches!(c, Cap::CNode { .. }));
        let used = root_slots(&k, first, |c| !c.is_null());
        // Untypeds are revoked but not deleted, so memory stays available.
        let deletable = root_slots(&k, first, |c| {
            !c.is_null() && !matches!(c, Cap::Untyped { .. })
        });
        let empty = root_slots(&k, first, Cap::is_null);
        let radix_of = |k: &Kernel<TestArch, &mut [u64]>, i| match cap_at(k, i) {
            Cap::CNode { radix, .. } => u64::from(radix),
            _ => 0,
        };
        let (src, dest) = (rng.pick(&used, first), rng.pick(&empty, first));
        let (cptr, label, mrs, extra): (CPtr, L, Vec<Word>, &[CPtr]) = match rng.below(10) {
            0..=2 => {
                let (ty, size) = match rng.below(7) {
                    0 => (ObjectType::Endpoint, 0),
                    1 => (ObjectType::Notification, 0),
                    2 | 3 => (ObjectType::CNode, 1 + rng.below(3)),
                    4 => (ObjectType::Untyped, 4 + rng.below(8)),
                    5 => (ObjectType::SmallPage, 0),
                    _ => (ObjectType::Tcb, 0),
                };
                let ut = rng.pick(&untypeds, first);
                let mrs = if !cnodes.is_empty() && rng.below(3) == 0 {
                    let c = rng.pick(&cnodes, first);
                    let offset = rng.below(1 << radix_of(&k, c));
                    std::vec![ty.word(), size, c, 64, offset, 1]
                } else {
                    std::vec![ty.word(), size, 0, 0, dest, 1 + rng.below(2)]
                };
                (ut, L::UntypedRetype, mrs, &[ROOT])
            }
            3 => (
                ROOT,
                L::CNodeCopy,
                std::vec![dest, 64, src, 64, CapRights::ALL.word()],
                &[ROOT],
            ),
            4 => (
                ROOT,
                L::CNodeMint,
                std::vec![dest, 64, src, 64, CapRights::ALL.word(), 1 + rng.below(4)],
                &[ROOT],
            ),
            5 => {
                // Into a child CNode, addressed with that CNode as the root.
                let c = rng.pick(&cnodes, ROOT);
                let radix = if c == ROOT { 64 } else { radix_of(&k, c) };
                let index = if c == ROOT {
                    dest
                } else {
                    rng.below(1 << radix)
                };
                let mrs = std::vec![index, radix, src, 64, CapRights::ALL.word()];
                (c, L::CNodeCopy, mrs, &[ROOT])
            }
            6 => (ROOT, L::CNodeMove, std::vec![dest, 64, src, 64], &[ROOT]),
            7 | 8 => {
                let victim = rng.pick(&deletable, src);
                (ROOT, L::CNodeDelete, std::vec![victim, 64], &[])
            }
            _ => (ROOT, L::CNodeRevoke, std::vec![src, 64], &[]),
        };
        let every = if rng.below(3) == 0 {
            1 + rng.below(3) as u32
        } else {
            0
        };
        k.preemption().force_every(every);
        loop {
            let o = send_once(&mut k, cptr, label, &mrs, extra);
            let census = clean(&k);
            if o != Outcome::Preempted {
                done += usize::from(o == Outcome::Done);
                break;
            }
            preemptions += 1;
            zombies += census.zombies;
        }
    }
    // The run did real work, was preempted, and passed through zombie states.
    assert!(done > 150, "only {done} invocations succeeded");
    assert!(preemptions > 0 && zombies > 0, "{preemptions} {zombies}");
}
