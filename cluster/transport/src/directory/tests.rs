//! The directory's rules, and a seeded simulation of replicas that register, remove,
//! lose messages and are partitioned and healed: once healed, every replica holds the
//! same directory.

use super::*;
use std::collections::BTreeSet;

/// Each replica sends its state to the other; both merge.
fn exchange(a: &mut Directory, b: &mut Directory) {
    let (sa, sb) = (a.state().unwrap(), b.state().unwrap());
    a.merge(&sb).unwrap();
    b.merge(&sa).unwrap();
}

#[test]
fn a_name_registered_on_one_node_is_found_on_another() {
    let (mut a, mut b) = (Directory::new(1, 10), Directory::new(2, 20));
    let e = a.register("adder", 4).unwrap();
    assert_eq!(b.lookup("adder"), None);
    assert!(b.merge(&a.state().unwrap()).unwrap(), "b learnt something");
    assert_eq!(b.lookup("adder"), Some(e));
    assert_eq!(
        e,
        Entry {
            node: 1,
            incarnation: 10,
            object: 4
        }
    );
    assert!(
        !b.merge(&a.state().unwrap()).unwrap(),
        "merging twice is idempotent"
    );
}

#[test]
fn concurrent_registrations_on_two_nodes_give_one_answer_everywhere() {
    let (mut a, mut b) = (Directory::new(1, 10), Directory::new(2, 20));
    a.register("kv", 4).unwrap();
    b.register("kv", 5).unwrap();
    exchange(&mut a, &mut b);
    let winner = Entry {
        node: 2,
        incarnation: 20,
        object: 5,
    };
    assert_eq!(a.lookup("kv"), Some(winner));
    assert_eq!(b.lookup("kv"), Some(winner));
    // A later write on node 1 (it has seen node 2's) replaces both.
    let later = a.register("kv", 6).unwrap();
    exchange(&mut a, &mut b);
    assert_eq!(b.lookup("kv"), Some(later));
}

#[test]
fn a_removed_name_is_gone_everywhere_and_can_be_registered_again() {
    let (mut a, mut b) = (Directory::new(1, 10), Directory::new(2, 20));
    a.register("adder", 4).unwrap();
    exchange(&mut a, &mut b);
    assert!(b.remove("adder"));
    assert!(!b.remove("adder"), "nothing left to remove");
    exchange(&mut a, &mut b);
    assert_eq!(a.lookup("adder"), None);
    assert!(a.is_empty());
    let again = a.register("adder", 7).unwrap();
    exchange(&mut a, &mut b);
    assert_eq!(b.lookup("adder"), Some(again));
}

#[test]
fn a_registration_concurrent_with_a_removal_wins() {
    let (mut a, mut b) = (Directory::new(1, 10), Directory::new(2, 20));
    a.register("adder", 4).unwrap();
    exchange(&mut a, &mut b);
    assert!(a.remove("adder"));
    let again = b.register("adder", 9).unwrap();
    exchange(&mut a, &mut b);
    assert_eq!(a.lookup("adder"), Some(again));
    assert_eq!(b.lookup("adder"), Some(again));
}

#[test]
fn a_restarted_node_learns_the_directory_and_replaces_its_old_entries() {
    let (mut a, mut b) = (Directory::new(1, 10), Directory::new(2, 20));
    a.register("kv", 4).unwrap();
    exchange(&mut a, &mut b);
    // Node 1 restarts: an empty replica, a new actor. It registers before hearing
    // from node 2 (concurrent with its old life's entry), then they exchange.
    let mut a = Directory::new(1, 11);
    let new = a.register("kv", 4).unwrap();
    exchange(&mut a, &mut b);
    assert_eq!(a.lookup("kv"), Some(new), "the newer incarnation answers");
    assert_eq!(b.lookup("kv"), Some(new));
}

#[test]
fn bad_names_states_and_overflow_are_refused() {
    let mut a = Directory::new(1, 1);
    assert_eq!(a.register("", 1), Err(DirectoryError::BadName));
    let long = "x".repeat(NAME_MAX + 1);
    assert_eq!(a.register(&long, 1), Err(DirectoryError::BadName));
    for i in 0..MAX_NAMES {
        a.register(&format!("name-{i}"), i as u64).unwrap();
    }
    assert_eq!(a.register("one-more", 1), Err(DirectoryError::Full));
    a.register("name-3", 99).unwrap(); // an existing name may change
    let full = a.state().expect("a full directory fits a frame");
    assert!(full.len() <= DIRECTORY_MAX);
    let mut b = Directory::new(2, 2);
    assert!(matches!(
        b.merge(&[0xff; 40]),
        Err(DirectoryError::Malformed(_))
    ));
    assert!(matches!(
        b.merge(&full[..full.len() / 2]),
        Err(DirectoryError::Malformed(_))
    ));
    assert!(b.is_empty(), "a refused state changes nothing");
    b.merge(&full).unwrap();
    assert_eq!(a.entries(), b.entries());
}

#[test]
fn a_full_directory_of_as_many_nodes_fits_a_frame() {
    // The worst case: every name as long as allowed, each from another node's life
    // (one clock entry each), merged into one replica.
    let mut all = Directory::new(1, u64::MAX - 1);
    for i in 0..MAX_NAMES as u64 {
        let mut one = Directory::new(i + 2, u64::MAX - i);
        let name = format!("{i:0>width$}", width = NAME_MAX);
        one.register(&name, u64::MAX).unwrap();
        all.merge(&one.state().unwrap()).unwrap();
    }
    let state = all.state().expect("fits a frame");
    eprintln!("{} names: {} bytes", all.len(), state.len());
    assert_eq!(all.len(), MAX_NAMES);
    assert!(state.len() <= DIRECTORY_MAX, "{}", state.len());
}

