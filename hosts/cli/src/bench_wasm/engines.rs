//! The engines `selvm bench wasm` compares, behind one shape: [`prepare`] loads a module
//! (timed separately) and returns a closure that runs `run(n)` once.

use selvm_vm::{Dispatch, FlatMemory, Module, Stop, Thread};
use std::time::{Duration, Instant};

/// An engine of the comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// wasmi 2.x: translates wasm to its own register bytecode (eager compilation).
    Wasmi2,
    /// wasmi 2.x with fuel metering on, as seLVM always meters (its budget).
    Wasmi2Fuel,
    /// wasmi 0.31: the last stack-based wasmi.
    Wasmi031,
    /// dx, then the seLVM machine with flat memory, with the given dispatch.
    Selvm(Dispatch),
}

impl Engine {
    /// Every engine, in table order: the wasmi peers, then seLVM under every dispatch
    /// technique the build has ([`Dispatch::ALL`]: sibling calls where the build can
    /// rely on them, tail calls with the nightly-only `tail-calls` feature).
    pub fn all() -> Vec<Engine> {
        let peers = [Engine::Wasmi2, Engine::Wasmi2Fuel, Engine::Wasmi031];
        let selvm = Dispatch::ALL.iter().map(|&d| Engine::Selvm(d));
        peers.into_iter().chain(selvm).collect()
    }

    /// The name in tables.
    pub fn name(self) -> String {
        match self {
            Engine::Wasmi2 => "wasmi 2.x".into(),
            Engine::Wasmi2Fuel => "wasmi 2.x fuel".into(),
            Engine::Wasmi031 => "wasmi 0.31".into(),
            Engine::Selvm(d) => format!("selvm {}", d.name()),
        }
    }
}

/// The index of wasmi 2.x in [`Engine::all`], the baseline of the ratios.
pub const WASMI2: usize = 0;
/// The index of seLVM with the loop dispatch in [`Engine::all`].
pub const SELVM_LOOP: usize = 3;
/// The index of wasmi 0.31 in [`Engine::all`].
pub const WASMI031: usize = 2;

/// The result of `run(n)` and, for seLVM, the instructions the machine executed.
pub type RunResult = Result<(i64, Option<u64>), String>;

/// A loaded module, ready to run.
pub struct Prepared {
    /// Time to parse, validate and translate (wasmi: `Module::new` + instantiation;
    /// seLVM: dx + `Module::load`, which verifies and decodes, + the flat memory).
    pub prepare: Duration,
    /// For seLVM: the part of `prepare` spent in dx, and in `Module::load`.
    pub stages: Option<(Duration, Duration)>,
    /// Runs `run(n)` once in the same instance (the programs set up their own data).
    pub run: Box<dyn FnMut(i32) -> RunResult>,
}

/// Loads `wasm` into `engine`.
pub fn prepare(engine: Engine, wasm: &[u8]) -> Result<Prepared, String> {
    let start = Instant::now();
    let (run, stages) = match engine {
        Engine::Wasmi2 => (wasmi2(wasm, false)?, None),
        Engine::Wasmi2Fuel => (wasmi2(wasm, true)?, None),
        Engine::Wasmi031 => (wasmi031(wasm)?, None),
        Engine::Selvm(d) => {
            let (run, stages) = selvm(wasm, d)?;
            (run, Some(stages))
        }
    };
    Ok(Prepared {
        prepare: start.elapsed(),
        stages,
        run,
    })
}

fn wasmi2(wasm: &[u8], fuel: bool) -> Result<Box<dyn FnMut(i32) -> RunResult>, String> {
    let mut config = wasmi::Config::default();
    config.compilation_mode(wasmi::CompilationMode::Eager);
    config.consume_fuel(fuel);
    let engine = wasmi::Engine::new(&config);
    let module = wasmi::Module::new(&engine, wasm).map_err(|e| e.to_string())?;
    let mut store = wasmi::Store::new(&engine, ());
    let instance = wasmi::Linker::<()>::new(&engine)
        .instantiate_and_start(&mut store, &module)
        .map_err(|e| e.to_string())?;
    let run = instance
        .get_typed_func::<i32, i64>(&store, "run")
        .map_err(|e| e.to_string())?;
    Ok(Box::new(move |n| {
        if fuel {
            store.set_fuel(u64::MAX / 2).map_err(|e| e.to_string())?;
        }
        let r = run.call(&mut store, n).map_err(|e| e.to_string())?;
        Ok((r, None))
    }))
}

