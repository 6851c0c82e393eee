//! Remote process creation: `selvm cluster up -n 3 cluster-system.sbc` runs the layout
//! (user/cluster-system) on node 1, which spawns an adder on node 2 and a relay on
//! node 3 from the nodes' stores, connects them and checks their answers, and finds
//! each refusal documented: a module no store has, one that does not verify (the
//! test's `bad`, cluster-system with its first function's code overwritten), a node
//! beyond the cluster, another node's pool, a pool filled until it has no memory
//! left. And a layout that does not verify is refused at node 1 with the
//! layout's failure status; `--module` and `--root-task` are refused for root tasks.

use super::*;

/// The layout program, where built (`cargo xtask build-user user/cluster-system`).
fn cluster_system() -> PathBuf {
    std::env::var_os("SELVM_CLUSTER_SYSTEM").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/user/cluster-system.sbc"),
        PathBuf::from,
    )
}

/// `module` with its first function's instruction words overwritten by all ones (no
/// instruction): it still parses, with its exports, but the verifier refuses it.
fn unverifiable(module: &[u8]) -> Vec<u8> {
    let m = selvm_bytecode::Module::parse(module).unwrap();
    let f = m.func(0).unwrap();
    let words: Vec<[u8; 8]> = (f.code_start..f.code_start + f.code_len.min(4))
        .map(|i| m.code_word(i).unwrap().to_le_bytes())
        .collect();
    let pattern = words.concat();
    let at = module
        .windows(pattern.len())
        .position(|w| w == pattern)
        .expect("the first function's code");
    let mut bad = module.to_vec();
    bad[at..at + 8 * f.code_len as usize].fill(0xff);
    bad
}

/// `selvm cluster up -n 3 LAYOUT [--module bad=BAD]`, run to its end.
fn up(layout: &std::path::Path, bad: Option<&std::path::Path>) -> (i32, Vec<String>) {
    let root = cluster_node();
    let module = bad.map(|b| format!("bad={}", b.display()));
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "cluster".as_ref(),
        "up".as_ref(),
        "-n".as_ref(),
        "3".as_ref(),
        "--timeout".as_ref(),
        "60".as_ref(),
        "--root-task".as_ref(),
        root.as_os_str(),
        layout.as_os_str(),
    ];
    if let Some(m) = &module {
        args.extend::<[&std::ffi::OsStr; 2]>(["--module".as_ref(), m.as_ref()]);
    }
    Running::start(&args).finish(Duration::from_secs(90))
}

#[test]
#[ignore = "needs target/user/cluster-node.sbc and cluster-system.sbc: cargo xtask test builds them"]
fn a_layout_on_node_1_spawns_and_connects_workers_on_nodes_2_and_3() {
    let dir = temp_dir("spawn");
    let bad = dir.join("bad.sbc");
    std::fs::write(
        &bad,
        unverifiable(&std::fs::read(cluster_system()).unwrap()),
    )
    .unwrap();
    let (status, lines) = up(&cluster_system(), Some(&bad));
    let said = |l: &str| lines.iter().any(|x| x == &format!("[node 1] layout: {l}"));
    for l in [
        "running on node 1 of 3",
        "the adder on node 2 answers 2 + 3 = 5",
        "the relay on node 3 called the adder it was sent: 20 + 22 = 42 from node 2",
        "no-such-module on node 2 answers error 7",
        "bad on node 3 answers error 10",
        "node 4 answers error 3",
        "node 3 spawning in node 1's pool on node 2 answers error 5",
        "every answer was right",
    ] {
        assert!(said(l), "no `{l}`: {lines:#?}");
    }
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("[node 1] layout: adder spawned on node 2 as object "))
    );
    let filled = "[node 1] layout: pool 1 on node 3 held ";
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(filled) && l.ends_with(" processes, then answered error 11")),
        "{lines:#?}"
    );
    assert_eq!(status, 0, "{lines:#?}");
    // A layout that does not verify: node 1 cannot spawn it and stops with 1.
    let (status, lines) = up(&bad, None);
    let refused = "[node 1] layout: the store's first module was not spawned: error 10";
    assert!(lines.iter().any(|l| l == refused), "{lines:#?}");
    // Node 1 stops the others (they may never have seen it up, so would not see it go).
    for node in [2, 3] {
        let stopped = format!("[node {node}] stopped by node 1");
        assert!(lines.contains(&stopped), "{lines:#?}");
    }
    assert_eq!(status, 1, "{lines:#?}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn store_modules_and_a_root_task_are_refused_for_root_task_programs() {
    let spin = spinner();
    for extra in [["--module", "x=y.sbc"], ["--root-task", "x.sbc"]] {
        let r = Command::new(SELVM)
            .args(["cluster", "up", "-n", "2"])
            .args(extra)
            .arg(&spin)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&r.stderr);
        assert!(!r.status.success(), "{stderr}");
        assert!(
            stderr.contains("--root-task and --module are for a layout"),
            "{stderr}"
        );
    }
}
