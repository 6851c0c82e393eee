//! `selvm bench ipc`: IPC on the hosted machine (the kernel on the register VM)
//! next to Linux baselines, measured in the same run. Hosted cases: a
//! Call/ReplyRecv round trip between two address spaces on the fastpath, with
//! the fastpath off, and with 20 MRs each way (which the fastpath never
//! takes); a Signal/Wait ping-pong; and a null syscall (Yield). Baselines: a
//! pipe ping-pong and a Unix-socket ping-pong between two processes, a
//! Unix-socket ping-pong between two threads, and an eventfd ping-pong between
//! two threads.
//!
//! Timing: every case times batches of [`BATCH`] consecutive operations with
//! `Instant` (one clock read per batch, so the clock costs little per
//! operation); each batch gives one sample, its time divided by [`BATCH`]. The
//! table shows the median and the 99th percentile of those samples over all
//! runs of the case. (Hosted, only the machine's run is timed, not boot; the
//! first batch also holds the program's setup.) VM instructions and kernel
//! entries per operation are the machine's counters, deterministic.
//! `--untimed` runs each hosted case once with no clock reads at all, for
//! `cargo xtask bench-ipc-callgrind`. The Unix-socket baselines exist only on Unix
//! and the eventfd one only on Linux (the Windows build has the pipe baseline).

use crate::failure::Failure;
use crate::options::whole;
use clap::Args;
use selvm_machine::{Config, Exit, Machine, MemoryBackend, Step};
use selvm_programs::ipc_bench::{
    call_reply_recv, call_reply_recv_20_mrs, null_syscall, signal_wait,
};
#[cfg(target_os = "linux")]
use std::fs::File;
use std::io::{Read, Write};
#[cfg(target_os = "linux")]
use std::os::fd::FromRawFd;
#[cfg(unix)]
use std::os::fd::OwnedFd;
#[cfg(unix)]
use std::os::unix::net::UnixStream;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

/// Operations per timed batch.
const BATCH: u64 = 16;

/// Options of `selvm bench ipc`.
#[derive(Args)]
pub struct IpcArgs {
    /// Operations (round trips) per run (1 to 10^9).
    #[arg(long, default_value_t = 200_000, value_parser = whole::<u64, 1, 1_000_000_000>)]
    rounds: u64,
    /// Runs per case (1 to 1000).
    #[arg(long, default_value_t = 5, value_parser = whole::<u64, 1, 1000>)]
    reps: u64,
    /// Run only these cases (repeatable): fastpath, slowpath, mr20, signal,
    /// yield, pipe, socket, socket-threads, eventfd.
    #[arg(long)]
    only: Vec<String>,
    /// Run each hosted case once without reading the clock (for callgrind:
    /// see `cargo xtask bench-ipc-callgrind`); prints the machine's counters.
    #[arg(long)]
    untimed: bool,
    /// Run the hosted cases on these memory back ends (repeatable: soft, mmap; each
    /// case once per back end). Default: $SELVM_MEMORY_BACKEND, else soft.
    #[arg(long, value_name = "soft|mmap", value_parser = crate::run::memory_backend_name)]
    memory_backend: Vec<MemoryBackend>,
    /// Internal: echo bytes from stdin to stdout (the other process of the
    /// pipe and socket baselines).
    #[arg(long, hide = true)]
    echo_child: bool,
}

struct Row {
    name: String,
    /// Per-operation ns of each batch, over all runs.
    samples: Vec<f64>,
    instructions: Option<f64>,
    entries: Option<f64>,
}

/// The `p`-th percentile (0–100) of sorted `v` (nearest rank); none of no samples (a
/// hosted case with fewer kernel entries than one batch takes none).
fn percentile(v: &[f64], p: f64) -> Option<f64> {
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v.get(rank.max(1) - 1).copied()
}

/// Times `rounds` operations of `op` in batches, appending one per-operation
/// sample per batch (the last, partial batch too).
fn batches(
    rounds: u64,
    samples: &mut Vec<f64>,
    mut op: impl FnMut() -> Result<(), String>,
) -> Result<(), String> {
    let mut done = 0;
    while done < rounds {
        let n = BATCH.min(rounds - done);
        let t = Instant::now();
        for _ in 0..n {
            op()?;
        }
        samples.push(t.elapsed().as_nanos() as f64 / n as f64);
        done += n;
    }
    Ok(())
}

