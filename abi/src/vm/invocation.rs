//! The vm architecture's rows of the invocation table (labels 38–43 after riscv64's
//! 37, `docs/vm-abi.md`): filling and sealing module objects, and binding a module,
//! register stack, entry point and memory limits to a TCB. A table of its own, so a
//! build without the vm architecture can leave it out.

use crate::invocation::macros::invocations;

invocations! {
    /// An invocation label the vm architecture adds after riscv64's (which end at 37).
    enum VmInvocationLabel;
    /// The vm architecture's rows of the table, in label order (38..=43).
    specs VM_INVOCATION_SPECS;
    /// Visits the argument struct of every vm invocation.
    visit visit_vm_invocations;

    "Module: copy bytes from a frame into the (unsealed) module."
    ModuleWriteFromFrame = 38 on Module {
        mrs {
            MODULE_OFFSET module_offset = "where the bytes go in the module";
            FRAME_OFFSET frame_offset = "where they come from in the frame";
            LENGTH length = "how many bytes (at most `MODULE_WRITE_MAX`)";
        }
        caps { FRAME frame = "the frame read (needs Read)"; }
        reply {}
    }

    "Module: verify the image (preemptibly) and make the module immutable."
    ModuleSeal = 39 on Module {
        mrs { LENGTH length = "the image's length in bytes (the module's first bytes)"; }
        caps {}
        reply {}
    }

    "TCB: bind a sealed module."
    TcbBindModule = 40 on Tcb {
        mrs {}
        caps { MODULE module = "the sealed module"; }
        reply {}
    }

    "TCB: bind a register stack."
    TcbBindRegisterStack = 41 on Tcb {
        mrs { MAX_DEPTH max_depth = "the maximum call depth (at least 1)"; }
        caps { STACK stack = "the register stack"; }
        reply {}
    }

    "TCB: start over at an entry function."
    TcbSetEntry = 42 on Tcb {
        mrs {
            FUNCTION function = "the function index, or with `ENTRY_TABLE_ELEMENT` an element of table 0";
            ARGUMENT argument = "the entry's argument (and a0)";
            STACK_POINTER stack_pointer = "the initial stack pointer";
        }
        caps {}
        reply {}
    }

    "TCB: set what `memory.size` reports and how far `memory.grow` may go."
    TcbSetMemory = 43 on Tcb {
        mrs {
            PAGES pages = "`memory.size`, in 64 KiB pages";
            LIMIT limit = "the limit for `memory.grow`, in 64 KiB pages";
        }
        caps {}
        reply {}
    }
}

const _: () = assert!(VmInvocationLabel::ALL[0].word() == crate::VM_ARCH_LABEL_FIRST);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Word;

    #[test]
    fn labels_follow_riscv64() {
        assert_eq!(
            VmInvocationLabel::ALL[0].word(),
            crate::InvocationLabel::ALL.len() as Word
        );
        for (i, l) in VmInvocationLabel::ALL.iter().enumerate() {
            assert_eq!(l.word(), crate::VM_ARCH_LABEL_FIRST + i as Word);
            assert_eq!(VmInvocationLabel::from_word(l.word()), Some(*l));
            assert_eq!(crate::InvocationLabel::from_word(l.word()), None);
            assert_eq!(l.spec().map(|s| s.name), Some(l.name()));
        }
        assert_eq!(VmInvocationLabel::from_word(37), None);
        assert_eq!(VmInvocationLabel::from_word(44), None);
        assert_eq!(VmInvocationLabel::from_word(Word::MAX), None);
    }
}
