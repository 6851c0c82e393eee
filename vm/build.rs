//! Picks the dispatch the build can rely on: sibling-call threading
//! (`interp/sibling.rs`, cfg `selvm_sibling_calls`) where LLVM reliably turns a call in
//! tail position into a jump — x86_64 and aarch64 at opt-level 2 or 3 without debug
//! assertions (so not opt-level 0, and not the valgrind profile) — and the loop
//! elsewhere (wasm32 has no tail calls). Without that optimisation every handler would
//! keep its caller's frame and the native stack would grow with each instruction.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(selvm_sibling_calls)");
    println!("cargo::rerun-if-env-changed=SELVM_NO_SIBLING_CALLS");
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let opt = std::env::var("OPT_LEVEL").unwrap_or_default();
    let debug_assertions = std::env::var_os("CARGO_CFG_DEBUG_ASSERTIONS").is_some();
    let forced_off = std::env::var_os("SELVM_NO_SIBLING_CALLS").is_some();
    if matches!(arch.as_str(), "x86_64" | "aarch64")
        && matches!(opt.as_str(), "2" | "3")
        && !debug_assertions
        && !forced_off
    {
        println!("cargo::rustc-cfg=selvm_sibling_calls");
    }
}
