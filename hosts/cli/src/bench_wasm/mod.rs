//! `selvm bench wasm`: register vs stack. Runs the compute programs of `user/bench/`
//! (committed wasm32 modules, [`programs`]) in wasmi 2.x (register-based), wasmi 0.31
//! (the last stack-based wasmi) and dx + the seLVM machine with flat memory (each
//! dispatch technique), all in this process; prints execution times (median of
//! `--reps` runs after a warm-up, engines interleaved run by run) with ratios to
//! wasmi 2.x and their geometric mean, preparation times, and the dynamic counts:
//! WebAssembly operators executed ([`count`]) against seLVM instructions executed.
//! `--profile` adds operator histograms. Not a test: it checks only the checksums.

mod count;
mod engines;
mod hosted;
mod profile;
pub mod programs;

use crate::failure::Failure;
use crate::options::{grouped, whole};
use clap::Args;
use engines::{Engine, Prepared, SELVM_LOOP, WASMI2, WASMI031, prepare};
use programs::{PROGRAMS, Program};
use std::io::Write;
use std::time::{Duration, Instant};

/// Options of `selvm bench wasm`.
#[derive(Args)]
pub struct WasmBenchArgs {
    /// Timed runs per program and engine (the median is reported; 1 to 1000).
    #[arg(long, default_value_t = 7, value_parser = whole::<usize, 1, 1000>)]
    reps: usize,
    /// Only the programs with these names (repeatable).
    #[arg(long, help = format!(
        "Only the programs with these names (repeatable): {}",
        PROGRAMS.iter().map(|p| p.name).collect::<Vec<_>>().join(", ")
    ))]
    only: Vec<String>,
    /// Skip the operator counts (the instrumented run).
    #[arg(long)]
    no_counts: bool,
    /// Also print, per program, the most executed wasm operators, seLVM ops and seLVM
    /// op pairs (steps the machine one instruction at a time: slow).
    #[arg(long)]
    profile: bool,
    /// Run each program with its small argument (a quick check of the whole pipeline;
    /// the times mean little).
    #[arg(long)]
    small: bool,
    /// Rows in each `--profile` list (1 to 1000).
    #[arg(long, default_value_t = 12, value_parser = whole::<usize, 1, 1000>)]
    top: usize,
    /// Instead: each program as a hosted root task on each memory back end (the
    /// software MMU, the mmap back end) against flat memory.
    #[arg(long, conflicts_with = "profile")]
    hosted: bool,
}

/// One program's measurements.
struct Measured {
    program: &'static Program,
    /// Per engine (in [`Engine::all`] order): preparation time and median run time.
    prepare: Vec<Duration>,
    /// Median time in dx and in `Module::load` (seLVM loop's preparations).
    stages: (Duration, Duration),
    median: Vec<Duration>,
    /// seLVM instructions executed by `run(n)`.
    instructions: u64,
    /// Counted wasm operators executed by `run(n)`, if counted.
    wasm_ops: Option<u64>,
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn measure(p: &'static Program, reps: usize, counts: bool) -> Result<Measured, String> {
    let fail = |engine: Engine, e: String| format!("{}: {}: {e}", p.name, engine.name());
    // Preparation is timed `reps` times too (the median is reported); the last one runs.
    let mut prepare_times = vec![Vec::with_capacity(reps); Engine::all().len()];
    let mut engines: Vec<Prepared> = Vec::new();
    let (mut dx_times, mut load_times) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        engines = Engine::all()
            .iter()
            .map(|&e| prepare(e, p.wasm).map_err(|m| fail(e, m)))
            .collect::<Result<_, _>>()?;
        for (times, e) in prepare_times.iter_mut().zip(&engines) {
            times.push(e.prepare);
        }
        let (dx, load) = engines[SELVM_LOOP].stages.unwrap_or_default();
        dx_times.push(dx);
        load_times.push(load);
    }
    // Warm-up, which also checks every engine's checksum.
    let mut instructions = 0;
    for (engine, prepared) in Engine::all().iter().zip(&mut engines) {
        let (result, executed) = (prepared.run)(p.n).map_err(|e| fail(*engine, e))?;
        if result != p.checksum {
            return Err(fail(
                *engine,
                format!("checksum {result}, expected {}", p.checksum),
            ));
        }
        instructions = executed.unwrap_or(instructions);
    }
    let mut times = vec![Vec::with_capacity(reps); engines.len()];
    for _ in 0..reps {
        for (i, prepared) in engines.iter_mut().enumerate() {
            let start = Instant::now();
            (prepared.run)(p.n).map_err(|e| fail(Engine::all()[i], e))?;
            times[i].push(start.elapsed());
        }
    }
    let wasm_ops = if counts { Some(count_ops(p)?.0) } else { None };
    Ok(Measured {
        program: p,
        prepare: prepare_times.into_iter().map(median).collect(),
        stages: (median(dx_times), median(load_times)),
        median: times.into_iter().map(median).collect(),
        instructions,
        wasm_ops,
    })
}

