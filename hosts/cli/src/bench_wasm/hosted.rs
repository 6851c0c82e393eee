//! `selvm bench wasm --hosted`: each program as the root task of a hosted machine (the
//! kernel, a VSpace, the timer tick every 100,000 instructions), once on each memory
//! back end (the software MMU, and the mmap back end where the host has it), against
//! the same program on the interpreter with flat memory, interleaved run by run.
//! The root task is the module with an added `_start` that calls `run(n)` and
//! traps unless the checksum is right, so a run that finishes checked its result.

use super::engines::{Engine, prepare};
use super::programs::Program;
use crate::failure::Failure;
use selvm_machine::{Config, Exit, Machine, MemoryBackend};
use selvm_vm::Dispatch;
use std::time::{Duration, Instant};
use wasm_encoder::reencode::{Error as ReencodeError, Reencode, utils};
use wasm_encoder::{Function, Instruction};
use wasmparser::{Parser, Payload};

/// RAM of the benchmark machines (MiB).
const RAM_MIB: usize = 64;

/// One program's medians: flat memory, then each back end of [`backends`].
pub struct Row {
    program: &'static Program,
    flat: Duration,
    hosted: Vec<Duration>,
    /// Instructions the machine ran (kernel ticks' slices included), per back end.
    instructions: Vec<u64>,
    /// Frames the mmap back end mapped in a run (0 for the software MMU).
    maps: u64,
}

/// The back ends this host has, in table order.
fn backends() -> Vec<MemoryBackend> {
    [MemoryBackend::Soft, MemoryBackend::Mmap]
        .into_iter()
        .filter(|b| b.available())
        .collect()
}

/// Adds `_start` to a module: `run(n)`, then `unreachable` unless it gave `checksum`.
struct Starter {
    types: u32,
    functions: u32,
    run: u32,
    n: i32,
    checksum: i64,
}

impl Reencode for Starter {
    type Error = std::convert::Infallible;

    fn parse_type_section(
        &mut self,
        types: &mut wasm_encoder::TypeSection,
        section: wasmparser::TypeSectionReader<'_>,
    ) -> Result<(), ReencodeError<Self::Error>> {
        utils::parse_type_section(self, types, section)?;
        types.ty().function([], []);
        Ok(())
    }

    fn parse_function_section(
        &mut self,
        functions: &mut wasm_encoder::FunctionSection,
        section: wasmparser::FunctionSectionReader<'_>,
    ) -> Result<(), ReencodeError<Self::Error>> {
        utils::parse_function_section(self, functions, section)?;
        functions.function(self.types);
        Ok(())
    }

    fn parse_export_section(
        &mut self,
        exports: &mut wasm_encoder::ExportSection,
        section: wasmparser::ExportSectionReader<'_>,
    ) -> Result<(), ReencodeError<Self::Error>> {
        utils::parse_export_section(self, exports, section)?;
        exports.export("_start", wasm_encoder::ExportKind::Func, self.functions);
        Ok(())
    }

    fn parse_code_section(
        &mut self,
        code: &mut wasm_encoder::CodeSection,
        section: wasmparser::CodeSectionReader<'_>,
    ) -> Result<(), ReencodeError<Self::Error>> {
        utils::parse_code_section(self, code, section)?;
        let mut f = Function::new([]);
        f.instruction(&Instruction::I32Const(self.n));
        f.instruction(&Instruction::Call(self.run));
        f.instruction(&Instruction::I64Const(self.checksum));
        f.instruction(&Instruction::I64Ne);
        f.instruction(&Instruction::If(wasm_encoder::BlockType::Empty));
        f.instruction(&Instruction::Unreachable);
        f.instruction(&Instruction::End);
        f.instruction(&Instruction::End);
        code.function(&f);
        Ok(())
    }
}

/// `p` as a root task (`.sbc`): its module with the `_start` of [`Starter`], through dx.
pub fn root_task(p: &Program) -> Result<Vec<u8>, String> {
    let err = |e: wasmparser::BinaryReaderError| e.to_string();
    let (mut types, mut functions, mut run) = (0, 0, None);
    for payload in Parser::new(0).parse_all(p.wasm) {
        match payload.map_err(err)? {
            Payload::TypeSection(s) => types = s.count(),
            Payload::ImportSection(s) => {
                for import in s.into_imports() {
                    if matches!(import.map_err(err)?.ty, wasmparser::TypeRef::Func(_)) {
                        functions += 1;
                    }
                }
            }
            Payload::FunctionSection(s) => functions += s.count(),
            Payload::ExportSection(s) => {
                for e in s {
                    let e = e.map_err(err)?;
                    if e.name == "_start" {
                        return Err("the module already exports _start".into());
                    }
                    if e.name == "run" && e.kind == wasmparser::ExternalKind::Func {
                        run = Some(e.index);
                    }
                }
            }
            _ => {}
        }
    }
    let run = run.ok_or("no exported function `run`")?;
    let mut starter = Starter {
        types,
        functions,
        run,
        n: p.n,
        checksum: p.checksum,
    };
    let mut module = wasm_encoder::Module::new();
    starter
        .parse_core_module(&mut module, Parser::new(0), p.wasm)
        .map_err(|e| format!("adding _start: {e}"))?;
    let wasm = module.finish();
    let t = selvm_dx::translate(&wasm, &selvm_dx::Options::default())
        .map_err(|e| format!("dx: {e}"))?;
    Ok(t.sbc)
}

