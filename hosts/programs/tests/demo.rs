//! The embedded default system prints each step of its IPC and notification
//! exchange between two address spaces and halts cleanly.

use selvm_machine::{Config, Exit, Machine};
use selvm_programs::assemble;
use selvm_programs::demo::demo_source;

#[test]
fn the_demo_shows_call_cap_transfer_reply_send_and_signal_across_address_spaces() {
    let image = assemble(&demo_source()).expect("assembles");
    let ram = vec![0u64; (16 << 20) / 8];
    let mut m = Machine::boot(ram, &image, Config::default()).expect("boots");
    let mut out = Vec::new();
    let exit = m.run_to_exit(|b| out.extend_from_slice(b));
    let text = String::from_utf8(out).unwrap();
    assert_eq!(exit, Exit::Halted(0), "{text}");
    let expected = "seLVM demo: the seL4 kernel (Rust) running on the seLVM register machine
root: made an endpoint, a notification and a client thread with its own address space (ASID 2)
root: the client called the endpoint with MR0 = 21
root: the Call also carried a capability; the kernel put it in slot 4010: a notification
root: replying with MR0 = 42
root: the client got the reply and sent back MR0 = 42
root: woke on the notification through the transferred cap; halting
";
    assert_eq!(text, expected);
}