/// Runs the instrumented module in wasmi 2.x: counted operators executed, the
/// instrumentation and the counters' values.
fn count_ops(p: &Program) -> Result<(u64, count::Instrumented, Vec<u64>), String> {
    let fail = |e: String| format!("{}: counting: {e}", p.name);
    let inst = count::instrument(p.wasm).map_err(fail)?;
    let (counters, result) = run_counters(&inst, p.n).map_err(fail)?;
    if result != p.checksum {
        return Err(fail(format!(
            "instrumented checksum {result}, expected {}",
            p.checksum
        )));
    }
    let total = inst
        .segments
        .iter()
        .zip(&counters)
        .map(|(ops, &n)| ops.len() as u64 * n)
        .sum();
    Ok((total, inst, counters))
}

/// Runs `run(n)` of an instrumented module in wasmi 2.x: the counters and the result.
fn run_counters(inst: &count::Instrumented, n: i32) -> Result<(Vec<u64>, i64), String> {
    let engine = wasmi::Engine::default();
    let module = wasmi::Module::new(&engine, &inst.wasm).map_err(|e| e.to_string())?;
    let mut store = wasmi::Store::new(&engine, ());
    let instance = wasmi::Linker::<()>::new(&engine)
        .instantiate_and_start(&mut store, &module)
        .map_err(|e| e.to_string())?;
    let run = instance
        .get_typed_func::<i32, i64>(&store, "run")
        .map_err(|e| e.to_string())?;
    let result = run.call(&mut store, n).map_err(|e| e.to_string())?;
    let counters = (0..inst.segments.len())
        .map(|k| {
            let g = instance
                .get_global(&store, &count::Instrumented::export(k))
                .ok_or_else(|| format!("no counter {k}"))?;
            g.get(&store)
                .i64()
                .map(|v| v as u64)
                .ok_or_else(|| "counter not i64".to_string())
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok((counters, result))
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e3)
}

fn geomean(xs: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = xs.fold((0.0, 0), |(s, n), x| (s + x.ln(), n + 1));
    (sum / n as f64).exp()
}

fn print_tables(rows: &[Measured]) -> Result<(), Failure> {
    let names: Vec<String> = Engine::all().iter().map(|e| e.name()).collect();
    outln!(
        "\nExecution time of run(n), median, ms (× = time / wasmi 2.x time; lower is faster):\n"
    )?;
    outln!("| program | workload | {} |", names.join(" | "))?;
    outln!("|---|---|{}", "---:|".repeat(names.len()))?;
    for r in rows {
        let base = r.median[WASMI2].as_secs_f64();
        let cells: Vec<String> = r
            .median
            .iter()
            .enumerate()
            .map(|(i, &t)| match i {
                0 => ms(t),
                _ => format!("{} ({:.2}×)", ms(t), t.as_secs_f64() / base),
            })
            .collect();
        outln!(
            "| {} | {} | {} |",
            r.program.name,
            r.program.what,
            cells.join(" | ")
        )?;
    }
    let gm: Vec<String> = (0..names.len())
        .map(|i| {
            let g = geomean(
                rows.iter()
                    .map(|r| r.median[i].as_secs_f64() / r.median[WASMI2].as_secs_f64()),
            );
            format!("{g:.2}×")
        })
        .collect();
    outln!("| **geometric mean** | | {} |", gm.join(" | "))?;

    outln!("\nPreparation (parse, validate, translate, instantiate with memory), median, ms:\n")?;
    outln!(
        "| program | wasm bytes | wasmi 2.x (eager) | wasmi 0.31 | seLVM | of which dx | of which Module::load |"
    )?;
    outln!("|---|---:|---:|---:|---:|---:|---:|")?;
    for r in rows {
        let m = |d: Duration| format!("{:.2}", d.as_secs_f64() * 1e3);
        outln!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            r.program.name,
            grouped(r.program.wasm.len() as u64),
            m(r.prepare[WASMI2]),
            m(r.prepare[WASMI031]),
            m(r.prepare[SELVM_LOOP]),
            m(r.stages.0),
            m(r.stages.1)
        )?;
    }

    if rows.iter().all(|r| r.wasm_ops.is_some()) {
        outln!(
            "\nDynamic counts of run(n): counted wasm operators (all but block, loop, else, end, nop) vs seLVM instructions:\n"
        )?;
        outln!(
            "| program | wasm operators | seLVM instructions | seLVM per wasm op | ns per wasm op: wasmi 2.x | selvm loop | ns per seLVM instruction |"
        )?;
        outln!("|---|---:|---:|---:|---:|---:|---:|")?;
        let (mut tw, mut ts) = (0u64, 0u64);
        for r in rows {
            let w = r.wasm_ops.unwrap_or(0);
            tw += w;
            ts += r.instructions;
            outln!(
                "| {} | {} | {} | {:.3} | {:.2} | {:.2} | {:.2} |",
                r.program.name,
                grouped(w),
                grouped(r.instructions),
                r.instructions as f64 / w as f64,
                r.median[WASMI2].as_nanos() as f64 / w as f64,
                r.median[SELVM_LOOP].as_nanos() as f64 / w as f64,
                r.median[SELVM_LOOP].as_nanos() as f64 / r.instructions as f64
            )?;
        }
        let g = geomean(
            rows.iter()
                .map(|r| r.instructions as f64 / r.wasm_ops.unwrap_or(1) as f64),
        );
        outln!(
            "| **all** | {} | {} | **{:.3}** (geomean {g:.3}) | | | |",
            grouped(tw),
            grouped(ts),
            ts as f64 / tw as f64
        )?;
    }
    Ok(())
}

