//! `selvm node --config cluster.toml --id N PROGRAM`: one node of a cluster. Its
//! machine gets the network device, and the device's host side is the cluster
//! transport, both driven from this one thread: the machine runs in short pieces, what
//! its guest transmitted goes to the transport, what the transport received goes into
//! the device's receive ring, and an idle machine waits in the transport's poll (so a
//! message that arrives wakes it at once). The console is stdout; the transport's
//! notices (rejected peers, lost connections) go to stderr. With the environment
//! variable `SELVM_CLUSTER_FAULTS` naming a file, the node injects the faults it
//! lists (cut links, delays, losses: `selvm_cluster::faults`) and reads it again
//! whenever it changes.

use super::stages::Stages;
use super::store::Store;
use crate::drive::{Ended, HostClock, interrupt_flag};
use crate::failure::Failure;
use crate::output::ConsoleOut;
use clap::Args;
use selvm_cluster::faults::{FAULTS_ENV, FaultsFile};
use selvm_cluster::{ClusterConfig, Timeouts, Transport};
use selvm_machine::devices::NodeIdentity;
use selvm_machine::devices::network::split_output;
use selvm_machine::{Config, DeviceId, Machine, Step};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Instructions between two looks at the network (well under a millisecond).
const PIECE: u64 = 1 << 16;
/// Longest wait in one poll of an idle node with nothing due (Ctrl-C is noticed within
/// it; --timeout and the faults file shorten it). An idle cluster wakes a node only
/// for SWIM's probes (docs/cluster.md, Scale).
const POLL: Duration = Duration::from_secs(1);
/// How long a stopping node gives its Goodbyes to leave.
const LINGER: Duration = Duration::from_millis(200);
/// How often the faults file is looked at.
const FAULTS_CHECK: Duration = Duration::from_millis(100);

/// Options of `selvm node`.
#[derive(Args)]
#[command(
    after_help = "The configuration (TOML) lists the nodes of the cluster as \
[[node]] tables: id (1 to 65535), address (IP:port it listens on), public_key (its \
Noise static key, 64 hex digits), and for this node private_key or private_key_file. \
With join_key (64 hex digits, the same in every member's file) a node the running \
members' files do not list may join: its own file lists itself and at least one \
member. `selvm cluster up` writes one for a local cluster. docs/cluster.md describes \
the device, the protocol, joining and running nodes on several hosts."
)]
pub struct NodeArgs {
    /// The cluster's configuration file.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// This node's id in the configuration.
    #[arg(long, value_name = "N", value_parser = crate::options::whole::<u64, 1, 65535>)]
    pub id: u64,
    /// The node's root task: an .sbc module, or WebAssembly translated by dx first.
    pub program: PathBuf,
    /// Physical memory of the machine, in MiB (1 to 4096).
    #[arg(long, value_name = "MIB", default_value_t = 64,
          value_parser = crate::options::whole::<u64, 1, 4096>)]
    pub memory: u64,
    /// Stop after this many seconds of host time (exit status 5).
    #[arg(long, value_name = "SECONDS", value_parser = crate::options::seconds)]
    pub timeout: Option<f64>,
    /// A number the program reads from the network device's ARGUMENT register
    /// (user/cluster-node: 1 runs the key-value demo of `selvm cluster demo`; 2 serves
    /// and stays up when node 1 goes down). Any 64-bit word.
    #[arg(long, value_name = "WORD", default_value_t = 0,
          value_parser = crate::options::whole::<u64, 0, { u64::MAX }>)]
    pub argument: u64,
    /// A module of the node's store, which programs may start as processes on this
    /// node (remote spawn, docs/cluster.md): NAME=FILE (`.sbc`, or WebAssembly
    /// translated by dx). Repeat for more; the first is the store's default module.
    #[arg(long = "module", value_name = "NAME=FILE")]
    pub modules: Vec<String>,
}

/// A number new at every start, and greater at every later start (the directory keeps
/// a restarted node's latest registration by it): the time in nanoseconds with its
/// low 16 bits replaced by the process id's (two starts in one 65 µs differ by pid).
fn incarnation() -> u64 {
    let ns = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    (ns & !0xffff) | u64::from(std::process::id() & 0xffff)
}

/// 128 bits from the operating system's random source: the node's secret, which keys
/// the tokens of the caps it sends (docs/cluster.md).
fn node_secret() -> Result<[u64; 2], getrandom::Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)?;
    let word = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().unwrap_or_default());
    Ok([word(0), word(8)])
}

