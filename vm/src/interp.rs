//! The interpreter: one loop, one short arm per instruction, slow paths out of line.
//!
//! It trusts what the verifier established (register indices inside the frame, jump
//! targets on instructions of the same function, valid function, constant, global and
//! table indices) and checks at run time only what depends on run-time values: stack
//! room at a call, the function a table element names, memory accesses, divisors.

use crate::arith::*;
use crate::bulk::{self, Bulk};
use crate::float;
use crate::memory::Memory;
use crate::module::{Module, NULL_REF};
use crate::thread::{Exit, Stop, Thread, Trap};
use selvm_bytecode::Instr as I;
use selvm_bytecode::format::PAGE_SIZE;

/// Resolves `call_indirect`'s table element `index` to a function of signature `ty`.
#[inline]
fn resolve(module: &Module, context: &[u64], index: u64, ty: u32) -> Result<u32, Trap> {
    let base = module.tables()[0].context_offset;
    if index as u32 as u64 >= context[base] {
        return Err(Trap::TableOutOfBounds);
    }
    let element = context[base + 1 + index as u32 as usize];
    if element == NULL_REF {
        return Err(Trap::NullReference);
    }
    let f = u32::try_from(element).map_err(|_| Trap::BadReference)?;
    match module.functions().get(f as usize) {
        None => Err(Trap::BadReference),
        Some(callee) if callee.ty != ty => Err(Trap::SignatureMismatch),
        Some(_) => Ok(f),
    }
}

/// `table.grow`: the old size, or `None` beyond the maximum.
#[cold]
fn table_grow(module: &Module, context: &mut [u64], table: u16, value: u64, n: u32) -> Option<u64> {
    let t = &module.tables()[table as usize];
    let old = context[t.context_offset];
    let new = old + n as u64;
    if new > t.max as u64 {
        return None;
    }
    let elems = t.context_offset + 1;
    context[elems + old as usize..elems + new as usize].fill(value);
    context[t.context_offset] = new;
    Some(old)
}

/// The slot of element `index` of `table`, if inside the table.
#[inline]
fn table_slot(module: &Module, context: &[u64], table: u16, index: u64) -> Result<usize, Trap> {
    let base = module.tables()[table as usize].context_offset;
    if index as u32 as u64 >= context[base] {
        return Err(Trap::TableOutOfBounds);
    }
    Ok(base + 1 + index as u32 as usize)
}

