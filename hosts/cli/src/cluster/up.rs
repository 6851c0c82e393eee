//! `selvm cluster up -n N PROGRAM…`: a local cluster on 127.0.0.1. Generates a key
//! pair per node and a configuration (free ports, every private key, and a join key,
//! in a private temporary folder whose path it prints, so another
//! `selvm node` may join while it runs), starts `selvm node` once per node as a child process, and shows
//! every node's output line by line prefixed `[node I]` (stderr lines on stderr). The
//! cluster outlives a node that dies (that is what clusters are for): the command ends
//! when every node has ended, and exits 0 if every node did, else with the first
//! failing node's status; --timeout and Ctrl-C stop every node.

use super::layout::{LAYOUT_ARGUMENT, Layout};
use crate::drive::interrupt_flag;
use crate::failure::Failure;
use clap::Args;
use selvm_cluster::config::{ClusterConfig, NodeConfig};
use selvm_machine::status;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

/// Options of `selvm cluster up`.
#[derive(Args)]
#[command(
    after_help = "Each node is a `selvm node` process (see `selvm node --help`) \
with its own machine, network device and transport (TCP + Noise on 127.0.0.1, then \
shared-memory rings between these co-located nodes unless --tcp). The \
first lines say each node's process id and address, so a node can be killed to watch \
the others fail cleanly. Exit status: 0 when every node ended with 0; otherwise the \
first failing node's (1 for a node killed by a signal); 5 on --timeout."
)]
pub struct UpArgs {
    /// Nodes to start (1 to 64).
    #[arg(short = 'n', long = "nodes", value_name = "N", default_value_t = 3,
          value_parser = crate::options::whole::<u64, 1, 64>)]
    pub nodes: u64,
    /// Root tasks: one for every node, or one per node in id order. Or one layout: a
    /// module exporting cluster_start, which node 1's root task (--root-task) spawns
    /// from its store and which places the rest of the system (docs/cluster.md).
    #[arg(required = true, value_name = "PROGRAM")]
    pub programs: Vec<PathBuf>,
    /// Physical memory of each machine, in MiB (1 to 4096).
    #[arg(long, value_name = "MIB", default_value_t = 64,
          value_parser = crate::options::whole::<u64, 1, 4096>)]
    pub memory: u64,
    /// Stop every node after this many seconds (exit status 5).
    #[arg(long, value_name = "SECONDS", value_parser = crate::options::seconds)]
    pub timeout: Option<f64>,
    /// The number every node's program reads from its network device's ARGUMENT
    /// register (`selvm node --argument`; user/cluster-node: 2 makes every node idle,
    /// serving, node 1 included).
    #[arg(long, value_name = "WORD", default_value_t = 0,
          value_parser = crate::options::whole::<u64, 0, { u64::MAX }>)]
    pub argument: u64,
    /// Nodes keep TCP even though they share this host (`shm = false` in the
    /// configuration; by default they find that out and use shared-memory rings,
    /// docs/cluster.md).
    #[arg(long)]
    pub tcp: bool,
    /// The nodes' root task when the program is a layout (a module exporting
    /// cluster_start, which node 1 spawns): by default user/cluster-node.sbc in the
    /// folder above this selvm's (target/).
    #[arg(long, value_name = "FILE")]
    pub root_task: Option<PathBuf>,
    /// A module for every node's store after the layout (NAME=FILE), which the layout
    /// may spawn by name. Repeat for more.
    #[arg(long = "module", value_name = "NAME=FILE")]
    pub modules: Vec<String>,
}

/// A line one node printed.
pub(super) struct Line {
    pub(super) node: u64,
    pub(super) stderr: bool,
    pub(super) text: String,
}

/// Runs `selvm cluster up`.
pub fn up(a: &UpArgs) -> ExitCode {
    let n = a.nodes;
    if a.programs.len() != 1 && a.programs.len() as u64 != n {
        let got = a.programs.len();
        return Failure::usage(format!(
            "give one program for every node, or {n} (got {got})"
        ))
        .report();
    }
    for p in &a.programs {
        if !p.is_file() {
            return Failure::bad_input(format!("{}: not a readable file", p.display())).report();
        }
    }
    let layout = match super::layout::of(&a.programs, a.root_task.as_deref(), &a.modules) {
        Ok(l) => l,
        Err(f) => return f.report(),
    };
    if layout.is_some() && a.argument != 0 {
        return Failure::usage("a layout's nodes take no --argument").report();
    }
    let config = match local_config(n, !a.tcp) {
        Ok(c) => c,
        Err(f) => return f.report(),
    };
    let dir = match private_dir() {
        Ok(d) => d,
        Err(f) => return f.report(),
    };
    let path = dir.join("cluster.toml");
    if let Err(e) = std::fs::write(&path, config.to_toml()) {
        return Failure::host(format!("{}: {e}", path.display())).report();
    }
    let result = run(a, &config, &path, layout.as_ref());
    let _ = std::fs::remove_dir_all(&dir);
    // The nodes' shared frames file (docs/cluster.md): the cluster has ended.
    #[cfg(unix)]
    let _ = std::fs::remove_file(selvm_cluster::frames::path(
        &selvm_cluster::shm::folder(),
        &config.frames_tag(),
    ));
    result
}