fn wasmi031(wasm: &[u8]) -> Result<Box<dyn FnMut(i32) -> RunResult>, String> {
    let engine = wasmi_v031::Engine::default();
    let module = wasmi_v031::Module::new(&engine, wasm).map_err(|e| e.to_string())?;
    let mut store = wasmi_v031::Store::new(&engine, ());
    let instance = wasmi_v031::Linker::<()>::new(&engine)
        .instantiate(&mut store, &module)
        .and_then(|pre| pre.start(&mut store))
        .map_err(|e| e.to_string())?;
    let run = instance
        .get_typed_func::<i32, i64>(&store, "run")
        .map_err(|e| e.to_string())?;
    Ok(Box::new(move |n| {
        let r = run.call(&mut store, n).map_err(|e| e.to_string())?;
        Ok((r, None))
    }))
}

/// Registers (words) of a seLVM thread's stack, and its call depth.
const STACK_WORDS: usize = 1 << 20;
const MAX_DEPTH: u32 = 10_000;

/// Translates `wasm` with dx and loads it (the `run` export).
pub fn load_selvm(wasm: &[u8]) -> Result<(Module, u32), String> {
    load_selvm_timed(wasm).map(|(module, run, _)| (module, run))
}

/// [`load_selvm`], also returning the time spent in dx and in `Module::load`.
fn load_selvm_timed(wasm: &[u8]) -> Result<(Module, u32, (Duration, Duration)), String> {
    let start = Instant::now();
    let t =
        selvm_dx::translate(wasm, &selvm_dx::Options::default()).map_err(|e| format!("dx: {e}"))?;
    let translated = Instant::now();
    let module = Module::load(&t.sbc).map_err(|e| format!("load: {e}"))?;
    let loaded = Instant::now();
    let run = module.export("run").ok_or("no export `run`")?;
    Ok((module, run, (translated - start, loaded - translated)))
}

/// A seLVM run closure, and the time spent in dx and in `Module::load`.
type SelvmRun = (Box<dyn FnMut(i32) -> RunResult>, (Duration, Duration));

fn selvm(wasm: &[u8], dispatch: Dispatch) -> Result<SelvmRun, String> {
    let (module, run, stages) = load_selvm_timed(wasm)?;
    let mut memory = FlatMemory::for_module(&module);
    let mut stack = vec![0u64; STACK_WORDS];
    let run: Box<dyn FnMut(i32) -> RunResult> = Box::new(move |n| {
        let mut thread = Thread::new(&module, &mut stack, run, &[n as u32 as u64], MAX_DEPTH)
            .map_err(|e| format!("cannot start: {e:?}"))?;
        let exit = thread.run_with(dispatch, &module, &mut stack, &mut memory, u64::MAX);
        match exit.stop {
            Stop::Returned => Ok((thread.registers(&mut stack)[0] as i64, Some(exit.executed))),
            stop => Err(format!("stopped: {stop:?}")),
        }
    });
    Ok((run, stages))
}

#[cfg(test)]
mod tests {
    use super::{Engine, SELVM_LOOP, WASMI2, WASMI031};

    #[test]
    fn the_table_indices_name_the_right_engines() {
        assert_eq!(Engine::all()[WASMI2], Engine::Wasmi2);
        assert_eq!(Engine::all()[WASMI031], Engine::Wasmi031);
        assert_eq!(
            Engine::all()[SELVM_LOOP],
            Engine::Selvm(selvm_vm::Dispatch::Loop)
        );
    }
}