impl Thread {
    /// Runs the thread for at most `budget` instructions, or until it stops for
    /// another reason. Running a finished thread returns [`Stop::Returned`] at once.
    pub fn run<M: Memory>(
        &mut self,
        module: &Module,
        stack: &mut [u64],
        memory: &mut M,
        budget: u64,
    ) -> Exit {
        if self.finished {
            return Exit {
                stop: Stop::Returned,
                executed: 0,
            };
        }
        let (context, frames, regs) = self.split(stack);
        let (code, functions, constants) = (module.code(), module.functions(), module.constants());
        let max_depth = self.max_depth as usize;
        let (mut pc, mut fp) = (self.pc as usize, self.fp as usize);
        let (mut func, mut depth) = (self.func, self.depth as usize);
        let mut fuel = budget;

        macro_rules! get {
            ($r:expr) => {
                regs[fp + $r.index()]
            };
        }
        macro_rules! set {
            ($r:expr, $v:expr) => {{
                let v = $v;
                regs[fp + $r.index()] = v;
            }};
        }
        macro_rules! jump {
            ($off:expr) => {{
                pc = pc.wrapping_add_signed($off as isize);
                continue;
            }};
        }
        macro_rules! branch {
            ($cond:expr, $off:expr) => {
                if $cond {
                    jump!($off)
                }
            };
        }
        macro_rules! try_trap {
            ($e:expr) => {
                match $e {
                    Ok(v) => v,
                    Err(t) => break Stop::Trap(t),
                }
            };
        }
        macro_rules! i32op {
            ($a:ident = $b:ident, $c:ident; |$x:ident, $y:ident| $e:expr) => {{
                let ($x, $y) = (get!($b) as u32, get!($c) as u32);
                set!($a, ($e) as u32 as u64)
            }};
        }
        macro_rules! i64op {
            ($a:ident = $b:ident, $c:ident; |$x:ident, $y:ident| $e:expr) => {{
                let ($x, $y) = (get!($b), get!($c));
                set!($a, ($e) as u64)
            }};
        }
        macro_rules! i32imm {
            ($a:ident = $b:ident, $c:ident; |$x:ident, $k:ident| $e:expr) => {{
                let ($x, $k) = (get!($b) as u32, $c.0 as i32 as u32);
                set!($a, ($e) as u32 as u64)
            }};
        }
        macro_rules! i64imm {
            ($a:ident = $b:ident, $c:ident; |$x:ident, $k:ident| $e:expr) => {{
                let ($x, $k) = (get!($b), $c.0 as i64 as u64);
                set!($a, ($e) as u64)
            }};
        }
        macro_rules! unary {
            ($a:ident = $b:ident; |$x:ident| $e:expr) => {{
                let $x = get!($b);
                set!($a, $e)
            }};
        }
        macro_rules! f32op {
            ($a:ident = $b:ident, $c:ident; |$x:ident, $y:ident| $e:expr) => {{
                let $x = f32::from_bits(get!($b) as u32);
                let $y = f32::from_bits(get!($c) as u32);
                set!($a, f32::to_bits($e) as u64)
            }};
        }
        macro_rules! f64op {
            ($a:ident = $b:ident, $c:ident; |$x:ident, $y:ident| $e:expr) => {{
                let ($x, $y) = (f64::from_bits(get!($b)), f64::from_bits(get!($c)));
                set!($a, f64::to_bits($e))
            }};
        }
        macro_rules! f32cmp {
            ($a:ident = $b:ident, $c:ident; |$x:ident, $y:ident| $e:expr) => {{
                let $x = f32::from_bits(get!($b) as u32);
                let $y = f32::from_bits(get!($c) as u32);
                set!($a, ($e) as u64)
            }};
        }
        macro_rules! f64cmp {
            ($a:ident = $b:ident, $c:ident; |$x:ident, $y:ident| $e:expr) => {{
                let ($x, $y) = (f64::from_bits(get!($b)), f64::from_bits(get!($c)));
                set!($a, ($e) as u64)
            }};
        }
        macro_rules! f32un {
            ($a:ident = $b:ident; |$x:ident| $e:expr) => {{
                let $x = f32::from_bits(get!($b) as u32);
                set!($a, f32::to_bits($e) as u64)
            }};
        }
        macro_rules! f64un {
            ($a:ident = $b:ident; |$x:ident| $e:expr) => {{
                let $x = f64::from_bits(get!($b));
                set!($a, f64::to_bits($e))
            }};
        }
        macro_rules! load {
            ($a:ident = $b:ident, $c:ident; $n:literal, |$x:ident| $e:expr) => {{
                match memory.load::<$n>(get!($b).wrapping_add($c.0 as u64)) {
                    Ok($x) => set!($a, $e),
                    Err(fault) => break Stop::Fault(fault),
                }
            }};
        }
        macro_rules! store {
            ($a:ident, $b:ident, $c:ident; $t:ty) => {{
                let bytes = (get!($a) as $t).to_le_bytes();
                if let Err(fault) = memory.store(get!($b).wrapping_add($c.0 as u64), bytes) {
                    break Stop::Fault(fault);
                }
            }};
        }
        macro_rules! call {
            ($a:ident, $callee:expr) => {{
                let callee = $callee;
                let f = &functions[callee as usize];
                let new_fp = fp + $a.index();
                if new_fp + f.frame as usize > regs.len() || depth == max_depth {
                    break Stop::Trap(Trap::StackOverflow);
                }
                frames[2 * depth] = func as u64 | ((pc as u64 + 1) << 32);
                frames[2 * depth + 1] = fp as u64;
                depth += 1;
                (fp, func, pc) = (new_fp, callee, f.code_start as usize);
                continue;
            }};
        }

        let stop = loop {
            if fuel == 0 {
                break Stop::Budget;
            }
            fuel -= 1;
            match code[pc] {
                // Control.
                I::Nop {} => {}
                I::Trap { a } => break Stop::Trap(Trap::Program(a.0)),
                I::Jump { bc } => jump!(bc.0),
                I::BrIf { a, bc } => branch!(get!(a) as u32 != 0, bc.0),
                I::BrUnless { a, bc } => branch!(get!(a) as u32 == 0, bc.0),
                I::BrTable { a, bc } => {
                    let entry = pc + 1 + (get!(a) as u32).min(bc.0) as usize;
                    let I::BrTableEntry { bc: off } = code[entry] else {
                        unreachable!("verified: br_table is followed by its entries")
                    };
                    pc = entry;
                    jump!(off.0)
                }
                I::BrTableEntry { .. } => unreachable!("verified: entries are never executed"),
                I::Call { a, bc } => call!(a, bc.0),
                I::CallIndirect { a, b, c } => {
                    call!(a, try_trap!(resolve(module, context, get!(b), c.0 as u32)))
                }
                I::Return { a, b } => {
                    let (first, n) = (fp + a.index(), b.0 as usize);
                    if first != fp {
                        regs.copy_within(first..first + n, fp);
                    }
                    if depth == 0 {
                        break Stop::Returned;
                    }
                    depth -= 1;
                    let w = frames[2 * depth];
                    (func, pc, fp) = (w as u32, (w >> 32) as usize, frames[2 * depth + 1] as usize);
                    continue;
                }
                I::Syscall { a, b, c } => {
                    pc += 1;
                    break Stop::Syscall {
                        number: c.0,
                        first: fp + a.index(),
                        count: b.0,
                    };
                }
                // Fused compare and branch.
                I::I32BrEq { a, b, c } => branch!(get!(a) as u32 == get!(b) as u32, c.0),
                I::I32BrNe { a, b, c } => branch!(get!(a) as u32 != get!(b) as u32, c.0),
                I::I32BrLtS { a, b, c } => branch!((get!(a) as i32) < get!(b) as i32, c.0),
                I::I32BrLtU { a, b, c } => branch!((get!(a) as u32) < get!(b) as u32, c.0),
                I::I32BrLeS { a, b, c } => branch!(get!(a) as i32 <= get!(b) as i32, c.0),
                I::I32BrLeU { a, b, c } => branch!(get!(a) as u32 <= get!(b) as u32, c.0),
                I::I64BrEq { a, b, c } => branch!(get!(a) == get!(b), c.0),
                I::I64BrNe { a, b, c } => branch!(get!(a) != get!(b), c.0),
                I::I64BrLtS { a, b, c } => branch!((get!(a) as i64) < get!(b) as i64, c.0),
                I::I64BrLtU { a, b, c } => branch!(get!(a) < get!(b), c.0),
                I::I64BrLeS { a, b, c } => branch!(get!(a) as i64 <= get!(b) as i64, c.0),
                I::I64BrLeU { a, b, c } => branch!(get!(a) <= get!(b), c.0),
                I::I32BrEqImm { a, b, c } => branch!(get!(a) as i32 == b.0 as i32, c.0),
                I::I32BrNeImm { a, b, c } => branch!(get!(a) as i32 != b.0 as i32, c.0),
                I::I32BrLtSImm { a, b, c } => branch!((get!(a) as i32) < b.0 as i32, c.0),
                I::I32BrLtUImm { a, b, c } => branch!((get!(a) as u32) < b.0 as i32 as u32, c.0),
                I::I32BrGtSImm { a, b, c } => branch!(get!(a) as i32 > b.0 as i32, c.0),
                I::I32BrGtUImm { a, b, c } => branch!(get!(a) as u32 > b.0 as i32 as u32, c.0),
                I::I64BrEqImm { a, b, c } => branch!(get!(a) as i64 == b.0 as i64, c.0),
                I::I64BrNeImm { a, b, c } => branch!(get!(a) as i64 != b.0 as i64, c.0),
                I::I64BrLtSImm { a, b, c } => branch!((get!(a) as i64) < b.0 as i64, c.0),
                I::I64BrLtUImm { a, b, c } => branch!(get!(a) < b.0 as i64 as u64, c.0),
                I::I64BrGtSImm { a, b, c } => branch!(get!(a) as i64 > b.0 as i64, c.0),
                I::I64BrGtUImm { a, b, c } => branch!(get!(a) > b.0 as i64 as u64, c.0),
                // Constants, moves and globals.
                I::Mov { a, b } => set!(a, get!(b)),
                I::I32Const { a, bc } => set!(a, bc.0 as u32 as u64),
                I::I64Const { a, bc } => set!(a, bc.0 as i64 as u64),
                I::F32Const { a, bc } => set!(a, bc.0 as u64),
                I::Ldc { a, bc } => set!(a, constants[bc.0 as usize]),
                I::Select { a, b, c } => {
                    if get!(c) as u32 != 0 {
                        set!(a, get!(b))
                    }
                }
                I::GlobalGet { a, bc } => set!(a, context[bc.0 as usize]),
                I::GlobalSet { a, bc } => context[bc.0 as usize] = get!(a),
                // i32 arithmetic.
                I::I32Add { a, b, c } => i32op!(a = b, c; |x, y| x.wrapping_add(y)),
                I::I32Sub { a, b, c } => i32op!(a = b, c; |x, y| x.wrapping_sub(y)),
                I::I32Mul { a, b, c } => i32op!(a = b, c; |x, y| x.wrapping_mul(y)),
                I::I32DivS { a, b, c } => i32op!(a = b, c; |x, y| try_trap!(div_s32(x, y))),
                I::I32DivU { a, b, c } => i32op!(a = b, c; |x, y| try_trap!(div_u32(x, y))),
                I::I32RemS { a, b, c } => i32op!(a = b, c; |x, y| try_trap!(rem_s32(x, y))),
                I::I32RemU { a, b, c } => i32op!(a = b, c; |x, y| try_trap!(rem_u32(x, y))),
                I::I32And { a, b, c } => i32op!(a = b, c; |x, y| x & y),
                I::I32Or { a, b, c } => i32op!(a = b, c; |x, y| x | y),
                I::I32Xor { a, b, c } => i32op!(a = b, c; |x, y| x ^ y),
                I::I32Shl { a, b, c } => i32op!(a = b, c; |x, y| x.wrapping_shl(y)),
                I::I32ShrS { a, b, c } => i32op!(a = b, c; |x, y| (x as i32).wrapping_shr(y)),
                I::I32ShrU { a, b, c } => i32op!(a = b, c; |x, y| x.wrapping_shr(y)),
                I::I32Rotl { a, b, c } => i32op!(a = b, c; |x, y| x.rotate_left(y % 32)),
                I::I32Rotr { a, b, c } => i32op!(a = b, c; |x, y| x.rotate_right(y % 32)),
                I::I32Clz { a, b } => unary!(a = b; |x| (x as u32).leading_zeros() as u64),
                I::I32Ctz { a, b } => unary!(a = b; |x| (x as u32).trailing_zeros() as u64),
                I::I32Popcnt { a, b } => unary!(a = b; |x| (x as u32).count_ones() as u64),
                I::I32Eqz { a, b } => unary!(a = b; |x| (x as u32 == 0) as u64),
                I::I32Extend8S { a, b } => unary!(a = b; |x| x as i8 as u32 as u64),
                I::I32Extend16S { a, b } => unary!(a = b; |x| x as i16 as u32 as u64),
                I::I32AddImm { a, b, c } => i32imm!(a = b, c; |x, k| x.wrapping_add(k)),
                I::I32MulImm { a, b, c } => i32imm!(a = b, c; |x, k| x.wrapping_mul(k)),
                I::I32AndImm { a, b, c } => i32imm!(a = b, c; |x, k| x & k),
                I::I32OrImm { a, b, c } => i32imm!(a = b, c; |x, k| x | k),
                I::I32XorImm { a, b, c } => i32imm!(a = b, c; |x, k| x ^ k),
                I::I32ShlImm { a, b, c } => i32imm!(a = b, c; |x, k| x.wrapping_shl(k)),
                I::I32ShrSImm { a, b, c } => i32imm!(a = b, c; |x, k| (x as i32).wrapping_shr(k)),
                I::I32ShrUImm { a, b, c } => i32imm!(a = b, c; |x, k| x.wrapping_shr(k)),
                // i32 comparisons.
                I::I32Eq { a, b, c } => i32op!(a = b, c; |x, y| x == y),
                I::I32Ne { a, b, c } => i32op!(a = b, c; |x, y| x != y),
                I::I32LtS { a, b, c } => i32op!(a = b, c; |x, y| (x as i32) < y as i32),
                I::I32LtU { a, b, c } => i32op!(a = b, c; |x, y| x < y),
                I::I32GtS { a, b, c } => i32op!(a = b, c; |x, y| x as i32 > y as i32),
                I::I32GtU { a, b, c } => i32op!(a = b, c; |x, y| x > y),
                I::I32LeS { a, b, c } => i32op!(a = b, c; |x, y| x as i32 <= y as i32),
                I::I32LeU { a, b, c } => i32op!(a = b, c; |x, y| x <= y),
                I::I32GeS { a, b, c } => i32op!(a = b, c; |x, y| x as i32 >= y as i32),
                I::I32GeU { a, b, c } => i32op!(a = b, c; |x, y| x >= y),
                // i64 arithmetic.
                I::I64Add { a, b, c } => i64op!(a = b, c; |x, y| x.wrapping_add(y)),
                I::I64Sub { a, b, c } => i64op!(a = b, c; |x, y| x.wrapping_sub(y)),
                I::I64Mul { a, b, c } => i64op!(a = b, c; |x, y| x.wrapping_mul(y)),
                I::I64DivS { a, b, c } => i64op!(a = b, c; |x, y| try_trap!(div_s64(x, y))),
                I::I64DivU { a, b, c } => i64op!(a = b, c; |x, y| try_trap!(div_u64(x, y))),
                I::I64RemS { a, b, c } => i64op!(a = b, c; |x, y| try_trap!(rem_s64(x, y))),
                I::I64RemU { a, b, c } => i64op!(a = b, c; |x, y| try_trap!(rem_u64(x, y))),
                I::I64And { a, b, c } => i64op!(a = b, c; |x, y| x & y),
                I::I64Or { a, b, c } => i64op!(a = b, c; |x, y| x | y),
                I::I64Xor { a, b, c } => i64op!(a = b, c; |x, y| x ^ y),
                I::I64Shl { a, b, c } => i64op!(a = b, c; |x, y| x.wrapping_shl(y as u32)),
                I::I64ShrS { a, b, c } => {
                    i64op!(a = b, c; |x, y| (x as i64).wrapping_shr(y as u32))
                }
                I::I64ShrU { a, b, c } => i64op!(a = b, c; |x, y| x.wrapping_shr(y as u32)),
                I::I64Rotl { a, b, c } => i64op!(a = b, c; |x, y| x.rotate_left((y % 64) as u32)),
                I::I64Rotr { a, b, c } => i64op!(a = b, c; |x, y| x.rotate_right((y % 64) as u32)),
                I::I64Clz { a, b } => unary!(a = b; |x| x.leading_zeros() as u64),
                I::I64Ctz { a, b } => unary!(a = b; |x| x.trailing_zeros() as u64),
                I::I64Popcnt { a, b } => unary!(a = b; |x| x.count_ones() as u64),
                I::I64Eqz { a, b } => unary!(a = b; |x| (x == 0) as u64),
                I::I64Extend8S { a, b } => unary!(a = b; |x| x as i8 as u64),
                I::I64Extend16S { a, b } => unary!(a = b; |x| x as i16 as u64),
                I::I64Extend32S { a, b } => unary!(a = b; |x| x as i32 as u64),
                I::I64AddImm { a, b, c } => i64imm!(a = b, c; |x, k| x.wrapping_add(k)),
                I::I64MulImm { a, b, c } => i64imm!(a = b, c; |x, k| x.wrapping_mul(k)),
                I::I64AndImm { a, b, c } => i64imm!(a = b, c; |x, k| x & k),
                I::I64OrImm { a, b, c } => i64imm!(a = b, c; |x, k| x | k),
                I::I64XorImm { a, b, c } => i64imm!(a = b, c; |x, k| x ^ k),
                I::I64ShlImm { a, b, c } => i64imm!(a = b, c; |x, k| x.wrapping_shl(k as u32)),
                I::I64ShrSImm { a, b, c } => {
                    i64imm!(a = b, c; |x, k| (x as i64).wrapping_shr(k as u32))
                }
                I::I64ShrUImm { a, b, c } => i64imm!(a = b, c; |x, k| x.wrapping_shr(k as u32)),
                // i64 comparisons.
                I::I64Eq { a, b, c } => i64op!(a = b, c; |x, y| x == y),
                I::I64Ne { a, b, c } => i64op!(a = b, c; |x, y| x != y),
                I::I64LtS { a, b, c } => i64op!(a = b, c; |x, y| (x as i64) < y as i64),
                I::I64LtU { a, b, c } => i64op!(a = b, c; |x, y| x < y),
                I::I64GtS { a, b, c } => i64op!(a = b, c; |x, y| x as i64 > y as i64),
                I::I64GtU { a, b, c } => i64op!(a = b, c; |x, y| x > y),
                I::I64LeS { a, b, c } => i64op!(a = b, c; |x, y| x as i64 <= y as i64),
                I::I64LeU { a, b, c } => i64op!(a = b, c; |x, y| x <= y),
                I::I64GeS { a, b, c } => i64op!(a = b, c; |x, y| x as i64 >= y as i64),
                I::I64GeU { a, b, c } => i64op!(a = b, c; |x, y| x >= y),
                // f32.
                I::F32Add { a, b, c } => f32op!(a = b, c; |x, y| x + y),
                I::F32Sub { a, b, c } => f32op!(a = b, c; |x, y| x - y),
                I::F32Mul { a, b, c } => f32op!(a = b, c; |x, y| x * y),
                I::F32Div { a, b, c } => f32op!(a = b, c; |x, y| x / y),
                I::F32Min { a, b, c } => f32op!(a = b, c; |x, y| float::min32(x, y)),
                I::F32Max { a, b, c } => f32op!(a = b, c; |x, y| float::max32(x, y)),
                I::F32Copysign { a, b, c } => f32op!(a = b, c; |x, y| x.copysign(y)),
                I::F32Abs { a, b } => unary!(a = b; |x| x & 0x7fff_ffff),
                I::F32Neg { a, b } => unary!(a = b; |x| (x as u32 ^ 0x8000_0000) as u64),
                I::F32Sqrt { a, b } => f32un!(a = b; |x| float::via64(x, float::sqrt)),
                I::F32Ceil { a, b } => f32un!(a = b; |x| float::via64(x, float::ceil)),
                I::F32Floor { a, b } => f32un!(a = b; |x| float::via64(x, float::floor)),
                I::F32Trunc { a, b } => f32un!(a = b; |x| float::via64(x, float::trunc)),
                I::F32Nearest { a, b } => f32un!(a = b; |x| float::via64(x, float::nearest)),
                I::F32Eq { a, b, c } => f32cmp!(a = b, c; |x, y| x == y),
                I::F32Ne { a, b, c } => f32cmp!(a = b, c; |x, y| x != y),
                I::F32Lt { a, b, c } => f32cmp!(a = b, c; |x, y| x < y),
                I::F32Gt { a, b, c } => f32cmp!(a = b, c; |x, y| x > y),
                I::F32Le { a, b, c } => f32cmp!(a = b, c; |x, y| x <= y),
                I::F32Ge { a, b, c } => f32cmp!(a = b, c; |x, y| x >= y),
                // f64.
                I::F64Add { a, b, c } => f64op!(a = b, c; |x, y| x + y),
                I::F64Sub { a, b, c } => f64op!(a = b, c; |x, y| x - y),
                I::F64Mul { a, b, c } => f64op!(a = b, c; |x, y| x * y),
                I::F64Div { a, b, c } => f64op!(a = b, c; |x, y| x / y),
                I::F64Min { a, b, c } => f64op!(a = b, c; |x, y| float::min(x, y)),
                I::F64Max { a, b, c } => f64op!(a = b, c; |x, y| float::max(x, y)),
                I::F64Copysign { a, b, c } => f64op!(a = b, c; |x, y| x.copysign(y)),
                I::F64Abs { a, b } => unary!(a = b; |x| x & !(1 << 63)),
                I::F64Neg { a, b } => unary!(a = b; |x| x ^ (1 << 63)),
                I::F64Sqrt { a, b } => f64un!(a = b; |x| float::sqrt(x)),
                I::F64Ceil { a, b } => f64un!(a = b; |x| float::ceil(x)),
                I::F64Floor { a, b } => f64un!(a = b; |x| float::floor(x)),
                I::F64Trunc { a, b } => f64un!(a = b; |x| float::trunc(x)),
                I::F64Nearest { a, b } => f64un!(a = b; |x| float::nearest(x)),
                I::F64Eq { a, b, c } => f64cmp!(a = b, c; |x, y| x == y),
                I::F64Ne { a, b, c } => f64cmp!(a = b, c; |x, y| x != y),
                I::F64Lt { a, b, c } => f64cmp!(a = b, c; |x, y| x < y),
                I::F64Gt { a, b, c } => f64cmp!(a = b, c; |x, y| x > y),
                I::F64Le { a, b, c } => f64cmp!(a = b, c; |x, y| x <= y),
                I::F64Ge { a, b, c } => f64cmp!(a = b, c; |x, y| x >= y),
                // Conversions.
                I::I32WrapI64 { a, b } => unary!(a = b; |x| x as u32 as u64),
                I::I32TruncF32S { a, b } => {
                    unary!(a = b; |x| try_trap!(float::to_i32(f32b(x))) as u64)
                }
                I::I32TruncF32U { a, b } => {
                    unary!(a = b; |x| try_trap!(float::to_u32(f32b(x))) as u64)
                }
                I::I32TruncF64S { a, b } => {
                    unary!(a = b; |x| try_trap!(float::to_i32(f64::from_bits(x))) as u64)
                }
                I::I32TruncF64U { a, b } => {
                    unary!(a = b; |x| try_trap!(float::to_u32(f64::from_bits(x))) as u64)
                }
                I::I64TruncF32S { a, b } => unary!(a = b; |x| try_trap!(float::to_i64(f32b(x)))),
                I::I64TruncF32U { a, b } => unary!(a = b; |x| try_trap!(float::to_u64(f32b(x)))),
                I::I64TruncF64S { a, b } => {
                    unary!(a = b; |x| try_trap!(float::to_i64(f64::from_bits(x))))
                }
                I::I64TruncF64U { a, b } => {
                    unary!(a = b; |x| try_trap!(float::to_u64(f64::from_bits(x))))
                }
                I::I32TruncSatF32S { a, b } => unary!(a = b; |x| f32b(x) as i32 as u32 as u64),
                I::I32TruncSatF32U { a, b } => unary!(a = b; |x| f32b(x) as u32 as u64),
                I::I32TruncSatF64S { a, b } => {
                    unary!(a = b; |x| f64::from_bits(x) as i32 as u32 as u64)
                }
                I::I32TruncSatF64U { a, b } => unary!(a = b; |x| f64::from_bits(x) as u32 as u64),
                I::I64TruncSatF32S { a, b } => unary!(a = b; |x| f32b(x) as i64 as u64),
                I::I64TruncSatF32U { a, b } => unary!(a = b; |x| f32b(x) as u64),
                I::I64TruncSatF64S { a, b } => unary!(a = b; |x| f64::from_bits(x) as i64 as u64),
                I::I64TruncSatF64U { a, b } => unary!(a = b; |x| f64::from_bits(x) as u64),
                I::F32ConvertI32S { a, b } => unary!(a = b; |x| f32bits(x as i32 as f32)),
                I::F32ConvertI32U { a, b } => unary!(a = b; |x| f32bits(x as u32 as f32)),
                I::F32ConvertI64S { a, b } => unary!(a = b; |x| f32bits(x as i64 as f32)),
                I::F32ConvertI64U { a, b } => unary!(a = b; |x| f32bits(x as f32)),
                I::F64ConvertI32S { a, b } => unary!(a = b; |x| (x as i32 as f64).to_bits()),
                I::F64ConvertI32U { a, b } => unary!(a = b; |x| (x as u32 as f64).to_bits()),
                I::F64ConvertI64S { a, b } => unary!(a = b; |x| (x as i64 as f64).to_bits()),
                I::F64ConvertI64U { a, b } => unary!(a = b; |x| (x as f64).to_bits()),
                I::F32DemoteF64 { a, b } => unary!(a = b; |x| f32bits(f64::from_bits(x) as f32)),
                I::F64PromoteF32 { a, b } => {
                    unary!(a = b; |x| (f32::from_bits(x as u32) as f64).to_bits())
                }
                // Memory.
                I::Load8U { a, b, c } => load!(a = b, c; 1, |x| x[0] as u64),
                I::I32Load8S { a, b, c } => load!(a = b, c; 1, |x| x[0] as i8 as u32 as u64),
                I::I64Load8S { a, b, c } => load!(a = b, c; 1, |x| x[0] as i8 as u64),
                I::Load16U { a, b, c } => load!(a = b, c; 2, |x| u16::from_le_bytes(x) as u64),
                I::I32Load16S { a, b, c } => {
                    load!(a = b, c; 2, |x| i16::from_le_bytes(x) as u32 as u64)
                }
                I::I64Load16S { a, b, c } => load!(a = b, c; 2, |x| i16::from_le_bytes(x) as u64),
                I::Load32U { a, b, c } => load!(a = b, c; 4, |x| u32::from_le_bytes(x) as u64),
                I::I64Load32S { a, b, c } => load!(a = b, c; 4, |x| i32::from_le_bytes(x) as u64),
                I::Load64 { a, b, c } => load!(a = b, c; 8, |x| u64::from_le_bytes(x)),
                I::Store8 { a, b, c } => store!(a, b, c; u8),
                I::Store16 { a, b, c } => store!(a, b, c; u16),
                I::Store32 { a, b, c } => store!(a, b, c; u32),
                I::Store64 { a, b, c } => store!(a, b, c; u64),
                I::MemorySize { a } => set!(a, memory.size() / PAGE_SIZE),
                I::MemoryGrow { a, b } => {
                    pc += 1;
                    break Stop::MemoryGrow {
                        pages: get!(b) as u32,
                        result: fp + a.index(),
                    };
                }
                I::MemoryCopy { a, b, c } => {
                    let operands = (fp + a.index(), fp + b.index(), fp + c.index());
                    match bulk::copy(memory, regs, operands, &mut fuel) {
                        Ok(Bulk::Done) => {}
                        Ok(Bulk::OutOfBudget) => break Stop::Budget,
                        Err(fault) => break Stop::Fault(fault),
                    }
                }
                I::MemoryFill { a, b, c } => {
                    let operands = (fp + a.index(), fp + b.index(), fp + c.index());
                    match bulk::fill(memory, regs, operands, &mut fuel) {
                        Ok(Bulk::Done) => {}
                        Ok(Bulk::OutOfBudget) => break Stop::Budget,
                        Err(fault) => break Stop::Fault(fault),
                    }
                }
                // Tables and references.
                I::TableGet { a, b, c } => {
                    set!(
                        a,
                        context[try_trap!(table_slot(module, context, c.0, get!(b)))]
                    )
                }
                I::TableSet { a, b, c } => {
                    context[try_trap!(table_slot(module, context, c.0, get!(b)))] = get!(a)
                }
                I::TableSize { a, b } => {
                    set!(a, context[module.tables()[b.0 as usize].context_offset])
                }
                I::TableGrow { a, b, c } => {
                    let old = table_grow(module, context, c.0, get!(a), get!(b) as u32);
                    set!(a, old.unwrap_or(u32::MAX as u64))
                }
                I::RefNull { a } => set!(a, NULL_REF),
                I::RefIsNull { a, b } => set!(a, (get!(b) == NULL_REF) as u64),
                I::RefFunc { a, bc } => set!(a, bc.0 as u64),
            }
            pc += 1;
        };

        (self.pc, self.fp, self.func, self.depth) = (pc as u32, fp as u32, func, depth as u32);
        self.finished = stop == Stop::Returned;
        Exit {
            stop,
            executed: budget - fuel,
        }
    }
}

/// The f32 in the low 32 bits of a register, widened exactly to f64.
#[inline(always)]
fn f32b(x: u64) -> f64 {
    f32::from_bits(x as u32) as f64
}

/// The register value of an f32.
#[inline(always)]
fn f32bits(x: f32) -> u64 {
    x.to_bits() as u64
}
