//! Differential execution: one module run by wasmi (the reference) and by dx + the
//! register machine with flat memory, export by export, with the same arguments; the
//! results must agree (NaNs by class), and so must traps (by kind). Running out of fuel,
//! budget or stack on either side makes the rest of the module inconclusive. Shared by
//! the differential test and the `dx_differential` fuzz target (which includes this
//! file by path).

#![allow(dead_code)]

use selvm_vm::{FlatMemory, Module, Stop, Thread, Trap};

/// The wasm-smith configuration of the supported features: no imports, canonical NaNs,
/// none of the instructions dx does not translate yet.
pub fn smith_config() -> wasm_smith::Config {
    wasm_smith::Config {
        max_imports: 0,
        canonicalize_nans: true,
        allow_start_export: false,
        export_everything: true,
        simd_enabled: false,
        relaxed_simd_enabled: false,
        threads_enabled: false,
        shared_everything_threads_enabled: false,
        exceptions_enabled: false,
        gc_enabled: false,
        tail_call_enabled: false,
        memory64_enabled: false,
        extended_const_enabled: false,
        wide_arithmetic_enabled: false,
        custom_page_sizes_enabled: false,
        bulk_memory_enabled: true,
        reference_types_enabled: true,
        multi_value_enabled: true,
        saturating_float_to_int_enabled: true,
        sign_extension_ops_enabled: true,
        max_memories: 1,
        max_tables: 2,
        max_table_elements: 1000,
        max_memory32_bytes: 1 << 20,
        ..wasm_smith::Config::default()
    }
}

/// A module generated from fuzzer bytes.
pub fn module_from(data: &[u8]) -> Option<Vec<u8>> {
    let mut u = arbitrary::Unstructured::new(data);
    let m = wasm_smith::Module::new(smith_config(), &mut u).ok()?;
    Some(m.to_bytes())
}

/// How one call ended, comparably between the engines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The results' bits (NaNs replaced by one canonical pattern per width).
    Values(Vec<u64>),
    /// A trap of this kind.
    Trap(&'static str),
    /// Fuel, budget or stack ran out: inconclusive.
    Exhausted,
}

/// What comparing a module found (a mismatch is an `Err`).
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// All calls agreed (how many were compared).
    Agreed(usize),
    /// Not compared: dx does not translate it, or wasmi rejects it.
    Skipped(String),
}

const FUEL: u64 = 200_000;

/// Value kinds of a signature, as the `.sbc` codes (1 i32, 2 i64, 3 f32, 4 f64, 5 ref).
fn kind(t: &wasmi::ValType) -> u8 {
    use wasmi::ValType as V;
    match t {
        V::I32 => 1,
        V::I64 => 2,
        V::F32 => 3,
        V::F64 => 4,
        _ => 5,
    }
}

fn normalize(bits: u64, kind: u8) -> u64 {
    match kind {
        3 if f32::from_bits(bits as u32).is_nan() => 0x7fc0_0000,
        4 if f64::from_bits(bits).is_nan() => 0x7ff8_0000_0000_0000,
        5 => (bits != u64::MAX) as u64,
        _ => bits,
    }
}

/// Arguments for call number `round` of a function with parameter kinds `kinds`.
fn args(kinds: &[u8], round: usize) -> Vec<u64> {
    const INTS: [u64; 3] = [0, 1, 0xffff_ffff_ffff_fff0];
    kinds
        .iter()
        .enumerate()
        .map(|(i, &k)| {
            let n = INTS[(round + i) % 3];
            match k {
                1 => n as u32 as u64,
                2 => n,
                3 => ((n as i64) as f32).to_bits() as u64,
                4 => ((n as i64) as f64).to_bits(),
                _ => u64::MAX,
            }
        })
        .collect()
}

fn wasmi_trap(e: &wasmi::Error) -> Outcome {
    use wasmi::TrapCode as T;
    match e.as_trap_code() {
        Some(T::OutOfFuel) | Some(T::StackOverflow) | None => Outcome::Exhausted,
        Some(T::UnreachableCodeReached) => Outcome::Trap("unreachable"),
        Some(T::MemoryOutOfBounds) => Outcome::Trap("memory"),
        Some(T::TableOutOfBounds) => Outcome::Trap("table"),
        Some(T::IndirectCallToNull) => Outcome::Trap("null"),
        Some(T::IntegerDivisionByZero) => Outcome::Trap("divide by zero"),
        Some(T::IntegerOverflow) => Outcome::Trap("integer overflow"),
        Some(T::BadConversionToInteger) => Outcome::Trap("bad conversion"),
        Some(T::BadSignature) => Outcome::Trap("signature"),
        Some(_) => Outcome::Exhausted,
    }
}

fn vm_trap(t: Trap) -> Outcome {
    match t {
        Trap::Program(_) => Outcome::Trap("unreachable"),
        Trap::DivideByZero => Outcome::Trap("divide by zero"),
        Trap::IntegerOverflow => Outcome::Trap("integer overflow"),
        Trap::InvalidConversion => Outcome::Trap("bad conversion"),
        Trap::StackOverflow | Trap::StackTooSmall => Outcome::Exhausted,
        Trap::TableOutOfBounds | Trap::BadReference => Outcome::Trap("table"),
        Trap::NullReference => Outcome::Trap("null"),
        Trap::SignatureMismatch => Outcome::Trap("signature"),
        Trap::SegmentOutOfBounds => Outcome::Trap("segment"),
    }
}

/// The module on the register machine: memory and the thread context persist between
/// calls, as an instance's state does.
struct Vm {
    module: Module,
    memory: FlatMemory,
    context: Option<Vec<u64>>,
}

