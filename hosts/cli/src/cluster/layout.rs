//! `selvm cluster up -n 3 system.wasm` when the program is a cluster layout, not a
//! root task: a module that exports `cluster_start` (the entry of a spawned process,
//! docs/cluster.md "Remote process creation"). Every node then runs the cluster's
//! root task (`--root-task`, by default `user/cluster-node.sbc` beside the folder of
//! this `selvm`, where `cargo xtask build-user user/cluster-node` writes it) with the
//! layout first in its store (and any `--module NAME=FILE` after it), and node 1's
//! root task spawns the layout, which places the rest of the system itself.

use crate::failure::Failure;
use selvm_abi::vm::spawn::SPAWN_ENTRY;
use selvm_bytecode::Module;
use selvm_bytecode::format::Section;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The ARGUMENT with which user/cluster-node's node 1 spawns its store's first module.
pub const LAYOUT_ARGUMENT: u64 = 3;

/// How the nodes of a layout start.
pub struct Layout {
    /// Every node's root task.
    pub root_task: PathBuf,
    /// `--module NAME=FILE` for every node: the layout first.
    pub store: Vec<OsString>,
}

/// Whether the module (`.sbc`, or WebAssembly translated) exports `cluster_start`.
fn is_layout(program: &Path) -> Result<bool, Failure> {
    let image = crate::program::image(program)?;
    let Ok(m) = Module::parse(&image) else {
        return Ok(false); // the node's loader names what is wrong with it
    };
    Ok((0..m.count(Section::Exports))
        .filter_map(|i| m.export(i))
        .any(|e| m.export_name(&e) == Some(SPAWN_ENTRY)))
}

/// The layout of `programs` with extra store `modules`, if the programs are one
/// layout; None when they are root tasks (and no module was given).
pub fn of(
    programs: &[PathBuf],
    root_task: Option<&Path>,
    modules: &[String],
) -> Result<Option<Layout>, Failure> {
    let layouts = programs
        .iter()
        .map(|p| is_layout(p))
        .collect::<Result<Vec<bool>, Failure>>()?;
    if !layouts.contains(&true) {
        if root_task.is_some() || !modules.is_empty() {
            return Err(Failure::usage(
                "--root-task and --module are for a layout (a module exporting \
                 cluster_start); the programs given are root tasks",
            ));
        }
        return Ok(None);
    }
    let [layout] = programs else {
        return Err(Failure::usage(
            "a layout (a module exporting cluster_start) runs alone: give one program",
        ));
    };
    let root_task = match root_task {
        Some(r) => r.to_path_buf(),
        None => default_root_task()?,
    };
    if !root_task.is_file() {
        return Err(Failure::bad_input(format!(
            "{}: the nodes' root task is missing: build it with `cargo xtask build-user \
             user/cluster-node`, or name one with --root-task",
            root_task.display()
        )));
    }
    let name = layout
        .file_stem()
        .map_or("layout".into(), |s| s.to_string_lossy().into_owned());
    let mut store = vec![
        "--module".into(),
        format!("{name}={}", layout.display()).into(),
    ];
    for m in modules {
        store.extend(["--module".into(), m.into()]);
    }
    Ok(Some(Layout { root_task, store }))
}

/// `user/cluster-node.sbc` in the folder above this executable's (target/).
fn default_root_task() -> Result<PathBuf, Failure> {
    let exe = std::env::current_exe()
        .map_err(|e| Failure::host(format!("cannot find selvm itself: {e}")))?;
    let target = exe
        .parent()
        .and_then(Path::parent)
        .unwrap_or(Path::new("."));
    Ok(target.join("user/cluster-node.sbc"))
}
