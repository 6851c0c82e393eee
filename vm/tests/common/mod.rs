//! Test helpers: assemble, load and run a program to completion.
#![allow(dead_code)]

pub mod paged;
pub mod rejected;

use selvm_vm::asm::assemble;
use selvm_vm::{Exit, FlatMemory, Module, Stop, Thread};

/// A loaded program with one thread.
pub struct Run {
    pub module: Module,
    pub thread: Thread,
    pub stack: Vec<u64>,
    pub memory: FlatMemory,
}

pub fn load(text: &str) -> Module {
    let bytes = assemble(text).unwrap_or_else(|e| panic!("assembly failed: {e}"));
    Module::load(&bytes).unwrap_or_else(|e| panic!("verification failed: {e}"))
}

impl Run {
    /// The entry function of `text`, or the export `func`, started with `args`.
    pub fn new(text: &str, func: Option<&str>, args: &[u64]) -> Run {
        Run::with_stack(text, func, args, 1 << 16, 1024)
    }

    pub fn with_stack(
        text: &str,
        func: Option<&str>,
        args: &[u64],
        words: usize,
        depth: u32,
    ) -> Run {
        let module = load(text);
        let f = match func {
            Some(name) => module.export(name).expect("export"),
            None => module.entry().expect("entry"),
        };
        let mut stack = vec![0; words];
        let thread = Thread::new(&module, &mut stack, f, args, depth).expect("start");
        let memory = FlatMemory::for_module(&module);
        Run {
            module,
            thread,
            stack,
            memory,
        }
    }

    pub fn step(&mut self, budget: u64) -> Exit {
        self.thread
            .run(&self.module, &mut self.stack, &mut self.memory, budget)
    }

    /// Runs until the thread stops for a reason other than the budget.
    pub fn finish(&mut self) -> Stop {
        loop {
            let exit = self.step(1 << 20);
            if exit.stop != Stop::Budget {
                return exit.stop;
            }
        }
    }

    pub fn results(&mut self, n: usize) -> Vec<u64> {
        self.thread.registers(&mut self.stack)[..n].to_vec()
    }
}

/// Runs the entry function of `text` and returns its `n` results, or the stop.
pub fn eval(text: &str, args: &[u64], n: usize) -> Result<Vec<u64>, Stop> {
    let mut run = Run::new(text, None, args);
    match run.finish() {
        Stop::Returned => Ok(run.results(n)),
        other => Err(other),
    }
}

pub fn program(name: &str) -> String {
    let path = format!("{}/programs/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}
