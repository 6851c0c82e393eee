//! The object types the vm architecture adds after riscv64's 0–8: the module object
//! that holds verified code and the register stack that holds a thread's VM frames, with
//! the numbers of the invocations that fill, seal and bind them (their labels and
//! layouts are rows of `vm/invocation.rs`).

use crate::Word;

/// log2 bytes of a TCB on the vm architecture (its configuration's, `config::vm`).
pub const VM_TCB_BITS: u32 = crate::config::vm::TCB_BITS;
/// The smallest module object, in log2 bytes (one 4 KiB page).
pub const MODULE_MIN_BITS: u32 = 12;
/// The largest module object, in log2 bytes (256 MiB).
pub const MODULE_MAX_BITS: u32 = 28;
/// The most bytes one ModuleWriteFromFrame copies (one 4 KiB page). It bounds
/// the kernel's work per entry the way seL4 bounds an untyped reset between two
/// preemption points (8 KiB chunks), so the copy needs no preemption point; a
/// larger image is streamed in several writes.
pub const MODULE_WRITE_MAX: u64 = 4096;
/// The smallest register stack object, in log2 bytes (512 registers).
pub const REGISTER_STACK_MIN_BITS: u32 = 12;
/// The largest register stack object, in log2 bytes (32 M registers).
pub const REGISTER_STACK_MAX_BITS: u32 = 28;
/// TCB slot holding a copy of the bound module cap (after seL4's slots 0–4).
pub const TCB_MODULE: usize = 5;
/// TCB slot holding a copy of the bound register stack cap.
pub const TCB_REGISTER_STACK: usize = 6;
/// Root CNode slots of the root task's module and register stack caps: the vm
/// configuration's own initial caps (`config::vm`).
pub use crate::config::vm::{CAP_INIT_THREAD_MODULE, CAP_INIT_THREAD_REGISTER_STACK};

/// An object type the vm architecture adds to riscv64's (`seL4_ObjectType` after 8).
#[repr(u64)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VmObjectType {
    /// Verified register bytecode (an `.sbc` image); size chosen by the caller.
    Module = 9,
    /// A thread's VM frames, call records and globals; never mappable; size chosen by
    /// the caller.
    RegisterStack = 10,
}

impl VmObjectType {
    /// Every vm object type, in numbering order.
    pub const ALL: [VmObjectType; 2] = [VmObjectType::Module, VmObjectType::RegisterStack];

    /// Decodes an object-type word; `None` outside 9..=10 (types 0–8 are the generic
    /// and riscv64 ones of [`crate::ObjectType`]).
    pub const fn from_word(w: Word) -> Option<VmObjectType> {
        match w {
            9 => Some(VmObjectType::Module),
            10 => Some(VmObjectType::RegisterStack),
            _ => None,
        }
    }

    /// The object-type word.
    pub const fn word(self) -> Word {
        self as Word
    }

    /// The smallest and largest size Retype accepts, in log2 bytes.
    pub const fn size_bits_range(self) -> (u32, u32) {
        match self {
            VmObjectType::Module => (MODULE_MIN_BITS, MODULE_MAX_BITS),
            VmObjectType::RegisterStack => (REGISTER_STACK_MIN_BITS, REGISTER_STACK_MAX_BITS),
        }
    }

    /// The name the docs use.
    pub const fn name(self) -> &'static str {
        match self {
            VmObjectType::Module => "Module",
            VmObjectType::RegisterStack => "RegisterStack",
        }
    }
}

/// TcbSetEntry MR0 flag: the low 32 bits are an element index of table 0 (as the module
/// initialises it), i.e. a wasm function pointer, rather than a function index.
pub const ENTRY_TABLE_ELEMENT: Word = 1 << 63;

/// ModuleSeal failure reply (label InvalidArgument) word: the argument number, 0.
pub const SEAL_ERROR_ARGUMENT: usize = 0;
/// ModuleSeal failure reply word: the verifier rule's stable code (`bytecode::Rule`).
pub const SEAL_ERROR_RULE: usize = 1;
/// ModuleSeal failure reply word: the function index, or the record index of a
/// module-level rule.
pub const SEAL_ERROR_INDEX: usize = 2;
/// ModuleSeal failure reply word: the word offset in the function, or
/// [`SEAL_ERROR_NOT_CODE`] for a module-level rule.
pub const SEAL_ERROR_OFFSET: usize = 3;
/// ModuleSeal failure reply word: the offending value (index, register, offset...).
pub const SEAL_ERROR_VALUE: usize = 4;
/// Words of a ModuleSeal failure reply.
pub const SEAL_ERROR_LENGTH: usize = 5;
/// [`SEAL_ERROR_OFFSET`] of a rule broken outside any function's code.
pub const SEAL_ERROR_NOT_CODE: Word = Word::MAX;

// The TCB slots fit the TCB's CNode region after seL4's.
const _: () =
    assert!(TCB_MODULE > crate::TCB_BUFFER && TCB_REGISTER_STACK < crate::TCB_CNODE_SLOTS);
const _: () = assert!(MODULE_MAX_BITS <= crate::MAX_UNTYPED_BITS);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_types_follow_riscv64() {
        assert_eq!(
            VmObjectType::Module.word(),
            crate::ObjectType::ALL.len() as Word
        );
        assert_eq!(
            crate::ObjectType::from_word(VmObjectType::Module.word()),
            None
        );
        for t in VmObjectType::ALL {
            assert_eq!(VmObjectType::from_word(t.word()), Some(t));
            let (lo, hi) = t.size_bits_range();
            assert!(crate::MIN_UNTYPED_BITS <= lo && lo <= hi && hi <= crate::MAX_UNTYPED_BITS);
        }
        assert_eq!(VmObjectType::from_word(8), None);
        assert_eq!(VmObjectType::from_word(11), None);
    }

    #[test]
    fn seal_error_layout() {
        assert_eq!(SEAL_ERROR_VALUE + 1, SEAL_ERROR_LENGTH);
        let words = [
            SEAL_ERROR_ARGUMENT,
            SEAL_ERROR_RULE,
            SEAL_ERROR_INDEX,
            SEAL_ERROR_OFFSET,
            SEAL_ERROR_VALUE,
        ];
        assert_eq!(words, core::array::from_fn(|i| i));
    }
}
