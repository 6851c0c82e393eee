//! The wasm-side ABI: the imports from module `sel4` that `dx` lowers to `syscall`
//! sequences, with their exact signatures, and the globals and memory layout those
//! sequences rely on. `docs/wasm-abi.md` publishes the same table; a test checks it.

use crate::Syscall;

/// The module every seL4 import comes from.
pub const IMPORT_MODULE: &str = "sel4";
/// The export a program starts at: no parameters, no results.
pub const ENTRY_EXPORT: &str = "_start";
/// The export that is the program's linear memory.
pub const MEMORY_EXPORT: &str = "memory";

/// Bytecode global holding the thread's IPC buffer address (0 if none); written by the
/// kernel, read by the generated MR transfers and `seL4_GetIPCBuffer`.
pub const GLOBAL_IPC_BUFFER: u32 = 0;
/// Bytecode global holding the BootInfo address for the initial thread, 0 for others.
pub const GLOBAL_BOOT_INFO: u32 = 1;
/// Bytecode global of wasm global 0 (`__stack_pointer` in LLVM's output): the stack
/// pointer of the vm user context.
pub const GLOBAL_STACK_POINTER: u32 = 2;
/// dx places wasm global k at bytecode global k + this.
pub const WASM_GLOBAL_OFFSET: u32 = 2;

/// Offset of the BootInfo from the old end of memory (where the loader's added page
/// starts).
pub const BOOT_INFO_OFFSET: u64 = 0;
/// Offset of the initial thread's IPC buffer from the old end of memory.
pub const IPC_BUFFER_OFFSET: u64 = 4096;
/// Wasm pages (64 KiB) the loader adds to the initial memory for BootInfo and IPC buffer.
pub const LOADER_EXTRA_PAGES: u32 = 1;

/// A wasm value type of an import's signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValType {
    /// `i32`: pointers and characters.
    I32,
    /// `i64`: `seL4_Word`, `seL4_CPtr`, `seL4_MessageInfo_t`.
    I64,
}

impl ValType {
    /// The WebAssembly text name.
    pub const fn name(self) -> &'static str {
        match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
        }
    }
}

/// How dx lowers an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lowering {
    /// A `syscall` instruction with this system call, plus the argument, MR and
    /// `sender` moves `docs/wasm-abi.md` describes.
    Syscall(Syscall),
    /// A read of this bytecode global (wrapped to i32).
    Global(u32),
}

/// One import of module `sel4`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Import {
    /// The import's field name (libsel4's C name).
    pub name: &'static str,
    /// Parameter types, in order.
    pub params: &'static [ValType],
    /// Result types.
    pub results: &'static [ValType],
    /// How it is lowered.
    pub lowering: Lowering,
    /// Which parameter is the `sender` slot pointer, if any.
    pub sender: Option<usize>,
    /// Whether message registers travel through the IPC buffer: loaded before the call
    /// from the sent MessageInfo's length, stored after it from the received one's.
    pub load_mrs: bool,
    /// Whether received message registers are stored to the IPC buffer after the call.
    pub store_mrs: bool,
}

use ValType::{I32, I64};

const fn sys(
    name: &'static str,
    params: &'static [ValType],
    results: &'static [ValType],
    syscall: Syscall,
    sender: Option<usize>,
    load_mrs: bool,
    store_mrs: bool,
) -> Import {
    Import {
        name,
        params,
        results,
        lowering: Lowering::Syscall(syscall),
        sender,
        load_mrs,
        store_mrs,
    }
}

const fn global(name: &'static str, index: u32) -> Import {
    Import {
        name,
        params: &[],
        results: &[I32],
        lowering: Lowering::Global(index),
        sender: None,
        load_mrs: false,
        store_mrs: false,
    }
}

