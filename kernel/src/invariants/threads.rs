//! Thread and scheduler rules: valid thread states, well-formed ready queues
//! that hold exactly the runnable threads waiting to run, a live current
//! thread, consistent notification bindings, and endpoint and notification
//! queues that hold exactly the threads blocked on them.

use super::Violation;
use super::discover::State;
use crate::cap::{Cap, ZombieKind};
use crate::memory::Ram;
use crate::memory::{PAddr, PhysMem};
use crate::object::endpoint::EndpointObj;
use crate::object::notification::NotificationObj;
use crate::object::tcb::{FIELDS_OFFSET, TcbFields, ThreadState};
use crate::sched::{Action, Scheduler};
use crate::slot::SlotMemory;
use alloc::collections::BTreeSet;
use selvm_abi::NUM_PRIORITIES;

fn fields(mem: &PhysMem<impl Ram>, t: PAddr) -> &TcbFields {
    mem.object(t + FIELDS_OFFSET)
}

/// The live TCBs: those a thread cap names (a TCB zombie's thread is dying
/// and already suspended).
fn live_tcbs(s: &State) -> BTreeSet<PAddr> {
    s.caps
        .values()
        .filter_map(|c| match *c {
            Cap::Thread { tcb } => Some(tcb),
            Cap::Zombie {
                ptr,
                kind: ZombieKind::Tcb,
                ..
            } => Some(ptr),
            _ => None,
        })
        .collect()
}

/// Walks one endpoint or notification queue: members are live, blocked on
/// this object in `state`, and linked both ways; returns them.
fn walk_ipc_queue(
    mem: &PhysMem<impl Ram>,
    live: &BTreeSet<PAddr>,
    obj: PAddr,
    head: PAddr,
    tail: PAddr,
    state: ThreadState,
    out: &mut BTreeSet<PAddr>,
) -> Result<(), Violation> {
    let (mut prev, mut cur) = (0, head);
    while cur != 0 {
        let f = fields(mem, cur);
        if !live.contains(&cur)
            || !out.insert(cur)
            || f.state != state as u64
            || f.blocking_object != obj
            || f.ep_prev != prev
        {
            return Err(Violation::BadThread(cur, "wrong member of an IPC queue"));
        }
        (prev, cur) = (cur, f.ep_next);
    }
    if tail != prev {
        return Err(Violation::BadThread(obj, "IPC queue tail"));
    }
    Ok(())
}

/// Endpoint and notification queues against the threads blocked on them.
fn check_ipc_queues(
    mem: &PhysMem<impl Ram>,
    live: &BTreeSet<PAddr>,
    s: &State,
) -> Result<(), Violation> {
    let mut blocked = BTreeSet::new();
    let objects: BTreeSet<(PAddr, bool)> = s
        .caps
        .values()
        .filter_map(|c| match *c {
            Cap::Endpoint { ptr, .. } => Some((ptr, true)),
            Cap::Notification { ptr, .. } => Some((ptr, false)),
            _ => None,
        })
        .collect();
    for &(obj, is_endpoint) in &objects {
        if is_endpoint {
            let e: &EndpointObj = mem.object(obj);
            let (head, tail) = (e.queue_head, e.queue_tail_and_state & !3);
            let state = match e.queue_tail_and_state & 3 {
                0 if head == 0 => continue,
                1 => ThreadState::BlockedOnSend,
                2 => ThreadState::BlockedOnReceive,
                _ => return Err(Violation::BadThread(obj, "endpoint state")),
            };
            if head == 0 {
                return Err(Violation::BadThread(
                    obj,
                    "endpoint waiting with an empty queue",
                ));
            }
            walk_ipc_queue(mem, live, obj, head, tail, state, &mut blocked)?;
        } else {
            let n: &NotificationObj = mem.object(obj);
            let (head, tail, st) = (
                n.queue_head,
                n.queue_tail_and_state & !3,
                n.queue_tail_and_state & 3,
            );
            if st > 2 || (st == 1) != (head != 0) || (st != 2 && n.word != 0) {
                return Err(Violation::BadThread(obj, "notification state"));
            }
            walk_ipc_queue(
                mem,
                live,
                obj,
                head,
                tail,
                ThreadState::BlockedOnNotification,
                &mut blocked,
            )?;
        }
    }
    for &t in live {
        let state = fields(mem, t).state;
        let must_be_queued = [
            ThreadState::BlockedOnSend,
            ThreadState::BlockedOnReceive,
            ThreadState::BlockedOnNotification,
        ]
        .iter()
        .any(|&b| b as u64 == state);
        if must_be_queued != blocked.contains(&t) {
            return Err(Violation::BadThread(t, "blocked but in no IPC queue"));
        }
    }
    Ok(())
}

