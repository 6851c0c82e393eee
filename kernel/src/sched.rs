//! The scheduler: 256 priorities with a two-level ready bitmap, highest
//! runnable thread first, round robin within a priority with a 5-tick time
//! slice, Yield, and seL4's scheduler actions (resume the current thread,
//! switch to a woken thread, or choose anew). One domain.

use crate::arch::Arch;
use crate::memory::PAddr;
use crate::memory::Ram;
use crate::object::tcb::ThreadState;
use crate::state::Kernel;
use selvm_abi::{NUM_PRIORITIES, TIME_SLICE_TICKS};

/// What `schedule` must do on the way out of the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Keep running the current thread.
    ResumeCurrent,
    /// Pick the highest-priority ready thread.
    ChooseNew,
    /// Switch to this thread unless a better one is ready.
    SwitchTo(PAddr),
}

/// Ready queues (intrusive lists through the TCBs) and the current thread (laid out
/// in this order, the queues last: see `Kernel`).
#[derive(Debug, Clone)]
#[repr(C)]
pub struct Scheduler {
    pub(crate) current: PAddr,
    pub(crate) idle: PAddr,
    pub(crate) action: Action,
    pub(crate) domain: u64,
    /// Bit i: some priority in 64*i..64*i+63 is ready.
    pub(crate) l1: u64,
    /// Bit j of word i: priority 64*i+j is ready.
    pub(crate) l2: [u64; NUM_PRIORITIES / 64],
    pub(crate) heads: [PAddr; NUM_PRIORITIES],
    pub(crate) tails: [PAddr; NUM_PRIORITIES],
}

impl Scheduler {
    /// A scheduler running `current`, with `idle` for when nothing is ready.
    pub fn new(current: PAddr, idle: PAddr) -> Self {
        Scheduler {
            heads: [0; NUM_PRIORITIES],
            tails: [0; NUM_PRIORITIES],
            l1: 0,
            l2: [0; NUM_PRIORITIES / 64],
            current,
            idle,
            action: Action::ResumeCurrent,
            domain: 0,
        }
    }

    /// The highest priority with a ready thread.
    pub fn highest_ready(&self) -> Option<usize> {
        if self.l1 == 0 {
            return None;
        }
        let i = 63 - self.l1.leading_zeros() as usize;
        Some(i * 64 + 63 - self.l2[i].leading_zeros() as usize)
    }

    fn mark(&mut self, prio: usize, ready: bool) {
        let (i, bit) = (prio / 64, 1u64 << (prio % 64));
        if ready {
            self.l2[i] |= bit;
            self.l1 |= 1 << i;
        } else {
            self.l2[i] &= !bit;
            if self.l2[i] == 0 {
                self.l1 &= !(1 << i);
            }
        }
    }
}

impl<A: Arch, R: Ram> Kernel<A, R> {
    /// The thread that runs when the kernel returns to user level.
    pub fn current_thread(&self) -> PAddr {
        self.sched.current
    }

    /// The idle thread.
    pub fn idle_thread(&self) -> PAddr {
        self.sched.idle
    }

    /// The pending scheduler action.
    pub fn scheduler_action(&self) -> Action {
        self.sched.action
    }

    fn queue_insert(&mut self, t: PAddr, at_head: bool) {
        if self.tcb(t).queued != 0 {
            return;
        }
        let prio = self.tcb(t).priority as usize % NUM_PRIORITIES;
        let (head, tail) = (self.sched.heads[prio], self.sched.tails[prio]);
        if head == 0 {
            self.sched.heads[prio] = t;
            self.sched.tails[prio] = t;
            self.sched.mark(prio, true);
            let f = self.tcb_mut(t);
            (f.sched_next, f.sched_prev) = (0, 0);
        } else if at_head {
            self.tcb_mut(head).sched_prev = t;
            let f = self.tcb_mut(t);
            (f.sched_next, f.sched_prev) = (head, 0);
            self.sched.heads[prio] = t;
        } else {
            self.tcb_mut(tail).sched_next = t;
            let f = self.tcb_mut(t);
            (f.sched_next, f.sched_prev) = (0, tail);
            self.sched.tails[prio] = t;
        }
        self.tcb_mut(t).queued = 1;
    }

    /// Puts `t` at the head of its priority's queue (seL4's `tcbSchedEnqueue`).
    pub(crate) fn sched_enqueue(&mut self, t: PAddr) {
        self.queue_insert(t, true);
    }

    /// Puts `t` at the tail of its priority's queue (seL4's `tcbSchedAppend`).
    pub(crate) fn sched_append(&mut self, t: PAddr) {
        self.queue_insert(t, false);
    }