/// A configuration of `n` nodes on free loopback ports with fresh keys and a fresh
/// join key; `shm`: whether they may use shared rings (else `shm = false`).
pub(super) fn local_config(n: u64, shm: bool) -> Result<ClusterConfig, Failure> {
    let mut nodes = Vec::new();
    // Hold every listener until all ports are chosen, so no two nodes get one port.
    let mut held = Vec::new();
    for id in 1..=n {
        let l = std::net::TcpListener::bind("127.0.0.1:0")
            .map_err(|e| Failure::host(format!("no free port on 127.0.0.1: {e}")))?;
        let address = l.local_addr().map_err(|e| Failure::host(e.to_string()))?;
        held.push(l);
        let (private, public) = selvm_cluster::generate_keypair().map_err(Failure::host)?;
        nodes.push(NodeConfig {
            id,
            address,
            public_key: public,
            private_key: Some(private),
        });
    }
    // Random bytes: a private key is 32 of them.
    let join_key = Some(selvm_cluster::generate_keypair().map_err(Failure::host)?.0);
    Ok(ClusterConfig {
        nodes,
        join_key,
        shm,
    })
}

/// A fresh folder only this user can read (it holds private keys).
pub(super) fn private_dir() -> Result<PathBuf, Failure> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let dir = std::env::temp_dir().join(format!("selvm-cluster-{}-{nanos}", std::process::id()));
    #[cfg_attr(not(unix), allow(unused_mut))]
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(&dir)
        .map_err(|e| Failure::host(format!("{}: {e}", dir.display())))?;
    Ok(dir)
}

fn run(a: &UpArgs, config: &ClusterConfig, path: &Path, layout: Option<&Layout>) -> ExitCode {
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => return Failure::host(format!("cannot find selvm itself: {e}")).report(),
    };
    if config.join_key.is_some() {
        println!(
            "[cluster] configuration {} (with its join key another node may join)",
            path.display()
        );
    }
    let (send, lines) = mpsc::channel();
    let mut children: Vec<(u64, Child)> = Vec::new();
    for node in &config.nodes {
        let program = &a.programs[(node.id as usize - 1) % a.programs.len()];
        let (program, argument) = match layout {
            Some(l) => (&l.root_task, LAYOUT_ARGUMENT),
            None => (program, a.argument),
        };
        let spawned = Command::new(&exe)
            .args(["node", "--config"])
            .arg(path)
            .args([
                "--id",
                &node.id.to_string(),
                "--memory",
                &a.memory.to_string(),
                "--argument",
                &argument.to_string(),
            ])
            .args(layout.map_or(&[][..], |l| &l.store))
            .arg(program)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match spawned {
            Ok(c) => c,
            Err(e) => {
                stop(&mut children);
                return Failure::host(format!("cannot start node {}: {e}", node.id)).report();
            }
        };
        println!(
            "[cluster] node {} is pid {} at {}",
            node.id,
            child.id(),
            node.address
        );
        if let Some(out) = child.stdout.take() {
            forward(node.id, false, out, send.clone());
        }
        if let Some(err) = child.stderr.take() {
            forward(node.id, true, err, send.clone());
        }
        children.push((node.id, child));
    }
    drop(send);
    wait(a, children, &lines)
}

/// Sends every line `stream` gives to the printer, on a thread of its own.
pub(super) fn forward(
    node: u64,
    stderr: bool,
    stream: impl Read + Send + 'static,
    to: Sender<Line>,
) {
    let reader = move || {
        for text in BufReader::new(stream).lines().map_while(Result::ok) {
            if to.send(Line { node, stderr, text }).is_err() {
                return;
            }
        }
    };
    let _ = std::thread::Builder::new()
        .name(format!("node {node}"))
        .spawn(reader);
}

/// Prints lines as they come and collects exit statuses until every node has ended.
fn wait(a: &UpArgs, mut children: Vec<(u64, Child)>, lines: &Receiver<Line>) -> ExitCode {
    let started = Instant::now();
    let interrupted = interrupt_flag();
    let timeout = a.timeout.map(Duration::from_secs_f64);
    let mut statuses: Vec<(u64, u8)> = Vec::new();
    let mut streams_open = true;
    while !children.is_empty() || streams_open {
        match lines.recv_timeout(Duration::from_millis(20)) {
            Ok(l) if l.stderr => eprintln!("[node {}] {}", l.node, l.text),
            Ok(l) => println!("[node {}] {}", l.node, l.text),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => streams_open = false,
        }
        children.retain_mut(|(id, child)| match child.try_wait() {
            Ok(Some(s)) => {
                let code = s.code().map_or(1, |c| c.clamp(0, 255) as u8);
                println!("[cluster] node {id} ended: {s}");
                statuses.push((*id, code));
                false
            }
            _ => true,
        });
        if interrupted.load(Ordering::SeqCst) {
            stop(&mut children);
            return Failure::new(status::INTERRUPTED, "interrupted: every node stopped").report();
        }
        if timeout.is_some_and(|t| started.elapsed() >= t) && !children.is_empty() {
            stop(&mut children);
            let message = format!(
                "stopped every node after {:.1?} (--timeout)",
                started.elapsed()
            );
            return Failure::new(status::LIMIT, message).report();
        }
    }
    statuses.sort();
    match statuses.iter().find(|(_, code)| *code != 0) {
        None => ExitCode::from(status::CLEAN),
        Some(&(_, code)) => ExitCode::from(code),
    }
}

/// Kills every node still running and reaps it.
fn stop(children: &mut Vec<(u64, Child)>) {
    for (_, c) in children.iter_mut() {
        let _ = c.kill();
        let _ = c.wait();
    }
    children.clear();
}
