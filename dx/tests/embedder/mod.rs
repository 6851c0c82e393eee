//! A test-only embedder for dx-translated modules: a store of instances with shared
//! memories, globals and tables, `spectest`'s imports, and linking between instances.
//!
//! How linking works without host imports in the machine: dx's host import policy
//! turns imported function `i` into a stub `syscall r0, n, i; return`. When a thread
//! stops at that syscall, the embedder runs the import's target (a `spectest` function,
//! or an export of another instance, on a thread of its own) and writes its results
//! back into the argument registers. Globals and tables live in each thread's context
//! area, so the store keeps them in cells: an instance's context is loaded from its
//! cells before its thread runs and saved back whenever the thread stops. Memories are
//! embedder objects already, shared by reference.

#![allow(dead_code)]

use selvm_bytecode::format::{PAGE_SIZE, Section};
use selvm_dx::{ExportKind, ImportKind, ImportPolicy, Init, Options};
use selvm_vm::{FlatMemory, Module, Stop, Thread, Trap};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// How a call ended other than by returning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// A trap (the machine's, or a memory fault), with the embedder's description.
    Trap(String),
    /// The call stack or the instruction budget ran out.
    Exhausted,
    /// Linking or instantiation failed before anything ran.
    Link(String),
}

/// A table shared by instances.
#[derive(Debug)]
pub struct TableCell {
    pub elems: Vec<u64>,
    pub max: u32,
}

type Shared<T> = Rc<RefCell<T>>;

/// Where an imported function goes.
#[derive(Clone)]
enum Target {
    /// A `spectest` print function: no results.
    Print,
    /// Function `func` of instance `inst`.
    Instance(usize, u32),
}

/// An instantiated module.
pub struct Instance {
    pub module: Rc<Module>,
    pub info: selvm_dx::ModuleInfo,
    memory: Shared<FlatMemory>,
    globals: Vec<Shared<u64>>,
    tables: Vec<Shared<TableCell>>,
    imports: Vec<Target>,
}

/// Something an instance or `spectest` exports.
#[derive(Clone)]
enum Extern {
    Func(Target, Vec<u8>, Vec<u8>),
    Global(Shared<u64>, u8, bool),
    Table(Shared<TableCell>),
    Memory(Shared<FlatMemory>),
}

/// Instances and the names they are registered under.
pub struct Store {
    pub instances: Vec<Instance>,
    registered: HashMap<String, usize>,
    spectest: HashMap<&'static str, Extern>,
    /// Total instruction budget of one top-level call (exhaustion beyond it).
    pub budget: u64,
    depth: u32,
}

const STACK_WORDS: usize = 1 << 18;
const MAX_DEPTH: u32 = 2000;

fn cell<T>(v: T) -> Shared<T> {
    Rc::new(RefCell::new(v))
}

impl Default for Store {
    fn default() -> Store {
        let i32t = selvm_bytecode::format::ValType::I32 as u8;
        let mut spectest = HashMap::new();
        for (name, params) in [
            ("print", vec![]),
            ("print_i32", vec![1]),
            ("print_i64", vec![2]),
            ("print_f32", vec![3]),
            ("print_f64", vec![4]),
            ("print_i32_f32", vec![1, 3]),
            ("print_f64_f64", vec![4, 4]),
        ] {
            spectest.insert(name, Extern::Func(Target::Print, params, vec![]));
        }
        spectest.insert("global_i32", Extern::Global(cell(666), i32t, false));
        spectest.insert("global_i64", Extern::Global(cell(666), 2, false));
        spectest.insert(
            "global_f32",
            Extern::Global(cell(666.6f32.to_bits() as u64), 3, false),
        );
        spectest.insert(
            "global_f64",
            Extern::Global(cell(666.6f64.to_bits()), 4, false),
        );
        let table = TableCell {
            elems: vec![u64::MAX; 10],
            max: 20,
        };
        spectest.insert("table", Extern::Table(cell(table)));
        spectest.insert("memory", Extern::Memory(cell(FlatMemory::new(1, 2))));
        Store {
            instances: Vec::new(),
            registered: HashMap::new(),
            spectest,
            budget: 2_000_000_000,
            depth: 0,
        }
    }
}