/// `selvm bench wasm`
pub fn wasm(a: &WasmBenchArgs) -> Result<(), Failure> {
    if let Some(o) = a
        .only
        .iter()
        .find(|o| PROGRAMS.iter().all(|p| p.name != o.as_str()))
    {
        let names: Vec<&str> = PROGRAMS.iter().map(|p| p.name).collect();
        return Err(Failure::usage(format!(
            "--only {o}: no such program (the programs: {})",
            names.join(", ")
        )));
    }
    let reps = a.reps;
    let programs: Vec<&'static Program> = PROGRAMS
        .iter()
        .filter(|p| a.only.is_empty() || a.only.iter().any(|o| o == p.name))
        .map(|p| match a.small {
            false => p,
            true => &*Box::leak(Box::new(Program {
                what: "small",
                n: p.small.0,
                checksum: p.small.1,
                ..*p
            })),
        })
        .collect();
    outln!(
        "selvm bench wasm: median of {reps} runs after a warm-up run, engines interleaved; {} build, {}; checksums verified",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        std::env::consts::ARCH
    )?;
    if a.hosted {
        let mut rows = Vec::new();
        for p in programs {
            let _ = write!(std::io::stderr(), "{} ", p.name);
            rows.push(hosted::measure(p, reps).map_err(Failure::check)?);
        }
        let _ = writeln!(std::io::stderr());
        return hosted::print(&rows);
    }
    let mut rows = Vec::new();
    for p in programs {
        let _ = write!(std::io::stderr(), "{} ", p.name);
        rows.push(measure(p, reps, !a.no_counts).map_err(Failure::check)?);
    }
    let _ = writeln!(std::io::stderr());
    print_tables(&rows)?;
    if a.profile {
        for r in &rows {
            let (_, inst, counters) = count_ops(r.program).map_err(Failure::check)?;
            profile::print(r.program, &inst.histogram(&counters), a.top)?;
        }
    }
    Ok(())
}
