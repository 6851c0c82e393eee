//! The semantics of every op, written once as `op_semantics!`: one short arm per
//! instruction, slow paths in out-of-line helpers. A dispatcher expands it with its own
//! `$expand!` macro (a `match` for the loop, one handler function per op for threading)
//! after defining the primitive accessors the arms use, each taking the machine's
//! name first:
//!
//! - `get!(m, r)`, `set!(m, r, v)`: register `r` of the current frame;
//!   `reg_index!(m, r)`: its index in the register area;
//! - `jump!(m, off)`: `pc += off`, next instruction; `stop!(m, s)`: stop with `s`, pc on
//!   this instruction; `stop_after!(m, s)`: stop with `s`, pc after it;
//! - `br_table!(m, i)`, `call!(m, a, f)`, `ret!(m, a, n)`, `bulk!(m, copy|fill, a, b, c)`;
//! - `context!(m)`, `memory!(m)`, `module!(m)`, `constant!(m, i)`.
//!
//! Falling out of an arm goes on with the next instruction.

/// Expands `$expand!($m; Name { fields } => { body } ...)` over every op.
macro_rules! op_semantics {
    ($expand:ident!($m:ident)) => {
        $expand! { $m;
            // Control.
            Nop {} => {}
            Trap { a } => { stop!($m, Stop::Trap(Trap::Program(a.0))) }
            Jump { bc } => { jump!($m, bc.0) }
            BrIf { a, bc } => { branch!($m, get!($m, a) as u32 != 0, bc.0) }
            BrUnless { a, bc } => { branch!($m, get!($m, a) as u32 == 0, bc.0) }
            BrTable { a, bc } => { br_table!($m, (get!($m, a) as u32).min(bc.0)) }
            BrTableEntry { .. } => { unreachable!("verified: entries are never executed") }
            Call { a, bc } => { call!($m, a, bc.0) }
            CallIndirect { a, b, c } => {
                let callee = resolve(module!($m), context!($m), get!($m, b), c.0 as u32);
                call!($m, a, try_trap!($m, callee))
            }
            Return { a, b } => { ret!($m, a, b.0 as usize) }
            Syscall { a, b, c } => {
                let first = reg_index!($m, a);
                stop_after!($m, Stop::Syscall { number: c.0, first, count: b.0 })
            }
            // Fused compare and branch.
            I32BrEq { a, b, c } => { branch!($m, get!($m, a) as u32 == get!($m, b) as u32, c.0) }
            I32BrNe { a, b, c } => { branch!($m, get!($m, a) as u32 != get!($m, b) as u32, c.0) }
            I32BrLtS { a, b, c } => { branch!($m, (get!($m, a) as i32) < get!($m, b) as i32, c.0) }
            I32BrLtU { a, b, c } => { branch!($m, (get!($m, a) as u32) < get!($m, b) as u32, c.0) }
            I32BrLeS { a, b, c } => { branch!($m, get!($m, a) as i32 <= get!($m, b) as i32, c.0) }
            I32BrLeU { a, b, c } => { branch!($m, get!($m, a) as u32 <= get!($m, b) as u32, c.0) }
            I64BrEq { a, b, c } => { branch!($m, get!($m, a) == get!($m, b), c.0) }
            I64BrNe { a, b, c } => { branch!($m, get!($m, a) != get!($m, b), c.0) }
            I64BrLtS { a, b, c } => { branch!($m, (get!($m, a) as i64) < get!($m, b) as i64, c.0) }
            I64BrLtU { a, b, c } => { branch!($m, get!($m, a) < get!($m, b), c.0) }
            I64BrLeS { a, b, c } => { branch!($m, get!($m, a) as i64 <= get!($m, b) as i64, c.0) }
            I64BrLeU { a, b, c } => { branch!($m, get!($m, a) <= get!($m, b), c.0) }
            I32BrEqImm { a, b, c } => { branch!($m, get!($m, a) as i32 == b.0 as i32, c.0) }
            I32BrNeImm { a, b, c } => { branch!($m, get!($m, a) as i32 != b.0 as i32, c.0) }
            I32BrLtSImm { a, b, c } => { branch!($m, (get!($m, a) as i32) < b.0 as i32, c.0) }
            I32BrLtUImm { a, b, c } => { branch!($m, (get!($m, a) as u32) < b.0 as i32 as u32, c.0) }
            I32BrGtSImm { a, b, c } => { branch!($m, get!($m, a) as i32 > b.0 as i32, c.0) }
            I32BrGtUImm { a, b, c } => { branch!($m, get!($m, a) as u32 > b.0 as i32 as u32, c.0) }
            I64BrEqImm { a, b, c } => { branch!($m, get!($m, a) as i64 == b.0 as i64, c.0) }
            I64BrNeImm { a, b, c } => { branch!($m, get!($m, a) as i64 != b.0 as i64, c.0) }
            I64BrLtSImm { a, b, c } => { branch!($m, (get!($m, a) as i64) < b.0 as i64, c.0) }
            I64BrLtUImm { a, b, c } => { branch!($m, get!($m, a) < b.0 as i64 as u64, c.0) }
            I64BrGtSImm { a, b, c } => { branch!($m, get!($m, a) as i64 > b.0 as i64, c.0) }
            I64BrGtUImm { a, b, c } => { branch!($m, get!($m, a) > b.0 as i64 as u64, c.0) }
            // Constants, moves and globals.
            Mov { a, b } => { set!($m, a, get!($m, b)) }
            I32Const { a, bc } => { set!($m, a, bc.0 as u32 as u64) }
            I64Const { a, bc } => { set!($m, a, bc.0 as i64 as u64) }
            F32Const { a, bc } => { set!($m, a, bc.0 as u64) }
            Ldc { a, bc } => { set!($m, a, constant!($m, bc.0 as usize)) }
            Select { a, b, c } => {
                if get!($m, c) as u32 != 0 {
                    set!($m, a, get!($m, b))
                }
            }
            GlobalGet { a, bc } => { set!($m, a, context!($m)[bc.0 as usize]) }
            GlobalSet { a, bc } => {
                let v = get!($m, a);
                context!($m)[bc.0 as usize] = v
            }
            // i32 arithmetic.
            I32Add { a, b, c } => { i32op!($m, a = b, c; |x, y| x.wrapping_add(y)) }
            I32Sub { a, b, c } => { i32op!($m, a = b, c; |x, y| x.wrapping_sub(y)) }
            I32Mul { a, b, c } => { i32op!($m, a = b, c; |x, y| x.wrapping_mul(y)) }
            I32DivS { a, b, c } => { i32op!($m, a = b, c; |x, y| try_trap!($m, div_s32(x, y))) }
            I32DivU { a, b, c } => { i32op!($m, a = b, c; |x, y| try_trap!($m, div_u32(x, y))) }
            I32RemS { a, b, c } => { i32op!($m, a = b, c; |x, y| try_trap!($m, rem_s32(x, y))) }
            I32RemU { a, b, c } => { i32op!($m, a = b, c; |x, y| try_trap!($m, rem_u32(x, y))) }
            I32And { a, b, c } => { i32op!($m, a = b, c; |x, y| x & y) }
            I32Or { a, b, c } => { i32op!($m, a = b, c; |x, y| x | y) }
            I32Xor { a, b, c } => { i32op!($m, a = b, c; |x, y| x ^ y) }
            I32Shl { a, b, c } => { i32op!($m, a = b, c; |x, y| x.wrapping_shl(y)) }
            I32ShrS { a, b, c } => { i32op!($m, a = b, c; |x, y| (x as i32).wrapping_shr(y)) }
            I32ShrU { a, b, c } => { i32op!($m, a = b, c; |x, y| x.wrapping_shr(y)) }
            I32Rotl { a, b, c } => { i32op!($m, a = b, c; |x, y| x.rotate_left(y % 32)) }
            I32Rotr { a, b, c } => { i32op!($m, a = b, c; |x, y| x.rotate_right(y % 32)) }
            I32Clz { a, b } => { unary!($m, a = b; |x| (x as u32).leading_zeros() as u64) }
            I32Ctz { a, b } => { unary!($m, a = b; |x| (x as u32).trailing_zeros() as u64) }
            I32Popcnt { a, b } => { unary!($m, a = b; |x| (x as u32).count_ones() as u64) }
            I32Eqz { a, b } => { unary!($m, a = b; |x| (x as u32 == 0) as u64) }
            I32Extend8S { a, b } => { unary!($m, a = b; |x| x as i8 as u32 as u64) }
            I32Extend16S { a, b } => { unary!($m, a = b; |x| x as i16 as u32 as u64) }
            I32AddImm { a, b, c } => { i32imm!($m, a = b, c; |x, k| x.wrapping_add(k)) }
            I32MulImm { a, b, c } => { i32imm!($m, a = b, c; |x, k| x.wrapping_mul(k)) }
            I32AndImm { a, b, c } => { i32imm!($m, a = b, c; |x, k| x & k) }
            I32OrImm { a, b, c } => { i32imm!($m, a = b, c; |x, k| x | k) }
            I32XorImm { a, b, c } => { i32imm!($m, a = b, c; |x, k| x ^ k) }
            I32ShlImm { a, b, c } => { i32imm!($m, a = b, c; |x, k| x.wrapping_shl(k)) }
            I32ShrSImm { a, b, c } => { i32imm!($m, a = b, c; |x, k| (x as i32).wrapping_shr(k)) }
            I32ShrUImm { a, b, c } => { i32imm!($m, a = b, c; |x, k| x.wrapping_shr(k)) }
            // i32 comparisons.
            I32Eq { a, b, c } => { i32op!($m, a = b, c; |x, y| x == y) }
            I32Ne { a, b, c } => { i32op!($m, a = b, c; |x, y| x != y) }
            I32LtS { a, b, c } => { i32op!($m, a = b, c; |x, y| (x as i32) < y as i32) }
            I32LtU { a, b, c } => { i32op!($m, a = b, c; |x, y| x < y) }
            I32GtS { a, b, c } => { i32op!($m, a = b, c; |x, y| x as i32 > y as i32) }
            I32GtU { a, b, c } => { i32op!($m, a = b, c; |x, y| x > y) }
            I32LeS { a, b, c } => { i32op!($m, a = b, c; |x, y| x as i32 <= y as i32) }
            I32LeU { a, b, c } => { i32op!($m, a = b, c; |x, y| x <= y) }
            I32GeS { a, b, c } => { i32op!($m, a = b, c; |x, y| x as i32 >= y as i32) }
            I32GeU { a, b, c } => { i32op!($m, a = b, c; |x, y| x >= y) }
            // i64 arithmetic.
            I64Add { a, b, c } => { i64op!($m, a = b, c; |x, y| x.wrapping_add(y)) }
            I64Sub { a, b, c } => { i64op!($m, a = b, c; |x, y| x.wrapping_sub(y)) }
            I64Mul { a, b, c } => { i64op!($m, a = b, c; |x, y| x.wrapping_mul(y)) }
            I64DivS { a, b, c } => { i64op!($m, a = b, c; |x, y| try_trap!($m, div_s64(x, y))) }
            I64DivU { a, b, c } => { i64op!($m, a = b, c; |x, y| try_trap!($m, div_u64(x, y))) }
            I64RemS { a, b, c } => { i64op!($m, a = b, c; |x, y| try_trap!($m, rem_s64(x, y))) }
            I64RemU { a, b, c } => { i64op!($m, a = b, c; |x, y| try_trap!($m, rem_u64(x, y))) }
            I64And { a, b, c } => { i64op!($m, a = b, c; |x, y| x & y) }
            I64Or { a, b, c } => { i64op!($m, a = b, c; |x, y| x | y) }
            I64Xor { a, b, c } => { i64op!($m, a = b, c; |x, y| x ^ y) }
            I64Shl { a, b, c } => { i64op!($m, a = b, c; |x, y| x.wrapping_shl(y as u32)) }
            I64ShrS { a, b, c } => {
                i64op!($m, a = b, c; |x, y| (x as i64).wrapping_shr(y as u32))
            }
            I64ShrU { a, b, c } => { i64op!($m, a = b, c; |x, y| x.wrapping_shr(y as u32)) }
            I64Rotl { a, b, c } => { i64op!($m, a = b, c; |x, y| x.rotate_left((y % 64) as u32)) }
            I64Rotr { a, b, c } => { i64op!($m, a = b, c; |x, y| x.rotate_right((y % 64) as u32)) }
            I64Clz { a, b } => { unary!($m, a = b; |x| x.leading_zeros() as u64) }
            I64Ctz { a, b } => { unary!($m, a = b; |x| x.trailing_zeros() as u64) }
            I64Popcnt { a, b } => { unary!($m, a = b; |x| x.count_ones() as u64) }
            I64Eqz { a, b } => { unary!($m, a = b; |x| (x == 0) as u64) }
            I64Extend8S { a, b } => { unary!($m, a = b; |x| x as i8 as u64) }
            I64Extend16S { a, b } => { unary!($m, a = b; |x| x as i16 as u64) }
            I64Extend32S { a, b } => { unary!($m, a = b; |x| x as i32 as u64) }
            I64AddImm { a, b, c } => { i64imm!($m, a = b, c; |x, k| x.wrapping_add(k)) }
            I64MulImm { a, b, c } => { i64imm!($m, a = b, c; |x, k| x.wrapping_mul(k)) }
            I64AndImm { a, b, c } => { i64imm!($m, a = b, c; |x, k| x & k) }
            I64OrImm { a, b, c } => { i64imm!($m, a = b, c; |x, k| x | k) }
            I64XorImm { a, b, c } => { i64imm!($m, a = b, c; |x, k| x ^ k) }
            I64ShlImm { a, b, c } => { i64imm!($m, a = b, c; |x, k| x.wrapping_shl(k as u32)) }
            I64ShrSImm { a, b, c } => {
                i64imm!($m, a = b, c; |x, k| (x as i64).wrapping_shr(k as u32))
            }
            I64ShrUImm { a, b, c } => { i64imm!($m, a = b, c; |x, k| x.wrapping_shr(k as u32)) }
            // i64 comparisons.
            I64Eq { a, b, c } => { i64op!($m, a = b, c; |x, y| x == y) }
            I64Ne { a, b, c } => { i64op!($m, a = b, c; |x, y| x != y) }
            I64LtS { a, b, c } => { i64op!($m, a = b, c; |x, y| (x as i64) < y as i64) }
            I64LtU { a, b, c } => { i64op!($m, a = b, c; |x, y| x < y) }
            I64GtS { a, b, c } => { i64op!($m, a = b, c; |x, y| x as i64 > y as i64) }
            I64GtU { a, b, c } => { i64op!($m, a = b, c; |x, y| x > y) }
            I64LeS { a, b, c } => { i64op!($m, a = b, c; |x, y| x as i64 <= y as i64) }
            I64LeU { a, b, c } => { i64op!($m, a = b, c; |x, y| x <= y) }
            I64GeS { a, b, c } => { i64op!($m, a = b, c; |x, y| x as i64 >= y as i64) }
            I64GeU { a, b, c } => { i64op!($m, a = b, c; |x, y| x >= y) }
            // f32.
            F32Add { a, b, c } => { f32op!($m, a = b, c; |x, y| x + y) }
            F32Sub { a, b, c } => { f32op!($m, a = b, c; |x, y| x - y) }
            F32Mul { a, b, c } => { f32op!($m, a = b, c; |x, y| x * y) }
            F32Div { a, b, c } => { f32op!($m, a = b, c; |x, y| x / y) }
            F32Min { a, b, c } => { f32op!($m, a = b, c; |x, y| float::min32(x, y)) }
            F32Max { a, b, c } => { f32op!($m, a = b, c; |x, y| float::max32(x, y)) }
            F32Copysign { a, b, c } => { f32op!($m, a = b, c; |x, y| x.copysign(y)) }
            F32Abs { a, b } => { unary!($m, a = b; |x| x & 0x7fff_ffff) }
            F32Neg { a, b } => { unary!($m, a = b; |x| (x as u32 ^ 0x8000_0000) as u64) }
            F32Sqrt { a, b } => { f32un!($m, a = b; |x| float::via64(x, float::sqrt)) }
            F32Ceil { a, b } => { f32un!($m, a = b; |x| float::via64(x, float::ceil)) }
            F32Floor { a, b } => { f32un!($m, a = b; |x| float::via64(x, float::floor)) }
            F32Trunc { a, b } => { f32un!($m, a = b; |x| float::via64(x, float::trunc)) }
            F32Nearest { a, b } => { f32un!($m, a = b; |x| float::via64(x, float::nearest)) }
            F32Eq { a, b, c } => { f32cmp!($m, a = b, c; |x, y| x == y) }
            F32Ne { a, b, c } => { f32cmp!($m, a = b, c; |x, y| x != y) }
            F32Lt { a, b, c } => { f32cmp!($m, a = b, c; |x, y| x < y) }
            F32Gt { a, b, c } => { f32cmp!($m, a = b, c; |x, y| x > y) }
            F32Le { a, b, c } => { f32cmp!($m, a = b, c; |x, y| x <= y) }
            F32Ge { a, b, c } => { f32cmp!($m, a = b, c; |x, y| x >= y) }
            // f64.
            F64Add { a, b, c } => { f64op!($m, a = b, c; |x, y| x + y) }
            F64Sub { a, b, c } => { f64op!($m, a = b, c; |x, y| x - y) }
            F64Mul { a, b, c } => { f64op!($m, a = b, c; |x, y| x * y) }
            F64Div { a, b, c } => { f64op!($m, a = b, c; |x, y| x / y) }
            F64Min { a, b, c } => { f64op!($m, a = b, c; |x, y| float::min(x, y)) }
            F64Max { a, b, c } => { f64op!($m, a = b, c; |x, y| float::max(x, y)) }
            F64Copysign { a, b, c } => { f64op!($m, a = b, c; |x, y| x.copysign(y)) }
            F64Abs { a, b } => { unary!($m, a = b; |x| x & !(1 << 63)) }
            F64Neg { a, b } => { unary!($m, a = b; |x| x ^ (1 << 63)) }
            F64Sqrt { a, b } => { f64un!($m, a = b; |x| float::sqrt(x)) }
            F64Ceil { a, b } => { f64un!($m, a = b; |x| float::ceil(x)) }
            F64Floor { a, b } => { f64un!($m, a = b; |x| float::floor(x)) }
            F64Trunc { a, b } => { f64un!($m, a = b; |x| float::trunc(x)) }
            F64Nearest { a, b } => { f64un!($m, a = b; |x| float::nearest(x)) }
            F64Eq { a, b, c } => { f64cmp!($m, a = b, c; |x, y| x == y) }
            F64Ne { a, b, c } => { f64cmp!($m, a = b, c; |x, y| x != y) }
            F64Lt { a, b, c } => { f64cmp!($m, a = b, c; |x, y| x < y) }
            F64Gt { a, b, c } => { f64cmp!($m, a = b, c; |x, y| x > y) }
            F64Le { a, b, c } => { f64cmp!($m, a = b, c; |x, y| x <= y) }
            F64Ge { a, b, c } => { f64cmp!($m, a = b, c; |x, y| x >= y) }
            // Conversions.
            I32WrapI64 { a, b } => { unary!($m, a = b; |x| x as u32 as u64) }
            I32TruncF32S { a, b } => {
                unary!($m, a = b; |x| try_trap!($m, float::to_i32(f32b(x))) as u64)
            }
            I32TruncF32U { a, b } => {
                unary!($m, a = b; |x| try_trap!($m, float::to_u32(f32b(x))) as u64)
            }
            I32TruncF64S { a, b } => {
                unary!($m, a = b; |x| try_trap!($m, float::to_i32(f64::from_bits(x))) as u64)
            }
            I32TruncF64U { a, b } => {
                unary!($m, a = b; |x| try_trap!($m, float::to_u32(f64::from_bits(x))) as u64)
            }
            I64TruncF32S { a, b } => { unary!($m, a = b; |x| try_trap!($m, float::to_i64(f32b(x)))) }
            I64TruncF32U { a, b } => { unary!($m, a = b; |x| try_trap!($m, float::to_u64(f32b(x)))) }
            I64TruncF64S { a, b } => {
                unary!($m, a = b; |x| try_trap!($m, float::to_i64(f64::from_bits(x))))
            }
            I64TruncF64U { a, b } => {
                unary!($m, a = b; |x| try_trap!($m, float::to_u64(f64::from_bits(x))))
            }
            I32TruncSatF32S { a, b } => { unary!($m, a = b; |x| f32b(x) as i32 as u32 as u64) }
            I32TruncSatF32U { a, b } => { unary!($m, a = b; |x| f32b(x) as u32 as u64) }
            I32TruncSatF64S { a, b } => {
                unary!($m, a = b; |x| f64::from_bits(x) as i32 as u32 as u64)
            }
            I32TruncSatF64U { a, b } => { unary!($m, a = b; |x| f64::from_bits(x) as u32 as u64) }
            I64TruncSatF32S { a, b } => { unary!($m, a = b; |x| f32b(x) as i64 as u64) }
            I64TruncSatF32U { a, b } => { unary!($m, a = b; |x| f32b(x) as u64) }
            I64TruncSatF64S { a, b } => { unary!($m, a = b; |x| f64::from_bits(x) as i64 as u64) }
            I64TruncSatF64U { a, b } => { unary!($m, a = b; |x| f64::from_bits(x) as u64) }
            F32ConvertI32S { a, b } => { unary!($m, a = b; |x| f32bits(x as i32 as f32)) }
            F32ConvertI32U { a, b } => { unary!($m, a = b; |x| f32bits(x as u32 as f32)) }
            F32ConvertI64S { a, b } => { unary!($m, a = b; |x| f32bits(x as i64 as f32)) }
            F32ConvertI64U { a, b } => { unary!($m, a = b; |x| f32bits(x as f32)) }
            F64ConvertI32S { a, b } => { unary!($m, a = b; |x| (x as i32 as f64).to_bits()) }
            F64ConvertI32U { a, b } => { unary!($m, a = b; |x| (x as u32 as f64).to_bits()) }
            F64ConvertI64S { a, b } => { unary!($m, a = b; |x| (x as i64 as f64).to_bits()) }
            F64ConvertI64U { a, b } => { unary!($m, a = b; |x| (x as f64).to_bits()) }
            F32DemoteF64 { a, b } => { unary!($m, a = b; |x| f32bits(f64::from_bits(x) as f32)) }
            F64PromoteF32 { a, b } => {
                unary!($m, a = b; |x| (f32::from_bits(x as u32) as f64).to_bits())
            }
            // Memory.
            Load8U { a, b, c } => { load!($m, a = b, c; 1, |x| x[0] as u64) }
            I32Load8S { a, b, c } => { load!($m, a = b, c; 1, |x| x[0] as i8 as u32 as u64) }
            I64Load8S { a, b, c } => { load!($m, a = b, c; 1, |x| x[0] as i8 as u64) }
            Load16U { a, b, c } => { load!($m, a = b, c; 2, |x| u16::from_le_bytes(x) as u64) }
            I32Load16S { a, b, c } => {
                load!($m, a = b, c; 2, |x| i16::from_le_bytes(x) as u32 as u64)
            }
            I64Load16S { a, b, c } => { load!($m, a = b, c; 2, |x| i16::from_le_bytes(x) as u64) }
            Load32U { a, b, c } => { load!($m, a = b, c; 4, |x| u32::from_le_bytes(x) as u64) }
            I64Load32S { a, b, c } => { load!($m, a = b, c; 4, |x| i32::from_le_bytes(x) as u64) }
            Load64 { a, b, c } => { load!($m, a = b, c; 8, |x| u64::from_le_bytes(x)) }
            Store8 { a, b, c } => { store!($m, a, b, c; u8) }
            Store16 { a, b, c } => { store!($m, a, b, c; u16) }
            Store32 { a, b, c } => { store!($m, a, b, c; u32) }
            Store64 { a, b, c } => { store!($m, a, b, c; u64) }
            MemorySize { a } => { set!($m, a, memory!($m).size() / PAGE_SIZE) }
            MemoryGrow { a, b } => {
                let (pages, result) = (get!($m, b) as u32, reg_index!($m, a));
                stop_after!($m, Stop::MemoryGrow { pages, result })
            }
            MemoryCopy { a, b, c } => { bulk!($m, copy, a, b, c) }
            MemoryFill { a, b, c } => { bulk!($m, fill, a, b, c) }
            // Tables and references.
            TableGet { a, b, c } => {
                let slot = table_slot(module!($m), context!($m), c.0, get!($m, b));
                let slot = try_trap!($m, slot);
                set!($m, a, context!($m)[slot])
            }
            TableSet { a, b, c } => {
                let slot = table_slot(module!($m), context!($m), c.0, get!($m, b));
                let (slot, v) = (try_trap!($m, slot), get!($m, a));
                context!($m)[slot] = v
            }
            TableSize { a, b } => {
                let offset = module!($m).tables()[b.0 as usize].context_offset;
                set!($m, a, context!($m)[offset])
            }
            TableGrow { a, b, c } => {
                let (value, n) = (get!($m, a), get!($m, b) as u32);
                let old = table_grow(module!($m), context!($m), c.0, value, n);
                set!($m, a, old.unwrap_or(u32::MAX as u64))
            }
            RefNull { a } => { set!($m, a, NULL_REF) }
            RefIsNull { a, b } => { set!($m, a, (get!($m, b) == NULL_REF) as u64) }
            RefFunc { a, bc } => { set!($m, a, bc.0 as u64) }
            // Superinstructions.
            I64IncBrLtS { a, b, c } => {
                let i = get!($m, a).wrapping_add(1);
                set!($m, a, i);
                branch!($m, (i as i64) < get!($m, b) as i64, c.0)
            }
            Load64X8 { a, b, c } => {
                let address = get!($m, b).wrapping_add(get!($m, c).wrapping_mul(8));
                match memory!($m).load::<8>(address) {
                    Ok(x) => set!($m, a, u64::from_le_bytes(x)),
                    Err(fault) => stop!($m, Stop::Fault(fault)),
                }
            }
            // Segments, table bulk operations and calls through references.
            MemoryInit { a } => { bulk!($m, init, a, a, a) }
            TableInit { a, b } => {
                let r = |k: u16| selvm_bytecode::operand::Reg(a.0 + k);
                let args = [get!($m, a), get!($m, r(1)), get!($m, r(2)), get!($m, r(3))];
                try_trap!($m, table_init(module!($m), context!($m), b.0, args))
            }
            TableCopy { a, b, c } => {
                let r = |k: u16| selvm_bytecode::operand::Reg(a.0 + k);
                let args = [get!($m, a), get!($m, r(1)), get!($m, r(2))];
                try_trap!($m, table_copy(module!($m), context!($m), b.0, c.0, args))
            }
            TableFill { a, b } => {
                let r = |k: u16| selvm_bytecode::operand::Reg(a.0 + k);
                let args = [get!($m, a), get!($m, r(1)), get!($m, r(2))];
                try_trap!($m, table_fill(module!($m), context!($m), b.0, args))
            }
            CallRef { a, b, c } => {
                let callee = resolve_ref(module!($m), get!($m, b), c.0 as u32);
                call!($m, a, try_trap!($m, callee))
            }
            // Immediate forms.
            I32RotlImm { a, b, c } => { i32imm!($m, a = b, c; |x, k| x.rotate_left(k % 32)) }
            I64RotlImm { a, b, c } => {
                i64imm!($m, a = b, c; |x, k| x.rotate_left((k % 64) as u32))
            }
        }
    };
}
