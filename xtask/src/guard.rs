//! `cargo xtask perf-guard`: the speed regression guard. Callgrind counts host
//! instructions (deterministic, unlike time) for the hosted fastpath IPC round trip and
//! for one compute program; a figure more than 10 % above the one recorded in
//! `xtask/perf-record.txt` fails. A change that trades speed for something else updates
//! the record deliberately, with its reason (`--update --reason TEXT`).

use crate::process::{self, Error, Result, bail, cargo};
use clap::Args;
use std::fmt::Write as _;
use std::path::Path;

/// The record, relative to the checkout.
const RECORD: &str = "xtask/perf-record.txt";

/// How far above its record a figure may rise before the guard fails, in percent.
const TOLERANCE_PERCENT: u64 = 10;

/// One guarded figure: its name in the record and how it is counted.
struct Case {
    name: &'static str,
    what: &'static str,
    count: fn(&Path, &Path) -> Result<u64>,
}

/// The guarded figures. Each is a difference of two runs of different lengths, so the
/// boot, the translation and the process's setup cancel out.
const CASES: &[Case] = &[
    Case {
        name: "ipc-fastpath",
        what: "host instructions per hosted Call/ReplyRecv round trip on the fastpath \
               (selvm bench ipc --untimed --only fastpath: 25,000 rounds minus 5,000)",
        count: ipc_fastpath,
    },
    Case {
        name: "sha256-kib",
        what: "host instructions per KiB hashed by user/bench's sha256 (dx + the register \
               machine, selvm exec: 36 KiB minus 4 KiB)",
        count: sha256_per_kib,
    },
];

/// Options of `cargo xtask perf-guard`.
#[derive(Args)]
#[command(
    after_help = "The record (xtask/perf-record.txt) holds one line per figure: \
`NAME COUNT # why this figure`. Needs valgrind (scripts/setup.sh installs it)."
)]
pub struct Options {
    /// Use target/release/selvm as it is.
    #[arg(long)]
    no_build: bool,
    /// Write today's figures into the record instead of checking them.
    #[arg(long, requires = "reason")]
    update: bool,
    /// Why the record changes (kept beside each changed figure).
    #[arg(long)]
    reason: Option<String>,
}

impl Options {
    /// What `cargo xtask test` runs: build, then check.
    pub fn ci() -> Self {
        Options {
            no_build: false,
            update: false,
            reason: None,
        }
    }
}

/// One line of the record.
struct Recorded {
    name: String,
    count: u64,
    reason: String,
}

/// Runs `cargo xtask perf-guard`.
pub fn run(o: &Options) -> Result {
    crate::valgrind::require()?;
    let path = crate::root().join(RECORD);
    let record = if o.update && !path.exists() {
        Vec::new()
    } else {
        read_record(&path)?
    };
    if !o.no_build {
        process::run(cargo().current_dir(crate::root()).args([
            "build",
            "-q",
            "--release",
            "-p",
            "selvm",
        ]))?;
    }
    let bin = crate::target_dir().join("release/selvm");
    let tmp = crate::target_dir().join("xtask/callgrind");
    std::fs::create_dir_all(&tmp).map_err(|e| Error::new(format!("{}: {e}", tmp.display())))?;
    println!(
        "    {:<14} {:>12} {:>12} {:>8}",
        "figure", "recorded", "now", "change"
    );
    let mut failed = Vec::new();
    let mut now = Vec::new();
    for case in CASES {
        let count = (case.count)(&bin, &tmp)?;
        let old = record.iter().find(|r| r.name == case.name);
        let change = old.map_or(String::from("new"), |r| percent(r.count, count));
        println!(
            "    {:<14} {:>12} {count:>12} {change:>8}",
            case.name,
            old.map_or(String::from("-"), |r| r.count.to_string()),
        );
        match old {
            Some(r) if count * 100 > r.count * (100 + TOLERANCE_PERCENT) => {
                failed.push(format!("{} rose from {} to {count}", case.name, r.count));
            }
            None if !o.update => failed.push(format!("{} has no recorded figure", case.name)),
            _ => {}
        }
        now.push(count);
    }
    if o.update {
        let reason = o.reason.as_deref().unwrap_or_default();
        write_record(&path, &record, &now, reason)?;
        println!("    recorded in {RECORD}");
        return Ok(());
    }
    if !failed.is_empty() {
        bail!(
            "perf-guard: {} (more than {TOLERANCE_PERCENT} % above {RECORD}); if the \
             change is worth it, record the new figures with \
             `cargo xtask perf-guard --update --reason TEXT`",
            failed.join("; ")
        );
    }
    Ok(())
}