/// The translation options the embedder uses.
pub fn host_options() -> Options {
    Options {
        imports: ImportPolicy::Host,
        ..Options::default()
    }
}

impl Store {
    /// Registers instance `inst` under `name` for later imports.
    pub fn register(&mut self, name: &str, inst: usize) {
        self.registered.insert(name.to_string(), inst);
    }

    fn export_of(&self, module: &str, name: &str) -> Option<Extern> {
        if module == "spectest" {
            return self.spectest.get(name).cloned();
        }
        let inst = &self.instances[*self.registered.get(module)?];
        let kind = inst.info.exports.iter().find(|(n, _)| n == name)?.1;
        Some(match kind {
            ExportKind::Func(f) => {
                let (p, r) = signature(&inst.module, f);
                let target = match inst.imports.get(f as usize) {
                    Some(t) => t.clone(),
                    None => Target::Instance(*self.registered.get(module)?, f),
                };
                Extern::Func(target, p, r)
            }
            ExportKind::Global(g) => {
                let rec = inst.module.container().global(g)?;
                Extern::Global(
                    inst.globals[g as usize].clone(),
                    rec.valtype,
                    rec.mutable != 0,
                )
            }
            ExportKind::Table(t) => Extern::Table(inst.tables[t as usize].clone()),
            ExportKind::Memory => Extern::Memory(inst.memory.clone()),
        })
    }

    /// Translates, links and instantiates `wasm`; returns the instance index.
    pub fn instantiate(&mut self, wasm: &[u8]) -> Result<usize, Failure> {
        let t = selvm_dx::translate(wasm, &host_options())
            .map_err(|e| Failure::Link(format!("dx: {e}")))?;
        let module = Module::load(&t.sbc).map_err(|e| Failure::Link(format!("load: {e}")))?;
        let info = t.info;
        let mut imports = Vec::new();
        let mut memory = None;
        let mut globals = Vec::new();
        let mut tables = Vec::new();
        for (m, n, kind) in &info.imports {
            let unknown = || Failure::Link(format!("unknown import {m}.{n}"));
            let ext = self.export_of(m, n).ok_or_else(unknown)?;
            let incompatible = || Failure::Link(format!("incompatible import type {m}.{n}"));
            match (kind, ext) {
                (ImportKind::Func(f), Extern::Func(target, p, r)) => {
                    if signature(&module, *f) != (p, r) {
                        return Err(incompatible());
                    }
                    imports.push(target);
                }
                (ImportKind::Global(g), Extern::Global(c, ty, mutable)) => {
                    let rec = module.container().global(*g).ok_or_else(incompatible)?;
                    if rec.valtype != ty || (rec.mutable != 0) != mutable {
                        return Err(incompatible());
                    }
                    globals.push(c);
                }
                (ImportKind::Table(t), Extern::Table(c)) => {
                    let want = info.tables[*t as usize];
                    let have = c.borrow();
                    let declared_max = module.tables()[*t as usize].max;
                    if (have.elems.len() as u32) < want.initial || have.max > declared_max {
                        return Err(incompatible());
                    }
                    drop(have);
                    tables.push(c);
                }
                (ImportKind::Memory, Extern::Memory(c)) => {
                    let (min, max) = info.memory.unwrap_or((0, 0));
                    let have = c.borrow();
                    let have_max = have_memory_max(&have);
                    if have.pages() < min || have_max > max {
                        return Err(incompatible());
                    }
                    drop(have);
                    memory = Some(c);
                }
                _ => return Err(incompatible()),
            }
        }
        // Definitions.
        for g in globals.len()..info.globals.len() {
            let v = match info.globals[g].1 {
                Init::Value(v) => v,
                Init::Global(i) => *globals[i as usize].borrow(),
            };
            globals.push(cell(v));
        }
        for t in tables.len()..info.tables.len() {
            let ti = info.tables[t];
            let elems = vec![u64::MAX; ti.initial as usize];
            tables.push(cell(TableCell { elems, max: ti.max }));
        }
        let memory = memory.unwrap_or_else(|| {
            let (min, max) = info.memory.unwrap_or((0, 0));
            cell(FlatMemory::new(min, max))
        });
        let index = self.instances.len();
        self.instances.push(Instance {
            module: Rc::new(module),
            info: info.clone(),
            memory: memory.clone(),
            globals: globals.clone(),
            tables: tables.clone(),
            imports,
        });
        let value = |init: Init| match init {
            Init::Value(v) => v,
            Init::Global(i) => *globals[i as usize].borrow(),
        };
        for seg in &info.elems {
            let offset = value(seg.offset) as u32 as usize;
            let mut table = tables[seg.table as usize].borrow_mut();
            if offset
                .checked_add(seg.items.len())
                .is_none_or(|e| e > table.elems.len())
            {
                return Err(Failure::Trap("out of bounds table access".into()));
            }
            for (i, item) in seg.items.iter().enumerate() {
                table.elems[offset + i] = value(*item);
            }
        }
        for seg in &info.data {
            let offset = value(seg.offset) as u32 as usize;
            let mut mem = memory.borrow_mut();
            let bytes = mem.bytes_mut();
            if offset
                .checked_add(seg.bytes.len())
                .is_none_or(|e| e > bytes.len())
            {
                return Err(Failure::Trap("out of bounds memory access".into()));
            }
            bytes[offset..offset + seg.bytes.len()].copy_from_slice(&seg.bytes);
        }
        if let Some(start) = info.start {
            self.call(index, start, &[])?;
        }
        Ok(index)
    }

