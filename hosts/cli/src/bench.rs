//! `selvm bench vm`: the register machine's benchmark program. For fib(30), a counted
//! loop, a sieve and a matrix multiply (the assembly programs in `vm/programs/`), it
//! prints instructions executed, ns per instruction and the median time over several
//! repetitions after a warm-up, per dispatch technique, and Lua 5.4 running the same
//! algorithms (`vm/programs/lua/`) in the same run. Not a test: it asserts nothing but
//! the programs' results.

use crate::counts::Counts;
use crate::failure::Failure;
use crate::options::{grouped, whole};
use clap::Args;
use selvm_vm::asm::assemble;
use selvm_vm::{Dispatch, FlatMemory, Module, Stop, Thread};
use std::process::Command;
use std::time::{Duration, Instant};

/// Options of `selvm bench vm`.
#[derive(Args)]
pub struct BenchArgs {
    /// Timed repetitions per program and engine (the median is reported; 1 to 1000).
    #[arg(long, default_value_t = 7, value_parser = whole::<usize, 1, 1000>)]
    reps: usize,
    /// The Lua 5.4 interpreter to compare with.
    #[arg(long, default_value = "lua5.4")]
    lua: String,
    /// Skip Lua.
    #[arg(long)]
    no_lua: bool,
    /// Only this dispatch technique (`loop`, `threaded`, `tail-call`), e.g. to run one
    /// technique under `valgrind --tool=callgrind`.
    #[arg(long)]
    dispatch: Option<String>,
    /// Only the programs whose name starts with this (`fib`, `loop`, `sieve`, `matmul`).
    #[arg(long)]
    program: Option<String>,
    /// Instead of timing: count the dynamic opcode and fall-through opcode-pair
    /// frequencies of each program and of all of them together.
    #[arg(long)]
    counts: bool,
    /// Rows per counts table (1 to 1000).
    #[arg(long, default_value_t = 12, value_parser = whole::<usize, 1, 1000>)]
    top: usize,
}

/// A benchmark: its name, assembly, Lua source and result (as Lua prints it).
struct Program {
    name: &'static str,
    asm: &'static str,
    lua: &'static str,
    result: &'static str,
}

macro_rules! program {
    ($name:literal, $file:literal, $result:literal) => {
        Program {
            name: $name,
            asm: include_str!(concat!("../../../vm/programs/", $file, ".s")),
            lua: include_str!(concat!("../../../vm/programs/lua/", $file, ".lua")),
            result: $result,
        }
    };
}

const PROGRAMS: [Program; 4] = [
    program!("fib(30)", "fib", "832040"),
    program!("loop 10^7", "loop", "49999995000000"),
    program!("sieve 10^5", "sieve", "9592"),
    program!("matmul 32", "matmul", "2793472.0"),
];

