//! `selvm cluster demo [PROGRAM]`: three nodes on 127.0.0.1 running
//! `user/cluster-node`'s key-value demo (`--argument 1`): a primary on node 1 whose
//! state, a CRDT, is replicated to a standby on node 2, found by clients on nodes 2
//! and 3 through the cluster's name service. The command drives the story and prints
//! each step `[demo] …` between the nodes' own lines `[node I] …`: the clients write
//! and read back; node 1 is killed (SIGKILL); the clients report the error and fail
//! over to the standby; node 1 is started again (a new incarnation) and takes the
//! standby's state; the clients go back to it; every node is stopped. Exit status 0
//! when every step was seen in time, 7 when one was not (its missing line is named),
//! 9 when a node could not be started.

use super::up::{Line, forward, local_config, private_dir};
use crate::failure::Failure;
use clap::Args;
use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant};

/// Longest wait for one step.
const STEP: Duration = Duration::from_secs(30);

/// Options of `selvm cluster demo`.
#[derive(Args)]
pub struct DemoArgs {
    /// The nodes' root task (`cargo xtask build-user user/cluster-node` builds it).
    #[arg(value_name = "PROGRAM", default_value = "target/user/cluster-node.sbc")]
    pub program: PathBuf,
}

/// The running demo: its nodes and their lines.
struct Demo {
    exe: PathBuf,
    config: PathBuf,
    program: PathBuf,
    nodes: Vec<(u64, Child)>,
    send: Sender<Line>,
    lines: Receiver<Line>,
    seen: Vec<String>,
}

/// Runs `selvm cluster demo`.
pub fn demo(a: &DemoArgs) -> ExitCode {
    if !a.program.is_file() {
        return Failure::bad_input(format!(
            "{}: not a readable file (build it with `cargo xtask build-user user/cluster-node`)",
            a.program.display()
        ))
        .report();
    }
    let (config, dir) = match local_config(3, true).and_then(|c| Ok((c, private_dir()?))) {
        Ok(c) => c,
        Err(f) => return f.report(),
    };
    let path = dir.join("cluster.toml");
    if let Err(e) = std::fs::write(&path, config.to_toml()) {
        return Failure::host(format!("{}: {e}", path.display())).report();
    }
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => return Failure::host(format!("cannot find selvm itself: {e}")).report(),
    };
    let (send, lines) = mpsc::channel();
    let mut d = Demo {
        exe,
        config: path,
        program: a.program.clone(),
        nodes: Vec::new(),
        send,
        lines,
        seen: Vec::new(),
    };
    let result = d.run();
    for (_, c) in &mut d.nodes {
        let _ = c.kill();
        let _ = c.wait();
    }
    let _ = std::fs::remove_dir_all(&dir);
    // The nodes' shared frames file (docs/cluster.md): the cluster has ended.
    #[cfg(unix)]
    let _ = std::fs::remove_file(selvm_cluster::frames::path(
        &selvm_cluster::shm::folder(),
        &config.frames_tag(),
    ));
    match result {
        Ok(()) => {
            println!("[demo] every step seen: the demo is done");
            ExitCode::SUCCESS
        }
        Err(f) => f.report(),
    }
}

impl Demo {
    fn run(&mut self) -> Result<(), Failure> {
        let started = Instant::now();
        println!(
            "[demo] starting 3 nodes: kv primary on node 1, standby and a client on node 2, a client on node 3"
        );
        for id in 1..=3 {
            self.start(id)?;
        }
        self.wait_for(1, "kv primary: serving, registered as kv")?;
        for c in [2, 3] {
            self.wait_for(c, "client: found kv on node 1")?;
            self.wait_for(c, &format!("client: wrote key {c} = "))?;
        }
        // Some more writes before the kill.
        self.pause(Duration::from_millis(500));
        let pid = self.pid(1);
        println!("[demo] step 1 done: both clients write and read back through kv on node 1");
        println!("[demo] killing node 1 (pid {pid}) with SIGKILL");
        self.kill(1);
        for c in [2, 3] {
            self.wait_for(c, "client: call to node 1 failed: peer down")?;
            let l = self.wait_for(c, "client: failed over to kv-standby on node 2: key")?;
            if !l.ends_with(", the last value written") {
                return Err(Failure::check(format!("a write was lost: {l}")));
            }
        }
        println!(
            "[demo] step 2 done: both clients saw the error and failed over to the standby on node 2"
        );
        println!("[demo] restarting node 1");
        self.start(1)?;
        // The clients wrote keys 2 and 3: the new life holds both, from the standby.
        self.wait_for(1, "kv primary: merged the standby's state, keys written: 2")?;
        for c in [2, 3] {
            self.wait_for(c, "client: kv on node 1 is back with key")?;
            let l = self.wait_for(c, "client: done: ")?;
            if !l.ends_with(", 0 wrong") {
                return Err(Failure::check(format!("wrong answers: {l}")));
            }
        }
        println!(
            "[demo] step 3 done: node 1 came back with the standby's state and both clients use it again"
        );
        println!(
            "[demo] stopping every node ({:.1} s in all)",
            started.elapsed().as_secs_f64()
        );
        Ok(())
    }

    /// Starts node `id` (again).
    fn start(&mut self, id: u64) -> Result<(), Failure> {
        let mut child = Command::new(&self.exe)
            .args(["node", "--argument", "1", "--config"])
            .arg(&self.config)
            .args(["--id", &id.to_string()])
            .arg(&self.program)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Failure::host(format!("cannot start node {id}: {e}")))?;
        println!("[demo] node {id} is pid {}", child.id());
        if let Some(out) = child.stdout.take() {
            forward(id, false, out, self.send.clone());
        }
        if let Some(err) = child.stderr.take() {
            forward(id, true, err, self.send.clone());
        }
        self.nodes.retain(|(n, _)| *n != id);
        self.nodes.push((id, child));
        Ok(())
    }

    fn pid(&self, id: u64) -> u32 {
        (self.nodes.iter())
            .find(|(n, _)| *n == id)
            .map_or(0, |(_, c)| c.id())
    }

    /// Kills node `id` and reaps it.
    fn kill(&mut self, id: u64) {
        if let Some((_, c)) = self.nodes.iter_mut().find(|(n, _)| *n == id) {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Prints lines as they come for `time`.
    fn pause(&mut self, time: Duration) {
        let end = Instant::now() + time;
        while let Ok(l) = (self.lines).recv_timeout(end.saturating_duration_since(Instant::now())) {
            self.show(l);
        }
    }

    /// Prints a node's line (keeping stdout lines for the steps).
    fn show(&mut self, l: Line) {
        let text = format!("[node {}] {}", l.node, l.text);
        if l.stderr {
            eprintln!("{text}");
        } else {
            println!("{text}");
            self.seen.push(text);
        }
    }

    /// Prints lines as they come until node `id` printed one containing `what` (each
    /// line satisfies one wait); that line, or a failure after [`STEP`].
    fn wait_for(&mut self, id: u64, what: &str) -> Result<String, Failure> {
        let prefix = format!("[node {id}] ");
        let end = Instant::now() + STEP;
        loop {
            let hit = (self.seen.iter()).position(|l| l.starts_with(&prefix) && l.contains(what));
            if let Some(i) = hit {
                return Ok(self.seen.remove(i));
            }
            let left = end.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => self.show(l),
                Err(_) => {
                    return Err(Failure::check(format!(
                        "the demo failed: node {id} printed no line with {what:?} within {STEP:?}"
                    )));
                }
            }
        }
    }
}
