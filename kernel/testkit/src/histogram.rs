//! Per-operation outcome counts, printed as a table.

use selvm_kernel::Outcome;
use std::collections::BTreeMap;
use std::fmt;

/// Outcome counts per operation name.
#[derive(Debug, Default, Clone)]
pub struct Histogram {
    counts: BTreeMap<&'static str, BTreeMap<&'static str, u64>>,
}

/// A short name for an outcome.
pub fn outcome_name(o: &Outcome) -> &'static str {
    match o {
        Outcome::Done | Outcome::Reply(_) => "ok",
        Outcome::NoReply => "ok_no_reply",
        Outcome::Error(e) => e.code().name().trim_start_matches("seL4_"),
        Outcome::Preempted => "preempted",
        Outcome::CapFault { .. } => "cap_fault",
    }
}

impl Histogram {
    /// Counts one outcome of `op`.
    pub fn record(&mut self, op: &'static str, outcome: &'static str) {
        *self
            .counts
            .entry(op)
            .or_default()
            .entry(outcome)
            .or_default() += 1;
    }

    /// Adds another histogram's counts.
    pub fn merge(&mut self, other: &Histogram) {
        for (op, m) in &other.counts {
            for (o, n) in m {
                *self.counts.entry(op).or_default().entry(o).or_default() += n;
            }
        }
    }

    /// Total attempts of `op`.
    pub fn attempts(&self, op: &str) -> u64 {
        self.counts.get(op).map_or(0, |m| m.values().sum())
    }

    /// Successful attempts of `op`.
    pub fn successes(&self, op: &str) -> u64 {
        self.counts
            .get(op)
            .and_then(|m| m.get("ok"))
            .copied()
            .unwrap_or(0)
    }

    /// Total attempts of all operations.
    pub fn total(&self) -> u64 {
        self.counts.values().flat_map(|m| m.values()).sum()
    }

    /// The operation names seen.
    pub fn ops(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.counts.keys().copied()
    }
}

impl fmt::Display for Histogram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<20} {:>8} {:>8} {:>6}  outcomes",
            "operation", "attempts", "ok", "ok%"
        )?;
        for (op, m) in &self.counts {
            let total: u64 = m.values().sum();
            let ok = m.get("ok").copied().unwrap_or(0);
            let rest: Vec<String> = m
                .iter()
                .filter(|(k, _)| **k != "ok")
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            let pct = if total == 0 {
                0.0
            } else {
                100.0 * ok as f64 / total as f64
            };
            writeln!(
                f,
                "{op:<20} {total:>8} {ok:>8} {pct:>5.1}%  {}",
                rest.join(" ")
            )?;
        }
        write!(f, "{:<20} {:>8}", "total", self.total())
    }
}
