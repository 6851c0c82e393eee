//! Checker self-tests: Zombies: uniqueness and cleared slots.

use super::*;

// BadZombie

#[test]
fn two_zombies_for_one_object_are_noticed() {
    let mut words = ram();
    let (mut k, b) = boot(&mut words);
    let (at, _) = with_zombie(&mut k, &b);
    let z = cap_at(&k, at);
    let s = slot(&k, at + 10);
    set_cap(&mut k, s, z);
    expect(&k, Violation::BadZombie(s));
}

#[test]
fn cnode_cap_alongside_its_zombie_is_noticed() {
    let mut words = ram();
    let (mut k, b) = boot(&mut words);
    let (at, ptr) = with_zombie(&mut k, &b);
    let s = slot(&k, at + 10);
    let cnode = Cap::CNode {
        ptr,
        radix: 2,
        guard_size: 0,
        guard: 0,
    };
    set_cap(&mut k, s, cnode);
    expect(&k, Violation::BadZombie(s));
}

#[test]
fn thread_cap_alongside_its_zombie_is_noticed() {
    let mut words = ram();
    let (mut k, b) = boot(&mut words);
    let ut = largest_untyped(&b);
    let t = b.empty.start;
    retype(&mut k, ut, ObjectType::Tcb, 0, t, 1);
    let tcb = object_at(&k, t);
    clean(&k);
    k.preemption().force_every(1);
    let o = send_once(&mut k, ROOT, L::CNodeDelete, &[t, 64], &[]);
    k.preemption().force_every(0);
    assert_eq!(o, Outcome::Preempted);
    assert!(matches!(
        cap_at(&k, t),
        Cap::Zombie {
            kind: ZombieKind::Tcb,
            ..
        }
    ));
    clean(&k);
    let s = slot(&k, t + 10);
    set_cap(&mut k, s, Cap::Thread { tcb });
    expect(&k, Violation::BadZombie(s));
}

/// A zombie's slots from `remaining` up have been cleared; a live cap found
/// there (other than the zombie under deletion itself) would survive the
/// object's destruction inside freed memory.
#[test]
fn cap_in_a_zombies_cleared_slots_is_noticed() {
    let mut words = ram();
    let (mut k, b) = boot(&mut words);
    let (_, ptr) = with_zombie(&mut k, &b);
    // The endpoint in the zombie CNode's slot 0; slot 3 was cleared.
    let ep_slot = SlotRef(ptr);
    let ep = k.memory().cap(ep_slot);
    assert!(matches!(ep, Cap::Endpoint { .. }));
    let cleared = SlotRef(ptr).offset(3);
    link_after(&mut k, ep_slot, cleared, ep);
    let r = k.check_invariants();
    assert!(matches!(r, Err(Violation::BadZombie(_))), "{r:?}");
}
