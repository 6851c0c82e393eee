//! `selvm bench cluster`: a remote Call's round trip over loopback TCP next to a raw
//! TCP ping-pong of the same bytes, measured in the same run. Cases:
//!
//! - `tcp`: two threads, blocking sockets with TCP_NODELAY, each round trip one
//!   record of exactly the size the transport sends for a 2-register Call (its Noise
//!   record and length prefix) and the same back;
//! - `unix`: the same ping-pong over a Unix stream socket pair;
//! - `transport`: two `selvm_cluster::Transport`s on two threads, a Call from one
//!   guest-message API to the other and its Reply: the protocol core, Noise and mio, no
//!   machine; once over TCP (`shm = false`) and once over shared-memory rings (the
//!   co-located transport, which two nodes on one host choose by default);
//! - `guest`: `selvm cluster up -n 2` with `user/cluster-node` (built by `cargo xtask
//!   build-user user/cluster-node`): node 1's client Calls node 2's adder through a
//!   proxy for 2 s; the whole path (seL4 IPC client → network service, the device
//!   rings, both transports, the network service → adder and back); once over TCP
//!   (`--tcp`) and once on shared rings (the default on one host).
//!
//! Host cases time every round trip with `Instant` and report median and 99th
//! percentile; so does the guest case, from node 1's loop (`SELVM_NODE_STAGES`: the
//! time from one Reply handed to the guest to the next, each the answer of the client's
//! only outstanding Call), with the mean from the program's count. Throughput: the same
//! cluster run's last second, four client threads calling at once, next to four raw
//! TCP ping-pong connections at once for one second.

use crate::failure::Failure;
use crate::options::whole;
use clap::Args;
use selvm_abi::vm::network::{MSG_CALL, MSG_REPLY};
use selvm_cluster::config::{ClusterConfig, NodeConfig};
use selvm_cluster::{Timeouts, Transport, generate_keypair};
use selvm_cluster_proto::guest::Message;
use selvm_cluster_proto::wire::{Body, Frame, Payload};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Options of `selvm bench cluster`.
#[derive(Args)]
pub struct ClusterBenchArgs {
    /// Round trips per host case (1 to 10^7).
    #[arg(long, default_value_t = 20_000, value_parser = whole::<u64, 1, 10_000_000>)]
    rounds: u64,
    /// The cluster program for the guest case (default: target/user/cluster-node.sbc;
    /// the case is skipped, saying so, when it is missing).
    #[arg(long, value_name = "FILE")]
    program: Option<PathBuf>,
}

/// Bytes on the wire for one 2-register Call: the frame, Noise's 16-byte tag, the
/// record's 2-byte length.
fn call_record_bytes() -> usize {
    let call = Frame {
        from: 1,
        incarnation: 1,
        seq: 1,
        body: Body::Call(Payload {
            call_id: 1,
            object: 1,
            label: 1,
            mrs: vec![40, 2],
        }),
    };
    call.encode().len() + 16 + 2
}

/// Median and 99th percentile of `samples` (ns), in microseconds.
fn stats(samples: &mut [u64]) -> (f64, f64) {
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize] as f64 / 1e3;
    (at(0.5), at(0.99))
}

fn host(e: impl std::fmt::Display) -> Failure {
    Failure::host(e.to_string())
}

/// The raw TCP ping-pong: round trip times in ns.
fn tcp(rounds: u64, size: usize) -> Result<Vec<u64>, Failure> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(host)?;
    let addr = listener.local_addr().map_err(host)?;
    let echo = std::thread::spawn(move || -> std::io::Result<()> {
        let (mut s, _) = listener.accept()?;
        s.set_nodelay(true)?;
        let mut buf = vec![0; size];
        for _ in 0..rounds {
            s.read_exact(&mut buf)?;
            s.write_all(&buf)?;
        }
        Ok(())
    });
    let mut s = TcpStream::connect(addr).map_err(host)?;
    s.set_nodelay(true).map_err(host)?;
    let mut buf = vec![7u8; size];
    let mut samples = Vec::with_capacity(rounds as usize);
    for _ in 0..rounds {
        let t = Instant::now();
        s.write_all(&buf).map_err(host)?;
        s.read_exact(&mut buf).map_err(host)?;
        samples.push(t.elapsed().as_nanos() as u64);
    }
    echo.join()
        .map_err(|_| host("echo thread panicked"))?
        .map_err(host)?;
    Ok(samples)
}

/// The ping-pong over a Unix stream socket pair: round trip times in ns.
#[cfg(unix)]
fn unix(rounds: u64, size: usize) -> Result<Vec<u64>, Failure> {
    let (mut a, mut b) = std::os::unix::net::UnixStream::pair().map_err(host)?;
    let echo = std::thread::spawn(move || -> std::io::Result<()> {
        let mut buf = vec![0; size];
        while b.read_exact(&mut buf).is_ok() {
            b.write_all(&buf)?;
        }
        Ok(())
    });
    let mut buf = vec![7u8; size];
    let mut samples = Vec::with_capacity(rounds as usize);
    for _ in 0..rounds {
        let t = Instant::now();
        a.write_all(&buf).map_err(host)?;
        a.read_exact(&mut buf).map_err(host)?;
        samples.push(t.elapsed().as_nanos() as u64);
    }
    drop(a);
    echo.join()
        .map_err(|_| host("echo thread panicked"))?
        .map_err(host)?;
    Ok(samples)
}

