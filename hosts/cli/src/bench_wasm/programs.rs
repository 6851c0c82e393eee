//! The compute programs of `selvm bench wasm`: the committed wasm32 modules built from
//! `user/bench/*` (`cargo xtask bench-wasm`), the argument each run gets, and the
//! checksum every engine must return.

/// A benchmark program: a module exporting `run(n: i32) -> i64`.
#[derive(Clone, Copy)]
pub struct Program {
    /// The name in tables (the crate's name).
    pub name: &'static str,
    /// What `n` means, for the table.
    pub what: &'static str,
    /// The module.
    pub wasm: &'static [u8],
    /// The argument of `run`.
    pub n: i32,
    /// `run(n)`'s result (recorded from wasmi 2.x; every engine must agree).
    pub checksum: i64,
    /// A small argument and its result, for the test (debug builds are slow) and
    /// `selvm bench wasm --small`.
    pub small: (i32, i64),
}

macro_rules! program {
    ($name:literal, $what:literal, $n:expr, $checksum:expr, $small:expr) => {
        Program {
            name: $name,
            what: $what,
            wasm: include_bytes!(concat!("../../../../user/bench/wasm/", $name, ".wasm")),
            n: $n,
            checksum: $checksum,
            small: $small,
        }
    };
}

/// The programs, in table order: name, workload, n, checksum, (small n, its checksum).
#[rustfmt::skip]
pub const PROGRAMS: [Program; 7] = [
    program!("fib", "fib(27), recursive", 27, 196418, (15, 610)),
    program!("sieve", "primes below 2^20", 1 << 20, 352297200004862, (1000, 721554581855)),
    program!("matmul", "f64 100x100", 100, -4579770854013979435, (8, -4619747620796158880)),
    program!("sha256", "256 KiB", 1 << 18, 7202017876642559388, (1000, -4777375240770610541)),
    program!("nbody", "5 bodies, 20000 steps", 20_000, -4628111933838344395, (100, -4628113320960463446)),
    program!("sort", "2^16 u32 keys", 1 << 16, 6135472637340408705, (1000, 1413735417365755)),
    program!("coremark", "100 iterations", 100, 236701692334, (2, 4479388800)),
];

#[cfg(test)]
mod tests {
    //! Checksums only (benchmarks are programs, not timed tests): each committed module
    //! still gives its recorded checksum for the small argument in every engine (the
    //! benchmark checks the full-size ones), and the counting mode leaves results alone
    //! and counts the same in wasmi and in dx + the machine.
    use super::super::count::{Instrumented, instrument};
    use super::super::engines::{Engine, load_selvm, prepare};
    use super::PROGRAMS;
    use selvm_vm::{FlatMemory, Stop, Thread};

    #[test]
    fn committed_modules_give_the_recorded_checksums() {
        for p in &PROGRAMS {
            for engine in Engine::all() {
                let mut prepared = prepare(engine, p.wasm)
                    .unwrap_or_else(|e| panic!("{}: {}: {e}", p.name, engine.name()));
                let (result, _) = (prepared.run)(p.small.0)
                    .unwrap_or_else(|e| panic!("{}: {}: {e}", p.name, engine.name()));
                assert_eq!(result, p.small.1, "{} in {}", p.name, engine.name());
            }
        }
    }

    #[test]
    fn counts_agree_between_wasmi_and_selvm() {
        for p in &PROGRAMS {
            let inst = instrument(p.wasm).unwrap();
            let (wasmi_counts, result) = super::super::run_counters(&inst, p.small.0).unwrap();
            assert_eq!(result, p.small.1, "{} instrumented", p.name);
            // The same module through dx: the counters are the globals after the original
            // ones, in the thread's context area.
            let (module, run) = load_selvm(&inst.wasm).unwrap();
            let mut memory = FlatMemory::for_module(&module);
            let mut stack = vec![0; 1 << 16];
            let mut thread =
                Thread::new(&module, &mut stack, run, &[p.small.0 as u32 as u64], 1000).unwrap();
            let exit = thread.run(&module, &mut stack, &mut memory, u64::MAX);
            assert_eq!(exit.stop, Stop::Returned, "{}", p.name);
            let context = thread.context(&mut stack);
            let first = module.globals().len() - inst.segments.len();
            assert_eq!(
                &context[first..module.globals().len()],
                &wasmi_counts[..],
                "{}",
                p.name
            );
            assert!(inst.histogram(&wasmi_counts).values().sum::<u64>() > 0);
            assert_eq!(Instrumented::export(3), "__count3");
        }
    }
}
