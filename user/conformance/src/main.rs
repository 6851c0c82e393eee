//! seLVM's conformance suite: a root task that checks the kernel against the rules of
//! `SEL4-FACTS.md` (seL4 13.0.0, non-MCS) and `docs/vm-abi.md`, area by area. Each test
//! prints `NAME ... PASS` or `NAME ... FAIL (why)`; the run ends with `N passed, M
//! failed` and DebugHalt with status M.
//!
//! Build: `cargo xtask build-user user/conformance`; run:
//! `cargo run -q -p selvm -- run --deterministic target/user/conformance.wasm`.
//!
//! Test names are `area.what`; the comment above each test (and the bracket in the
//! area's header) names the SEL4-FACTS rule it checks.

#![no_std]
#![no_main]
#![feature(core_intrinsics)]
#![allow(internal_features)]

mod common;
mod t_cnode;
mod t_cspace;
mod t_faults;
mod t_ipc;
mod t_isolation;
mod t_misc;
mod t_retype;
mod t_rights;
mod t_sched;
mod t_syscalls;
mod t_vspace;
mod t_xas;

use common::*;
use libsel4::{debug_halt_status, debug_put_str};
use sel4rt::Env;

/// A test: name and function.
pub type Test = (&'static str, fn(&mut Env) -> R);

/// The entry point of the initial thread.
#[unsafe(no_mangle)]
pub extern "C" fn _start() {
    let Some(mut env) = Env::from_boot_info() else {
        debug_put_str("conformance: no BootInfo\n");
        debug_halt_status(100);
        return;
    };
    if let Err(f) = setup(&mut env) {
        debug_put_str("conformance: setup failed: ");
        put_fail(&f);
        debug_put_str("\n");
        debug_halt_status(100);
        return;
    }
    let groups: [&[Test]; 12] = [
        t_syscalls::TESTS,
        t_cnode::TESTS,
        t_cspace::TESTS,
        t_retype::TESTS,
        t_ipc::TESTS,
        t_rights::TESTS,
        t_sched::TESTS,
        t_faults::TESTS,
        t_vspace::TESTS,
        t_misc::TESTS,
        t_xas::TESTS,
        t_isolation::TESTS,
    ];
    let (mut passed, mut failed) = (0u64, 0u64);
    for group in groups {
        for (name, f) in group {
            debug_put_str(name);
            debug_put_str(" ... ");
            let before = env.slots.available();
            let _ = before;
            match f(&mut env) {
                Ok(()) => {
                    debug_put_str("PASS\n");
                    passed += 1;
                }
                Err(fail) => {
                    debug_put_str("FAIL (");
                    put_fail(&fail);
                    debug_put_str(")\n");
                    failed += 1;
                }
            }
            cleanup(&mut env);
        }
    }
    put_dec(passed);
    debug_put_str(" passed, ");
    put_dec(failed);
    debug_put_str(" failed\n");
    debug_halt_status(failed);
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    debug_put_str("conformance: panic\n");
    loop {
        debug_halt_status(101);
    }
}