/// Runs `selvm node`.
pub fn node(a: &NodeArgs) -> ExitCode {
    let config = match ClusterConfig::load(&a.config) {
        Ok(c) => c,
        Err(e) => return Failure::bad_input(e.to_string()).report(),
    };
    if config.node(a.id).is_none() {
        let ids: Vec<String> = config.nodes.iter().map(|n| n.id.to_string()).collect();
        return Failure::bad_input(format!(
            "{}: no node {} (it lists nodes {})",
            a.config.display(),
            a.id,
            ids.join(", ")
        ))
        .report();
    }
    // The guest's NODES register: the highest id listed (the size of a cluster of
    // nodes 1 to N; a joined node learns the rest from the node events).
    let nodes = config.highest_id();
    let image = match crate::program::image(&a.program) {
        Ok(image) => image,
        Err(f) => return f.report(),
    };
    let store = match Store::load(&a.modules) {
        Ok(s) => s,
        Err(f) => return f.report(),
    };
    let incarnation = incarnation();
    let shared = config.clone();
    let mut transport = match Transport::bind(config, a.id, incarnation, Timeouts::default()) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::Other => {
            return Failure::bad_input(format!("{}: {e}", a.config.display())).report();
        }
        Err(e) => return Failure::host(format!("node {}: {e}", a.id)).report(),
    };
    let ram = vec![0u64; (a.memory << 20) as usize / 8];
    let mut machine = match Machine::boot(ram, &image, Config::default()) {
        Ok(m) => m,
        Err(e) => return Failure::bad_input(format!("{}: {e}", a.program.display())).report(),
    };
    machine.use_clock(Box::new(HostClock(Instant::now())));
    machine.close_input(DeviceId::CONSOLE);
    let identity = NodeIdentity {
        node: a.id,
        incarnation,
        nodes,
        argument: a.argument,
        secret: match node_secret() {
            Ok(secret) => secret,
            Err(e) => {
                return Failure::host(format!("node {}: no random source: {e}", a.id)).report();
            }
        },
    };
    let network = match machine.attach_network(identity) {
        Ok(id) => id,
        Err(e) => return Failure::bad_input(format!("the network device: {e:?}")).report(),
    };
    super::frames::attach(&mut machine, &shared, a.id);
    let mut faults = std::env::var_os(FAULTS_ENV).map(FaultsFile::new);
    if let Some(f) = &mut faults {
        match f.changed() {
            Some(Err(e)) => return Failure::bad_input(format!("{FAULTS_ENV}: {e}")).report(),
            Some(Ok(rules)) => {
                eprintln!("node {}: faults: {}", a.id, rules.describe());
                transport.set_faults(rules);
            }
            None => {}
        }
    }
    let timeout = a.timeout.map(Duration::from_secs_f64);
    let ended = drive(
        &mut machine,
        &mut transport,
        (network, &store),
        a.id,
        timeout,
        faults,
    );
    transport.leave(LINGER);
    crate::run::ended(ended, &machine)
}

/// Runs the machine and the transport until the machine stops, the timeout, Ctrl-C,
/// or output fails.
fn drive(
    m: &mut Machine,
    t: &mut Transport,
    (network, store): (DeviceId, &Store),
    id: u64,
    timeout: Option<Duration>,
    mut faults: Option<FaultsFile>,
) -> Ended {
    let started = Instant::now();
    let mut faults_checked = started;
    let interrupted = interrupt_flag();
    let mut console = ConsoleOut::new();
    let mut sent = Vec::new();
    let mut stages = Stages::from_env();
    let ended = loop {
        let ran = stages.as_ref().map(|_| Instant::now());
        let step = m.run(PIECE);
        if let (Some(s), Some(t)) = (stages.as_mut(), ran) {
            s.ran(t.elapsed());
        }
        if let Err(f) = console.write(&m.take_console()) {
            break Ended::Failed(f);
        }
        sent.clear();
        m.take_output(network, &mut sent);
        for message in split_output(&sent) {
            // A read of the node's store is answered here; the rest is the transport's.
            match store.answer(message, id) {
                Some(pieces) => pieces.iter().for_each(|p| {
                    m.push_input(network, p);
                }),
                None => {
                    if let Some(s) = stages.as_mut() {
                        s.transmitted(message);
                    }
                    t.from_guest(message);
                }
            }
        }
        let wait = match step {
            Step::Exited(exit) => break Ended::Exit(exit),
            Step::Running => Duration::ZERO,
            Step::Idle(w) => {
                let until = w
                    .until_ns
                    .map(|ns| Duration::from_nanos(ns.saturating_sub(m.now_ns())));
                let mut wait = POLL.min(until.unwrap_or(POLL));
                if let Some(limit) = timeout {
                    wait = wait.min(limit.saturating_sub(started.elapsed()));
                }
                if faults.is_some() {
                    wait = wait.min(FAULTS_CHECK);
                }
                wait
            }
        };
        // An idle machine waits here: a message from a peer ends the wait at once.
        let polled = stages.as_ref().map(|_| Instant::now());
        if let Err(e) = t.poll(wait) {
            break Ended::Failed(Failure::host(format!("node {id}: poll: {e}")));
        }
        if let (Some(s), Some(p)) = (stages.as_mut(), polled) {
            s.polled(p.elapsed(), wait);
        }
        for message in t.take_for_guest() {
            if let Some(s) = stages.as_mut() {
                s.received(&message);
            }
            m.push_input(network, &message);
        }
        for line in t.take_log() {
            eprintln!("node {id}: {line}");
        }
        if let Some(f) = faults
            .as_mut()
            .filter(|_| faults_checked.elapsed() >= FAULTS_CHECK)
        {
            faults_checked = Instant::now();
            match f.changed() {
                Some(Ok(rules)) => {
                    eprintln!("node {id}: faults: {}", rules.describe());
                    t.set_faults(rules);
                }
                Some(Err(e)) => eprintln!("node {id}: faults file ignored: {e}"),
                None => {}
            }
        }
        if interrupted.load(Ordering::SeqCst) {
            break Ended::Interrupted;
        }
        if timeout.is_some_and(|limit| started.elapsed() >= limit) {
            break Ended::Timeout(started.elapsed());
        }
    };
    for line in stages.as_mut().map(|s| s.report(id)).unwrap_or_default() {
        eprintln!("{line}");
    }
    ended
}