/// One measurement: instructions per run (if known) and the median time.
struct Row {
    engine: String,
    instructions: Option<u64>,
    median: Duration,
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Runs `module`'s entry function to completion; returns its first result register
/// and the instructions executed.
fn run_vm(module: &Module, dispatch: Dispatch) -> Result<(u64, u64), String> {
    let mut stack = vec![0; 1 << 20];
    let entry = module.entry().ok_or("no entry point")?;
    let mut thread = Thread::new(module, &mut stack, entry, &[], 10_000)
        .map_err(|e| format!("cannot start: {e:?}"))?;
    let mut memory = FlatMemory::for_module(module);
    match thread.run_with(dispatch, module, &mut stack, &mut memory, u64::MAX) {
        exit if exit.stop == Stop::Returned => Ok((thread.registers(&mut stack)[0], exit.executed)),
        exit => Err(format!("stopped: {:?}", exit.stop)),
    }
}

fn bench_vm(p: &Program, dispatch: Dispatch, reps: usize) -> Result<Row, String> {
    let bytes = assemble(p.asm).map_err(|e| format!("{}: {e}", p.name))?;
    let module = Module::load(&bytes).map_err(|e| format!("{}: {e}", p.name))?;
    let (result, instructions) = run_vm(&module, dispatch)?; // warm-up
    let shown = match p.name {
        "matmul 32" => format!("{:?}", f64::from_bits(result)),
        _ => result.to_string(),
    };
    if shown != p.result {
        return Err(format!("{}: result {shown}, expected {}", p.name, p.result));
    }
    let times = (0..reps)
        .map(|_| {
            let start = Instant::now();
            run_vm(&module, dispatch).map(|_| start.elapsed())
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Row {
        engine: format!("selvm {}", dispatch.name()),
        instructions: Some(instructions),
        median: median(times),
    })
}

/// Runs the Lua version in one `lua` process: a warm-up, then `reps` timed runs
/// (`os.clock`, CPU time, so process start-up is not counted).
fn bench_lua(p: &Program, lua: &str, reps: usize) -> Result<Row, String> {
    let driver = format!(
        "local run = load([==[{}]==])() \
         assert(tostring(run()) == '{}', 'wrong result') \
         for _ = 1, {reps} do local t = os.clock(); run(); print(os.clock() - t) end",
        p.lua, p.result
    );
    let out = Command::new(lua)
        .args(["-e", &driver])
        .output()
        .map_err(|e| format!("{lua}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{lua}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    // `--lua` may name any program: its output is checked, not trusted.
    let text = String::from_utf8_lossy(&out.stdout);
    let times = text
        .lines()
        .map(|l| {
            let seconds = l.trim().parse::<f64>().ok();
            seconds.and_then(|s| Duration::try_from_secs_f64(s).ok())
        })
        .collect::<Option<Vec<_>>>()
        .filter(|t| t.len() == reps)
        .ok_or_else(|| {
            let head: String = text.chars().take(60).collect();
            format!(
                "{lua}: printed `{}`, not {reps} times in seconds",
                head.escape_debug()
            )
        })?;
    Ok(Row {
        engine: "lua5.4".into(),
        instructions: None,
        median: median(times),
    })
}

/// Whether `lua` runs at all.
fn lua_available(lua: &str) -> bool {
    Command::new(lua)
        .args(["-e", "assert(_VERSION == 'Lua 5.4')"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The programs `--program` selects (all without it); a usage error if none.
fn selected(a: &BenchArgs) -> Result<Vec<&'static Program>, Failure> {
    let chosen: Vec<&Program> = PROGRAMS
        .iter()
        .filter(|p| {
            a.program
                .as_ref()
                .is_none_or(|n| p.name.starts_with(n.as_str()))
        })
        .collect();
    if chosen.is_empty() {
        let names: Vec<&str> = PROGRAMS.iter().map(|p| p.name).collect();
        return Err(Failure::usage(format!(
            "--program {}: no program's name starts with it (the programs: {})",
            a.program.as_deref().unwrap_or_default(),
            names.join(", ")
        )));
    }
    Ok(chosen)
}

/// `selvm bench vm --counts`: the dynamic counts per program and in total.
fn counts(a: &BenchArgs) -> Result<(), Failure> {
    let mut all = Counts::default();
    for p in selected(a)? {
        let fail = |e: String| Failure::check(format!("{}: {e}", p.name));
        let bytes = assemble(p.asm).map_err(|e| fail(e.to_string()))?;
        let module = Module::load(&bytes).map_err(|e| fail(e.to_string()))?;
        let mut one = Counts::default();
        one.run(&module).map_err(fail)?;
        all.run(&module).map_err(fail)?;
        outln!("### {} ({} instructions)\n", p.name, grouped(one.total))?;
        one.print(a.top)?;
        outln!()?;
    }
    outln!("### all programs ({} instructions)\n", grouped(all.total))?;
    all.print(a.top)
}

/// `selvm bench vm`
pub fn vm(a: &BenchArgs) -> Result<(), Failure> {
    let programs = selected(a)?;
    let dispatches: Vec<Dispatch> = Dispatch::ALL
        .iter()
        .copied()
        .filter(|d| a.dispatch.as_ref().is_none_or(|n| n == d.name()))
        .collect();
    if dispatches.is_empty() {
        let names: Vec<_> = Dispatch::ALL.iter().map(|d| d.name()).collect();
        return Err(Failure::usage(format!(
            "--dispatch {}: no such dispatch technique (built: {})",
            a.dispatch.as_deref().unwrap_or_default(),
            names.join(", ")
        )));
    }
    if a.counts {
        return counts(a);
    }
    let reps = a.reps;
    let lua = !a.no_lua && lua_available(&a.lua);
    outln!(
        "selvm bench vm: median of {reps} runs after a warm-up run; {} build, {}",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        std::env::consts::ARCH
    )?;
    if !a.no_lua && !lua {
        outln!(
            "note: `{}` (Lua 5.4) not found: Lua skipped (scripts/setup.sh installs lua5.4)",
            a.lua
        )?;
    }
    outln!("| program | engine | instructions | ns/instruction | median time | time vs Lua |")?;
    outln!("|---|---|---:|---:|---:|---:|")?;
    for p in programs {
        let mut rows = dispatches
            .iter()
            .map(|&d| bench_vm(p, d, reps))
            .collect::<Result<Vec<_>, _>>()
            .map_err(Failure::check)?;
        if lua {
            rows.push(bench_lua(p, &a.lua, reps).map_err(Failure::check)?);
        }
        let lua_time = rows
            .iter()
            .find(|r| r.instructions.is_none())
            .map(|r| r.median);
        for r in &rows {
            let (count, per) = match r.instructions {
                Some(n) => (
                    grouped(n),
                    format!("{:.2}", r.median.as_nanos() as f64 / n as f64),
                ),
                None => ("—".into(), "—".into()),
            };
            let ratio = lua_time.map_or("—".into(), |l| {
                format!("{:.2}×", r.median.as_secs_f64() / l.as_secs_f64())
            });
            outln!(
                "| {} | {} | {count} | {per} | {:.1} ms | {ratio} |",
                p.name,
                r.engine,
                r.median.as_secs_f64() * 1e3
            )?;
        }
    }
    Ok(())
}
