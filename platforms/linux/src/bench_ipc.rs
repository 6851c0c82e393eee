//! `selvm bench ipc`: IPC on the hosted machine (the kernel on the register VM)
//! next to Linux baselines, measured in the same run. Hosted cases: a
//! Call/ReplyRecv round trip between two address spaces on the fastpath and
//! with the fastpath off, a Signal/Wait ping-pong, and a null syscall (Yield).
//! Baselines: a pipe ping-pong between two processes and a Unix-socket
//! ping-pong between two threads. Each case runs `--reps` times; the table
//! shows the median and the slowest run's ns per operation, and (hosted) VM
//! instructions and kernel entries per operation, which are deterministic.

use clap::Args;
use selvm_host::bench_programs::{call_reply_recv, null_syscall, signal_wait};
use selvm_host::{Config, Exit, Machine};
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::Instant;

/// Options of `selvm bench ipc`.
#[derive(Args)]
pub struct IpcArgs {
    /// Operations (round trips) per run.
    #[arg(long, default_value_t = 200_000, value_parser = clap::value_parser!(u64).range(1..))]
    rounds: u64,
    /// Runs per case.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    reps: u64,
    /// Run only the cases whose name contains this (for callgrind).
    #[arg(long)]
    only: Option<String>,
    /// Internal: echo bytes from stdin to stdout (the pipe baseline's other process).
    #[arg(long, hide = true)]
    echo_child: bool,
}

struct Row {
    name: &'static str,
    ns: Vec<f64>,
    instructions: Option<f64>,
    entries: Option<f64>,
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// One hosted case: `reps` runs of `source`, timing only the machine's run.
fn hosted(name: &'static str, source: &str, fastpath: bool, a: &IpcArgs) -> Result<Row, String> {
    let image = selvm_vm::asm::assemble(source).map_err(|e| format!("{name}: {e:?}"))?;
    let mut ns = Vec::new();
    let (mut instructions, mut entries) = (0, 0);
    for _ in 0..a.reps {
        let mut ram = vec![0u64; (16 << 20) / 8];
        let mut m = Machine::boot(&mut ram, &image, Config::default())
            .map_err(|e| format!("{name}: {e}"))?;
        m.set_fastpath(fastpath);
        let t = Instant::now();
        let exit = m.run(|_| {});
        let elapsed = t.elapsed().as_nanos() as f64;
        if exit != Exit::Halted(0) {
            return Err(format!("{name}: the benchmark program ended with {exit:?}"));
        }
        ns.push(elapsed / a.rounds as f64);
        (instructions, entries) = (m.instructions, m.kernel_entries);
    }
    Ok(Row {
        name,
        ns,
        instructions: Some(instructions as f64 / a.rounds as f64),
        entries: Some(entries as f64 / a.rounds as f64),
    })
}

/// Pipe ping-pong with a child process (this binary, echoing).
fn pipe(a: &IpcArgs) -> Result<Row, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut ns = Vec::new();
    for _ in 0..a.reps {
        let mut child = Command::new(&exe)
            .args(["bench", "ipc", "--echo-child"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("pipe baseline: {e}"))?;
        let (mut to, mut from) = (child.stdin.take().unwrap(), child.stdout.take().unwrap());
        let mut b = [0u8; 1];
        let t = Instant::now();
        for _ in 0..a.rounds {
            to.write_all(&b).map_err(|e| e.to_string())?;
            from.read_exact(&mut b).map_err(|e| e.to_string())?;
        }
        ns.push(t.elapsed().as_nanos() as f64 / a.rounds as f64);
        drop(to);
        let _ = child.wait();
    }
    Ok(Row {
        name: "Linux pipe ping-pong (2 processes)",
        ns,
        instructions: None,
        entries: None,
    })
}

/// Unix-socket ping-pong between two threads.
fn socket(a: &IpcArgs) -> Result<Row, String> {
    use std::os::unix::net::UnixStream;
    let mut ns = Vec::new();
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
        let mut b = [0u8; 1];
        let t = Instant::now();
        for _ in 0..a.rounds {
            here.write_all(&b).map_err(|e| e.to_string())?;
            here.read_exact(&mut b).map_err(|e| e.to_string())?;
        }
        ns.push(t.elapsed().as_nanos() as f64 / a.rounds as f64);
        let _ = peer.join();
    }
    Ok(Row {
        name: "Linux Unix-socket ping-pong (2 threads)",
        ns,
        instructions: None,
        entries: None,
    })
}

/// Runs `selvm bench ipc`.
pub fn ipc(a: &IpcArgs) -> Result<(), String> {
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
    let wanted = |name: &str| a.only.as_ref().is_none_or(|o| name.contains(o.as_str()));
    let n = a.rounds;
    let mut rows = Vec::new();
    let cases: [(&'static str, String, bool); 4] = [
        (
            "hosted Call/ReplyRecv, 2 address spaces, fastpath",
            call_reply_recv(n),
            true,
        ),
        (
            "hosted Call/ReplyRecv, 2 address spaces, slow path",
            call_reply_recv(n),
            false,
        ),
        (
            "hosted Signal/Wait ping-pong, 2 address spaces",
            signal_wait(n),
            true,
        ),
        ("hosted null syscall (Yield)", null_syscall(n), true),
    ];
    for (name, source, fastpath) in &cases {
        if wanted(name) {
            eprintln!("running {name} ...");
            rows.push(hosted(name, source, *fastpath, a)?);
        }
    }
    if wanted("Linux pipe") {
        eprintln!("running the pipe baseline ...");
        rows.push(pipe(a)?);
    }
    if wanted("Linux Unix-socket") {
        eprintln!("running the socket baseline ...");
        rows.push(socket(a)?);
    }
    println!(
        "{} operations per run, {} runs per case (ns per operation: median and slowest run)\n",
        n, a.reps
    );
    println!(
        "{:<52} {:>10} {:>10} {:>12} {:>10}",
        "case", "median ns", "max ns", "VM instr/op", "entries/op"
    );
    for mut r in rows {
        let max = r.ns.iter().copied().fold(0.0, f64::max);
        let med = median(&mut r.ns);
        let opt = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.1}"));
        println!(
            "{:<52} {:>10.0} {:>10.0} {:>12} {:>10}",
            r.name,
            med,
            max,
            opt(r.instructions),
            opt(r.entries)
        );
    }
    Ok(())
}
