//! The vm architecture's user context (`seL4_UserContext` of ReadRegisters and
//! WriteRegisters): the pc as function index and instruction offset, the wasm stack
//! pointer, the call depth, the six syscall-window registers, the last syscall number
//! and the TLS base, in that transfer order.
//!
//! A VM frame's other registers (`r0…` of the running function, any number of them) are
//! not part of the context: they live in the thread's register stack, which only the
//! kernel reaches. The window registers are copied from the frame when the thread
//! executes `syscall` and back when it resumes after it.

use crate::Word;

/// The pc: `function << 32 | offset`, the offset counted in instruction words from the
/// function's first word. Writable; a written pc must be an instruction boundary.
pub const PC: usize = 0;
/// The wasm stack pointer: bytecode global 2 of the thread's module, where dx places
/// wasm global 0 (LLVM's `__stack_pointer`); see `crate::wasm`. Writable; only the low
/// 32 bits are kept; reads 0 and ignores writes if the module has no such global.
pub const SP: usize = 1;
/// Active calls below the thread's entry function. Read-only.
pub const DEPTH: usize = 2;
/// Window register 0: cap in, badge out; the entry function's argument.
pub const A0: usize = 3;
/// Window register 1: the MessageInfo word.
pub const A1: usize = 4;
/// Window register 2: MR0.
pub const A2: usize = 5;
/// Window register 3: MR1.
pub const A3: usize = 6;
/// Window register 4: MR2.
pub const A4: usize = 7;
/// Window register 5: MR3.
pub const A5: usize = 8;
/// The number word of the thread's last `syscall` (its code sign-extended). Read-only.
pub const NR: usize = 9;
/// The TLS base set by TCB_SetTLSBase. Writable; no instruction reads it.
pub const TP: usize = 10;

/// Words of the user context (`seL4_UserContext`) Read/WriteRegisters transfer.
pub const USER_CONTEXT_WORDS: usize = 11;
/// The frame registers, transferred first.
pub const FRAME_REGISTERS: [usize; 3] = [PC, SP, DEPTH];
/// The gp registers, transferred after the frame registers.
pub const GP_REGISTERS: [usize; 8] = [A0, A1, A2, A3, A4, A5, NR, TP];
/// The window registers A0..A5 in window order (window register i is context `A0 + i`).
pub const WINDOW_REGISTERS: [usize; crate::vm::SYSCALL_WINDOW as usize] = [A0, A1, A2, A3, A4, A5];
/// Words that writes leave unchanged (WriteRegisters, CopyRegisters, fault replies).
pub const READ_ONLY: [usize; 2] = [DEPTH, NR];
/// Each user-context word's name, by index.
pub const NAMES: [&str; USER_CONTEXT_WORDS] = [
    "pc", "sp", "depth", "a0", "a1", "a2", "a3", "a4", "a5", "nr", "tp",
];

/// The pc word of instruction `offset` of function `function`.
pub const fn pc_word(function: u32, offset: u32) -> Word {
    (function as Word) << 32 | offset as Word
}

/// The function index of a pc word.
pub const fn pc_function(pc: Word) -> u32 {
    (pc >> 32) as u32
}

/// The instruction offset (in words, from the function's first word) of a pc word.
pub const fn pc_offset(pc: Word) -> u32 {
    pc as u32
}

/// Whether user writes to context word `index` are ignored.
pub const fn is_read_only(index: usize) -> bool {
    index == DEPTH || index == NR
}

/// The value a user write of `value` to writable context word `index` stores: the stack
/// pointer keeps its low 32 bits (wasm32's `__stack_pointer` is an i32), every other
/// writable word any value (a pc is checked against the module separately).
pub const fn sanitise(index: usize, value: Word) -> Word {
    if index == SP {
        value & 0xffff_ffff
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transfer_order_covers_every_word_once() {
        let mut seen = [false; USER_CONTEXT_WORDS];
        for &r in FRAME_REGISTERS.iter().chain(GP_REGISTERS.iter()) {
            assert!(!seen[r], "{} twice", NAMES[r]);
            seen[r] = true;
        }
        assert!(seen.iter().all(|&s| s));
        // Transfer order is index order.
        let order: [usize; USER_CONTEXT_WORDS] = core::array::from_fn(|i| {
            if i < FRAME_REGISTERS.len() {
                FRAME_REGISTERS[i]
            } else {
                GP_REGISTERS[i - FRAME_REGISTERS.len()]
            }
        });
        assert_eq!(order, core::array::from_fn(|i| i));
    }

    #[test]
    fn window_registers_follow_the_window() {
        use crate::vm::{WINDOW_CAP, WINDOW_MR, WINDOW_MSG_INFO};
        assert_eq!(WINDOW_REGISTERS[WINDOW_CAP], A0);
        assert_eq!(WINDOW_REGISTERS[WINDOW_MSG_INFO], A1);
        assert_eq!(WINDOW_MR.map(|i| WINDOW_REGISTERS[i]), [A2, A3, A4, A5]);
        for (i, &r) in WINDOW_REGISTERS.iter().enumerate() {
            assert_eq!(r, A0 + i);
            assert_eq!(NAMES[r].as_bytes(), [b'a', b'0' + i as u8]);
        }
    }

    #[test]
    fn pc_words() {
        let pc = pc_word(7, 42);
        assert_eq!(pc, 0x7_0000_002a);
        assert_eq!((pc_function(pc), pc_offset(pc)), (7, 42));
        let max = pc_word(u32::MAX, u32::MAX);
        assert_eq!(max, Word::MAX);
        assert_eq!((pc_function(max), pc_offset(max)), (u32::MAX, u32::MAX));
    }

    #[test]
    fn read_only_and_sanitise() {
        assert!(READ_ONLY.iter().all(|&r| is_read_only(r)));
        assert_eq!(
            (0..USER_CONTEXT_WORDS).filter(|&r| is_read_only(r)).count(),
            2
        );
        assert_eq!(sanitise(SP, 0x1234_5678_9abc_def0), 0x9abc_def0);
        assert_eq!(sanitise(A0, Word::MAX), Word::MAX);
        assert_eq!(sanitise(PC, 5), 5);
    }
}
