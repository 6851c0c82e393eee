//! `selvm asm`, `selvm dis` and `selvm exec`: the register machine's tools. Every error
//! is returned as one line for `main` to print.

use clap::Args;
use selvm_bytecode::format::ValType;
use selvm_vm::asm::{assemble, disassemble};
use selvm_vm::{FlatMemory, Module, Stop, Thread};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Options of `selvm asm`.
#[derive(Args)]
pub struct AsmArgs {
    /// Assembly source (see docs/assembly.md).
    input: PathBuf,
    /// Where to write the `.sbc` module.
    #[arg(short, long)]
    output: PathBuf,
}

/// Options of `selvm dis`.
#[derive(Args)]
pub struct DisArgs {
    /// The `.sbc` module to disassemble.
    input: PathBuf,
}

/// Options of `selvm exec`.
#[derive(Args)]
pub struct ExecArgs {
    /// A `.sbc` module, or assembly source if the name ends in `.s`.
    input: PathBuf,
    /// Run this exported function instead of the entry point.
    #[arg(long)]
    func: Option<String>,
    /// Arguments (integers, or floats such as 1.5 for f64 bits).
    #[arg(allow_hyphen_values = true)]
    args: Vec<String>,
    /// Register stack size in 64-bit words.
    #[arg(long, default_value_t = 1 << 20)]
    stack_words: usize,
    /// Maximum call depth.
    #[arg(long, default_value_t = 10_000)]
    max_depth: u32,
    /// Print instructions executed and time taken to stderr.
    #[arg(long)]
    stats: bool,
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn module_bytes(path: &Path) -> Result<Vec<u8>, String> {
    let bytes = read(path)?;
    if path.extension().is_some_and(|e| e == "s") {
        let text =
            String::from_utf8(bytes).map_err(|_| format!("{}: not UTF-8", path.display()))?;
        return assemble(&text).map_err(|e| format!("{}: {e}", path.display()));
    }
    Ok(bytes)
}

/// `selvm asm IN.s -o OUT.sbc`
pub fn asm(a: &AsmArgs) -> Result<(), String> {
    let bytes = module_bytes(&a.input)?;
    std::fs::write(&a.output, bytes).map_err(|e| format!("{}: {e}", a.output.display()))
}

/// `selvm dis IN.sbc`
pub fn dis(a: &DisArgs) -> Result<(), String> {
    let text = disassemble(&read(&a.input)?).map_err(|e| format!("{}: {e}", a.input.display()))?;
    print!("{text}");
    Ok(())
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

/// `selvm exec IN.sbc [ARGS…]`: runs a standalone program with flat memory. System call
/// 1 writes the byte in its first argument register to stdout.
pub fn exec(a: &ExecArgs) -> Result<(), String> {
    let name = a.input.display();
    let module = Module::load(&module_bytes(&a.input)?).map_err(|e| format!("{name}: {e}"))?;
    let func = match &a.func {
        Some(f) => module
            .export(f)
            .ok_or_else(|| format!("{name}: no export `{f}`"))?,
        None => module
            .entry()
            .ok_or_else(|| format!("{name}: no entry point (use --func)"))?,
    };
    let args = a
        .args
        .iter()
        .map(|s| {
            selvm_vm::asm::syntax::parse_bits64(s).ok_or_else(|| format!("bad argument `{s}`"))
        })
        .collect::<Result<Vec<u64>, String>>()?;
    let mut stack = vec![0; a.stack_words];
    let mut thread = Thread::new(&module, &mut stack, func, &args, a.max_depth)
        .map_err(|e| format!("{name}: cannot start: {e:?}"))?;
    let mut memory = FlatMemory::for_module(&module);
    let (start, mut executed) = (Instant::now(), 0u64);
    let mut out = std::io::stdout().lock();
    loop {
        let exit = thread.run(&module, &mut stack, &mut memory, 1 << 24);
        executed += exit.executed;
        match exit.stop {
            Stop::Budget => {}
            Stop::Returned => break,
            Stop::Syscall {
                number: 1,
                first,
                count: 1..,
            } => {
                let byte = thread.registers(&mut stack)[first] as u8;
                out.write_all(&[byte]).map_err(|e| format!("stdout: {e}"))?;
            }
            Stop::Syscall { number, .. } => {
                return Err(format!("{name}: unsupported system call {number}"));
            }
            Stop::MemoryGrow { pages, result } => {
                let old = memory.grow(pages).unwrap_or(u32::MAX);
                thread.registers(&mut stack)[result] = old as u64;
            }
            Stop::Fault(f) => {
                return Err(format!(
                    "{name}: memory fault at {:#x} ({:?})",
                    f.address, f.access
                ));
            }
            Stop::Trap(t) => return Err(format!("{name}: trap: {t:?}")),
        }
    }
    let elapsed = start.elapsed();
    out.flush().map_err(|e| format!("stdout: {e}"))?;
    let c = module.container();
    let ty = c
        .func(func)
        .and_then(|f| c.ty(f.ty))
        .and_then(|t| c.type_values(&t));
    let results = ty.map_or(&[][..], |(_, r)| r);
    let regs = thread.registers(&mut stack);
    for (i, &t) in results.iter().enumerate() {
        println!("{}", show(regs[i], t));
    }
    if a.stats {
        let ns = elapsed.as_nanos() as f64 / executed.max(1) as f64;
        eprintln!("{executed} instructions in {elapsed:.3?} ({ns:.2} ns/instruction)");
    }
    Ok(())
}
