//! SWIM between in-memory members: a node joining through one member becomes known to
//! all, a silent member is declared down within the failure-detection bound, and a
//! message that claims another sender is refused.

use super::*;
use std::collections::BTreeSet;

fn member(id: u64) -> Member {
    Member {
        id,
        incarnation: 100 + id,
        rejoin: 0,
        address: SocketAddr::from(([127, 0, 0, 1], 7000 + id as u16)),
        public_key: [id as u8; 32],
    }
}

/// Members 1..=n on a perfect network, `dead` ones silent; runs until `until` ns,
/// 10 ms a step. Each member's view: the ids it holds up.
struct Net {
    nodes: Vec<Membership>,
    dead: BTreeSet<u64>,
    now: u64,
    downs: Vec<(u64, u64, u64)>,
}

impl Net {
    fn new(n: u64) -> Net {
        Net {
            nodes: (1..=n).map(|id| Membership::new(member(id))).collect(),
            dead: BTreeSet::new(),
            now: 0,
            downs: Vec::new(),
        }
    }

    fn run(&mut self, until: u64) {
        while self.now < until {
            self.now += 10_000_000;
            for i in 0..self.nodes.len() {
                let id = i as u64 + 1;
                if !self.dead.contains(&id) {
                    self.nodes[i].tick(self.now);
                }
            }
            self.deliver();
        }
    }

    fn deliver(&mut self) {
        loop {
            let mut any = false;
            for i in 0..self.nodes.len() {
                let from = i as u64 + 1;
                for e in self.nodes[i].take_events() {
                    any = true;
                    match e {
                        Event::Send(to, bytes) => {
                            if !self.dead.contains(&to) && !self.dead.contains(&from) {
                                let n = &mut self.nodes[to as usize - 1];
                                assert!(n.receive(from, &[from as u8; 32], &bytes, self.now));
                            }
                        }
                        Event::Down(m) => self.downs.push((from, m.id, self.now)),
                        Event::Up(_) => {}
                    }
                }
            }
            if !any {
                return;
            }
        }
    }

    fn view(&self, id: u64) -> BTreeSet<u64> {
        let n = &self.nodes[id as usize - 1];
        n.members().iter().map(|m| m.id).collect()
    }
}

#[test]
fn a_node_joining_through_one_member_becomes_known_to_all() {
    let mut net = Net::new(4);
    // 1, 2, 3 know each other; 4 knows only 1.
    for (a, b) in [(2, 1), (3, 1), (3, 2)] {
        net.nodes[a - 1].announce(b as u64, 0);
    }
    net.deliver();
    net.run(500_000_000);
    assert_eq!(net.view(1), [2, 3].into());
    net.nodes[3].announce(1, net.now);
    net.deliver();
    net.run(net.now + 2_000_000_000);
    for id in 1..=4 {
        let others: BTreeSet<u64> = (1..=4).filter(|&o| o != id).collect();
        assert_eq!(net.view(id), others, "member {id}'s view");
    }
    // What 3 learnt of 4 (through gossip only) is enough to dial and authenticate it.
    let four = (net.nodes[2].members().into_iter()).find(|m| m.id == 4);
    assert_eq!(four, Some(member(4)));
}

#[test]
fn a_silent_member_is_declared_down_within_two_seconds() {
    let mut net = Net::new(3);
    for (a, b) in [(2, 1), (3, 1), (3, 2)] {
        net.nodes[a - 1].announce(b as u64, 0);
    }
    net.run(1_000_000_000);
    net.dead.insert(2);
    let killed = net.now;
    net.run(killed + 4_000_000_000);
    for observer in [1, 3] {
        let at = (net.downs.iter())
            .find(|&&(by, id, _)| by == observer && id == 2)
            .map(|&(_, _, at)| at - killed);
        let at = at.unwrap_or_else(|| panic!("{observer} never saw 2 down: {:?}", net.downs));
        assert!(at <= 2_500_000_000, "{observer} saw 2 down after {at} ns");
        assert_eq!(net.view(observer), [4 - observer].into());
    }
}

#[test]
fn a_message_claiming_another_sender_or_garbage_is_refused() {
    let mut a = Membership::new(member(1));
    let mut b = Membership::new(member(2));
    b.announce(1, 0);
    let Some(Event::Send(1, bytes)) = b.take_events().into_iter().next() else {
        panic!("no announce");
    };
    // Node 3's connection (key 3) carrying node 2's message: refused.
    assert!(!a.receive(3, &[3; 32], &bytes, 0));
    // Node 2's id with a key that is not node 2's: refused.
    assert!(!a.receive(2, &[9; 32], &bytes, 0));
    assert!(!a.receive(2, &[2; 32], &[0xff; 40], 0));
    assert_eq!(a.refused, 3);
    assert!(a.members().is_empty());
    assert!(a.receive(2, &[2; 32], &bytes, 0));
    assert_eq!(a.members().len(), 1);
}