/// Every import of module `sel4`, in the order `docs/wasm-abi.md` lists them.
pub const IMPORTS: [Import; 16] = [
    sys(
        "seL4_Call",
        &[I64, I64],
        &[I64],
        Syscall::Call,
        None,
        true,
        true,
    ),
    sys(
        "seL4_ReplyRecv",
        &[I64, I64, I32],
        &[I64],
        Syscall::ReplyRecv,
        Some(2),
        true,
        true,
    ),
    sys(
        "seL4_Send",
        &[I64, I64],
        &[],
        Syscall::Send,
        None,
        true,
        false,
    ),
    sys(
        "seL4_NBSend",
        &[I64, I64],
        &[],
        Syscall::NBSend,
        None,
        true,
        false,
    ),
    sys(
        "seL4_Recv",
        &[I64, I32],
        &[I64],
        Syscall::Recv,
        Some(1),
        false,
        true,
    ),
    sys(
        "seL4_NBRecv",
        &[I64, I32],
        &[I64],
        Syscall::NBRecv,
        Some(1),
        false,
        true,
    ),
    sys("seL4_Reply", &[I64], &[], Syscall::Reply, None, true, false),
    sys("seL4_Yield", &[], &[], Syscall::Yield, None, false, false),
    sys(
        "seL4_Signal",
        &[I64],
        &[],
        Syscall::Send,
        None,
        false,
        false,
    ),
    sys(
        "seL4_Wait",
        &[I64, I32],
        &[],
        Syscall::Recv,
        Some(1),
        false,
        true,
    ),
    sys(
        "seL4_Poll",
        &[I64, I32],
        &[I64],
        Syscall::NBRecv,
        Some(1),
        false,
        true,
    ),
    sys(
        "seL4_DebugPutChar",
        &[I32],
        &[],
        Syscall::DebugPutChar,
        None,
        false,
        false,
    ),
    sys(
        "seL4_DebugHalt",
        &[],
        &[],
        Syscall::DebugHalt,
        None,
        false,
        false,
    ),
    sys(
        "seLVM_DebugHalt",
        &[I64],
        &[],
        Syscall::DebugHalt,
        None,
        false,
        false,
    ),
    global("seL4_GetBootInfo", GLOBAL_BOOT_INFO),
    global("seL4_GetIPCBuffer", GLOBAL_IPC_BUFFER),
];

/// The import named `name` of module `sel4`, if there is one.
pub fn import(name: &str) -> Option<&'static Import> {
    IMPORTS.iter().find(|i| i.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found() {
        for (i, imp) in IMPORTS.iter().enumerate() {
            assert_eq!(import(imp.name), Some(imp));
            assert!(IMPORTS[i + 1..].iter().all(|o| o.name != imp.name));
        }
        assert_eq!(import("seL4_CallWithMRs"), None);
        assert_eq!(import(""), None);
    }

    #[test]
    fn sender_slots_are_i32_pointers_and_return_a_badge_source() {
        for imp in IMPORTS {
            if let Some(s) = imp.sender {
                assert_eq!(imp.params[s], I32, "{}", imp.name);
                assert!(imp.store_mrs, "{} receives", imp.name);
            }
            // Only imports that take a MessageInfo load MRs.
            if imp.load_mrs {
                assert!(imp.params.contains(&I64), "{}", imp.name);
            }
        }
        let call = import("seL4_Call").unwrap();
        assert_eq!(call.lowering, Lowering::Syscall(Syscall::Call));
        assert_eq!(
            import("seL4_Signal").unwrap().lowering,
            Lowering::Syscall(Syscall::Send)
        );
    }

    #[test]
    fn getters_read_the_reserved_globals() {
        assert_eq!(
            import("seL4_GetIPCBuffer").unwrap().lowering,
            Lowering::Global(GLOBAL_IPC_BUFFER)
        );
        assert_eq!(
            import("seL4_GetBootInfo").unwrap().lowering,
            Lowering::Global(GLOBAL_BOOT_INFO)
        );
        assert_eq!(GLOBAL_STACK_POINTER, WASM_GLOBAL_OFFSET);
        assert!(IPC_BUFFER_OFFSET >= crate::BOOT_INFO_SIZE as u64);
        assert!(
            IPC_BUFFER_OFFSET + crate::IPC_BUFFER_SIZE as u64 <= 65536 * LOADER_EXTRA_PAGES as u64
        );
    }
}
