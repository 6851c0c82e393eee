//! `selvm exec`: runs one function of a standalone program on the register machine with
//! flat memory, outside the kernel, and prints its results. The function, its arguments
//! (read by parameter type) and the stack are checked before it starts (usage errors,
//! status 2); a trap, a memory fault or a system call other than 1 ends it with status
//! 3, said in words.

use crate::failure::Failure;
use crate::options::whole;
use crate::program;
use clap::Args;
use selvm_bytecode::format::{Section, ValType};
use selvm_vm::asm::syntax::parse_int;
use selvm_vm::{FlatMemory, Module, Stop, Thread};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

/// Largest `--stack-words`: 2^27 words (1 GiB).
const MAX_STACK_WORDS: u64 = 1 << 27;

/// Options of `selvm exec`.
#[derive(Args)]
pub struct ExecArgs {
    /// An `.sbc` module, assembly source, or WebAssembly (.wasm or .wat; translated by
    /// dx first).
    input: PathBuf,
    /// Run this exported function instead of the entry point.
    #[arg(long)]
    func: Option<String>,
    /// The function's arguments, one per parameter: integers (decimal or 0x hex) for
    /// i32 and i64, numbers such as 1.5, inf or nan for f32 and f64 (after `--` if one
    /// starts with `-` but is not a plain number, such as -0x10).
    args: Vec<String>,
    /// Register stack size in 64-bit words (1 to 2^27).
    #[arg(long, default_value_t = 1 << 20,
          value_parser = whole::<usize, 1, MAX_STACK_WORDS>)]
    stack_words: usize,
    /// Maximum call depth (1 to 2^24; each level takes 2 words of the stack).
    #[arg(long, default_value_t = 10_000, value_parser = whole::<u32, 1, { 1 << 24 }>)]
    max_depth: u32,
    /// Print instructions executed and time taken to stderr.
    #[arg(long)]
    stats: bool,
}

/// The call to make: which function, its name for messages, the argument registers
/// and the result types.
struct Call<'m> {
    func: u32,
    name: String,
    args: Vec<u64>,
    results: &'m [u8],
}

/// `selvm exec IN [ARGS…]`
pub fn exec(a: &ExecArgs) -> Result<(), Failure> {
    let file = a.input.display();
    let module = Module::load(&program::module(&a.input)?)
        .map_err(|e| Failure::bad_input(format!("{file}: not a valid .sbc module: {e}")))?;
    let call = call(&module, a)?;
    let frame = module
        .functions()
        .get(call.func as usize)
        .map_or(0, |f| f.frame);
    let needed = module.context_words() as u64 + 2 * u64::from(a.max_depth) + u64::from(frame);
    if (a.stack_words as u64) < needed {
        return Err(Failure::usage(format!(
            "--stack-words {} is too small for {} with --max-depth {}: it needs at least \
             {needed} words (globals and tables, 2 per call level, the first frame)",
            a.stack_words, call.name, a.max_depth
        )));
    }
    let mut stack = vec![0; a.stack_words];
    let mut thread = Thread::new(&module, &mut stack, call.func, &call.args, a.max_depth)
        .map_err(|e| Failure::usage(format!("{file}: {} cannot start: {e}", call.name)))?;
    let mut memory = FlatMemory::for_module(&module);
    let started = Instant::now();
    let mut out = std::io::stdout().lock();
    let mut executed = 0u64;
    loop {
        let exit = thread.run(&module, &mut stack, &mut memory, 1 << 24);
        executed += exit.executed;
        let at = || position(&module, &thread);
        match exit.stop {
            Stop::Budget => {}
            Stop::Returned => break,
            Stop::Syscall {
                number: 1,
                first,
                count: 1..,
            } => {
                let byte = thread.registers(&mut stack)[first] as u8;
                out.write_all(&[byte])
                    .map_err(|e| Failure::output("stdout", &e))?;
            }
            Stop::Syscall { number, .. } => {
                return Err(Failure::fault(format!(
                    "{file}: system call {number} {} is not available under `selvm exec`, which \
                     has only system call 1 (write the byte in its first argument to stdout); \
                     programs for the hosted machine run with `selvm run`",
                    at()
                )));
            }
            Stop::MemoryGrow { pages, result } => {
                let old = memory.grow(pages).unwrap_or(u32::MAX);
                thread.registers(&mut stack)[result] = old as u64;
            }
            Stop::Fault(f) => {
                return Err(Failure::fault(format!(
                    "{file}: memory fault {}: a {} at address {:#x}, outside the memory of {} bytes",
                    at(),
                    f.access,
                    f.address,
                    selvm_vm::Memory::size(&memory)
                )));
            }
            Stop::Trap(t) => return Err(Failure::fault(format!("{file}: trap {}: {t}", at()))),
        }
    }
    let elapsed = started.elapsed();
    let regs = thread.registers(&mut stack);
    for (i, &t) in call.results.iter().enumerate() {
        writeln!(out, "{}", show(regs[i], t)).map_err(|e| Failure::output("stdout", &e))?;
    }
    out.flush().map_err(|e| Failure::output("stdout", &e))?;
    if a.stats {
        let ns = elapsed.as_nanos() as f64 / executed.max(1) as f64;
        let _ = writeln!(
            std::io::stderr(),
            "{executed} instructions in {elapsed:.3?} ({ns:.2} ns/instruction)"
        );
    }
    Ok(())
}

