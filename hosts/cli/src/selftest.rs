//! `selvm selftest`: a scripted walk through the capability system on a freshly
//! booted kernel, then a random stress run checked after every step.

use crate::failure::Failure;
use crate::options::whole;
use clap::Args;
use selvm_abi::{CapRights, InvocationLabel as L, ObjectType, boot as slots};
use selvm_kernel::slot::SlotMemory;
use selvm_kernel::{BootConfig, Outcome};
use selvm_kernel_testkit::system::largest_untyped;
use selvm_kernel_testkit::{Client, Executor, Histogram, Op, TestKernel, TestMemory};
use std::io::Write;
use std::time::Instant;

/// Self-test options.
#[derive(Args, Debug, Clone)]
pub struct Options {
    /// Random operations in the stress run (1 to 10^9).
    #[arg(long, default_value_t = 20_000, value_parser = whole::<u64, 1, 1_000_000_000>)]
    steps: u64,
    /// Seed of the stress run (runs are deterministic per seed; 0 to 2^64 - 1).
    #[arg(long, default_value_t = 1, value_parser = whole::<u64, 0, { u64::MAX }>)]
    seed: u64,
    /// RAM of the demo kernel, in MiB (1 to 1024).
    #[arg(long, value_name = "MIB", default_value_t = 16, value_parser = whole::<u64, 1, 1024>)]
    memory: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            steps: 20_000,
            seed: 1,
            memory: 16,
        }
    }
}

fn expect(what: &str, got: Outcome, want: Outcome) -> Result<(), Failure> {
    outln!("  {what:<58} {got:?}")?;
    if got == want {
        Ok(())
    } else {
        Err(Failure::check(format!(
            "{what}: expected {want:?}, got {got:?}"
        )))
    }
}

/// An invariant the checker found broken, as a failure.
fn broken(v: impl std::fmt::Debug) -> Failure {
    Failure::check(format!("invariant broken: {v:?}"))
}

fn demo(k: &mut TestKernel<'_>, summary: &selvm_kernel::BootSummary) -> Result<(), Failure> {
    let c = Client::new(summary.root_tcb);
    let root = slots::CAP_INIT_THREAD_CNODE;
    let e = summary.empty.start;
    let ut = largest_untyped(summary);
    outln!(
        "boot: root CNode radix {}, {} untyped caps, first free slot {e}",
        slots::ROOT_CNODE_RADIX,
        summary.untyped.len()
    )?;
    let done = Outcome::Done;
    expect(
        "retype 2 endpoints",
        c.retype(k, ut, ObjectType::Endpoint, 0, root, 0, 0, e, 2),
        done,
    )?;
    expect(
        "retype a CNode of 16 slots",
        c.retype(k, ut, ObjectType::CNode, 4, root, 0, 0, e + 2, 1),
        done,
    )?;
    expect(
        "mint endpoint with badge 42, write-only",
        c.mint(k, root, e + 3, 64, root, e, 64, CapRights::from_word(1), 42),
        done,
    )?;
    expect(
        "mint again from the badged copy (refused)",
        c.mint(k, root, e + 4, 64, root, e + 3, 64, CapRights::ALL, 7),
        Outcome::Error(selvm_kernel::SyscallError::IllegalOperation),
    )?;
    expect(
        "copy the badged cap into the CNode",
        c.copy(k, root, e + 4, 64, root, e + 3, 64, CapRights::ALL),
        done,
    )?;
    expect(
        "move the copy to another slot (keeps its CDT place)",
        c.move_(k, root, e + 5, 64, root, e + 4, 64),
        done,
    )?;
    expect(
        "revoke the original endpoint cap",
        c.slot_op(k, L::CNodeRevoke, root, e, 64),
        done,
    )?;
    let gone = k
        .memory()
        .cap(k.boot_objects().root_cnode.offset(e + 3))
        .is_null()
        && k.memory()
            .cap(k.boot_objects().root_cnode.offset(e + 5))
            .is_null();
    outln!("  badged children gone after revoke: {gone}")?;
    if !gone {
        return Err(Failure::check("revoke left badged children behind"));
    }
    expect(
        "delete the CNode (last cap)",
        c.slot_op(k, L::CNodeDelete, root, e + 2, 64),
        done,
    )?;
    expect(
        "revoke the untyped (all objects)",
        c.slot_op(k, L::CNodeRevoke, root, ut, 64),
        done,
    )?;
    let census = k.check_invariants().map_err(broken)?;
    outln!("  invariants hold: {census:?}")?;
    Ok(())
}

