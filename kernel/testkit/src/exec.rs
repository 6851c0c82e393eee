//! The executor: resolves random operations against the current kernel state,
//! performs them through the client, checks invariants after every step and
//! counts outcomes.

use crate::client::{Client, Message};
use crate::histogram::{Histogram, outcome_name};
use crate::ops::{Addr, Data, Op};
use crate::system::{TestKernel, largest_untyped};
use selvm_abi::args::UntypedRetype;
use selvm_abi::{CPtr, CapRights, InvocationLabel as L, ObjectType, Word, boot};
use selvm_kernel::cap::Cap;
use selvm_kernel::invariants::Violation;
use selvm_kernel::slot::{SlotMemory, SlotRef};
use selvm_kernel::{BootSummary, Outcome};
use std::fmt;

/// A step that broke the kernel.
#[derive(Debug, Clone)]
pub struct Failure {
    /// Index of the operation in the sequence.
    pub step: usize,
    /// The operation.
    pub op: String,
    /// What broke.
    pub violation: Violation,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "step {}: {} broke an invariant: {:?}",
            self.step, self.op, self.violation
        )
    }
}

/// Runs operations on one kernel.
pub struct Executor<'k, 'm> {
    /// The kernel under test.
    pub kernel: &'k mut TestKernel<'m>,
    /// The root task's client.
    pub client: Client,
    /// Outcomes so far.
    pub histogram: Histogram,
    /// Run the invariant checker after every step.
    pub check: bool,
    /// The caller still ran and had its CSpace root after every step so far
    /// (an operation can suspend or delete the caller or its CSpace; seL4 then
    /// never restarts it, so such runs stop and are excluded from restart
    /// comparisons).
    pub caller_intact: bool,
    root: SlotRef,
    root_radix: u32,
    steps: usize,
}

/// Largest number of slots the address walk considers per CNode.
const WALK_WIDTH: u64 = 32;

fn data_word(d: Data) -> Word {
    match d {
        Data::Badge(b) => Word::from(b),
        Data::Guard { size, value } => {
            let size = Word::from(size % 5);
            size | ((Word::from(value) & ((1 << size) - 1)) << 6)
        }
        Data::Raw(w) => w,
    }
}

impl<'k, 'm> Executor<'k, 'm> {
    /// An executor for a kernel booted with `summary`, acting as its root task.
    pub fn new(kernel: &'k mut TestKernel<'m>, summary: &BootSummary) -> Self {
        let boot = kernel.boot_objects();
        Executor {
            kernel,
            client: Client::new(summary.root_tcb),
            histogram: Histogram::default(),
            check: true,
            caller_intact: true,
            root: boot.root_cnode,
            root_radix: boot.root_radix.into(),
            steps: 0,
        }
    }

    fn cap(&self, slot: SlotRef) -> Cap {
        self.kernel.memory().cap(slot)
    }

    /// Root-CNode slots (as cptrs) holding caps that satisfy `pred`.
    fn root_slots(&self, pred: impl Fn(&Cap) -> bool) -> Vec<CPtr> {
        (0..1u64 << self.root_radix)
            .filter(|&i| pred(&self.cap(self.root.offset(i))))
            .collect()
    }

    /// Builds a two-level CSpace with a guard below the boot CSpace: a
    /// guard-less copy of the root CNode, two radix-4 CNodes (one with guard
    /// 0b101 inside the other), two endpoints and a notification.
    pub fn setup_multilevel(&mut self, summary: &BootSummary) -> Outcome {
        let c = &self.client;
        let k = &mut *self.kernel;
        let e = summary.empty.start;
        let root = boot::CAP_INIT_THREAD_CNODE;
        let ut = largest_untyped(summary);
        let steps = [
            c.mint(k, root, e, 64, root, root, 64, CapRights::ALL, 0),
            c.retype(k, ut, ObjectType::CNode, 4, root, 0, 0, e + 1, 2),
            c.retype(k, ut, ObjectType::Endpoint, 0, root, 0, 0, e + 3, 2),
            c.retype(k, ut, ObjectType::Notification, 0, root, 0, 0, e + 5, 1),
            c.mutate(k, root, e + 6, 64, root, e + 2, 64, 3 | (0b101 << 6)),
            c.move_(
                k,
                e,
                ((e + 1) << 4) | 1,
                u64::from(self.root_radix) + 4,
                root,
                e + 6,
                64,
            ),
        ];
        steps
            .into_iter()
            .find(|o| *o != Outcome::Done)
            .unwrap_or(Outcome::Done)
    }

