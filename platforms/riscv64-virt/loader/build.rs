//! Links the loader at OpenSBI's payload address, and says which images to embed.

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap();
    println!("cargo:rustc-link-arg=-T{dir}/loader.ld");
    println!("cargo:rerun-if-changed=loader.ld");
    for var in ["SELVM_KERNEL_ELF", "SELVM_ROOTSERVER_ELF"] {
        println!("cargo:rerun-if-env-changed={var}");
        if let Ok(path) = std::env::var(var) {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}
