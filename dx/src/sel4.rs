//! Lowering of the imports from module `sel4` (`docs/wasm-abi.md`, the table in
//! `selvm_abi::wasm`): each system-call import becomes a small bytecode function that
//! fills the `syscall` window from its parameters, loads min(length, 4) message
//! registers from the IPC buffer, makes the call, stores min(received length, 4) of them
//! back and the badge to the `sender` slot; the two getters read the reserved globals
//! (a direct `call` of one is a single `global.get`, see `func/access.rs`).

use selvm_abi::MSG_LENGTH_BITS;
use selvm_abi::Syscall;
use selvm_abi::ipc_buffer::offsets;
use selvm_abi::vm::{SYSCALL_WINDOW, WINDOW_CAP, WINDOW_MR, WINDOW_MSG_INFO, syscall_code};
use selvm_abi::wasm::{IMPORT_MODULE, Import, Lowering, ValType as AbiType};
use selvm_bytecode::Op;
use wasmparser::{FuncType, ValType};

/// Register holding the IPC buffer address in a system-call function.
const IPC: u32 = 6;
/// Register holding a message length.
const LEN: u32 = 7;
/// Register holding the `sender` slot address (saved before the window is reused).
const SENDER: u32 = 8;
/// Registers of a system-call function's frame.
pub(crate) const SYSCALL_FRAME: u16 = 9;

/// The import `name` of module `sel4` if `ty` is exactly its signature, else why not.
pub(crate) fn lookup(module: &str, name: &str, ty: &FuncType) -> Result<&'static Import, String> {
    if module != IMPORT_MODULE {
        return Err(format!(
            "programs may import only from module `{IMPORT_MODULE}` (the seL4 API)"
        ));
    }
    let import = selvm_abi::wasm::import(name)
        .ok_or_else(|| format!("`{name}` is not an import of the seL4 API (docs/wasm-abi.md)"))?;
    let same = |want: &[AbiType], have: &[ValType]| {
        want.len() == have.len()
            && want.iter().zip(have).all(|(w, h)| {
                matches!(
                    (w, h),
                    (AbiType::I32, ValType::I32) | (AbiType::I64, ValType::I64)
                )
            })
    };
    if !same(import.params, ty.params()) || !same(import.results, ty.results()) {
        return Err(format!(
            "wrong signature {ty}: `{name}` is (func{}{})",
            list(" (param", import.params),
            list(" (result", import.results)
        ));
    }
    Ok(import)
}

fn list(head: &str, types: &[AbiType]) -> String {
    if types.is_empty() {
        return String::new();
    }
    let names: Vec<&str> = types.iter().map(|t| t.name()).collect();
    format!("{head} {})", names.join(" "))
}

/// Code words with forward branches to one label (the end of a skippable part).
struct Emitter {
    words: Vec<u64>,
    /// Words whose 16-bit branch offset `c` goes to the next bound label.
    pending: Vec<usize>,
}

impl Emitter {
    fn emit(&mut self, op: Op, operands: &[u32]) {
        self.words.push(op.encode_raw(operands));
    }

    /// A compare-with-immediate branch to the next bound label.
    fn branch(&mut self, op: Op, reg: u32, imm: i16) {
        self.pending.push(self.words.len());
        self.emit(op, &[reg, imm as u16 as u32, 0]);
    }

    /// Binds the label: every pending branch jumps here.
    fn bind(&mut self) {
        let here = self.words.len();
        for at in self.pending.drain(..) {
            let offset = (here - at) as u64;
            self.words[at] |= (offset & 0xffff) << 48;
        }
    }

    /// Loads (or stores) min(length of the MessageInfo in `r1`, 4) MRs between the
    /// window and the IPC buffer, if the thread has one.
    fn transfer_mrs(&mut self, store: bool) {
        let info = WINDOW_MSG_INFO as u32;
        self.emit(Op::GlobalGet, &[IPC, selvm_abi::wasm::GLOBAL_IPC_BUFFER]);
        self.branch(Op::I64BrEqImm, IPC, 0);
        let mask = (1u32 << MSG_LENGTH_BITS) - 1;
        self.emit(Op::I64AndImm, &[LEN, info, mask]);
        for (i, &mr) in WINDOW_MR.iter().enumerate() {
            // MR i travels when the length is above i.
            self.branch(Op::I64BrLtUImm, LEN, i as i16 + 1);
            let op = if store { Op::Store64 } else { Op::Load64 };
            self.emit(op, &[mr as u32, IPC, offsets::msg(i) as u32]);
        }
        self.bind();
    }
}

/// The code of the bytecode function standing for system-call import `import` (its
/// frame is [`SYSCALL_FRAME`] registers; the parameters arrive in `r0…`).
pub(crate) fn syscall_function(import: &Import) -> Vec<u64> {
    let Lowering::Syscall(syscall) = import.lowering else {
        unreachable!("getters have no system call")
    };
    let mut e = Emitter {
        words: Vec::new(),
        pending: Vec::new(),
    };
    let (cap, info) = (WINDOW_CAP as u32, WINDOW_MSG_INFO as u32);
    // The sender slot's parameter register is reused by the window: save it first.
    if let Some(s) = import.sender {
        e.emit(Op::Mov, &[SENDER, s as u32]);
    }
    // The MessageInfo is the last i64 parameter of a sending call (`seL4_Reply` has only
    // it); every other parameter before the sender is the cap, already in `r0`.
    let info_param = if import.load_mrs {
        import.params.iter().rposition(|&t| t == AbiType::I64)
    } else {
        None
    };
    match info_param {
        Some(p) if p as u32 != info => e.emit(Op::Mov, &[info, p as u32]),
        Some(_) => {}
        // seL4_Signal sends an empty message; a receive starts from MessageInfo 0,
        // which the kernel leaves there when an NBRecv or Poll finds nothing
        // (docs/wasm-abi.md: such a call returns message info 0).
        None => e.emit(Op::I32Const, &[info, 0]),
    }
    // seL4_DebugHalt() passes exit status 0.
    if syscall == Syscall::DebugHalt && import.params.is_empty() {
        e.emit(Op::I32Const, &[cap, 0]);
    }
    if import.load_mrs {
        e.transfer_mrs(false);
    }
    e.emit(
        Op::Syscall,
        &[cap, SYSCALL_WINDOW as u32, syscall_code(syscall) as u32],
    );
    if import.store_mrs {
        e.transfer_mrs(true);
    }
    if import.sender.is_some() {
        e.branch(Op::I32BrEqImm, SENDER, 0);
        e.emit(Op::Store64, &[cap, SENDER, 0]);
        e.bind();
    }
    let results = import.results.len() as u32;
    e.emit(Op::Return, &[if results == 0 { 0 } else { info }, results]);
    e.words
}

/// The code of the bytecode function standing for getter import `import` (reached only
/// through a function reference; direct calls become one `global.get`).
pub(crate) fn getter_function(global: u32) -> Vec<u64> {
    vec![
        Op::GlobalGet.encode_raw(&[0, global]),
        Op::Return.encode_raw(&[0, 1]),
    ]
}