/// A hosted case: its id, table name, program and whether the fastpath is on.
struct Hosted {
    id: &'static str,
    name: &'static str,
    source: String,
    fastpath: bool,
    /// Kernel entries of one operation (the batch boundaries are counted in
    /// entries).
    entries_per_op: u64,
}

fn hosted_cases(n: u64) -> Vec<Hosted> {
    let case = |id, name, source, fastpath, entries_per_op| Hosted {
        id,
        name,
        source,
        fastpath,
        entries_per_op,
    };
    vec![
        case(
            "fastpath",
            "hosted Call/ReplyRecv, 2 address spaces, fastpath",
            call_reply_recv(n),
            true,
            2,
        ),
        case(
            "slowpath",
            "hosted Call/ReplyRecv, 2 address spaces, fastpath off",
            call_reply_recv(n),
            false,
            2,
        ),
        case(
            "mr20",
            "hosted Call/ReplyRecv, 2 address spaces, 20 MRs",
            call_reply_recv_20_mrs(n),
            true,
            2,
        ),
        case(
            "signal",
            "hosted Signal/Wait ping-pong, 2 address spaces",
            signal_wait(n),
            true,
            4,
        ),
        case(
            "yield",
            "hosted null syscall (Yield)",
            null_syscall(n),
            true,
            1,
        ),
    ]
}

fn boot(c: &Hosted, image: &[u8], memory: MemoryBackend) -> Result<Machine, String> {
    let ram = vec![0u64; (16 << 20) / 8];
    let config = Config {
        memory,
        ..Config::default()
    };
    let mut m = Machine::boot(ram, image, config).map_err(|e| format!("{}: {e}", c.name))?;
    m.set_fastpath(c.fastpath);
    Ok(m)
}

fn check(c: &Hosted, exit: &Exit) -> Result<(), String> {
    if *exit != Exit::Halted(0) {
        return Err(format!(
            "{}: the benchmark program ended with {exit:?}",
            c.name
        ));
    }
    Ok(())
}

/// One hosted case: `reps` runs, stepping the machine and reading the clock
/// each time `BATCH` operations' worth of kernel entries have happened.
/// The table name of case `c` on back end `memory` (marked when there are several).
fn case_name(c: &Hosted, memory: MemoryBackend, several: bool) -> String {
    match several {
        true => format!("{} [{}]", c.name, memory.name()),
        false => c.name.to_string(),
    }
}

fn hosted(c: &Hosted, a: &IpcArgs, memory: MemoryBackend, several: bool) -> Result<Row, String> {
    let image = selvm_programs::assemble(&c.source).map_err(|e| format!("{}: {e:?}", c.name))?;
    let mut samples = Vec::new();
    let (mut instructions, mut entries) = (0, 0);
    let per_batch = BATCH * c.entries_per_op;
    for _ in 0..a.reps {
        let mut m = boot(c, &image, memory)?;
        let mut t = Instant::now();
        let mut mark = per_batch;
        let exit = loop {
            let step = m.step();
            let _ = m.take_console();
            match step {
                Step::Running => {}
                Step::Exited(exit) => break exit,
                Step::Idle(w) => return Err(format!("{}: idle, waiting for {w:?}", c.name)),
            }
            if m.kernel_entries >= mark {
                let now = Instant::now();
                samples.push((now - t).as_nanos() as f64 / BATCH as f64);
                t = now;
                mark += per_batch;
            }
        };
        check(c, &exit)?;
        (instructions, entries) = (m.instructions, m.kernel_entries);
    }
    Ok(Row {
        name: case_name(c, memory, several),
        samples,
        instructions: Some(instructions as f64 / a.rounds as f64),
        entries: Some(entries as f64 / a.rounds as f64),
    })
}

/// `--untimed`: one run of a hosted case, no clock; prints the counters.
fn untimed(c: &Hosted, a: &IpcArgs, memory: MemoryBackend) -> Result<(), Failure> {
    let image = selvm_programs::assemble(&c.source)
        .map_err(|e| Failure::check(format!("{}: {e}", c.name)))?;
    let mut m = boot(c, &image, memory).map_err(Failure::check)?;
    let exit = m.run_to_exit(|_| {});
    check(c, &exit).map_err(Failure::check)?;
    outln!(
        "{} [{}]: {} operations, {} VM instructions, {} kernel entries{}",
        c.id,
        memory.name(),
        a.rounds,
        m.instructions,
        m.kernel_entries,
        mapping_work(&m)
    )
}

