//! Where a remote Call's time goes, as one node's loop sees it: with the environment
//! variable `SELVM_NODE_STAGES` set, `selvm node` times every guest Call and Reply it
//! passes and prints, when it stops, the median, 99th percentile and count of
//!
//! - **away**: a Call the guest transmitted while no other was outstanding until its
//!   Reply was handed to the guest (on the calling node: both transports, the wake-ups
//!   and the serving node's work);
//! - **served**: a peer's Call handed to the guest until the guest transmitted its
//!   Reply (on the serving node: its interrupt, network service, worker and server, in
//!   the interpreter, and its loop);
//! - **between**: a Reply handed to the guest until the guest's next Call left, while
//!   no other call was outstanding (on the calling node: answering the client, its loop
//!   and its next Call through the network service);
//! - **round**: a Reply handed to the guest until the next one, when the Call between
//!   was the only one outstanding (one whole guest Call of a client calling in a loop:
//!   between + away; `selvm bench cluster` reports it for its guest cases);
//!
//! and how the loop's time was spent: in the machine's `run`, and waiting in the
//! transport's `poll` (with the count of waits). Both nodes of a pair share the host's
//! monotonic clock, so away − served on the other node is the two transports' legs
//! with their wake-ups.

use selvm_abi::vm::network::{MSG_CALL, MSG_REPLY};
use selvm_cluster_proto::guest::Message;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The environment variable that turns the timing on.
pub const STAGES_ENV: &str = "SELVM_NODE_STAGES";

/// The timings of one node's loop.
#[derive(Default)]
pub struct Stages {
    /// Calls out (peer, call id), when, and whether it was the only one.
    calls_out: HashMap<(u64, u64), (Instant, bool)>,
    /// Calls in (peer, call id) and when.
    calls_in: HashMap<(u64, u64), Instant>,
    /// The last Reply handed to the guest while no call of its was outstanding.
    last_reply: Option<Instant>,
    away: Vec<u64>,
    served: Vec<u64>,
    between: Vec<u64>,
    round: Vec<u64>,
    /// The Reply before a lone Call, kept for `round`.
    round_from: Option<Instant>,
    run: Duration,
    poll: Duration,
    waits: u64,
    /// The same while a peer's Call was being served.
    serving_run: Duration,
    serving_poll: Duration,
    serving_waits: u64,
}

fn ns(d: Duration) -> u64 {
    d.as_nanos().min(u128::from(u64::MAX)) as u64
}

impl Stages {
    /// Timing, when the environment asks for it.
    pub fn from_env() -> Option<Stages> {
        std::env::var_os(STAGES_ENV).map(|_| Stages::default())
    }

    /// The guest transmitted `bytes`.
    pub fn transmitted(&mut self, bytes: &[u8]) {
        let Ok(m) = Message::decode_from_guest(bytes) else {
            return;
        };
        let now = Instant::now();
        match m.kind {
            MSG_CALL => {
                let alone = self.calls_out.is_empty();
                self.round_from = self.last_reply.take().filter(|_| alone);
                if let Some(t) = self.round_from {
                    self.between.push(ns(now - t));
                }
                if !alone {
                    // Another call is outstanding: this one's times say nothing alone.
                    self.calls_out.values_mut().for_each(|c| c.1 = false);
                }
                self.calls_out.insert((m.node, m.call_id), (now, alone));
            }
            MSG_REPLY => {
                if let Some(t) = self.calls_in.remove(&(m.node, m.call_id)) {
                    self.served.push(ns(now - t));
                }
            }
            _ => {}
        }
    }