    /// The exported function `name` of instance `inst`.
    pub fn export_func(&self, inst: usize, name: &str) -> Option<u32> {
        self.instances[inst]
            .info
            .exports
            .iter()
            .find_map(|(n, k)| match k {
                ExportKind::Func(f) if n == name => Some(*f),
                _ => None,
            })
    }

    /// The value of exported global `name` of instance `inst`.
    pub fn export_global(&self, inst: usize, name: &str) -> Option<u64> {
        let g = self.instances[inst]
            .info
            .exports
            .iter()
            .find_map(|(n, k)| match k {
                ExportKind::Global(g) if n == name => Some(*g),
                _ => None,
            })?;
        Some(*self.instances[inst].globals[g as usize].borrow())
    }

    /// Calls function `func` of instance `inst` with `args` (bits of each value).
    pub fn call(&mut self, inst: usize, func: u32, args: &[u64]) -> Result<Vec<u64>, Failure> {
        if let Some(target) = self.instances[inst].imports.get(func as usize).cloned() {
            return self.call_target(target, args);
        }
        self.depth += 1;
        if self.depth > 50 {
            self.depth -= 1;
            return Err(Failure::Exhausted);
        }
        let r = self.run(inst, func, args);
        self.depth -= 1;
        r
    }

    fn call_target(&mut self, target: Target, args: &[u64]) -> Result<Vec<u64>, Failure> {
        match target {
            Target::Print => Ok(vec![]),
            Target::Instance(i, f) => self.call(i, f, args),
        }
    }