/// Where there are no Unix sockets (Windows), the row says so.
#[cfg(not(unix))]
fn unix(_rounds: u64, _size: usize) -> Result<Vec<u64>, Failure> {
    Err(host("no Unix sockets on this host"))
}

/// Two nodes on free loopback ports (talking through shared rings when `shm`).
fn pair(shm: bool) -> Result<ClusterConfig, Failure> {
    let held: Vec<TcpListener> = (0..2)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()
        .map_err(host)?;
    let mut nodes = Vec::new();
    for (i, l) in held.iter().enumerate() {
        let (private, public) = generate_keypair().map_err(host)?;
        nodes.push(NodeConfig {
            id: i as u64 + 1,
            address: l.local_addr().map_err(host)?,
            public_key: public,
            private_key: Some(private),
        });
    }
    Ok(ClusterConfig {
        nodes,
        join_key: None,
        shm,
    })
}

/// Transport to transport: round trip times in ns.
fn transport(rounds: u64, shm: bool) -> Result<Vec<u64>, Failure> {
    let config = pair(shm)?;
    let mut client = Transport::bind(config.clone(), 2, 2, Timeouts::default()).map_err(host)?;
    let mut server = Transport::bind(config, 1, 1, Timeouts::default()).map_err(host)?;
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = Arc::clone(&stop);
    let echo = std::thread::spawn(move || -> std::io::Result<()> {
        while !stopped.load(Ordering::Relaxed) {
            server.poll(Duration::from_millis(5))?;
            for m in server.take_for_guest() {
                let Ok(m) = Message::decode(&m) else { continue };
                if m.kind == MSG_CALL {
                    let reply = Message {
                        kind: MSG_REPLY,
                        object: 0,
                        label: 0,
                        ..m
                    };
                    server.from_guest(&reply.encode());
                }
            }
        }
        Ok(())
    });
    let end = Instant::now() + Duration::from_secs(10);
    while !client.is_up(1) {
        if Instant::now() > end {
            return Err(host("the transports did not connect within 10 s"));
        }
        client.poll(Duration::from_millis(5)).map_err(host)?;
    }
    if client.shared_ring_with(1) != shm {
        return Err(host("the transports did not choose the expected path"));
    }
    client.take_for_guest();
    let mut samples = Vec::with_capacity(rounds as usize);
    for id in 0..rounds {
        let call = Message {
            kind: MSG_CALL,
            node: 1,
            call_id: id,
            object: 1,
            label: 1,
            mrs: vec![40, 2],
        };
        let t = Instant::now();
        client.from_guest(&call.encode());
        'wait: loop {
            client.poll(Duration::from_millis(100)).map_err(host)?;
            for m in client.take_for_guest() {
                if Message::decode(&m).is_ok_and(|m| m.kind == MSG_REPLY && m.call_id == id) {
                    break 'wait;
                }
            }
        }
        samples.push(t.elapsed().as_nanos() as u64);
    }
    stop.store(true, Ordering::Relaxed);
    echo.join()
        .map_err(|_| host("echo thread panicked"))?
        .map_err(host)?;
    Ok(samples)
}

/// What a guest case measured.
struct Guest {
    /// Calls answered by one client in 2 s.
    one: u64,
    /// Calls answered by four clients at once in 1 s.
    four: u64,
    /// Node 1's round trips (median, p99 µs), if its loop printed them.
    round: Option<(f64, f64)>,
}

/// The median and p99 in a `stages: round median M us, p99 P us, …` line.
fn round_figures(line: &str) -> Option<(f64, f64)> {
    let rest = line.split("stages: round median ").nth(1)?;
    let (median, rest) = rest.split_once(" us, p99 ")?;
    let (p99, _) = rest.split_once(" us")?;
    Some((median.parse().ok()?, p99.parse().ok()?))
}

/// The guest case's figures, or why it was skipped.
fn guest(program: &PathBuf, shm: bool) -> Result<Guest, String> {
    if !program.is_file() {
        return Err(format!(
            "{} missing: cargo xtask build-user user/cluster-node",
            program.display()
        ));
    }
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = std::process::Command::new(exe)
        .args(["cluster", "up", "-n", "2", "--timeout", "60"])
        .args((!shm).then_some("--tcp"))
        .arg(program)
        .env(super::stages::STAGES_ENV, "1")
        .output()
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stdout);
    let count = |prefix: &str| {
        text.lines().find_map(|l| {
            let rest = l.strip_prefix("[node 1] ")?.strip_prefix(prefix)?;
            rest.split(' ').next()?.parse::<u64>().ok()
        })
    };
    let errors = String::from_utf8_lossy(&out.stderr);
    let round = (errors.lines())
        .filter(|l| l.starts_with("[node 1] "))
        .find_map(round_figures);
    match (count("one client: "), count("4 clients at once: ")) {
        (Some(one), Some(four)) => Ok(Guest { one, four, round }),
        _ => Err(format!("the cluster run printed no counts:\n{text}")),
    }
}

