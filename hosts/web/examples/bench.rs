//! The in-page benchmarks run natively, with the same code (`selvm_web::bench`), so
//! `cargo xtask web --bench` can print the page's figures beside these (docs/web.md):
//! `cargo run --release -p selvm-web --example bench [ROUNDS1 ROUNDS2]`. Prints one
//! JSON object per line: `{"name":...,"ns":...,"instructions":...}` (ns per IPC round
//! trip, or per run of a compute program: the best of five).

use selvm_web::bench;
use std::time::Instant;

fn main() -> Result<(), String> {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let (r1, r2) = (
        args.first().copied().unwrap_or(100_000),
        args.get(1).copied().unwrap_or(300_000),
    );
    for case in ["ipc-fastpath", "ipc-slowpath", "ipc-signal", "ipc-yield"] {
        let mut best = f64::MAX;
        for _ in 0..5 {
            let timed = |rounds| -> Result<f64, String> {
                let mut s = bench::boot_ipc(case, rounds)?;
                let t = Instant::now();
                bench::finish_ipc(&mut s)?;
                Ok(t.elapsed().as_nanos() as f64)
            };
            let (a, b) = (timed(r1)?, timed(r2)?);
            best = best.min((b - a) / (r2 - r1) as f64);
        }
        println!("{{\"name\":\"{case}\",\"ns\":{best:.1}}}");
    }
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../user/bench/wasm");
    for c in bench::COMPUTE {
        let wasm = std::fs::read(format!("{dir}/{}.wasm", c.name)).map_err(|e| e.to_string())?;
        let loaded = bench::load_compute(c.name, &wasm)?;
        let (mut best, mut instructions) = (f64::MAX, 0);
        for _ in 0..5 {
            let t = Instant::now();
            instructions = loaded.run()?;
            best = best.min(t.elapsed().as_nanos() as f64);
        }
        println!(
            "{{\"name\":\"{}\",\"ns\":{best:.0},\"instructions\":{instructions}}}",
            c.name
        );
    }
    Ok(())
}
