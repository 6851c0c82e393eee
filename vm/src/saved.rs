//! A thread's resumable state as plain words, for embedders that keep it in
//! memory of their own between runs (the hosted kernel keeps it in the TCB),
//! and the pc as the (function, offset) pair the vm architecture's user
//! context shows.

use crate::module::Module;
use crate::thread::Thread;

/// Words of [`Thread::save`].
pub const SAVED_WORDS: usize = 4;

impl Thread {
    /// The state as words; the first is never zero.
    #[inline]
    pub fn save(&self) -> [u64; SAVED_WORDS] {
        [
            1 | (u64::from(self.finished) << 1),
            u64::from(self.func) | (u64::from(self.pc) << 32),
            u64::from(self.fp) | (u64::from(self.depth) << 32),
            u64::from(self.max_depth) | (u64::from(self.context_words) << 32),
        ]
    }

    /// The state [`Thread::save`] wrote, for the module and stack it was saved
    /// with; `None` for words no save produced (a zero first word).
    #[inline]
    pub fn restore(words: [u64; SAVED_WORDS]) -> Option<Thread> {
        if words[0] & 1 == 0 {
            return None;
        }
        let lo = |w: u64| w as u32;
        let hi = |w: u64| (w >> 32) as u32;
        Some(Thread {
            func: lo(words[1]),
            pc: hi(words[1]),
            fp: lo(words[2]),
            depth: hi(words[2]),
            max_depth: lo(words[3]),
            context_words: hi(words[3]),
            finished: words[0] & 2 != 0,
        })
    }

    /// The current function and the pc's offset from its first instruction.
    #[inline]
    pub fn pc_in_function(&self, module: &Module) -> (u32, u32) {
        let start = module
            .functions()
            .get(self.func as usize)
            .map_or(0, |f| f.code_start);
        (self.func, self.pc.wrapping_sub(start))
    }

    /// Moves the pc to instruction `offset` of the current function `func`;
    /// false (nothing changed) for another function or an offset outside it.
    #[inline]
    pub fn set_pc_in_function(&mut self, module: &Module, func: u32, offset: u32) -> bool {
        match module.functions().get(self.func as usize) {
            Some(f) if func == self.func && offset < f.code_len => {
                self.pc = f.code_start + offset;
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asm::assemble;
    use alloc::vec;

    #[test]
    fn save_and_restore_round_trip_and_pc_moves_within_the_function() {
        let bytes = assemble(
            ".entry f\n.func f () -> () frame 1\n    nop\n    nop\n    return r0, 0\n.end\n",
        )
        .expect("assembles");
        let module = Module::load(&bytes).expect("loads");
        let mut stack = vec![0u64; 64];
        let mut t = Thread::new(&module, &mut stack, 0, &[], 4).expect("starts");
        assert_eq!(Thread::restore(t.save()), Some(t));
        assert_eq!(Thread::restore([0; SAVED_WORDS]), None);
        assert_eq!(t.pc_in_function(&module), (0, 0));
        assert!(t.set_pc_in_function(&module, 0, 2));
        assert_eq!(t.pc_in_function(&module), (0, 2));
        assert!(!t.set_pc_in_function(&module, 0, 3), "past the end");
        assert!(!t.set_pc_in_function(&module, 1, 0), "another function");
    }
}