    fn run(&mut self, inst: usize, func: u32, args: &[u64]) -> Result<Vec<u64>, Failure> {
        let module = self.instances[inst].module.clone();
        let mut stack = vec![0u64; STACK_WORDS];
        let mut thread = Thread::new(&module, &mut stack, func, args, MAX_DEPTH)
            .map_err(|e| Failure::Link(format!("start: {e:?}")))?;
        let memory = self.instances[inst].memory.clone();
        let mut budget = self.budget;
        loop {
            self.load_context(inst, &thread, &mut stack);
            let exit = {
                let mut mem = memory.borrow_mut();
                thread.run(&module, &mut stack, &mut *mem, budget.min(1 << 24))
            };
            self.save_context(inst, &thread, &mut stack);
            budget = budget.saturating_sub(exit.executed);
            match exit.stop {
                Stop::Returned => {
                    let n = module.functions()[func as usize].results as usize;
                    return Ok(thread.registers(&mut stack)[..n].to_vec());
                }
                Stop::Budget if budget == 0 => return Err(Failure::Exhausted),
                Stop::Budget => {}
                Stop::Syscall {
                    number,
                    first,
                    count,
                } => {
                    let target = self.instances[inst].imports[number as usize].clone();
                    let callee = &self.instances[inst].module.functions()[number as usize];
                    let params = callee.params as usize;
                    let regs = thread.registers(&mut stack);
                    let args = regs[first..first + params].to_vec();
                    let results = self.call_target(target, &args)?;
                    let regs = thread.registers(&mut stack);
                    let n = results.len().min(count as usize);
                    regs[first..first + n].copy_from_slice(&results[..n]);
                }
                Stop::MemoryGrow { pages, result } => {
                    let old = memory.borrow_mut().grow(pages).map_or(u32::MAX, |o| o);
                    thread.registers(&mut stack)[result] = old as u64;
                }
                Stop::Fault(_) => return Err(Failure::Trap("out of bounds memory access".into())),
                Stop::Trap(Trap::StackOverflow | Trap::StackTooSmall) => {
                    return Err(Failure::Exhausted);
                }
                Stop::Trap(t) => return Err(Failure::Trap(trap_message(t).into())),
            }
        }
    }

    /// Loads the instance's globals and tables from their cells into the context area.
    fn load_context(&self, inst: usize, thread: &Thread, stack: &mut [u64]) {
        let i = &self.instances[inst];
        let context = thread.context(stack);
        for (g, c) in i.globals.iter().enumerate() {
            context[g] = *c.borrow();
        }
        for (t, c) in i.tables.iter().enumerate() {
            let at = i.module.tables()[t].context_offset;
            let room = i.module.tables()[t].max as usize;
            let c = c.borrow();
            let n = c.elems.len().min(room);
            context[at] = n as u64;
            context[at + 1..at + 1 + n].copy_from_slice(&c.elems[..n]);
        }
    }

    /// Saves the context area back into the cells.
    fn save_context(&self, inst: usize, thread: &Thread, stack: &mut [u64]) {
        let i = &self.instances[inst];
        let context = thread.context(stack);
        for (g, c) in i.globals.iter().enumerate() {
            *c.borrow_mut() = context[g];
        }
        for (t, c) in i.tables.iter().enumerate() {
            let at = i.module.tables()[t].context_offset;
            let n = context[at] as usize;
            let mut c = c.borrow_mut();
            c.elems.clear();
            c.elems.extend_from_slice(&context[at + 1..at + 1 + n]);
        }
    }
}

/// Parameter and result value types of function `f` of `module`.
fn signature(module: &Module, f: u32) -> (Vec<u8>, Vec<u8>) {
    let m = module.container();
    let ty = m.func(f).and_then(|r| m.ty(r.ty));
    ty.and_then(|t| m.type_values(&t))
        .map(|(p, r)| (p.to_vec(), r.to_vec()))
        .unwrap_or_default()
}

fn have_memory_max(_m: &FlatMemory) -> u32 {
    0
}

/// The specification's message for a trap.
pub fn trap_message(t: Trap) -> &'static str {
    match t {
        Trap::Program(0) => "unreachable",
        Trap::Program(_) => "program trap",
        Trap::DivideByZero => "integer divide by zero",
        Trap::IntegerOverflow => "integer overflow",
        Trap::InvalidConversion => "invalid conversion to integer",
        Trap::StackOverflow | Trap::StackTooSmall => "call stack exhausted",
        Trap::TableOutOfBounds => "undefined element",
        Trap::NullReference => "uninitialized element",
        Trap::BadReference => "undefined element",
        Trap::SignatureMismatch => "indirect call type mismatch",
        Trap::SegmentOutOfBounds => "out of bounds segment access",
    }
}

#[allow(unused)]
fn _unused() -> (u64, Section) {
    (PAGE_SIZE, Section::Code)
}