/// The function `--func` names (or the entry point), with the arguments read by its
/// parameter types.
fn call<'m>(module: &'m Module, a: &ExecArgs) -> Result<Call<'m>, Failure> {
    let file = a.input.display();
    let func = match &a.func {
        Some(f) => module.export(f).ok_or_else(|| {
            let exports = exports(module);
            Failure::usage(format!("{file}: no exported function `{f}` ({exports})"))
        })?,
        None => module.entry().ok_or_else(|| {
            let exports = exports(module);
            Failure::usage(format!(
                "{file}: the module has no entry point: name a function with --func ({exports})"
            ))
        })?,
    };
    let name = match &a.func {
        Some(f) => format!("`{f}`"),
        None => function_name(module, func),
    };
    let c = module.container();
    let (params, results) = c
        .func(func)
        .and_then(|f| c.ty(f.ty))
        .and_then(|t| c.type_values(&t))
        .unwrap_or_default();
    let types: Vec<String> = params.iter().map(|&t| type_name(t)).collect();
    let signature = format!("({})", types.join(", "));
    if a.args.len() != params.len() {
        return Err(Failure::usage(format!(
            "{name} takes {} argument(s) {signature}, got {}",
            params.len(),
            a.args.len()
        )));
    }
    let args = (a.args.iter().zip(params))
        .map(|(text, &t)| {
            parse_arg(text, t).ok_or_else(|| {
                Failure::usage(format!(
                    "argument `{text}` of {name} {signature}: not a valid {}",
                    type_name(t)
                ))
            })
        })
        .collect::<Result<Vec<u64>, Failure>>()?;
    Ok(Call {
        func,
        name,
        args,
        results,
    })
}

/// Where a stopped thread is: its function and the word within it.
fn position(module: &Module, thread: &Thread) -> String {
    let (f, pc) = thread.position();
    let start = module
        .functions()
        .get(f as usize)
        .map_or(0, |d| d.code_start);
    let name = function_name(module, f);
    format!("in {name} at word {}", pc.saturating_sub(start))
}

/// A function's name from the name section, or its index.
fn function_name(module: &Module, func: u32) -> String {
    module
        .func_name(func)
        .map_or(format!("function {func}"), |n| format!("`{n}`"))
}

/// The exported function names of `module`, for messages.
fn exports(module: &Module) -> String {
    let c = module.container();
    let names: Vec<&str> = (0..c.count(Section::Exports))
        .filter_map(|i| c.export(i).and_then(|e| c.export_name(&e)))
        .collect();
    match names.is_empty() {
        true => "it exports no function".into(),
        false => format!("its exports: {}", names.join(", ")),
    }
}

/// Parses an argument for a parameter of type `ty` into its register bits (i32 and f32
/// zero-extended, as registers hold them).
fn parse_arg(text: &str, ty: u8) -> Option<u64> {
    let int = |lo: i128, hi: i128| parse_int(text).filter(|v| (lo..=hi).contains(v));
    match ValType::from_u8(ty) {
        Some(ValType::I32) => int(i32::MIN.into(), u32::MAX.into()).map(|v| v as u32 as u64),
        Some(ValType::F32) => text.parse::<f32>().ok().map(|x| x.to_bits() as u64),
        Some(ValType::F64) => text.parse::<f64>().ok().map(f64::to_bits),
        _ => int(i64::MIN.into(), u64::MAX.into()).map(|v| v as u64),
    }
}

/// A value type's name.
fn type_name(ty: u8) -> String {
    match ValType::from_u8(ty) {
        Some(t) => format!("{t:?}").to_lowercase(),
        None => format!("type {ty}"),
    }
}

/// Formats a result register by its value type.
fn show(value: u64, ty: u8) -> String {
    match ValType::from_u8(ty) {
        Some(ValType::I32) => format!("{}", value as i32),
        Some(ValType::I64) => format!("{}", value as i64),
        Some(ValType::F32) => format!("{:?}", f32::from_bits(value as u32)),
        Some(ValType::F64) => format!("{:?}", f64::from_bits(value)),
        Some(ValType::FuncRef) if value == u64::MAX => "null".into(),
        _ => format!("{value:#x}"),
    }
}
