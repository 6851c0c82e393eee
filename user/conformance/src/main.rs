//! seLVM's conformance suite: a root task that checks the kernel against the rules of
//! `SEL4-FACTS.md` (seL4 13.0.0, non-MCS) and `docs/vm-abi.md`, area by area. Each test
//! prints `NAME ... PASS` or `NAME ... FAIL (why)`; a test that only makes sense on the
//! other architecture prints `SKIP NAME (reason)`. The run ends with `N passed, M
//! failed` (after `K skipped` when some were) and DebugHalt with status M.
//!
//! Build: `cargo xtask build-user user/conformance` (wasm32); run:
//! `cargo run -q -p selvm -- run --deterministic target/user/conformance.wasm`.
//! Natively: `cargo xtask build-user --target riscv64 user/conformance`, then
//! `cargo xtask qemu target/user/riscv64/conformance.elf`; the riscv64 area
//! ([`t_riscv64`]) runs there only.
//!
//! Test names are `area.what`; the comment above each test (and the bracket in the
//! area's header) names the SEL4-FACTS rule it checks.

#![no_std]
#![no_main]
#![cfg_attr(not(target_arch = "riscv64"), feature(core_intrinsics))]
#![cfg_attr(not(target_arch = "riscv64"), allow(internal_features))]

mod common;
mod t_cnode;
mod t_cspace;
mod t_faults;
mod t_ipc;
mod t_isolation;
mod t_misc;
mod t_retype;
mod t_rights;
#[cfg(target_arch = "riscv64")]
mod t_riscv64;
mod t_sched;
mod t_syscalls;
mod t_vspace;
mod t_xas;

use common::*;
use libsel4::{BootInfo, debug_halt_status, debug_put_str};
use sel4rt::Env;

/// A test: name and function.
pub type Test = (&'static str, fn(&mut Env) -> R);

/// The areas, in the order they run.
const GROUPS: &[&[Test]] = &[
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
    #[cfg(target_arch = "riscv64")]
    t_riscv64::TESTS,
];

rt::main!(main);

/// The suite, on the initial thread.
fn main(_: &'static BootInfo) {
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
    let (mut passed, mut failed, mut skips) = (0u64, 0u64, 0u64);
    for (name, f) in GROUPS.iter().copied().flatten() {
        if let Some((name, reason)) = skipped(name) {
            debug_put_str("SKIP ");
            debug_put_str(name);
            debug_put_str(" (");
            debug_put_str(reason);
            debug_put_str(")\n");
            skips += 1;
            continue;
        }
        debug_put_str(name);
        debug_put_str(" ... ");
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
    if skips > 0 {
        put_dec(skips);
        debug_put_str(" skipped\n");
    }
    put_dec(passed);
    debug_put_str(" passed, ");
    put_dec(failed);
    debug_put_str(" failed\n");
    debug_halt_status(failed);
}