    /// Resolves an address selector to `(root cptr, index, depth)`.
    pub fn resolve(&self, a: Addr) -> (CPtr, Word, Word) {
        self.resolve_slot(a, false)
    }

    /// Resolves a destination: at the last level, prefer an empty slot.
    pub fn resolve_dest(&self, a: Addr) -> (CPtr, Word, Word) {
        self.resolve_slot(a, true)
    }

    fn resolve_slot(&self, a: Addr, want_empty: bool) -> (CPtr, Word, Word) {
        let roots = self.root_slots(|c| matches!(c, Cap::CNode { .. }));
        let root_cptr = match roots.len() {
            0 => boot::CAP_INIT_THREAD_CNODE,
            n => roots[a.root as usize % n],
        };
        let mut cap = self.cap(self.root.offset(root_cptr));
        let (mut index, mut depth) = (0u64, 0u32);
        let levels = (1 + a.levels % 3) as usize;
        for level in 0..levels {
            let Cap::CNode {
                ptr,
                radix,
                guard_size,
                guard,
            } = cap
            else {
                break;
            };
            let bits = u32::from(radix) + u32::from(guard_size);
            if depth + bits > 64 {
                break;
            }
            let width = (1u64 << radix).min(WALK_WIDTH);
            let sel = a.path[level];
            let empty_wanted = want_empty && sel & 0x60 != 0 && level + 1 == levels;
            let candidates: Vec<u64> = (0..width)
                .filter(|&i| self.cap(SlotRef(ptr).offset(i)).is_null() == empty_wanted)
                .collect();
            let i = if (empty_wanted || sel & 0x80 != 0) && !candidates.is_empty() {
                candidates[sel as usize % candidates.len()]
            } else {
                u64::from(sel) % width
            };
            index = index.checked_shl(bits).unwrap_or(0) | (guard << radix) | i;
            depth += bits;
            cap = self.cap(SlotRef(ptr).offset(i));
        }
        match a.garble {
            0..=7 => depth += 1,
            8..=15 => index ^= 1 << (a.garble % 8),
            16..=23 => depth = if a.garble % 2 == 0 { 0 } else { 65 },
            _ => {}
        }
        (root_cptr, index, depth.into())
    }

    /// Performs one operation, checks invariants and records the outcome.
    pub fn run(&mut self, op: &Op) -> Result<Outcome, Failure> {
        let outcome = self.perform(op);
        self.histogram.record(op.name(), outcome_name(&outcome));
        let step = self.steps;
        self.steps += 1;
        // The harness is the caller's code: it goes on only while the caller
        // still runs and still has a CSpace.
        let caller = self.client.caller.tcb;
        let ctable = self.cap(SlotRef(caller).offset(0));
        self.caller_intact &=
            matches!(ctable, Cap::CNode { .. }) && self.kernel.current_thread() == caller;
        if self.check {
            if let Err(violation) = self.kernel.check_invariants() {
                return Err(Failure {
                    step,
                    op: format!("{op:?}"),
                    violation,
                });
            }
        }
        Ok(outcome)
    }

    /// Runs a whole sequence, stopping at the first failure, or early once the
    /// caller has deleted its own CSpace (every later operation would only
    /// cap-fault).
    pub fn run_all(&mut self, ops: &[Op]) -> Result<(), Failure> {
        for op in ops {
            if !self.caller_intact {
                break;
            }
            self.run(op)?;
        }
        Ok(())
    }