/// The mmap back end's host mapping work in a run, for the untimed report.
fn mapping_work(m: &Machine) -> String {
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    if m.memory_backend() == MemoryBackend::Mmap {
        let c = m.mapping_counts();
        return format!(
            ", {} frames mapped, {} ranges cleared, {} regions reserved",
            c.maps, c.clears, c.regions
        );
    }
    let _ = m;
    String::new()
}

/// This binary as the echoing child process, with `stdin` and `stdout`.
fn echo_child(stdin: Stdio, stdout: Stdio) -> Result<Child, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    Command::new(&exe)
        .args(["bench", "ipc", "--echo-child"])
        .stdin(stdin)
        .stdout(stdout)
        .spawn()
        .map_err(|e| format!("echo child: {e}"))
}

/// One byte there and back over `to` and `from`.
fn ping(to: &mut impl Write, from: &mut impl Read) -> Result<(), String> {
    let mut b = [0u8; 1];
    to.write_all(&b).map_err(|e| e.to_string())?;
    from.read_exact(&mut b).map_err(|e| e.to_string())
}

fn baseline(name: &'static str, samples: Vec<f64>) -> Row {
    Row {
        name: name.to_string(),
        samples,
        instructions: None,
        entries: None,
    }
}

/// Pipe ping-pong with a child process (this binary, echoing).
fn pipe(a: &IpcArgs) -> Result<Row, String> {
    let mut samples = Vec::new();
    for _ in 0..a.reps {
        let mut child = echo_child(Stdio::piped(), Stdio::piped())?;
        let (mut to, mut from) = (child.stdin.take().unwrap(), child.stdout.take().unwrap());
        batches(a.rounds, &mut samples, || ping(&mut to, &mut from))?;
        drop(to);
        let _ = child.wait();
    }
    Ok(baseline("Linux pipe ping-pong (2 processes)", samples))
}

/// Unix-socket ping-pong with a child process (this binary, echoing, the
/// socket's other end as its stdin and stdout).
#[cfg(unix)]
fn socket_processes(a: &IpcArgs) -> Result<Row, String> {
    let mut samples = Vec::new();
    for _ in 0..a.reps {
        let (mut here, there) = UnixStream::pair().map_err(|e| e.to_string())?;
        let there = OwnedFd::from(there);
        let there_too = there.try_clone().map_err(|e| e.to_string())?;
        let mut child = echo_child(Stdio::from(there), Stdio::from(there_too))?;
        let mut back = here.try_clone().map_err(|e| e.to_string())?;
        batches(a.rounds, &mut samples, || ping(&mut here, &mut back))?;
        drop((here, back));
        let _ = child.wait();
    }
    Ok(baseline(
        "Linux Unix-socket ping-pong (2 processes)",
        samples,
    ))
}

/// Unix-socket ping-pong between two threads.
#[cfg(unix)]
fn socket_threads(a: &IpcArgs) -> Result<Row, String> {
    let mut samples = Vec::new();
    for _ in 0..a.reps {
        let (mut here, mut there) = UnixStream::pair().map_err(|e| e.to_string())?;
        let rounds = a.rounds;
        let peer = std::thread::spawn(move || {
            let mut b = [0u8; 1];
            for _ in 0..rounds {
                if there.read_exact(&mut b).is_err() || there.write_all(&b).is_err() {
                    break;
                }
            }
        });
        let mut back = here.try_clone().map_err(|e| e.to_string())?;
        batches(a.rounds, &mut samples, || ping(&mut here, &mut back))?;
        let _ = peer.join();
    }
    Ok(baseline("Linux Unix-socket ping-pong (2 threads)", samples))
}

