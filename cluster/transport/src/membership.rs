//! Cluster membership by SWIM, with `foca`: which nodes are in the cluster (the
//! configured ones and those that joined), and which of them are alive. Foca is
//! sans-IO like the protocol core: this module feeds it the membership messages that
//! arrive (carried by the core as `Swim` frames over the nodes' authenticated
//! connections), the time, and the peers that come up (announced to), and hands back
//! what to send to whom and which members went up or down.
//!
//! A member's identity is its node id, its incarnation (its process's life), a rejoin
//! counter (bumped when foca finds itself wrongly declared down), and the address and
//! Noise public key others dial and authenticate it by: so a node that joined through
//! one member becomes known, dialable and authenticable to all of them through gossip.
//! A message is handed to foca only if the identity it claims to come from is the
//! node whose key authenticated the connection it came on (a member speaks for itself
//! only; what it says of others is gossip, trusted as a member's word).

use foca::{AccumulatingRuntime, Codec, Config, Foca, OwnedNotification, PostcardCodec, Timer};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::num::{NonZeroU32, NonZeroUsize};
use std::time::Duration;

/// A node as SWIM knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Its node id.
    pub id: u64,
    /// Its life (new at every start).
    pub incarnation: u64,
    /// Times it renewed its identity after being wrongly declared down.
    pub rejoin: u32,
    /// Where it listens.
    pub address: SocketAddr,
    /// Its Noise static public key.
    pub public_key: [u8; 32],
}

impl foca::Identity for Member {
    type Addr = u64;

    fn renew(&self) -> Option<Self> {
        Some(Member {
            rejoin: self.rejoin.wrapping_add(1),
            ..self.clone()
        })
    }

    fn addr(&self) -> u64 {
        self.id
    }

    /// A later life wins, then a later renewal.
    fn win_addr_conflict(&self, other: &Self) -> bool {
        (self.incarnation, self.rejoin) > (other.incarnation, other.rejoin)
    }
}

/// What membership asks of the transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Send this SWIM message to node `id`.
    Send(u64, Vec<u8>),
    /// The member is alive (new, or back).
    Up(Member),
    /// The member is down: it answered neither direct nor indirect probes.
    Down(Member),
}

/// The SWIM settings for a cluster of about `size` nodes: probes every 500 ms, 200 ms
/// to answer, a suspect down after 1 s unless it refutes, news gossiped every 200 ms
/// (only while there is news) and each update sent `4 log10(size + 1)` times (foca's
/// rule). A silent member is down about 1.5 s after its last answer (inside the 5 s a
/// call may wait). An idle member sends about two messages a probe period: its probe
/// and its answer to the member probing it.
fn config(size: u32) -> Config {
    let mut c = Config::new_lan(NonZeroU32::new(size.max(8)).unwrap_or(NonZeroU32::MIN));
    c.probe_period = Duration::from_millis(500);
    c.probe_rtt = Duration::from_millis(200);
    c.suspect_to_down_after = Duration::from_secs(1);
    c.num_indirect_probes = NonZeroUsize::new(2).unwrap_or(NonZeroUsize::MIN);
    c.max_packet_size =
        NonZeroUsize::new(selvm_cluster_proto::wire::SWIM_MAX).unwrap_or(NonZeroUsize::MIN);
    c
}

/// One node's SWIM state.
pub struct Membership {
    foca: Foca<Member, PostcardCodec, SmallRng, foca::NoCustomBroadcast>,
    runtime: AccumulatingRuntime<Member>,
    /// Foca's timers: (when, timer).
    timers: Vec<(u64, Timer<Member>)>,
    events: Vec<Event>,
    /// Messages refused (forged sender, undecodable), counted.
    pub refused: u64,
}

impl Membership {
    /// `me` joins no one yet (see [`Membership::announce`]).
    pub fn new(me: Member) -> Membership {
        Membership::sized(me, 8)
    }

    /// `me`, in a cluster of about `size` nodes (how often news is repeated).
    pub fn sized(me: Member, size: u32) -> Membership {
        let rng = SmallRng::seed_from_u64(me.incarnation ^ me.id.rotate_left(32));
        Membership {
            foca: Foca::new(me, config(size), rng, PostcardCodec),
            runtime: AccumulatingRuntime::new(),
            timers: Vec::new(),
            events: Vec::new(),
            refused: 0,
        }
    }

    /// Asks `id` (just connected) to take this node in and tell it the members.
    pub fn announce(&mut self, id: u64, now: u64) {
        // Foca takes an announce for any identity with the receiver's address (id).
        let dst = Member {
            id,
            incarnation: 0,
            rejoin: 0,
            address: SocketAddr::from(([0, 0, 0, 0], 0)),
            public_key: [0; 32],
        };
        let _ = self.foca.announce(dst, &mut self.runtime);
        self.drain(now);
    }

    /// A SWIM message from the node `id` authenticated by `key`; refused (false) when
    /// it does not decode or claims another sender.
    pub fn receive(&mut self, id: u64, key: &[u8], bytes: &[u8], now: u64) -> bool {
        let header = PostcardCodec.decode_header(bytes);
        let genuine = header
            .is_ok_and(|h: foca::Header<Member>| h.src.id == id && h.src.public_key[..] == *key);
        if !genuine || self.foca.handle_data(bytes, &mut self.runtime).is_err() {
            self.refused += 1;
            self.drain(now);
            return false;
        }
        self.drain(now);
        true
    }

    /// Takes `members` in as alive without a message (a cluster whose every member
    /// already knows every other, as the simulation starts one).
    pub fn know(&mut self, members: Vec<Member>, now: u64) {
        let updates = members.into_iter().map(foca::Member::alive);
        let _ = self.foca.apply_many(updates, false, &mut self.runtime);
        self.drain(now);
    }

    /// Fires the timers due at `now`.
    pub fn tick(&mut self, now: u64) {
        while let Some(i) = self.timers.iter().position(|(at, _)| *at <= now) {
            let (_, timer) = self.timers.swap_remove(i);
            let _ = self.foca.handle_timer(timer, &mut self.runtime);
            self.drain(now);
        }
    }

    /// When [`Membership::tick`] next has work.
    pub fn next_deadline(&self) -> Option<u64> {
        self.timers.iter().map(|(at, _)| *at).min()
    }

    /// The members foca holds alive (not this node).
    pub fn members(&self) -> Vec<Member> {
        self.foca.iter_members().map(|m| m.id().clone()).collect()
    }

    /// Leaves the cluster (foca tells the others).
    pub fn leave(&mut self, now: u64) {
        let _ = self.foca.leave_cluster(&mut self.runtime);
        self.drain(now);
    }

    /// What to do, in order.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    fn drain(&mut self, now: u64) {
        while let Some((to, bytes)) = self.runtime.to_send() {
            self.events.push(Event::Send(to.id, bytes.to_vec()));
        }
        while let Some((after, timer)) = self.runtime.to_schedule() {
            let at = now.saturating_add(after.as_nanos().try_into().unwrap_or(u64::MAX));
            self.timers.push((at, timer));
        }
        while let Some(n) = self.runtime.to_notify() {
            match n {
                OwnedNotification::MemberUp(m) => self.events.push(Event::Up(m)),
                OwnedNotification::Rename(_, m) => self.events.push(Event::Up(m)),
                OwnedNotification::MemberDown(m) => self.events.push(Event::Down(m)),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests;
