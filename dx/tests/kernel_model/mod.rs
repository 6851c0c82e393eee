//! A test-only model of the kernel's side of the wasm ABI (`docs/wasm-abi.md`): runs a
//! program translated under the sel4 import policy on flat memory laid out as the
//! root-task loader does (one extra page, BootInfo at its start, the IPC buffer 4 KiB
//! above), keeps the reserved globals, and services each `syscall` stop with a model of
//! what the kernel does for the calls the tests need, recording what it was handed.

#![allow(dead_code)]

use selvm_abi::Syscall;
use selvm_abi::vm::{SYSCALL_WINDOW, syscall_from_code};
use selvm_abi::wasm::{BOOT_INFO_OFFSET, GLOBAL_BOOT_INFO, GLOBAL_IPC_BUFFER, IPC_BUFFER_OFFSET};
use selvm_bytecode::format::PAGE_SIZE;
use selvm_vm::{FlatMemory, Module, Stop, Thread};

/// One system call as the kernel saw it: the call and the six window registers on entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    pub syscall: Syscall,
    pub window: [u64; 6],
}

/// What the modelled kernel answers: the six window registers on return.
pub type Answer = Box<dyn FnMut(&Seen, &mut [u8]) -> [u64; 6]>;

/// A program with its memory and thread, and the modelled kernel's state.
pub struct Machine {
    pub module: Module,
    pub memory: FlatMemory,
    /// Where the loader put BootInfo (the old end of memory).
    pub boot_info: u64,
    /// The thread's IPC buffer (0: none).
    pub ipc_buffer: u64,
    /// What DebugPutChar printed.
    pub output: Vec<u8>,
    /// Every system call, in order.
    pub seen: Vec<Seen>,
    /// DebugHalt's status, once halted.
    pub halted: Option<u64>,
    /// The answer to every call other than DebugPutChar and DebugHalt.
    pub answer: Answer,
    /// Bytecode globals at the last stop.
    pub globals: Vec<u64>,
}

/// Translates `wat` under the default (sel4) policy.
pub fn translate(wat: &str) -> Result<selvm_dx::Translation, selvm_dx::Error> {
    let wasm = wat::parse_str(wat).expect("test WAT parses");
    selvm_dx::translate(&wasm, &selvm_dx::Options::default())
}

impl Machine {
    /// Loads `wat` as the root-task loader would: data copied in, memory grown by one
    /// page, BootInfo's `ipcBuffer` (byte 32) and `initThreadCNodeSizeBits` (byte 136)
    /// written.
    pub fn load(wat: &str) -> Machine {
        let t = translate(wat).unwrap_or_else(|e| panic!("dx: {e}"));
        let module = Module::load(&t.sbc).expect("verifies");
        let mut memory = FlatMemory::for_module(&module);
        let old = memory.grow(1).expect("room for the loader's page") as u64 * PAGE_SIZE;
        let boot_info = old + BOOT_INFO_OFFSET;
        let ipc_buffer = old + IPC_BUFFER_OFFSET;
        let bytes = memory.bytes_mut();
        bytes[boot_info as usize + 32..][..8].copy_from_slice(&ipc_buffer.to_le_bytes());
        bytes[boot_info as usize + 136..][..8].copy_from_slice(&12u64.to_le_bytes());
        Machine {
            module,
            memory,
            boot_info,
            ipc_buffer,
            output: Vec::new(),
            seen: Vec::new(),
            halted: None,
            answer: Box::new(|seen, _| seen.window),
            globals: Vec::new(),
        }
    }

    /// The 8-byte word at `address`.
    pub fn word(&self, address: u64) -> u64 {
        let b = &self.memory.bytes()[address as usize..][..8];
        u64::from_le_bytes(b.try_into().expect("8 bytes"))
    }

    /// Writes the 8-byte word at `address`.
    pub fn set_word(&mut self, address: u64, value: u64) {
        self.memory.bytes_mut()[address as usize..][..8].copy_from_slice(&value.to_le_bytes());
    }

    /// `msg[i]` of the IPC buffer.
    pub fn mr(&self, i: usize) -> u64 {
        self.word(self.ipc_buffer + 8 + 8 * i as u64)
    }

    /// Runs the export `name` with `args` until it returns or halts; its results (empty
    /// when halted).
    pub fn call(&mut self, name: &str, args: &[u64]) -> Vec<u64> {
        let func = self.module.export(name).expect("exported");
        self.run(func, args)
    }

    /// Runs function `func` as the initial thread.
    pub fn run(&mut self, func: u32, args: &[u64]) -> Vec<u64> {
        let mut stack = vec![0u64; 1 << 16];
        let mut thread = Thread::new(&self.module, &mut stack, func, args, 64).expect("starts");
        let context = thread.context(&mut stack);
        context[GLOBAL_IPC_BUFFER as usize] = self.ipc_buffer;
        context[GLOBAL_BOOT_INFO as usize] = self.boot_info;
        loop {
            let exit = thread.run(&self.module, &mut stack, &mut self.memory, 1 << 24);
            let n = self.module.globals().len();
            self.globals = thread.context(&mut stack)[..n].to_vec();
            match exit.stop {
                Stop::Returned => {
                    let n = self.module.functions()[func as usize].results as usize;
                    return thread.registers(&mut stack)[..n].to_vec();
                }
                Stop::Syscall {
                    number,
                    first,
                    count,
                } => {
                    assert_eq!(
                        count, SYSCALL_WINDOW,
                        "a seL4 call has a six-register window"
                    );
                    let syscall = syscall_from_code(number).expect("a seL4 system call");
                    let regs = thread.registers(&mut stack);
                    let mut window = [0; 6];
                    window.copy_from_slice(&regs[first..first + 6]);
                    let seen = Seen { syscall, window };
                    self.seen.push(seen.clone());
                    match syscall {
                        Syscall::DebugPutChar => self.output.push(window[0] as u8),
                        Syscall::DebugHalt => {
                            self.halted = Some(window[0]);
                            return Vec::new();
                        }
                        _ => {
                            let out = (self.answer)(&seen, self.memory.bytes_mut());
                            regs[first..first + 6].copy_from_slice(&out);
                        }
                    }
                }
                other => panic!("unexpected stop {other:?}"),
            }
        }
    }
}
