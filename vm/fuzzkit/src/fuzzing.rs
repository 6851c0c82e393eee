//! What one fuzz input does, shared by the `vm_module` fuzz target and the corpus
//! replay test. The first byte picks the mode: raw `.sbc` bytes, or a generated module
//! (see [`crate::generate`]), sometimes with a few bytes corrupted afterwards. The
//! module goes through the loader and verifier; if it passes, up to three of its
//! functions run in a canary-guarded [`Sandbox`](crate::sandbox::Sandbox) with a small
//! budget, twice: in one go with the portable loop, and in slices of a few
//! instructions with another technique (call-threading, or tail calls on nightly). A panic, a changed
//! canary, a difference between the two runs, a verifier that disagrees with itself
//! step by step, or a generated module whose disassembly does not assemble back to the
//! same bytes is a finding.

use crate::generate;
use crate::sandbox::Guarded;
use arbitrary::Unstructured;
use selvm_bytecode::{Progress, Verifier};
use selvm_vm::asm::{assemble, disassemble};
use selvm_vm::{Dispatch, Module, Stop};
use std::fmt;

/// Instructions each function may run.
pub const BUDGET: u64 = 2000;

/// What happened to one input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// The input was a generated module (not raw bytes).
    pub generated: bool,
    /// The module passed the verifier.
    pub verified: bool,
    /// Instructions executed over all runs (the whole-budget run only).
    pub executed: u64,
    /// Runs that ended by returning, by a trap, by a fault, or by the budget.
    pub returned: u32,
    /// Runs that trapped.
    pub trapped: u32,
    /// Runs that faulted.
    pub faulted: u32,
    /// Runs that used up the budget.
    pub out_of_budget: u32,
}

/// A finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure(pub String);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn fail<T>(message: String) -> Result<T, Failure> {
    Err(Failure(message))
}

/// The module bytes an input describes, and whether they were generated.
pub fn module_bytes(data: &[u8]) -> (Vec<u8>, bool) {
    let Some((&mode, rest)) = data.split_first() else {
        return (Vec::new(), false);
    };
    if mode < 16 {
        return (rest.to_vec(), false);
    }
    let mut u = Unstructured::new(rest);
    let Ok(builder) = generate::module(&mut u) else {
        return (Vec::new(), false);
    };
    let mut bytes = builder.finish();
    if mode < 48 && !bytes.is_empty() {
        // A few corrupted bytes, at places and with values the input's tail chooses.
        for pair in u.take_rest().chunks_exact(3).take(4) {
            let at = u16::from_le_bytes([pair[0], pair[1]]) as usize % bytes.len();
            bytes[at] ^= pair[2];
        }
        return (bytes, false);
    }
    (bytes, true)
}

/// Runs one fuzz input; `Err` is a finding (the fuzz target panics with it).
pub fn run_fuzz_input(data: &[u8]) -> Result<Report, Failure> {
    let (bytes, generated) = module_bytes(data);
    let mut report = Report {
        generated,
        ..Report::default()
    };
    let loaded = Module::load(&bytes);
    let stepped = selvm_bytecode::Module::parse(&bytes).and_then(|m| {
        let mut v = Verifier::new(m);
        while v.step()? == Progress::More {}
        Ok(())
    });
    if loaded.as_ref().err() != stepped.as_ref().err() {
        return fail(format!(
            "load says {:?}, steps say {stepped:?}",
            loaded.err()
        ));
    }
    let Ok(module) = loaded else {
        return Ok(report);
    };
    report.verified = true;
    if generated {
        round_trip(&bytes)?;
    }
    let seed = data.last().copied().unwrap_or(0) as u64;
    for func in 0..module.functions().len().min(3) as u32 {
        run_twice(&module, func, seed, &mut report)?;
    }
    Ok(report)
}

/// Disassembling the (builder-written) module and assembling the text gives its bytes.
fn round_trip(bytes: &[u8]) -> Result<(), Failure> {
    let text = disassemble(bytes).map_err(|e| Failure(format!("disassembly: {e}")))?;
    match assemble(&text) {
        Ok(again) if again == bytes => Ok(()),
        Ok(_) => fail(format!("round trip changed the bytes:\n{text}")),
        Err(e) => fail(format!("disassembly does not assemble: {e}\n{text}")),
    }
}

/// Runs `func` once with the whole budget (dispatch loop) and once in slices of 1–8
/// instructions (another dispatch technique, picked by the seed among those built:
/// call-threading, and tail-call threading on nightly), in fresh sandboxes; both must end
/// alike and leave the same memory and stack.
fn run_twice(module: &Module, func: u32, seed: u64, report: &mut Report) -> Result<(), Failure> {
    let pages = module.container().memory_min();
    if pages > 2 {
        return Ok(()); // the sandbox stays small; the verifier has done its part
    }
    let params = module.functions()[func as usize].params as u64;
    let args: Vec<u64> = (0..params)
        .map(|i| generate::EDGES[((seed + i * 7) % 16) as usize])
        .collect();
    let start = || Guarded::start(module, func, &args, pages, 2048, 32);
    let (Ok(mut whole), Ok(mut sliced)) = (start(), start()) else {
        return Ok(()); // a context area larger than the sandbox's stack
    };
    let others = &Dispatch::ALL[1..];
    let other = others[(seed / 8) as usize % others.len()];
    (whole.dispatch, sliced.dispatch) = (Dispatch::Loop, other);
    let a = whole.drive(BUDGET, BUDGET);
    let b = sliced.drive(4 * BUDGET, 1 + seed % 8);
    for (g, name) in [(&whole, "whole"), (&sliced, "sliced")] {
        if let Err(breach) = g.sandbox.check() {
            return fail(format!(
                "function {func} ({name} run): canary changed at {breach:?}"
            ));
        }
    }
    report.executed += a.executed;
    match a.stop {
        Stop::Returned => report.returned += 1,
        Stop::Trap(_) => report.trapped += 1,
        Stop::Fault(_) => report.faulted += 1,
        _ => {
            report.out_of_budget += 1;
            return Ok(()); // the sliced run may have got further
        }
    }
    let same = a.stop == b.stop
        && a.syscalls == b.syscalls
        && whole.thread.position() == sliced.thread.position()
        && whole.sandbox.memory() == sliced.sandbox.memory()
        && whole.sandbox.stack() == sliced.sandbox.stack();
    if !same {
        return fail(format!(
            "function {func}: one run stops with {:?}, sliced runs with {:?}",
            a.stop, b.stop
        ));
    }
    Ok(())
}