    /// Takes `t` out of its ready queue, if it is in one.
    pub(crate) fn sched_dequeue(&mut self, t: PAddr) {
        let f = self.tcb(t);
        if f.queued == 0 {
            return;
        }
        let (prio, next, prev) = (
            f.priority as usize % NUM_PRIORITIES,
            f.sched_next,
            f.sched_prev,
        );
        if prev != 0 {
            self.tcb_mut(prev).sched_next = next;
        } else {
            self.sched.heads[prio] = next;
        }
        if next != 0 {
            self.tcb_mut(next).sched_prev = prev;
        } else {
            self.sched.tails[prio] = prev;
        }
        if self.sched.heads[prio] == 0 {
            self.sched.mark(prio, false);
        }
        let f = self.tcb_mut(t);
        (f.queued, f.sched_next, f.sched_prev) = (0, 0, 0);
    }

    /// The current thread must give way to a scheduling decision.
    pub(crate) fn reschedule_required(&mut self) {
        if let Action::SwitchTo(t) = self.sched.action {
            self.sched_enqueue(t);
        }
        self.sched.action = Action::ChooseNew;
    }

    /// `target` became runnable: run it next if nothing else is pending.
    pub(crate) fn possible_switch_to(&mut self, target: PAddr) {
        if self.tcb(target).domain != self.sched.domain {
            self.sched_enqueue(target);
        } else if self.sched.action != Action::ResumeCurrent {
            self.reschedule_required();
            self.sched_enqueue(target);
        } else {
            self.sched.action = Action::SwitchTo(target);
        }
    }

    /// Sets `t`'s state; a current thread that stops running forces a reschedule.
    pub(crate) fn set_thread_state(&mut self, t: PAddr, state: ThreadState) {
        self.tcb_mut(t).state = state as u64;
        if t == self.sched.current
            && self.sched.action == Action::ResumeCurrent
            && !state.is_runnable()
        {
            self.reschedule_required();
        }
    }

    fn switch_to(&mut self, t: PAddr) {
        self.sched_dequeue(t);
        self.sched.current = t;
    }

    fn choose_thread(&mut self) {
        match self.sched.highest_ready() {
            Some(prio) => {
                let t = self.sched.heads[prio];
                self.switch_to(t);
            }
            None => self.sched.current = self.sched.idle,
        }
    }

    /// Carries out the pending scheduler action (seL4's `schedule`) and
    /// prepares the chosen thread to run (`activateThread`).
    pub fn schedule(&mut self) {
        let cur = self.sched.current;
        if self.sched.action != Action::ResumeCurrent {
            let was_runnable = cur != self.sched.idle && self.thread_state(cur).is_runnable();
            if was_runnable {
                self.sched_enqueue(cur);
            }
            match self.sched.action {
                Action::SwitchTo(candidate) => {
                    let cand_prio = self.tcb(candidate).priority;
                    let fast_fail = cur == self.sched.idle || cand_prio < self.tcb(cur).priority;
                    let highest = self
                        .sched
                        .highest_ready()
                        .is_none_or(|p| cand_prio as usize >= p);
                    if fast_fail && !highest {
                        self.sched_enqueue(candidate);
                        self.choose_thread();
                    } else if was_runnable && cand_prio == self.tcb(cur).priority {
                        self.sched_append(candidate);
                        self.choose_thread();
                    } else {
                        self.switch_to(candidate);
                    }
                }
                _ => self.choose_thread(),
            }
            self.sched.action = Action::ResumeCurrent;
        }
        self.activate_thread();
    }

    fn activate_thread(&mut self) {
        let t = self.sched.current;
        if t != self.sched.idle && self.thread_state(t) == ThreadState::Restart {
            let ctx = self.context_mut(t);
            ctx[A::NEXT_IP_REGISTER] = ctx[A::FAULT_IP_REGISTER];
            self.tcb_mut(t).state = ThreadState::Running as u64;
        }
    }

    /// A timer interrupt: the running thread uses up a tick of its slice; at the
    /// end of the slice it goes to the back of its queue.
    pub fn timer_tick(&mut self) {
        let cur = self.sched.current;
        if cur != self.sched.idle && self.thread_state(cur) == ThreadState::Running {
            if self.tcb(cur).time_slice > 1 {
                self.tcb_mut(cur).time_slice -= 1;
            } else {
                self.tcb_mut(cur).time_slice = TIME_SLICE_TICKS;
                self.sched_append(cur);
                self.reschedule_required();
            }
        }
        self.schedule();
    }

    /// The current thread yields to the others of its priority.
    pub(crate) fn yield_current(&mut self) {
        let cur = self.sched.current;
        self.sched_dequeue(cur);
        self.sched_append(cur);
        self.reschedule_required();
    }
}
