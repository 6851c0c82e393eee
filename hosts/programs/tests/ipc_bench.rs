//! The IPC benchmark's programs run correctly (the benchmark itself is
//! `selvm bench ipc`): each halts cleanly after its rounds, and the
//! Call/ReplyRecv round trips between two address spaces take the fastpath.

use selvm_machine::{Config, Exit, Machine};
use selvm_programs::assemble;
use selvm_programs::ipc_bench::{
    call_reply_recv, call_reply_recv_20_mrs, null_syscall, signal_wait,
};

fn boot_and_run(source: &str, fastpath: bool) -> (Exit, (u64, u64, u64, u64), u64) {
    let image = assemble(source).expect("assembles");
    let ram = vec![0u64; (16 << 20) / 8];
    let mut m = Machine::boot(ram, &image, Config::default()).expect("boots");
    m.set_fastpath(fastpath);
    let exit = m.run_to_exit(|_| {});
    (exit, m.fastpath_counts(), m.instructions)
}

#[test]
fn call_reply_recv_round_trips_take_the_fastpath_across_address_spaces() {
    let (exit, (calls, call_hits, reply_recvs, rr_hits), _) =
        boot_and_run(&call_reply_recv(100), true);
    assert_eq!(exit, Exit::Halted(0));
    assert!(
        calls >= 100 && call_hits >= 99,
        "calls {calls}, hits {call_hits}"
    );
    assert!(
        reply_recvs >= 99 && rr_hits >= 99,
        "reply-recvs {reply_recvs}, hits {rr_hits}"
    );
    let (exit, (_, slow_hits, _, _), _) = boot_and_run(&call_reply_recv(100), false);
    assert_eq!((exit, slow_hits), (Exit::Halted(0), 0));
}

#[test]
fn twenty_mr_round_trips_carry_20_mrs_on_the_slow_path() {
    // The root halts with 1 if a message arrives with another length.
    let (exit, (calls, call_hits, reply_recvs, rr_hits), instructions) =
        boot_and_run(&call_reply_recv_20_mrs(100), true);
    assert_eq!(exit, Exit::Halted(0));
    assert!(calls >= 100 && reply_recvs >= 99, "{calls} {reply_recvs}");
    assert_eq!((call_hits, rr_hits), (0, 0));
    assert!(instructions > 1000, "{instructions}");
}

#[test]
fn signal_wait_and_yield_programs_finish() {
    assert_eq!(boot_and_run(&signal_wait(100), true).0, Exit::Halted(0));
    let (exit, _, instructions) = boot_and_run(&null_syscall(1000), true);
    assert_eq!(exit, Exit::Halted(0));
    assert!(
        instructions < 3100,
        "{instructions} instructions for 1000 yields"
    );
}