    /// `bytes` from a peer is handed to the guest.
    pub fn received(&mut self, bytes: &[u8]) {
        let Ok(m) = Message::decode(bytes) else {
            return;
        };
        let now = Instant::now();
        match m.kind {
            MSG_CALL => {
                self.calls_in.insert((m.node, m.call_id), now);
            }
            MSG_REPLY => {
                if let Some((t, alone)) = self.calls_out.remove(&(m.node, m.call_id)) {
                    if alone {
                        self.away.push(ns(now - t));
                        if let Some(from) = self.round_from.take() {
                            self.round.push(ns(now - from));
                        }
                    }
                    self.last_reply = self.calls_out.is_empty().then_some(now);
                }
            }
            _ => {}
        }
    }

    /// The machine ran for `d`.
    pub fn ran(&mut self, d: Duration) {
        self.run += d;
        if !self.calls_in.is_empty() {
            self.serving_run += d;
        }
    }

    /// The loop polled the transport for `d`, asked to wait up to `wait`.
    pub fn polled(&mut self, d: Duration, wait: Duration) {
        self.poll += d;
        self.waits += u64::from(!wait.is_zero());
        if !self.calls_in.is_empty() {
            self.serving_poll += d;
            self.serving_waits += u64::from(!wait.is_zero());
        }
    }

    /// The summary lines.
    pub fn report(&mut self, id: u64) -> Vec<String> {
        let mut lines = Vec::new();
        for (name, samples) in [
            ("away", &mut self.away),
            ("served", &mut self.served),
            ("between", &mut self.between),
            ("round", &mut self.round),
        ] {
            if samples.is_empty() {
                continue;
            }
            samples.sort_unstable();
            let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize] as f64 / 1e3;
            lines.push(format!(
                "node {id}: stages: {name} median {:.1} us, p99 {:.1} us, {} calls",
                at(0.5),
                at(0.99),
                samples.len()
            ));
        }
        lines.push(format!(
            "node {id}: stages: machine ran {:.3} s, poll {:.3} s ({} waits)",
            self.run.as_secs_f64(),
            self.poll.as_secs_f64(),
            self.waits
        ));
        lines.push(format!(
            "node {id}: stages: while serving, machine ran {:.3} s, poll {:.3} s ({} waits)",
            self.serving_run.as_secs_f64(),
            self.serving_poll.as_secs_f64(),
            self.serving_waits
        ));
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(kind: u64, node: u64, call_id: u64) -> Vec<u8> {
        let m = Message {
            kind,
            node,
            call_id,
            object: 1,
            label: 1,
            mrs: vec![40, 2],
        };
        m.encode()
    }

    #[test]
    fn lone_calls_are_timed_and_overlapping_ones_are_not() {
        let mut s = Stages::default();
        // Two lone calls one after the other: two aways, one between and one round.
        s.transmitted(&message(MSG_CALL, 2, 1));
        s.received(&message(MSG_REPLY, 2, 1));
        s.transmitted(&message(MSG_CALL, 2, 2));
        s.received(&message(MSG_REPLY, 2, 2));
        assert_eq!((s.away.len(), s.between.len(), s.round.len()), (2, 1, 1));
        // Two calls out at once: neither is timed (the first's between is: no other
        // call was out when it left).
        s.transmitted(&message(MSG_CALL, 2, 3));
        s.transmitted(&message(MSG_CALL, 3, 4));
        s.received(&message(MSG_REPLY, 2, 3));
        s.received(&message(MSG_REPLY, 3, 4));
        assert_eq!((s.away.len(), s.between.len(), s.round.len()), (2, 2, 1));
        // A peer's call served; a reply nobody asked for is ignored, and so is garbage.
        s.received(&message(MSG_CALL, 3, 9));
        s.transmitted(&message(MSG_REPLY, 3, 9));
        s.transmitted(&message(MSG_REPLY, 3, 10));
        s.received(&[1, 2, 3]);
        s.transmitted(&[]);
        assert_eq!(s.served.len(), 1);
        let lines = s.report(1);
        assert!(lines.iter().any(|l| l.contains("stages: round median")));
        assert!(lines.iter().any(|l| l.contains("while serving")));
    }
}
