//! `selvm bench wasm --profile`: where the instructions go. Prints the most executed
//! counted wasm operators (from the counting mode) next to the most executed seLVM ops
//! and adjacent seLVM op pairs, found by stepping the machine one instruction at a time
//! (budget 1) and reading the op at the thread's pc before each step.

use super::engines::load_selvm;
use super::programs::Program;
use crate::failure::Failure;
use crate::options::grouped;
use selvm_vm::{FlatMemory, Stop, Thread};
use std::collections::{BTreeMap, HashMap};

/// Executions per seLVM op, and per adjacent pair of ops.
type OpCounts = (
    HashMap<&'static str, u64>,
    HashMap<(&'static str, &'static str), u64>,
);

/// seLVM ops and op pairs executed by `run(n)`.
fn selvm_histograms(p: &Program) -> Result<OpCounts, String> {
    let (module, run) = load_selvm(p.wasm)?;
    let mut memory = FlatMemory::for_module(&module);
    let mut stack = vec![0u64; 1 << 20];
    let mut thread = Thread::new(&module, &mut stack, run, &[p.n as u32 as u64], 10_000)
        .map_err(|e| format!("cannot start: {e:?}"))?;
    let (mut ops, mut pairs) = (HashMap::new(), HashMap::new());
    let mut previous = "(start)";
    loop {
        let op = module.code()[thread.position().1 as usize].op().mnemonic();
        *ops.entry(op).or_insert(0) += 1;
        *pairs.entry((previous, op)).or_insert(0) += 1;
        previous = op;
        match thread.run(&module, &mut stack, &mut memory, 1).stop {
            Stop::Budget => {}
            Stop::Returned => break,
            stop => return Err(format!("{}: stopped: {stop:?}", p.name)),
        }
    }
    Ok((ops, pairs))
}

/// The `top` largest entries of `counts` as table rows `name | count | share`.
fn top<K: Clone>(
    counts: impl IntoIterator<Item = (K, u64)>,
    top: usize,
    show: impl Fn(&K) -> String,
) -> Vec<String> {
    let mut v: Vec<(K, u64)> = counts.into_iter().collect();
    let total: u64 = v.iter().map(|e| e.1).sum();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| show(&a.0).cmp(&show(&b.0))));
    v.iter()
        .take(top)
        .map(|(k, n)| {
            format!(
                "{} | {} | {:.1} %",
                show(k),
                grouped(*n),
                100.0 * *n as f64 / total as f64
            )
        })
        .collect()
}

/// Prints the three lists for `p` side by side.
pub fn print(p: &Program, wasm: &BTreeMap<&'static str, u64>, n: usize) -> Result<(), Failure> {
    let (ops, pairs) = selvm_histograms(p).map_err(Failure::check)?;
    let w = top(wasm.iter().map(|(&k, &v)| (k, v)), n, |k| k.to_string());
    let s = top(ops, n, |k| k.to_string());
    let q = top(pairs, n, |(a, b)| format!("{a} → {b}"));
    outln!("\n`{}` ({}): most executed\n", p.name, p.what)?;
    outln!(
        "| wasm operator | count | share | seLVM op | count | share | seLVM op pair | count | share |"
    )?;
    outln!("|---|---:|---:|---|---:|---:|---|---:|---:|")?;
    let empty = " |  | ".to_string();
    for i in 0..n {
        let cell = |v: &Vec<String>| v.get(i).cloned().unwrap_or_else(|| empty.clone());
        outln!("| {} | {} | {} |", cell(&w), cell(&s), cell(&q))?;
    }
    Ok(())
}