/// Reply caps: a reply cap (not a master) answers a thread blocked on reply,
/// there is at most one per thread, and it is a child of that thread's master
/// reply cap; a master sits in its own TCB's reply slot.
fn check_reply_caps(mem: &PhysMem<impl Ram>, s: &State) -> Result<(), Violation> {
    let mut answered = BTreeSet::new();
    for (&slot, cap) in &s.caps {
        let Cap::Reply { tcb: t, master, .. } = *cap else {
            continue;
        };
        let master_slot = crate::object::tcb::slot(t, selvm_abi::object::TCB_REPLY);
        if master {
            if slot != master_slot {
                return Err(Violation::BadThread(t, "master reply cap outside its TCB"));
            }
            continue;
        }
        if fields(mem, t).state != ThreadState::BlockedOnReply as u64 || !answered.insert(t) {
            return Err(Violation::BadThread(
                t,
                "reply cap to a thread not waiting for one reply",
            ));
        }
        if !crate::cdt::is_parent_of(mem, master_slot, slot)
            || mem.mdb(slot).prev != Some(master_slot)
        {
            return Err(Violation::BadThread(
                t,
                "reply cap not derived from the master",
            ));
        }
    }
    Ok(())
}

pub fn check(
    mem: &PhysMem<impl Ram>,
    sched: &Scheduler,
    s: &State,
    root_tcb: PAddr,
) -> Result<(), Violation> {
    let mut live = live_tcbs(s);
    // The root TCB lives in boot memory no untyped covers, so it can never be
    // freed or reused: it stays a valid thread even when its only cap sits in
    // a CNode cycle nothing reaches (a CNode cap moved into its own slot —
    // legal in seL4, and beyond what discovery from the roots can see).
    live.insert(root_tcb);
    check_ipc_queues(mem, &live, s)?;
    check_reply_caps(mem, s)?;
    let idle = sched.idle;
    if fields(mem, idle).state != ThreadState::Idle as u64 {
        return Err(Violation::BadThread(idle, "idle thread not idle"));
    }
    if sched.current != idle && !live.contains(&sched.current) {
        return Err(Violation::BadThread(
            sched.current,
            "current thread is not live",
        ));
    }
    let mut queued = BTreeSet::new();
    for prio in 0..NUM_PRIORITIES {
        let (head, tail) = (sched.heads[prio], sched.tails[prio]);
        let bit = sched.l2[prio / 64] >> (prio % 64) & 1 != 0;
        if bit != (head != 0) || (head == 0) != (tail == 0) {
            return Err(Violation::BadReadyQueue(prio, "bitmap or ends disagree"));
        }
        let (mut prev, mut cur) = (0, head);
        while cur != 0 {
            let f = fields(mem, cur);
            let runnable = ThreadState::from_word(f.state).is_some_and(|st| st.is_runnable());
            if !live.contains(&cur)
                || !queued.insert(cur)
                || f.queued == 0
                || f.priority as usize != prio
                || f.sched_prev != prev
                || !runnable
                || cur == sched.current
            {
                return Err(Violation::BadReadyQueue(prio, "bad member"));
            }
            (prev, cur) = (cur, f.sched_next);
        }
        if tail != prev {
            return Err(Violation::BadReadyQueue(prio, "tail"));
        }
    }
    for (i, &word) in sched.l2.iter().enumerate() {
        if (sched.l1 >> i & 1 != 0) != (word != 0) {
            return Err(Violation::BadReadyQueue(i * 64, "level-1 bitmap"));
        }
    }
    let switching_to = match sched.action {
        Action::SwitchTo(t) => Some(t),
        _ => None,
    };
    for &t in &live {
        let f = fields(mem, t);
        let Some(state) = ThreadState::from_word(f.state) else {
            return Err(Violation::BadThread(t, "state word"));
        };
        let waiting = state.is_runnable() && t != sched.current && Some(t) != switching_to;
        if state == ThreadState::Idle || f.priority > 255 || f.mcp > 255 {
            return Err(Violation::BadThread(t, "state or priority out of range"));
        }
        if (f.queued != 0) != queued.contains(&t) {
            return Err(Violation::BadThread(
                t,
                "queued flag disagrees with the queues",
            ));
        }
        if waiting && f.queued == 0 {
            return Err(Violation::BadThread(t, "runnable but not queued"));
        }
        if f.bound_notification != 0 {
            let n: &NotificationObj = mem.object(f.bound_notification);
            if n.bound_tcb != t {
                return Err(Violation::BadThread(t, "binding not mutual"));
            }
        }
    }
    Ok(())
}