fn ipc_fastpath(bin: &Path, tmp: &Path) -> Result<u64> {
    let (n1, n2) = (5_000, 25_000);
    let a = crate::bench::total(bin, tmp, "fastpath", n1)?;
    let b = crate::bench::total(bin, tmp, "fastpath", n2)?;
    Ok(b.saturating_sub(a) / (n2 - n1))
}

fn sha256_per_kib(bin: &Path, tmp: &Path) -> Result<u64> {
    let wasm = crate::root().join("user/bench/wasm/sha256.wasm");
    let wasm = wasm.to_string_lossy();
    let run = |kib: u64| {
        let bytes = (kib * 1024).to_string();
        crate::bench::counted(bin, tmp, &["exec", &wasm, "--func", "run", &bytes])
    };
    let (k1, k2) = (4, 36);
    let a = run(k1)?;
    let b = run(k2)?;
    Ok(b.saturating_sub(a) / (k2 - k1))
}

/// `+3.2%`, `-0.5%`.
fn percent(old: u64, new: u64) -> String {
    if old == 0 {
        return String::from("new");
    }
    let delta = (new as f64 - old as f64) * 100.0 / old as f64;
    format!("{delta:+.1}%")
}

/// Reads the record: `NAME COUNT # reason` lines; `#` lines are comments.
fn read_record(path: &Path) -> Result<Vec<Recorded>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::new(format!(
            "{}: {e} (the first record is made by `cargo xtask perf-guard --update \
             --reason TEXT`)",
            path.display()
        ))
    })?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (figure, reason) = line.split_once('#').unwrap_or((line, ""));
        let mut words = figure.split_whitespace();
        let (Some(name), Some(count), None) = (words.next(), words.next(), words.next()) else {
            bail!(
                "{}:{}: expected `NAME COUNT # reason`, found `{line}`",
                path.display(),
                i + 1
            );
        };
        let Ok(count) = count.parse() else {
            bail!("{}:{}: `{count}` is not a count", path.display(), i + 1);
        };
        if !CASES.iter().any(|c| c.name == name) {
            bail!(
                "{}:{}: no figure is called `{name}` (the figures: {})",
                path.display(),
                i + 1,
                CASES.iter().map(|c| c.name).collect::<Vec<_>>().join(", ")
            );
        }
        out.push(Recorded {
            name: name.to_string(),
            count,
            reason: reason.trim().to_string(),
        });
    }
    Ok(out)
}

/// Rewrites the record with `now` (in `CASES` order); a figure that did not change
/// keeps its old reason.
fn write_record(path: &Path, old: &[Recorded], now: &[u64], reason: &str) -> Result {
    let mut text = String::from(
        "# Host instructions counted by callgrind for `cargo xtask perf-guard` (a CI step):\n\
         # a figure more than 10 % above its line here fails. Change a line only with\n\
         # `cargo xtask perf-guard --update --reason TEXT`, saying why.\n",
    );
    for (case, &count) in CASES.iter().zip(now) {
        let kept = old
            .iter()
            .find(|r| r.name == case.name && r.count == count)
            .map(|r| r.reason.as_str());
        let _ = write!(text, "\n# {}\n", case.what);
        let _ = writeln!(text, "{} {count} # {}", case.name, kept.unwrap_or(reason));
    }
    std::fs::write(path, text).map_err(|e| Error::new(format!("{}: {e}", path.display())))
}