/// Threads through the real syscall entry: three workers, priorities, the
/// root thread stepping aside, round robin on timer ticks, yield.
fn threads_demo() -> Result<(), Failure> {
    use selvm_abi::Syscall;
    use selvm_abi::args::{TcbResume, TcbSuspend};
    use selvm_kernel_testkit::msg;
    use selvm_kernel_testkit::threads::{invoke, spawn, syscall};
    let mut mem = TestMemory::new(1 << 20);
    let (mut k, summary) = mem.boot_small();
    let me = slots::CAP_INIT_THREAD_TCB;
    let ts = spawn(&mut k, &summary, 40, 3, 100);
    let name = |k: &TestKernel<'_>, t: u64| match ts.iter().position(|w| w.tcb == t) {
        Some(i) => format!("worker {i}"),
        None if t == k.idle_thread() => "idle".to_string(),
        None => "root".to_string(),
    };
    let r = invoke(&mut k, ts[2].cptr, &msg::set_priority(50, me));
    outln!(
        "threads: 3 workers at priority 100, worker 2 lowered to 50 (reply label {})",
        r.label
    )?;
    for t in &ts {
        invoke(&mut k, t.cptr, &TcbResume {});
    }
    invoke(&mut k, me, &TcbSuspend {});
    outln!(
        "  root suspends itself; running: {}",
        name(&k, k.current_thread())
    )?;
    let mut order = Vec::new();
    for _ in 0..10 {
        k.timer_tick();
        order.push(name(&k, k.current_thread()));
    }
    outln!("  after each of 10 timer ticks: {}", order.join(", "))?;
    let before = k.current_thread();
    syscall(&mut k, Syscall::Yield, 0, 0, &[], &[]);
    outln!(
        "  {} yields; running: {}",
        name(&k, before),
        name(&k, k.current_thread())
    )?;
    for t in &ts[..2] {
        let cur = k.current_thread();
        let cptr = ts.iter().find(|w| w.tcb == cur).map_or(t.cptr, |w| w.cptr);
        invoke(&mut k, cptr, &TcbSuspend {});
    }
    outln!(
        "  both priority-100 workers suspend; running: {}",
        name(&k, k.current_thread())
    )?;
    if k.current_thread() != ts[2].tcb {
        return Err(Failure::check("the priority-50 worker should run last"));
    }
    let census = k.check_invariants().map_err(broken)?;
    outln!("  invariants hold: {census:?}")?;
    Ok(())
}

fn stress(options: &Options) -> Result<Histogram, Failure> {
    let mut total = Histogram::default();
    let mut x = options.seed;
    let started = Instant::now();
    let mut runs = 0u64;
    while total.total() < options.steps {
        let bytes = selvm_kernel_testkit::ops::lcg_bytes(&mut x, 4096);
        let mut mem = TestMemory::new(1 << 20);
        let (mut k, summary) = mem.boot_small();
        let mut ex = Executor::new(&mut k, &summary);
        ex.setup_multilevel(&summary);
        ex.run_all(&Op::sequence(&bytes, 300))
            .map_err(|f| Failure::check(f.to_string()))?;
        total.merge(&ex.histogram);
        runs += 1;
        if runs % 50 == 0 {
            let _ = writeln!(
                std::io::stderr(),
                "  … {} steps, {:.1}s",
                total.total(),
                started.elapsed().as_secs_f64()
            );
        }
    }
    Ok(total)
}

/// Runs the self-test.
pub fn run(options: &Options) -> Result<(), Failure> {
    outln!("seLVM kernel self-test (seL4 13.0.0 non-MCS semantics)")?;
    let mut mem = TestMemory::new((options.memory as usize) << 20);
    let (mut k, summary) = mem.boot(&BootConfig::default());
    demo(&mut k, &summary)?;
    threads_demo()?;
    outln!(
        "stress: {} random operations on a multi-level CSpace, checker after each",
        options.steps
    )?;
    let started = Instant::now();
    let h = stress(options)?;
    outln!("{h}")?;
    outln!(
        "self-test passed: {} operations, invariants held after every step ({:.1}s)",
        h.total(),
        started.elapsed().as_secs_f64()
    )?;
    Ok(())
}