    fn perform(&mut self, op: &Op) -> Outcome {
        let c = &self.client;
        match *op {
            Op::Retype {
                untyped,
                ty,
                size,
                dest,
                offset,
                count,
            } => {
                let uts = self.root_slots(|c| matches!(c, Cap::Untyped { .. }));
                let ut = uts
                    .get(untyped as usize % uts.len().max(1))
                    .copied()
                    .unwrap_or(0);
                let ty_word = Word::from(ty % 11);
                let size = match ObjectType::from_word(ty_word) {
                    _ if size >= 250 => Word::from(size) * 1000,
                    Some(ObjectType::Untyped) => 4 + Word::from(size % 12),
                    Some(ObjectType::CNode) => 1 + Word::from(size % 5),
                    _ => Word::from(size % 3),
                };
                let (root, index, depth) = self.resolve(dest);
                let depth = if dest.levels % 4 == 0 { 0 } else { depth };
                // Offsets into the first slots, where the walks look.
                let offset = offset % 40;
                let msg = UntypedRetype {
                    object_type: ty_word,
                    size_bits: size,
                    root,
                    node_index: index,
                    node_depth: depth,
                    node_offset: Word::from(offset % 64),
                    num_objects: 1 + Word::from(count % 3),
                };
                c.invoke(self.kernel, ut, &msg)
            }
            Op::Copy { dest, src, rights } => {
                let (d, s) = (self.resolve_dest(dest), self.resolve(src));
                c.copy(
                    self.kernel,
                    d.0,
                    d.1,
                    d.2,
                    s.0,
                    s.1,
                    s.2,
                    CapRights::from_word(rights.into()),
                )
            }
            Op::Mint {
                dest,
                src,
                rights,
                data,
            } => {
                let (d, s) = (self.resolve_dest(dest), self.resolve(src));
                let rights = CapRights::from_word(rights.into());
                c.mint(
                    self.kernel,
                    d.0,
                    d.1,
                    d.2,
                    s.0,
                    s.1,
                    s.2,
                    rights,
                    data_word(data),
                )
            }
            Op::Move { dest, src } => {
                let (d, s) = (self.resolve_dest(dest), self.resolve(src));
                c.move_(self.kernel, d.0, d.1, d.2, s.0, s.1, s.2)
            }
            Op::Mutate { dest, src, data } => {
                let (d, s) = (self.resolve_dest(dest), self.resolve(src));
                c.mutate(self.kernel, d.0, d.1, d.2, s.0, s.1, s.2, data_word(data))
            }
            Op::Rotate {
                dest,
                pivot,
                src,
                same,
                dest_data,
                pivot_data,
            } => {
                let (d, p) = (self.resolve_dest(dest), self.resolve(pivot));
                let s = if same { d } else { self.resolve(src) };
                c.rotate(
                    self.kernel,
                    d,
                    data_word(dest_data),
                    p,
                    data_word(pivot_data),
                    s,
                )
            }
            Op::Delete(a) => self.slot_op(L::CNodeDelete, a),
            Op::Revoke(a) => self.slot_op(L::CNodeRevoke, a),
            Op::CancelBadgedSends(a) => self.slot_op(L::CNodeCancelBadgedSends, a),
            Op::SaveCaller(a) => {
                let (root, index, depth) = self.resolve_dest(a);
                self.client
                    .slot_op(self.kernel, L::CNodeSaveCaller, root, index, depth)
            }
            Op::Raw {
                cptr,
                label,
                mrs,
                len,
                extra,
                extra_count,
            } => {
                let extra: Vec<CPtr> = extra[..(extra_count % 4) as usize]
                    .iter()
                    .map(|&x| x.into())
                    .collect();
                // Any label, registers and caps: deliberately not the table's shape.
                let label = Word::from(label % 40);
                let msg = Message::raw(label, &mrs[..(len % 9) as usize], &extra);
                // Mostly addresses of the root CNode's slots (which resolve).
                c.send(self.kernel, u64::from(cptr % 512), &msg)
            }
        }
    }

    fn slot_op(&mut self, label: L, a: Addr) -> Outcome {
        let (root, index, depth) = self.resolve(a);
        self.client.slot_op(self.kernel, label, root, index, depth)
    }
}
