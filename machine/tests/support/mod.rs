//! Programs the machine's integration tests run.

pub mod syscall_fuzz;

/// Assembles a test program that may use seL4's names (`selvm_abi::vm::symbols`).
pub fn assemble(source: &str) -> Result<Vec<u8>, selvm_vm::asm::AsmError> {
    selvm_vm::asm::assemble_with(source, &selvm_abi::vm::symbols::lookup)
}
