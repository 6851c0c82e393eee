//! The native stack does not grow per instruction under any dispatch technique: long
//! programs (a counted loop, and fib's calls and returns) run to completion on a host
//! thread with a small stack. Sibling-call threading depends on the compiler turning
//! every handler's final call into a jump; were one handler to keep its frame, these
//! runs would need megabytes of stack and overflow it.

mod common;

use common::{Run, program};
use selvm_vm::{Dispatch, Stop};

/// The host thread's stack: enough for the dispatchers' own frames (the loop's at
/// opt-level 0 is the largest) and a few KiB per call of the embedder, far less than
/// even a byte per executed instruction.
const HOST_STACK: usize = 256 << 10;

fn run_on_small_stack(name: &'static str, text: String, expected: u64) {
    for &dispatch in Dispatch::ALL {
        let text = text.clone();
        let (result, executed) = std::thread::Builder::new()
            .stack_size(HOST_STACK)
            .spawn(move || {
                let mut run = Run::new(&text, None, &[]);
                let exit = run.thread.run_with(
                    dispatch,
                    &run.module,
                    &mut run.stack,
                    &mut run.memory,
                    u64::MAX,
                );
                assert_eq!(exit.stop, Stop::Returned, "{name} under {dispatch:?}");
                (run.results(1)[0], exit.executed)
            })
            .expect("spawn")
            .join()
            .unwrap_or_else(|_| panic!("{name} under {dispatch:?} panicked"));
        assert_eq!(result, expected, "{name} under {dispatch:?}");
        assert!(
            executed as usize > 4 * HOST_STACK,
            "{name}: too short to show anything ({executed} instructions)"
        );
    }
}

#[test]
fn a_long_counted_loop_runs_on_a_small_native_stack() {
    // 2,000,000 iterations of a two-instruction loop body: 4,000,003 instructions.
    let text = program("loop.s").replace("10000000", "2000000");
    run_on_small_stack("loop.s", text, 1999999000000);
}

#[test]
fn deep_call_chains_run_on_a_small_native_stack() {
    // fib(30): 12,116,417 instructions, 1,664,079 calls and as many returns.
    run_on_small_stack("fib.s", program("fib.s"), 832040);
}