/// One run of `image` on `memory`: time from the first step to the end (boot not
/// included), instructions, and frames the mmap back end mapped.
fn run_hosted(image: &[u8], memory: MemoryBackend) -> Result<(Duration, u64, u64), String> {
    let config = Config {
        memory,
        ..Config::default()
    };
    let ram = vec![0u64; (RAM_MIB << 20) / 8];
    let mut m = Machine::boot(ram, image, config).map_err(|e| format!("boot: {e}"))?;
    let start = Instant::now();
    let exit = m.run_to_exit(|_| {});
    let time = start.elapsed();
    if exit != Exit::Finished {
        return Err(format!("{} back end: {exit:?}", memory.name()));
    }
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    let maps = m.mapping_counts().maps;
    #[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
    let maps = 0;
    Ok((time, m.instructions, maps))
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Measures `p`: flat memory with the machine's dispatch, then hosted on each back end.
pub fn measure(p: &'static Program, reps: usize) -> Result<Row, String> {
    let fail = |e: String| format!("{}: hosted: {e}", p.name);
    let image = root_task(p).map_err(fail)?;
    let mut flat = prepare(Engine::Selvm(Dispatch::DEFAULT), p.wasm).map_err(fail)?;
    let backends = backends();
    let (mut flat_times, mut hosted) = (Vec::new(), vec![Vec::new(); backends.len()]);
    let (mut instructions, mut maps) = (vec![0; backends.len()], 0);
    // A warm-up round first (also checks every result), then `reps` timed ones.
    for round in 0..=reps {
        let start = Instant::now();
        let (result, _) = (flat.run)(p.n).map_err(fail)?;
        let t = start.elapsed();
        if result != p.checksum {
            return Err(fail(format!("flat: checksum {result}")));
        }
        if round > 0 {
            flat_times.push(t);
        }
        for (i, &b) in backends.iter().enumerate() {
            let (t, executed, mapped) = run_hosted(&image, b).map_err(fail)?;
            instructions[i] = executed;
            maps = maps.max(mapped);
            if round > 0 {
                hosted[i].push(t);
            }
        }
    }
    Ok(Row {
        program: p,
        flat: median(flat_times),
        hosted: hosted.into_iter().map(median).collect(),
        instructions,
        maps,
    })
}

/// Prints the hosted table.
pub fn print(rows: &[Row]) -> Result<(), Failure> {
    let backends = backends();
    let dispatch = Dispatch::DEFAULT.name();
    outln!(
        "\nHosted root tasks (the kernel, a VSpace, a tick every 100,000 instructions), median, ms \
         (× = time / flat memory, the same dispatch: {dispatch}):\n"
    )?;
    let names: Vec<String> = backends
        .iter()
        .map(|b| format!("hosted {}", b.name()))
        .collect();
    outln!(
        "| program | flat memory | {} | instructions (hosted) | frames mapped (mmap) |",
        names.join(" | ")
    )?;
    outln!("|---|---:|{}---:|---:|", "---:|".repeat(names.len()))?;
    for r in rows {
        let base = r.flat.as_secs_f64();
        let cells: Vec<String> = r
            .hosted
            .iter()
            .map(|t| format!("{} ({:.2}×)", super::ms(*t), t.as_secs_f64() / base))
            .collect();
        outln!(
            "| {} | {} | {} | {} | {} |",
            r.program.name,
            super::ms(r.flat),
            cells.join(" | "),
            crate::options::grouped(r.instructions.first().copied().unwrap_or(0)),
            r.maps
        )?;
    }
    let gm: Vec<String> = (0..backends.len())
        .map(|i| {
            let g = super::geomean(
                rows.iter()
                    .map(|r| r.hosted[i].as_secs_f64() / r.flat.as_secs_f64()),
            );
            format!("{g:.2}×")
        })
        .collect();
    outln!("| **geometric mean** | 1.00× | {} | | |", gm.join(" | "))?;
    Ok(())
}