/// Four raw TCP ping-pong connections at once for one second: round trips.
fn tcp_together(size: usize) -> Result<u64, Failure> {
    let until = Instant::now() + Duration::from_secs(1);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(move || -> std::io::Result<u64> {
                let listener = TcpListener::bind("127.0.0.1:0")?;
                let addr = listener.local_addr()?;
                let echo = std::thread::spawn(move || -> std::io::Result<()> {
                    let (mut s, _) = listener.accept()?;
                    s.set_nodelay(true)?;
                    let mut buf = vec![0; size];
                    while s.read_exact(&mut buf).is_ok() {
                        s.write_all(&buf)?;
                    }
                    Ok(())
                });
                let mut s = TcpStream::connect(addr)?;
                s.set_nodelay(true)?;
                let mut buf = vec![7u8; size];
                let mut rounds = 0;
                while Instant::now() < until {
                    s.write_all(&buf)?;
                    s.read_exact(&mut buf)?;
                    rounds += 1;
                }
                drop(s);
                let _ = echo.join();
                Ok(rounds)
            })
        })
        .collect();
    let mut total = 0;
    for t in threads {
        total += t
            .join()
            .map_err(|_| host("a ping-pong thread panicked"))?
            .map_err(host)?;
    }
    Ok(total)
}

/// Runs `selvm bench cluster`.
pub fn bench(a: &ClusterBenchArgs) -> Result<(), Failure> {
    let size = call_record_bytes();
    let (raw_med, raw_p99) = stats(&mut tcp(a.rounds, size)?);
    let (u_med, u_p99) = stats(&mut unix(a.rounds, size)?);
    let (t_med, t_p99) = stats(&mut transport(a.rounds, false)?);
    let (s_med, s_p99) = stats(&mut transport(a.rounds, true)?);
    outln!(
        "remote Call round trip, {size}-byte records each way, {} rounds",
        a.rounds
    )?;
    outln!(
        "{:<58} {:>10} {:>10} {:>8}",
        "case",
        "median us",
        "p99 us",
        "x TCP"
    )?;
    let row = |name: &str, med: f64, p99: f64| -> Result<(), Failure> {
        outln!("{name:<58} {med:>10.1} {p99:>10.1} {:>8.2}", med / raw_med)
    };
    row("tcp: raw TCP ping-pong (same bytes)", raw_med, raw_p99)?;
    row("unix: Unix socket ping-pong (same bytes)", u_med, u_p99)?;
    row(
        "transport: Call/Reply over TCP (core + Noise + mio)",
        t_med,
        t_p99,
    )?;
    row(
        "transport: Call/Reply over shared rings (core + ring)",
        s_med,
        s_p99,
    )?;
    outln!(
        "shared rings / TCP transport: median {:.2}, p99 {:.2} (target: at most 0.33)",
        s_med / t_med,
        s_p99 / t_p99
    )?;
    let program =
        (a.program.clone()).unwrap_or_else(|| PathBuf::from("target/user/cluster-node.sbc"));
    let tcp4 = tcp_together(size)?;
    let mut fours = Vec::new();
    for (shm, how) in [(false, "TCP"), (true, "shared rings")] {
        match guest(&program, shm) {
            Ok(g) if g.one > 0 => {
                let mean = 2e6 / g.one as f64;
                if let Some((med, p99)) = g.round {
                    row(&format!("guest over {how}: seL4 Call via proxy"), med, p99)?;
                }
                let name = format!("guest over {how}: the same, mean of {} calls", g.one);
                outln!(
                    "{name:<58} {mean:>10.1} {:>10} {:>8.2}",
                    "-",
                    mean / raw_med
                )?;
                fours.push((how, g.four));
            }
            Ok(_) => outln!("guest over {how}: no call answered")?,
            Err(why) => outln!("guest over {how}: skipped ({why})")?,
        }
    }
    if !fours.is_empty() {
        outln!()?;
        outln!(
            "{:<58} {:>10} {:>8}",
            "throughput, 4 at once for 1 s",
            "calls/s",
            "/ TCP"
        )?;
        outln!(
            "{:<58} {tcp4:>10} {:>8.2}",
            "tcp: 4 raw ping-pong connections",
            1.0
        )?;
        for (how, four) in fours {
            let name = format!("guest over {how}: 4 client threads, 2 nodes");
            outln!("{name:<58} {four:>10} {:>8.2}", four as f64 / tcp4 as f64)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::round_figures;

    #[test]
    fn a_round_line_gives_its_median_and_p99() {
        let line = "[node 1] node 1: stages: round median 37.5 us, p99 407.2 us, 30367 calls";
        assert_eq!(round_figures(line), Some((37.5, 407.2)));
        assert_eq!(round_figures("node 1: stages: away median 1.0 us"), None);
        assert_eq!(round_figures("stages: round median x us, p99 1 us"), None);
    }
}