/// A new blocking eventfd (counter 0) as a file.
#[cfg(target_os = "linux")]
fn eventfd() -> Result<File, String> {
    // SAFETY: eventfd takes no pointers; it returns a new descriptor or -1.
    let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC) };
    if fd < 0 {
        return Err(format!("eventfd: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: `fd` is a descriptor this process just opened and owns nothing else.
    Ok(File::from(unsafe { OwnedFd::from_raw_fd(fd) }))
}

/// Adds 1 to an eventfd's counter.
#[cfg(target_os = "linux")]
fn post(mut f: &File) -> std::io::Result<()> {
    f.write_all(&1u64.to_ne_bytes())
}

/// Waits until an eventfd's counter is non-zero and takes it.
#[cfg(target_os = "linux")]
fn take(mut f: &File) -> std::io::Result<()> {
    let mut b = [0u8; 8];
    f.read_exact(&mut b)
}

/// Eventfd ping-pong between two threads: one eventfd each way.
#[cfg(target_os = "linux")]
fn eventfd_threads(a: &IpcArgs) -> Result<Row, String> {
    let mut samples = Vec::new();
    for _ in 0..a.reps {
        let (ping_fd, pong_fd) = (eventfd()?, eventfd()?);
        let (ping_peer, pong_peer) = (
            ping_fd.try_clone().map_err(|e| e.to_string())?,
            pong_fd.try_clone().map_err(|e| e.to_string())?,
        );
        let rounds = a.rounds;
        let peer = std::thread::spawn(move || {
            for _ in 0..rounds {
                if take(&ping_peer).is_err() || post(&pong_peer).is_err() {
                    break;
                }
            }
        });
        batches(a.rounds, &mut samples, || {
            post(&ping_fd)
                .and_then(|()| take(&pong_fd))
                .map_err(|e| e.to_string())
        })?;
        let _ = peer.join();
    }
    Ok(baseline("Linux eventfd ping-pong (2 threads)", samples))
}

type Baseline = fn(&IpcArgs) -> Result<Row, String>;

/// Runs `selvm bench ipc`.
pub fn ipc(a: &IpcArgs) -> Result<(), Failure> {
    if a.echo_child {
        let (mut i, mut o) = (std::io::stdin().lock(), std::io::stdout().lock());
        let mut b = [0u8; 1];
        while i.read_exact(&mut b).is_ok() {
            if o.write_all(&b).and_then(|()| o.flush()).is_err() {
                break;
            }
        }
        return Ok(());
    }
    let baselines: &[(&str, Baseline)] = &[
        ("pipe", pipe),
        #[cfg(unix)]
        ("socket", socket_processes),
        #[cfg(unix)]
        ("socket-threads", socket_threads),
        #[cfg(target_os = "linux")]
        ("eventfd", eventfd_threads),
    ];
    let hosted_list = hosted_cases(a.rounds);
    let ids = hosted_list
        .iter()
        .map(|c| c.id)
        .chain(baselines.iter().map(|b| b.0));
    let known: Vec<&str> = ids.collect();
    if let Some(o) = a.only.iter().find(|o| !known.contains(&o.as_str())) {
        return Err(Failure::usage(format!(
            "--only {o}: no such case (the cases: {})",
            known.join(", ")
        )));
    }
    let wanted = |id: &str| a.only.is_empty() || a.only.iter().any(|o| o == id);
    let backends = match a.memory_backend.is_empty() {
        true => vec![crate::run::memory_backend(None)?],
        false => a.memory_backend.clone(),
    };
    let several = backends.len() > 1;
    if a.untimed {
        for c in hosted_list.iter().filter(|c| wanted(c.id)) {
            for &b in &backends {
                untimed(c, a, b)?;
            }
        }
        return Ok(());
    }
    let mut rows = Vec::new();
    for c in hosted_list.iter().filter(|c| wanted(c.id)) {
        for &b in &backends {
            let name = case_name(c, b, several);
            let _ = writeln!(std::io::stderr(), "running {name} ...");
            rows.push(hosted(c, a, b, several).map_err(Failure::check)?);
        }
    }
    for &(id, run) in baselines {
        if wanted(id) {
            let _ = writeln!(std::io::stderr(), "running the {id} baseline ...");
            rows.push(run(a).map_err(Failure::host)?);
        }
    }
    outln!(
        "{} operations per run, {} runs per case; ns per operation of batches of {BATCH} \
         operations: median and 99th percentile over all batches of all runs\n",
        a.rounds,
        a.reps
    )?;
    outln!(
        "{:<63} {:>10} {:>10} {:>12} {:>10}",
        "case",
        "median ns",
        "p99 ns",
        "VM instr/op",
        "entries/op"
    )?;
    for mut r in rows {
        r.samples.sort_by(f64::total_cmp);
        let opt = |v: Option<f64>, digits| v.map_or("-".to_string(), |v| format!("{v:.digits$}"));
        outln!(
            "{:<63} {:>10} {:>10} {:>12} {:>10}",
            r.name,
            opt(percentile(&r.samples, 50.0), 0),
            opt(percentile(&r.samples, 99.0), 0),
            opt(r.instructions, 1),
            opt(r.entries, 1)
        )?;
    }
    Ok(())
}