impl Vm {
    fn call(&mut self, func: u32, args: &[u64], results: &[u8]) -> Outcome {
        let mut stack = vec![0u64; 1 << 16];
        let Ok(mut thread) = Thread::new(&self.module, &mut stack, func, args, 200) else {
            return Outcome::Exhausted;
        };
        if let Some(c) = &self.context {
            thread.context(&mut stack).copy_from_slice(c);
        }
        // The machine counts instructions, wasmi fuel (about one per operator): allow
        // more, so that the machine never runs out before wasmi does.
        let mut budget = FUEL * 4;
        let outcome = loop {
            let exit = thread.run(&self.module, &mut stack, &mut self.memory, budget);
            budget -= exit.executed.min(budget);
            match exit.stop {
                Stop::Returned => {
                    let regs = thread.registers(&mut stack);
                    let v = results
                        .iter()
                        .zip(regs.iter())
                        .map(|(&k, &b)| normalize(b, k));
                    break Outcome::Values(v.collect());
                }
                Stop::Budget if budget > 0 => {}
                Stop::Budget => break Outcome::Exhausted,
                Stop::MemoryGrow { pages, result } => {
                    let old = self.memory.grow(pages).unwrap_or(u32::MAX);
                    thread.registers(&mut stack)[result] = old as u64;
                }
                Stop::Fault(_) => break Outcome::Trap("memory"),
                Stop::Trap(t) => break vm_trap(t),
                Stop::Syscall { .. } => break Outcome::Trap("syscall"),
            }
        };
        self.context = Some(thread.context(&mut stack).to_vec());
        outcome
    }
}

/// Runs every exported function of `wasm` (three rounds of arguments) on both engines.
pub fn compare(wasm: &[u8]) -> Result<Verdict, String> {
    let mut config = wasmi::Config::default();
    config.consume_fuel(true);
    let engine = wasmi::Engine::new(&config);
    let Ok(module) = wasmi::Module::new(&engine, wasm) else {
        return Ok(Verdict::Skipped("wasmi rejects it".into()));
    };
    let mut store = wasmi::Store::new(&engine, ());
    store.set_fuel(FUEL).map_err(|e| e.to_string())?;
    let linker = wasmi::Linker::<()>::new(&engine);
    let Ok(instance) = linker.instantiate_and_start(&mut store, &module) else {
        return Ok(Verdict::Skipped("wasmi does not instantiate it".into()));
    };
    let translation = match selvm_dx::translate(wasm, &selvm_dx::Options::default()) {
        Ok(t) => t,
        Err(selvm_dx::Error::Invalid { place, message }) => {
            return Err(format!(
                "dx rejects a module wasmi accepts ({place}): {message}"
            ));
        }
        Err(e) => return Ok(Verdict::Skipped(format!("dx: {e}"))),
    };
    let vm_module = Module::load(&translation.sbc).map_err(|e| format!("sbc rejected: {e}"))?;
    let memory = FlatMemory::for_module(&vm_module);
    let mut vm = Vm {
        module: vm_module,
        memory,
        context: None,
    };
    let mut compared = 0;
    for (name, export) in &translation.info.exports {
        let selvm_dx::ExportKind::Func(index) = *export else {
            continue;
        };
        let Some(func) = instance.get_func(&store, name) else {
            return Err(format!("wasmi has no function {name}"));
        };
        let ty = func.ty(&store);
        let params: Vec<u8> = ty.params().iter().map(kind).collect();
        let results: Vec<u8> = ty.results().iter().map(kind).collect();
        for round in 0..3 {
            let a = args(&params, round);
            let wasmi_args: Vec<wasmi::Val> = params
                .iter()
                .zip(&a)
                .map(|(&k, &b)| match k {
                    1 => wasmi::Val::I32(b as i32),
                    2 => wasmi::Val::I64(b as i64),
                    3 => wasmi::Val::F32(f32::from_bits(b as u32).into()),
                    4 => wasmi::Val::F64(f64::from_bits(b).into()),
                    _ => wasmi::Val::default_for_ty(ty.params()[0]),
                })
                .collect();
            let mut out: Vec<wasmi::Val> = ty
                .results()
                .iter()
                .map(|t| wasmi::Val::default_for_ty(*t))
                .collect();
            store.set_fuel(FUEL).map_err(|e| e.to_string())?;
            let expected = match func.call(&mut store, &wasmi_args, &mut out) {
                Ok(()) => Outcome::Values(
                    out.iter()
                        .zip(&results)
                        .map(|(v, &k)| normalize(val_bits(v), k))
                        .collect(),
                ),
                Err(e) => wasmi_trap(&e),
            };
            let actual = vm.call(index, &a, &results);
            if expected == Outcome::Exhausted || actual == Outcome::Exhausted {
                return Ok(Verdict::Agreed(compared));
            }
            // One trap kind covers reading beyond a data or element segment; wasmi calls
            // it a memory or a table access.
            let segment = actual == Outcome::Trap("segment")
                && matches!(expected, Outcome::Trap("memory") | Outcome::Trap("table"));
            if expected != actual && !segment {
                return Err(format!(
                    "export `{name}` args {a:x?}: wasmi {expected:x?}, dx+vm {actual:x?}"
                ));
            }
            compared += 1;
        }
    }
    Ok(Verdict::Agreed(compared))
}

fn val_bits(v: &wasmi::Val) -> u64 {
    match v {
        wasmi::Val::I32(x) => *x as u32 as u64,
        wasmi::Val::I64(x) => *x as u64,
        wasmi::Val::F32(x) => x.to_bits() as u64,
        wasmi::Val::F64(x) => x.to_bits(),
        wasmi::Val::FuncRef(r) if r.is_null() => u64::MAX,
        wasmi::Val::ExternRef(r) if r.is_null() => u64::MAX,
        _ => 0,
    }
}
