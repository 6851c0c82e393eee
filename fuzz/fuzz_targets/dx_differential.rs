//! dx + the register machine against wasmi on modules wasm-smith generates from the
//! input (supported features only, no imports, canonical NaNs): any disagreement in
//! results or traps, a module dx wrongly rejects, an `.sbc` the verifier rejects, or a
//! panic is a finding. The comparison is `dx/tests/diffkit`, shared with the replay test.

#![no_main]

#[path = "../../dx/tests/diffkit/mod.rs"]
mod diffkit;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(wasm) = diffkit::module_from(data)
        && let Err(e) = diffkit::compare(&wasm)
    {
        panic!("{e}");
    }
});
