//! Link arguments of the GUI program: on wasm32 a 128 KiB stack instead of wasm-ld's
//! 1 MiB default. Every client and the display server is a process forked from this
//! program, which copies the program's whole memory (stack included) and takes a root
//! slot per page, so the smaller stack makes each fork about 50 pages instead of about
//! 290. (Rust's wasm32 target puts the stack first: an overflow runs below address 0
//! and faults rather than overwriting data.)

fn main() {
    let target = std::env::var("TARGET").unwrap_or_default();
    if target.starts_with("wasm32") {
        println!("cargo:rustc-link-arg=-zstack-size=131072");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
