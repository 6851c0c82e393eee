//! `selvm bench vm --counts`: dynamic opcode and opcode-pair frequencies of the benchmark
//! programs, the measurement that superinstructions are chosen by. The interpreter is not
//! instrumented: each program runs one instruction at a time (budget 1) and the op at the
//! thread's pc is read before each step, so the counts are exact and cost nothing when
//! not asked for. A pair is counted when the second instruction directly follows the
//! first in the code (fall-through), the only pairs one fused instruction can replace.

use crate::failure::Failure;
use selvm_bytecode::Op;
use selvm_vm::{FlatMemory, Module, Stop, Thread};
use std::collections::HashMap;

/// Dynamic counts of one or more runs.
#[derive(Default)]
pub struct Counts {
    /// Instructions executed (bulk operations once, however many chunks).
    pub total: u64,
    ops: HashMap<Op, u64>,
    pairs: HashMap<(Op, Op), u64>,
}

impl Counts {
    /// Runs `module`'s entry function to completion one instruction at a time, adding
    /// what it executes.
    pub fn run(&mut self, module: &Module) -> Result<(), String> {
        let mut stack = vec![0; 1 << 20];
        let entry = module.entry().ok_or("no entry point")?;
        let mut thread = Thread::new(module, &mut stack, entry, &[], 10_000)
            .map_err(|e| format!("cannot start: {e:?}"))?;
        let mut memory = FlatMemory::for_module(module);
        let code = module.code();
        let mut previous: Option<(u32, Op)> = None;
        loop {
            let pc = thread.position().1;
            let op = code[pc as usize].op();
            let resumed_bulk = previous == Some((pc, op));
            if !resumed_bulk {
                self.total += 1;
                *self.ops.entry(op).or_default() += 1;
                if let Some((before, first)) = previous
                    && before + 1 == pc
                {
                    *self.pairs.entry((first, op)).or_default() += 1;
                }
            }
            previous = Some((pc, op));
            match thread.run(module, &mut stack, &mut memory, 1).stop {
                Stop::Budget => {}
                Stop::Returned => return Ok(()),
                other => return Err(format!("stopped: {other:?}")),
            }
        }
    }

    /// Prints the `top` most frequent ops and fall-through pairs as Markdown tables.
    pub fn print(&self, top: usize) -> Result<(), Failure> {
        let share = |n: u64| 100.0 * n as f64 / self.total.max(1) as f64;
        outln!("| op | executed | share |")?;
        outln!("|---|---:|---:|")?;
        for (op, n) in sorted(&self.ops).into_iter().take(top) {
            outln!("| `{}` | {n} | {:.1} % |", op.mnemonic(), share(n))?;
        }
        outln!()?;
        outln!("| pair (fall-through) | executed | share of instructions |")?;
        outln!("|---|---:|---:|")?;
        for ((a, b), n) in sorted(&self.pairs).into_iter().take(top) {
            outln!(
                "| `{}` → `{}` | {n} | {:.1} % |",
                a.mnemonic(),
                b.mnemonic(),
                share(n)
            )?;
        }
        Ok(())
    }
}

/// The entries by count, highest first (ties by name, so the output is stable).
fn sorted<K: Copy + std::fmt::Debug>(map: &HashMap<K, u64>) -> Vec<(K, u64)> {
    let mut v: Vec<_> = map.iter().map(|(&k, &n)| (k, n)).collect();
    v.sort_by(|x, y| {
        y.1.cmp(&x.1)
            .then_with(|| format!("{:?}", x.0).cmp(&format!("{:?}", y.0)))
    });
    v
}