#[test]
fn a_state_whose_register_repeats_a_value_merges_without_a_panic() {
    // crdts' own layout (postcard is positional): Map { clock, entries, deferred },
    // Entry { clock, val }, MVReg { vals }, VClock { dots }. crdts 7.3 asserts, when
    // comparing registers, that no value appears twice in one; replicas made one
    // such (64 nodes starting at once) and a node panicked in merge.
    use std::collections::{BTreeMap, HashMap};
    type Clock = BTreeMap<(u64, u64), u64>;
    type Vals = Vec<(Clock, Entry)>;
    type Forged = (
        Clock,
        BTreeMap<String, (Clock, Vals)>,
        HashMap<Clock, Vec<String>>,
    );
    let clock: Clock = [((2, 7), 1)].into();
    let entry = Entry {
        node: 2,
        incarnation: 7,
        object: 4,
    };
    let vals = vec![(clock.clone(), entry), (clock.clone(), entry)];
    let forged: Forged = (
        clock.clone(),
        [("twice".to_string(), (clock, vals))].into(),
        HashMap::new(),
    );
    let bytes = postcard::to_allocvec(&forged).unwrap();
    let mut a = Directory::new(1, 1);
    a.register("mine", 3).unwrap();
    assert_eq!(a.merge(&bytes), Ok(true));
    assert_eq!(a.lookup("twice"), Some(entry));
    assert_eq!(a.merge(&bytes), Ok(false), "nothing new the second time");
}

proptest::proptest! {
    /// Hostile bytes, and a real state with a byte changed, are refused or merged:
    /// never a panic, and a refused state changes nothing.
    #[test]
    fn hostile_states_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
                                  flip in 0usize..4000, value: u8) {
        let mut a = Directory::new(1, 1);
        a.register("kv", 4).unwrap();
        a.register("adder@1", 5).unwrap();
        let mut b = Directory::new(2, 2);
        b.register("kv", 6).unwrap();
        let before = b.entries();
        if b.merge(&bytes).is_err() {
            proptest::prop_assert_eq!(b.entries(), before.clone());
        }
        let mut state = a.state().unwrap();
        let i = flip % state.len();
        state[i] = value;
        let mut c = Directory::new(3, 3);
        c.register("relay", 7).unwrap();
        let before = c.entries();
        if c.merge(&state).is_err() {
            proptest::prop_assert_eq!(c.entries(), before);
        }
        let _ = c.lookup("kv");
        let _ = c.state();
    }
}

/// A tiny deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) % n
    }
}

/// Replicas that register and remove names while links are cut and healed and
/// messages are lost; a replica that changes sends its state to every peer it is
/// linked to, and a healed link exchanges states. Returns the steps run.
fn simulate(seed: u64) -> u64 {
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let n = 3 + rng.below(3) as usize;
    let mut replicas: Vec<Directory> = (1..=n as u64).map(|i| Directory::new(i, seed)).collect();
    let mut linked = vec![vec![true; n]; n];
    let mut ever_removed = BTreeSet::new();
    let mut ever_registered = BTreeSet::new();
    let names = ["a", "b", "c", "d", "e"];
    let steps = 200;
    let send = |replicas: &mut Vec<Directory>, from: usize, to: usize| {
        let state = replicas[from].state().unwrap();
        replicas[to].merge(&state).map_err(|e| format!("{e:?}"))
    };
    for _ in 0..steps {
        let r = rng.below(n as u64) as usize;
        let name = names[rng.below(names.len() as u64) as usize];
        match rng.below(10) {
            0..=4 => {
                replicas[r].register(name, rng.below(8)).unwrap();
                ever_registered.insert(name);
            }
            5 if replicas[r].remove(name) => {
                ever_removed.insert(name);
            }
            6 => {
                // Cut or heal a link; a healed link exchanges states.
                let o = rng.below(n as u64) as usize;
                if o != r {
                    linked[r][o] = !linked[r][o];
                    linked[o][r] = linked[r][o];
                    if linked[r][o] {
                        send(&mut replicas, r, o).unwrap();
                        send(&mut replicas, o, r).unwrap();
                    }
                }
                continue;
            }
            _ => {}
        }
        // Gossip r's state to its linked peers; one message in 8 is lost; a replica
        // that learnt something passes it on.
        let mut queue = vec![r];
        while let Some(from) = queue.pop() {
            for to in (0..n).filter(|&to| to != from && linked[from][to]) {
                if rng.below(8) != 0 && send(&mut replicas, from, to).unwrap() {
                    queue.push(to);
                }
            }
        }
    }
    // Heal everything; every pair exchanges once (twice around, so news travels).
    for _ in 0..2 {
        for a in 0..n {
            for b in (0..n).filter(|&b| b != a) {
                send(&mut replicas, a, b).unwrap();
            }
        }
    }
    let first = replicas[0].entries();
    for (i, r) in replicas.iter().enumerate() {
        assert_eq!(r.entries(), first, "seed {seed}: replica {} differs", i + 1);
    }
    for name in ever_registered.difference(&ever_removed) {
        assert!(
            replicas[0].lookup(name).is_some(),
            "seed {seed}: {name} was never removed but is gone"
        );
    }
    steps
}

#[test]
fn simulated_partitions_heal_into_one_directory() {
    let steps: u64 = (1..=40).map(simulate).sum();
    assert_eq!(steps, 40 * 200);
}
