//! A sandbox for untrusted modules: the thread's memory (a [`FlatMemory`] over a slice)
//! and its register stack each sit in the middle of a larger buffer whose guard zones
//! hold a canary pattern, so a test can prove that nothing outside them was touched.
//! [`Guarded`] runs one thread in it with a fixed embedder policy.

use selvm_bytecode::format::PAGE_SIZE;
use selvm_vm::{Dispatch, Exit, FlatMemory, Module, StartError, Stop, Thread};

/// Bytes of canary before and after the memory.
pub const GUARD_BYTES: usize = 4096;
/// Words of canary before and after the register stack.
pub const GUARD_WORDS: usize = 512;

/// The canary byte at `i` in the memory buffer (position-dependent, so a shifted or
/// repeated write shows).
fn canary_byte(i: usize) -> u8 {
    (i as u8).wrapping_mul(167) ^ 0xa5
}

/// The canary word at `i` in the stack buffer.
fn canary_word(i: usize) -> u64 {
    0xc0de_5eed_0000_0000 ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// A place outside the thread's memory or stack that changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Breach {
    /// A memory canary byte, at this offset from the memory's start (negative: before).
    Memory(isize),
    /// A stack canary word, at this index from the stack's start (negative: before).
    Stack(isize),
}

/// A thread's memory and register stack, each inside a canary-filled guard buffer.
#[derive(Clone, Debug)]
pub struct Sandbox {
    memory: Vec<u8>,
    stack: Vec<u64>,
    memory_len: usize,
    stack_len: usize,
}

impl Sandbox {
    /// A zeroed memory of `pages` 64 KiB pages and a zeroed stack of `words` words.
    pub fn new(pages: u32, words: usize) -> Sandbox {
        let memory_len = pages as usize * PAGE_SIZE as usize;
        let mut memory: Vec<u8> = (0..memory_len + 2 * GUARD_BYTES).map(canary_byte).collect();
        memory[GUARD_BYTES..GUARD_BYTES + memory_len].fill(0);
        let mut stack: Vec<u64> = (0..words + 2 * GUARD_WORDS).map(canary_word).collect();
        stack[GUARD_WORDS..GUARD_WORDS + words].fill(0);
        Sandbox {
            memory,
            stack,
            memory_len,
            stack_len: words,
        }
    }

    /// The thread's memory (fixed size: it cannot grow) and register stack.
    pub fn parts(&mut self) -> (FlatMemory<&mut [u8]>, &mut [u64]) {
        let memory = &mut self.memory[GUARD_BYTES..GUARD_BYTES + self.memory_len];
        let stack = &mut self.stack[GUARD_WORDS..GUARD_WORDS + self.stack_len];
        (FlatMemory::over(memory), stack)
    }

    /// The thread's memory.
    pub fn memory(&self) -> &[u8] {
        &self.memory[GUARD_BYTES..GUARD_BYTES + self.memory_len]
    }

    /// The thread's register stack.
    pub fn stack(&self) -> &[u64] {
        &self.stack[GUARD_WORDS..GUARD_WORDS + self.stack_len]
    }

    /// Checks every canary; names the first one that changed.
    pub fn check(&self) -> Result<(), Breach> {
        let end = GUARD_BYTES + self.memory_len;
        let outside = (0..GUARD_BYTES).chain(end..self.memory.len());
        if let Some(i) = outside
            .into_iter()
            .find(|&i| self.memory[i] != canary_byte(i))
        {
            return Err(Breach::Memory(i as isize - GUARD_BYTES as isize));
        }
        let end = GUARD_WORDS + self.stack_len;
        let outside = (0..GUARD_WORDS).chain(end..self.stack.len());
        if let Some(i) = outside
            .into_iter()
            .find(|&i| self.stack[i] != canary_word(i))
        {
            return Err(Breach::Stack(i as isize - GUARD_WORDS as isize));
        }
        Ok(())
    }
}

/// How [`Guarded::drive`] ended: the last stop and the instructions executed in all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The stop that ended the run ([`Stop::Budget`] when the total budget ran out).
    pub stop: Stop,
    /// Instructions executed over every slice.
    pub executed: u64,
    /// System calls served.
    pub syscalls: u32,
}

/// One thread of a module running in a [`Sandbox`].
#[derive(Clone, Debug)]
pub struct Guarded<'m> {
    /// The module.
    pub module: &'m Module,
    /// The thread.
    pub thread: Thread,
    /// Its memory and stack.
    pub sandbox: Sandbox,
    /// The dispatch technique it runs with ([`Dispatch::DEFAULT`] at start).
    pub dispatch: Dispatch,
}

impl<'m> Guarded<'m> {
    /// Starts function `func` with `args` in a sandbox of `pages` pages (holding the
    /// module's data segments if it is large enough) and `words` stack words.
    pub fn start(
        module: &'m Module,
        func: u32,
        args: &[u64],
        pages: u32,
        words: usize,
        max_depth: u32,
    ) -> Result<Guarded<'m>, StartError> {
        let mut sandbox = Sandbox::new(pages, words);
        let (mut memory, stack) = sandbox.parts();
        memory.copy_data(module);
        let thread = Thread::new(module, stack, func, args, max_depth)?;
        Ok(Guarded {
            module,
            thread,
            sandbox,
            dispatch: Dispatch::DEFAULT,
        })
    }

    /// Starts a new thread running `func` with `args` in the same sandbox, whose memory
    /// keeps its contents.
    pub fn restart(&mut self, func: u32, args: &[u64], max_depth: u32) -> Result<(), StartError> {
        let (_, stack) = self.sandbox.parts();
        self.thread = Thread::new(self.module, stack, func, args, max_depth)?;
        Ok(())
    }

    /// Runs for at most `budget` instructions.
    pub fn step(&mut self, budget: u64) -> Exit {
        let (mut memory, stack) = self.sandbox.parts();
        self.thread
            .run_with(self.dispatch, self.module, stack, &mut memory, budget)
    }

    /// The register at `index` of the stack's register area.
    pub fn register(&mut self, index: usize) -> u64 {
        let (_, stack) = self.sandbox.parts();
        self.thread.registers(stack)[index]
    }

    fn set_register(&mut self, index: usize, value: u64) {
        let (_, stack) = self.sandbox.parts();
        self.thread.registers(stack)[index] = value;
    }

    /// Runs in slices of `slice` instructions until a stop other than the budget, or
    /// until `total` instructions have run, acting as a simple embedder: a system call
    /// gets its number plus each argument's index written back into its argument
    /// registers, `memory.grow` is refused (-1).
    pub fn drive(&mut self, total: u64, slice: u64) -> Outcome {
        let mut outcome = Outcome {
            stop: Stop::Budget,
            executed: 0,
            syscalls: 0,
        };
        while outcome.executed < total {
            let exit = self.step(slice.min(total - outcome.executed));
            outcome.executed += exit.executed;
            outcome.stop = exit.stop;
            match exit.stop {
                Stop::Budget => {}
                Stop::Syscall {
                    number,
                    first,
                    count,
                } => {
                    outcome.syscalls += 1;
                    for i in 0..count as usize {
                        let old = self.register(first + i);
                        self.set_register(first + i, old ^ (number as u64 + i as u64));
                    }
                }
                Stop::MemoryGrow { result, .. } => self.set_register(result, u32::MAX as u64),
                Stop::Returned | Stop::Fault(_) | Stop::Trap(_) => break,
            }
        }
        outcome
    }
}
