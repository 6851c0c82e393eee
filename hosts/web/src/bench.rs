//! The in-page benchmarks, the same code natively (`examples/bench.rs`) and in the
//! browser (the `selvm_compute_*` exports and the IPC built-ins), timed by the
//! caller's clock around each call: the IPC round trip (a built-in program run to its
//! end with two round counts, the difference divided by the extra rounds, so boot and
//! setup cancel out), and the compute programs of `selvm bench wasm` (dx, then
//! `run(n)` on the register machine with flat memory, as that command's seLVM column
//! runs them).

use crate::session::{Options, Session, State};
use selvm_vm::{FlatMemory, Module, Stop, Thread};

/// A compute program of `user/bench` (`hosts/cli/src/bench_wasm/programs.rs` holds
/// the same arguments and checksums; the check below fails if they drift apart).
#[derive(Debug, Clone, Copy)]
pub struct Compute {
    /// Its name (`user/bench/wasm/NAME.wasm`).
    pub name: &'static str,
    /// The argument of `run`.
    pub n: i32,
    /// What `run(n)` returns.
    pub checksum: i64,
}

/// The compute programs, in `selvm bench wasm`'s order.
pub const COMPUTE: [Compute; 7] = [
    Compute {
        name: "fib",
        n: 27,
        checksum: 196418,
    },
    Compute {
        name: "sieve",
        n: 1 << 20,
        checksum: 352297200004862,
    },
    Compute {
        name: "matmul",
        n: 100,
        checksum: -4579770854013979435,
    },
    Compute {
        name: "sha256",
        n: 1 << 18,
        checksum: 7202017876642559388,
    },
    Compute {
        name: "nbody",
        n: 20_000,
        checksum: -4628111933838344395,
    },
    Compute {
        name: "sort",
        n: 1 << 16,
        checksum: 6135472637340408705,
    },
    Compute {
        name: "coremark",
        n: 100,
        checksum: 236701692334,
    },
];

/// A compute program translated and loaded, ready to run.
pub struct Loaded {
    module: Module,
    run: u32,
    program: Compute,
}

/// Translates the compute program `name`'s module `wasm` with dx and loads it.
pub fn load_compute(name: &str, wasm: &[u8]) -> Result<Loaded, String> {
    let program = *COMPUTE
        .iter()
        .find(|c| c.name == name)
        .ok_or_else(|| format!("no compute benchmark `{name}`"))?;
    let t = selvm_dx::translate(wasm, &selvm_dx::Options::default())
        .map_err(|e| format!("{name}: dx: {e}"))?;
    let module = Module::load(&t.sbc).map_err(|e| format!("{name}: load: {e}"))?;
    let run = module
        .export("run")
        .ok_or_else(|| format!("{name}: no export `run`"))?;
    Ok(Loaded {
        module,
        run,
        program,
    })
}

impl Loaded {
    /// Runs `run(n)` once (the part to time); the instructions it executed, or why
    /// it went wrong (a wrong checksum included).
    pub fn run(&self) -> Result<u64, String> {
        let name = self.program.name;
        let mut memory = FlatMemory::for_module(&self.module);
        let mut stack = vec![0u64; 1 << 20];
        let arg = [self.program.n as u32 as u64];
        let mut thread = Thread::new(&self.module, &mut stack, self.run, &arg, 10_000)
            .map_err(|e| format!("{name}: cannot start: {e:?}"))?;
        let exit = thread.run(&self.module, &mut stack, &mut memory, u64::MAX);
        match exit.stop {
            Stop::Returned => {
                let got = thread.registers(&mut stack)[0] as i64;
                if got != self.program.checksum {
                    return Err(format!(
                        "{name}: run returned {got}, not {}",
                        self.program.checksum
                    ));
                }
                Ok(exit.executed)
            }
            stop => Err(format!("{name}: stopped: {stop:?}")),
        }
    }
}

/// Boots the built-in IPC program `name` with `rounds` operations (not timed).
pub fn boot_ipc(name: &str, rounds: u64) -> Result<Session, String> {
    Session::boot_builtin(name, rounds, &Options::default())
        .map_err(|e| e.message.unwrap_or_default())
}

/// Runs a booted IPC program to its end (the part to time): its instructions.
pub fn finish_ipc(s: &mut Session) -> Result<u64, String> {
    loop {
        match s.run(u64::MAX) {
            State::Running => {}
            State::Exited => break,
            other => return Err(format!("the benchmark went idle: {other:?}")),
        }
    }
    match s.ended() {
        Some(e) if e.status == 0 => Ok(s.machine().instructions),
        e => Err(format!("the benchmark ended with {e:?}")),
    }
}
