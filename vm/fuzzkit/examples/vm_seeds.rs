//! Writes the committed seed corpus of the `vm_module` fuzz target, deterministically:
//! the example programs as raw `.sbc` (mode byte 0), pseudo-random inputs for the
//! generator, plain (mode 255) and corrupted (mode 16), keeping those that verify, and
//! (`seed-100`…) reproducers of the bugs the hostile-bytecode tests found.
//!
//! `cargo run -p selvm-vm-fuzzkit --example vm_seeds -- fuzz/corpus/vm_module [COUNT]`
//! With `--survey N` instead of a directory it runs N random inputs and prints how many
//! verified and ran, without writing anything; with `--replay DIR` it runs every file in
//! DIR (a fuzzing corpus) and prints the same figures.

use selvm_vm::asm::assemble;
use selvm_vm_fuzzkit::fuzzing::{Report, run_fuzz_input};
use std::path::PathBuf;

/// xorshift64*: a small deterministic source of input bytes.
fn bytes(state: &mut u64, len: usize) -> Vec<u8> {
    (0..len)
        .map(|_| {
            *state ^= *state >> 12;
            *state ^= *state << 25;
            *state ^= *state >> 27;
            (state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        })
        .collect()
}

fn input(state: &mut u64, mode: u8) -> Vec<u8> {
    let len = 64 + (bytes(state, 1)[0] as usize) * 8;
    let mut data = vec![mode];
    data.extend(bytes(state, len));
    data
}

/// Raw-mode inputs for the bugs found so far; each must now be rejected cleanly.
fn reproducers() -> Vec<Vec<u8>> {
    use selvm_bytecode::format::{DIRECTORY_OFFSET, Section};
    let raw = |bytes: Vec<u8>| [vec![0], bytes].concat();
    // A code word outside every function that does not decode: the loader decoded it
    // unverified and panicked (now E204, functions must tile the code section).
    let text = ".memory 1 1\n.const 0xffff\n.func main () -> () frame 1\nreturn r0, 0\n.end";
    let mut orphan = assemble(text).expect("assembles");
    orphan[DIRECTORY_OFFSET + 8 * Section::Code as usize + 4] += 1;
    // memory.copy with a register named twice: a budget stop mid-copy resumed with the
    // wrong operands (now E316).
    let text = ".memory 1 1\n.func main (i64 i64) -> () frame 2\nmemory.copy r0, r1, r0\nreturn r0, 0\n.end";
    let aliased = assemble(text).expect("assembles");
    vec![raw(orphan), raw(aliased)]
}

fn survey(n: usize) {
    let mut state = 0x5eed_0001;
    let (mut verified, mut ran, mut total) = (0, 0, Report::default());
    for i in 0..n {
        let data = input(&mut state, if i % 4 == 0 { 16 } else { 255 });
        match run_fuzz_input(&data) {
            Ok(r) => {
                verified += r.verified as usize;
                ran += (r.executed > 0) as usize;
                total.returned += r.returned;
                total.trapped += r.trapped;
                total.faulted += r.faulted;
                total.out_of_budget += r.out_of_budget;
            }
            Err(f) => {
                println!("finding at input {i}: {f}\ninput: {data:02x?}");
                return;
            }
        }
    }
    println!("{n} inputs: {verified} verified, {ran} ran; runs: {total:?}");
    let mut rules = std::collections::BTreeMap::new();
    for i in 0..n / 4 {
        let data = input(&mut state, 255);
        let (bytes, _) = selvm_vm_fuzzkit::fuzzing::module_bytes(&data);
        if let Err(e) = selvm_vm::Module::load(&bytes) {
            *rules.entry(format!("{:?}", e.rule)).or_insert(0) += 1;
        }
        let _ = i;
    }
    println!(
        "generated modules rejected, by rule (of {}): {rules:?}",
        n / 4
    );
}

/// Runs every file of a corpus directory and prints what happened to them.
fn replay(dir: &str) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("a corpus directory")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    files.sort();
    let (mut generated, mut verified, mut ran) = (0, 0, 0);
    let (mut total, mut findings) = (Report::default(), 0);
    for path in &files {
        match run_fuzz_input(&std::fs::read(path).expect("readable")) {
            Ok(r) => {
                generated += r.generated as usize;
                verified += r.verified as usize;
                ran += (r.executed > 0) as usize;
                total.executed += r.executed;
                total.returned += r.returned;
                total.trapped += r.trapped;
                total.faulted += r.faulted;
                total.out_of_budget += r.out_of_budget;
            }
            Err(f) => {
                findings += 1;
                println!("{}: {f}", path.display());
            }
        }
    }
    let n = files.len().max(1);
    let pct = |k: usize| 100.0 * k as f64 / n as f64;
    println!(
        "{} inputs ({generated} generated modules): {verified} verified ({:.1}%), \
         {ran} ran ({:.1}%), {findings} findings",
        files.len(),
        pct(verified),
        pct(ran)
    );
    println!(
        "runs: {} returned, {} trapped, {} faulted, {} out of budget; {} instructions",
        total.returned, total.trapped, total.faulted, total.out_of_budget, total.executed
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--survey") => {
            return survey(args.get(1).and_then(|n| n.parse().ok()).unwrap_or(10_000));
        }
        Some("--replay") => return replay(args.get(1).expect("--replay DIR")),
        _ => {}
    }
    let dir = PathBuf::from(args.first().expect("usage: vm_seeds DIR [COUNT]"));
    let count: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(24);
    std::fs::create_dir_all(&dir).expect("create the corpus directory");
    let mut seeds: Vec<Vec<u8>> = Vec::new();
    let programs = concat!(env!("CARGO_MANIFEST_DIR"), "/../programs");
    for name in ["fib.s", "loop.s", "sieve.s", "matmul.s"] {
        let text = std::fs::read_to_string(format!("{programs}/{name}")).expect("program");
        let mut data = vec![0];
        data.extend(assemble(&text).expect("assembles"));
        seeds.push(data);
    }
    let mut state = 0x5eed_0002;
    while seeds.len() < count {
        let corrupt = seeds.len() % 5 == 0;
        let data = input(&mut state, if corrupt { 16 } else { 255 });
        let report = run_fuzz_input(&data).expect("a seed must not be a finding");
        if corrupt || report.executed > 0 {
            seeds.push(data);
        }
    }
    for (i, data) in seeds.iter().enumerate() {
        std::fs::write(dir.join(format!("seed-{i:03}")), data).expect("write a seed");
    }
    for (i, data) in reproducers().iter().enumerate() {
        std::fs::write(dir.join(format!("seed-{:03}", 100 + i)), data).expect("write a seed");
    }
    println!(
        "wrote {} seeds and {} reproducers to {}",
        seeds.len(),
        reproducers().len(),
        dir.display()
    );
}
