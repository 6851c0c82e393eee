//! The vm architecture's own invocations (labels 38–43 of `docs/vm-abi.md`): filling and
//! sealing module objects, and binding a module, register stack, entry point and memory
//! limits to a TCB.

use selvm_abi::vm::args::{
    ModuleSeal, ModuleWriteFromFrame, TcbBindModule, TcbBindRegisterStack, TcbSetEntry,
    TcbSetMemory,
};
use selvm_abi::vm::{self as abi};
use selvm_abi::{CPtr, Error, Word};

use super::api;
use crate::ipc;

/// Module object invocations.
pub mod module {
    use super::*;

    api! {
        /// The module invocations on any backend.
        pub trait ModuleOps;

        /// Copies `length` bytes at `frame_offset` of `frame` to `module_offset` of the
        /// (unsealed) module; at most `MODULE_WRITE_MAX` (4096) bytes per call.
        pub fn write_from_frame(
            b,
            service: CPtr,
            module_offset: Word,
            frame: CPtr,
            frame_offset: Word,
            length: Word,
        ) -> Result<(), Error> {
            let msg = ModuleWriteFromFrame {
                module_offset,
                frame_offset,
                length,
                frame,
            };
            b.call(service, &msg, &mut []).map(drop)
        }

        /// Verifies the module's first `length` bytes as an `.sbc` image and makes it
        /// immutable. On `Err(InvalidArgument)`, [`seal_failure`] tells why.
        pub fn seal(b, service: CPtr, length: Word) -> Result<(), Error> {
            b.call(service, &ModuleSeal { length }, &mut []).map(drop)
        }
    }

    /// Why the verifier refused a module, read from a failed [`seal`]'s reply.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct SealFailure {
        /// The broken rule's stable code (`selvm_bytecode::rule::Rule`).
        pub rule: Word,
        /// The function index, or a module-level record index.
        pub index: Word,
        /// The word offset in the function, `None` for a module-level rule.
        pub offset: Option<Word>,
        /// The offending value.
        pub value: Word,
    }

    /// The details of the last failed [`seal`] (valid right after it, with the system
    /// call backend: they are the reply's words in the IPC buffer).
    pub fn seal_failure() -> SealFailure {
        let offset = ipc::get_mr(abi::SEAL_ERROR_OFFSET);
        SealFailure {
            rule: ipc::get_mr(abi::SEAL_ERROR_RULE),
            index: ipc::get_mr(abi::SEAL_ERROR_INDEX),
            offset: (offset != abi::SEAL_ERROR_NOT_CODE).then_some(offset),
            value: ipc::get_mr(abi::SEAL_ERROR_VALUE),
        }
    }
}

/// The vm TCB invocations.
pub mod vm_tcb {
    use super::*;

    api! {
        /// The vm TCB invocations on any backend.
        pub trait VmTcbOps;

        /// Binds a sealed module to the (Inactive) thread.
        pub fn bind_module(b, service: CPtr, module: CPtr) -> Result<(), Error> {
            b.call(service, &TcbBindModule { module }, &mut []).map(drop)
        }

        /// Binds a register stack allowing `max_depth` nested calls.
        pub fn bind_register_stack(
            b,
            service: CPtr,
            stack: CPtr,
            max_depth: Word,
        ) -> Result<(), Error> {
            let msg = TcbBindRegisterStack { max_depth, stack };
            b.call(service, &msg, &mut []).map(drop)
        }

        /// Starts the thread over at function `function` with `argument`, its stack
        /// pointer at `stack_pointer`.
        pub fn set_entry(
            b,
            service: CPtr,
            function: u32,
            argument: Word,
            stack_pointer: Word,
        ) -> Result<(), Error> {
            let msg = TcbSetEntry {
                function: function.into(),
                argument,
                stack_pointer,
            };
            b.call(service, &msg, &mut []).map(drop)
        }

        /// As [`set_entry`], naming the function by a wasm function pointer (an index into
        /// table 0, what `f as usize` gives on wasm32).
        pub fn set_entry_pointer(
            b,
            service: CPtr,
            pointer: u32,
            argument: Word,
            stack_pointer: Word,
        ) -> Result<(), Error> {
            let msg = TcbSetEntry {
                function: abi::ENTRY_TABLE_ELEMENT | Word::from(pointer),
                argument,
                stack_pointer,
            };
            b.call(service, &msg, &mut []).map(drop)
        }

        /// Sets what `memory.size` reports (`pages`) and how far `memory.grow` may go
        /// (`limit`), in 64 KiB pages.
        pub fn set_memory(b, service: CPtr, pages: Word, limit: Word) -> Result<(), Error> {
            b.call(service, &TcbSetMemory { pages, limit }, &mut []).map(drop)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::testing::*;

    #[test]
    fn module_encoding() {
        assert_eq!(module::write_from_frame(40, 4096, 41, 0, 4096), Ok(()));
        expect(40, 38, &[4096, 0, 4096], &[41]);
        assert_eq!(module::seal(40, 9000), Ok(()));
        expect(40, 39, &[9000], &[]);
        answer(1, &[0, 302, 3, 17, 70]);
        assert_eq!(module::seal(40, 9000), Err(Error::InvalidArgument));
        sent_one();
        let f = module::seal_failure();
        assert_eq!((f.rule, f.index, f.offset, f.value), (302, 3, Some(17), 70));
        answer(1, &[0, 215, 0, Word::MAX, 9]);
        assert_eq!(module::seal(40, 9000), Err(Error::InvalidArgument));
        sent_one();
        assert_eq!(module::seal_failure().offset, None);
    }

    #[test]
    fn tcb_encoding() {
        assert_eq!(vm_tcb::bind_module(50, 40), Ok(()));
        expect(50, 40, &[], &[40]);
        assert_eq!(vm_tcb::bind_register_stack(50, 42, 256), Ok(()));
        expect(50, 41, &[256], &[42]);
        assert_eq!(vm_tcb::set_entry(50, 7, 99, 0x2_0000), Ok(()));
        expect(50, 42, &[7, 99, 0x2_0000], &[]);
        assert_eq!(vm_tcb::set_entry_pointer(50, 3, 1, 0x1_0000), Ok(()));
        expect(50, 42, &[(1 << 63) | 3, 1, 0x1_0000], &[]);
        assert_eq!(vm_tcb::set_memory(50, 18, 64), Ok(()));
        expect(50, 43, &[18, 64], &[]);
    }
}
