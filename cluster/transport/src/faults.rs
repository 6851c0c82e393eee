//! Faults injected inside a node's transport, to partition, slow or break the links of
//! running nodes: a link cut (every frame between this node and a peer lost, both
//! ways), a delay on every frame this node sends, and a probability of losing one.
//! Frames are the protocol core's: a lost frame leaves a gap in the connection's
//! sequence numbers, which the peer's core counts as a broken connection (dropped and
//! dialled again); a cut link goes silent, so its peer is down after the peer timeout.
//!
//! `selvm node` reads them from the file named by the environment variable
//! [`FAULTS_ENV`], and reads it again whenever it changes, so a test or an operator
//! partitions and heals running nodes by rewriting it. One rule a line; `#` starts a
//! comment:
//!
//! ```text
//! cut 1 3      # nothing passes between nodes 1 and 3 (each node applies its own links)
//! delay 50     # every frame this node sends leaves 50 ms late (in order)
//! drop 0.01    # every frame this node sends is lost with this probability
//! ```

use std::collections::BTreeSet;
use std::time::Duration;

/// The environment variable naming the faults file of `selvm node`.
pub const FAULTS_ENV: &str = "SELVM_CLUSTER_FAULTS";

/// The faults in force.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    /// Links cut, as (smaller id, larger id).
    pub cut: BTreeSet<(u64, u64)>,
    /// How late every frame this node sends leaves.
    pub delay: Duration,
    /// Probability that a frame this node sends is lost (0 to 1).
    pub drop: f64,
}

impl Faults {
    /// Reads the rules in `text`; an error names the line and what is wrong with it.
    pub fn parse(text: &str) -> Result<Faults, String> {
        let mut f = Faults::default();
        for (i, line) in text.lines().enumerate() {
            let words: Vec<&str> = line
                .split('#')
                .next()
                .unwrap_or("")
                .split_whitespace()
                .collect();
            let bad = |why: &str| Err(format!("line {}: {why}: {line:?}", i + 1));
            match words[..] {
                [] => {}
                ["cut", a, b] => match (a.parse::<u64>(), b.parse::<u64>()) {
                    (Ok(a), Ok(b)) if a != b => {
                        f.cut.insert((a.min(b), a.max(b)));
                    }
                    _ => return bad("cut takes two different node ids"),
                },
                ["delay", ms] => match ms.parse::<u64>() {
                    Ok(ms) if ms <= 60_000 => f.delay = Duration::from_millis(ms),
                    _ => return bad("delay takes milliseconds, at most 60000"),
                },
                ["drop", p] => match p.parse::<f64>() {
                    Ok(p) if (0.0..=1.0).contains(&p) => f.drop = p,
                    _ => return bad("drop takes a probability from 0 to 1"),
                },
                _ => return bad("not `cut A B`, `delay MS` or `drop P`"),
            }
        }
        Ok(f)
    }

    /// The rules in force, in words (`none` when there are none).
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = (self.cut.iter())
            .map(|(a, b)| format!("link {a}-{b} cut"))
            .collect();
        if !self.delay.is_zero() {
            parts.push(format!("frames sent {} ms late", self.delay.as_millis()));
        }
        if self.drop > 0.0 {
            parts.push(format!("frames sent lost with probability {}", self.drop));
        }
        if parts.is_empty() {
            "none".into()
        } else {
            parts.join(", ")
        }
    }

    /// Whether the link between `a` and `b` is cut.
    pub fn is_cut(&self, a: u64, b: u64) -> bool {
        self.cut.contains(&(a.min(b), a.max(b)))
    }
}

/// A faults file watched for changes (its modification time and length).
#[derive(Debug)]
pub struct FaultsFile {
    path: std::path::PathBuf,
    seen: Option<(std::time::SystemTime, u64)>,
}

impl FaultsFile {
    /// Watches `path`.
    pub fn new(path: impl Into<std::path::PathBuf>) -> FaultsFile {
        FaultsFile {
            path: path.into(),
            seen: None,
        }
    }

    /// The file's rules if it changed since the last look (a missing file is no
    /// faults); an error names the file.
    pub fn changed(&mut self) -> Option<Result<Faults, String>> {
        let stamp = std::fs::metadata(&self.path)
            .ok()
            .map(|m| (m.modified().unwrap_or(std::time::UNIX_EPOCH), m.len()));
        if stamp == self.seen && stamp.is_some() {
            return None;
        }
        let first = self.seen.is_none() && stamp.is_none();
        self.seen = stamp;
        if stamp.is_none() {
            return (!first).then(|| Ok(Faults::default()));
        }
        let read = std::fs::read_to_string(&self.path).map_err(|e| e.to_string());
        Some(
            read.and_then(|t| Faults::parse(&t))
                .map_err(|e| format!("{}: {e}", self.path.display())),
        )
    }
}

/// A small deterministic generator for the drop probability (xorshift64*).
#[derive(Debug)]
pub struct Dice(u64);

impl Dice {
    /// Seeded with `seed` (any value).
    pub fn new(seed: u64) -> Dice {
        Dice(seed | 1)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11;
        (x as f64) < p * (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_read_and_bad_lines_named() {
        let f = Faults::parse("# a partition\ncut 3 1\n\ndelay 50 # slow\ndrop 0.25\n").unwrap();
        assert!(f.is_cut(1, 3) && f.is_cut(3, 1) && !f.is_cut(1, 2));
        assert_eq!(f.delay, Duration::from_millis(50));
        assert_eq!(f.drop, 0.25);
        assert_eq!(
            f.describe(),
            "link 1-3 cut, frames sent 50 ms late, frames sent lost with probability 0.25"
        );
        assert_eq!(Faults::parse(""), Ok(Faults::default()));
        assert_eq!(Faults::default().describe(), "none");
        for (text, want) in [
            ("cut 1", "line 1: not `cut A B`"),
            ("cut 2 2", "two different node ids"),
            ("\ndelay soon", "line 2: delay takes milliseconds"),
            ("drop 2", "drop takes a probability"),
            ("partition 1 2", "not `cut A B`"),
        ] {
            let e = Faults::parse(text).unwrap_err();
            assert!(e.contains(want), "{text:?}: {e}");
        }
    }

    #[test]
    fn the_dice_follow_the_probability() {
        let mut d = Dice::new(7);
        let hits = (0..10_000).filter(|_| d.chance(0.25)).count();
        assert!((2_300..2_700).contains(&hits), "{hits}");
        assert!(!(0..1000).any(|_| d.chance(0.0)));
        assert!((0..1000).all(|_| d.chance(1.0)));
    }
}
