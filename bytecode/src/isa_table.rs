// The instruction table (included by `isa.rs`). One line per op:
//   Name "mnemonic" (field: Kind, ...) "semantics";
// Opcodes are assigned in this order, starting at 0: new ops go at the END of the table
// (in a new group or the last one), so existing opcodes never change; inserting into an
// earlier group renumbers everything after it and needs a format version bump.
isa! {
group "Control" {
    Nop "nop" () "Does nothing.";
    Trap "trap" (a: U16) "Stops the thread with program trap code `a` (0 is WebAssembly's `unreachable`).";
    Jump "jump" (bc: Jump32) "pc += bc.";
    BrIf "br_if" (a: Reg, bc: Jump32) "If i32(a) ≠ 0: pc += bc.";
    BrUnless "br_unless" (a: Reg, bc: Jump32) "If i32(a) = 0: pc += bc.";
    BrTable "br_table" (a: Reg, bc: Count) "Followed by bc + 1 `br_table.entry` words: jumps through entry min(i32(a) as unsigned, bc); the last is the default.";
    BrTableEntry "br_table.entry" (bc: Jump32) "A jump table entry with target (this word + bc); only valid right after `br_table`, never executed.";
    Call "call" (a: Reg, bc: Func) "Calls function bc; its frame starts at register a, so arguments are in a… and results come back in a….";
    CallIndirect "call_indirect" (a: Reg, b: Reg, c: Type) "Calls element i32(b) of table 0, which must be a function of signature c (else a trap); frame as for `call`.";
    Return "return" (a: Reg, b: U16) "Returns registers a…a+b-1 as the results (b equals the function's result count).";
    Syscall "syscall" (a: Reg, b: U16, c: U16) "Stops the thread for the embedder: system call c with the b registers a…; resumes after it.";
}
group "Fused compare and branch" {
    I32BrEq "i32.br_eq" (a: Reg, b: Reg, c: Jump16) "If i32(a) = i32(b): pc += c.";
    I32BrNe "i32.br_ne" (a: Reg, b: Reg, c: Jump16) "If i32(a) ≠ i32(b): pc += c.";
    I32BrLtS "i32.br_lt_s" (a: Reg, b: Reg, c: Jump16) "If i32(a) < i32(b) (signed): pc += c.";
    I32BrLtU "i32.br_lt_u" (a: Reg, b: Reg, c: Jump16) "If i32(a) < i32(b) (unsigned): pc += c.";
    I32BrLeS "i32.br_le_s" (a: Reg, b: Reg, c: Jump16) "If i32(a) ≤ i32(b) (signed): pc += c.";
    I32BrLeU "i32.br_le_u" (a: Reg, b: Reg, c: Jump16) "If i32(a) ≤ i32(b) (unsigned): pc += c.";
    I64BrEq "i64.br_eq" (a: Reg, b: Reg, c: Jump16) "If a = b: pc += c.";
    I64BrNe "i64.br_ne" (a: Reg, b: Reg, c: Jump16) "If a ≠ b: pc += c.";
    I64BrLtS "i64.br_lt_s" (a: Reg, b: Reg, c: Jump16) "If a < b (signed): pc += c.";
    I64BrLtU "i64.br_lt_u" (a: Reg, b: Reg, c: Jump16) "If a < b (unsigned): pc += c.";
    I64BrLeS "i64.br_le_s" (a: Reg, b: Reg, c: Jump16) "If a ≤ b (signed): pc += c.";
    I64BrLeU "i64.br_le_u" (a: Reg, b: Reg, c: Jump16) "If a ≤ b (unsigned): pc += c.";
    I32BrEqImm "i32.br_eq_imm" (a: Reg, b: I16, c: Jump16) "If i32(a) = sext(b): pc += c.";
    I32BrNeImm "i32.br_ne_imm" (a: Reg, b: I16, c: Jump16) "If i32(a) ≠ sext(b): pc += c.";
    I32BrLtSImm "i32.br_lt_s_imm" (a: Reg, b: I16, c: Jump16) "If i32(a) < sext(b) (signed): pc += c.";
    I32BrLtUImm "i32.br_lt_u_imm" (a: Reg, b: I16, c: Jump16) "If i32(a) < sext(b) (unsigned): pc += c.";
    I32BrGtSImm "i32.br_gt_s_imm" (a: Reg, b: I16, c: Jump16) "If i32(a) > sext(b) (signed): pc += c.";
    I32BrGtUImm "i32.br_gt_u_imm" (a: Reg, b: I16, c: Jump16) "If i32(a) > sext(b) (unsigned): pc += c.";
    I64BrEqImm "i64.br_eq_imm" (a: Reg, b: I16, c: Jump16) "If a = sext(b): pc += c.";
    I64BrNeImm "i64.br_ne_imm" (a: Reg, b: I16, c: Jump16) "If a ≠ sext(b): pc += c.";
    I64BrLtSImm "i64.br_lt_s_imm" (a: Reg, b: I16, c: Jump16) "If a < sext(b) (signed): pc += c.";
    I64BrLtUImm "i64.br_lt_u_imm" (a: Reg, b: I16, c: Jump16) "If a < sext(b) (unsigned): pc += c.";
    I64BrGtSImm "i64.br_gt_s_imm" (a: Reg, b: I16, c: Jump16) "If a > sext(b) (signed): pc += c.";
    I64BrGtUImm "i64.br_gt_u_imm" (a: Reg, b: I16, c: Jump16) "If a > sext(b) (unsigned): pc += c.";
}
group "Constants, moves and globals" {
    Mov "mov" (a: Reg, b: Reg) "a = b (also every reinterpret cast).";
    I32Const "i32.const" (a: Reg, bc: I32) "a = bc as a 32-bit value.";
    I64Const "i64.const" (a: Reg, bc: I32) "a = sext(bc) (64 bits).";
    F32Const "f32.const" (a: Reg, bc: F32) "a = the f32 whose bits are bc.";
    Ldc "ldc" (a: Reg, bc: Const) "a = constant pool entry bc (any 64-bit value: i64, f64).";
    Select "select" (a: Reg, b: Reg, c: Reg) "If i32(c) ≠ 0: a = b (else a keeps its value).";
    GlobalGet "global.get" (a: Reg, bc: Global) "a = global bc (globals belong to the thread).";
    GlobalSet "global.set" (a: Reg, bc: Global) "global bc = a (the global must be mutable).";
}
group "i32 arithmetic" {
    I32Add "i32.add" (a: Reg, b: Reg, c: Reg) "a = b + c (wrapping).";
    I32Sub "i32.sub" (a: Reg, b: Reg, c: Reg) "a = b - c (wrapping).";
    I32Mul "i32.mul" (a: Reg, b: Reg, c: Reg) "a = b × c (wrapping).";
    I32DivS "i32.div_s" (a: Reg, b: Reg, c: Reg) "a = b / c signed, toward zero; traps on c = 0 and on overflow.";
    I32DivU "i32.div_u" (a: Reg, b: Reg, c: Reg) "a = b / c unsigned; traps on c = 0.";
    I32RemS "i32.rem_s" (a: Reg, b: Reg, c: Reg) "a = b rem c signed (sign of b); traps on c = 0.";
    I32RemU "i32.rem_u" (a: Reg, b: Reg, c: Reg) "a = b rem c unsigned; traps on c = 0.";
    I32And "i32.and" (a: Reg, b: Reg, c: Reg) "a = b & c.";
    I32Or "i32.or" (a: Reg, b: Reg, c: Reg) "a = b | c.";
    I32Xor "i32.xor" (a: Reg, b: Reg, c: Reg) "a = b ^ c.";
    I32Shl "i32.shl" (a: Reg, b: Reg, c: Reg) "a = b << (c mod 32).";
    I32ShrS "i32.shr_s" (a: Reg, b: Reg, c: Reg) "a = b >> (c mod 32), arithmetic.";
    I32ShrU "i32.shr_u" (a: Reg, b: Reg, c: Reg) "a = b >> (c mod 32), logical.";
    I32Rotl "i32.rotl" (a: Reg, b: Reg, c: Reg) "a = b rotated left by c mod 32.";
    I32Rotr "i32.rotr" (a: Reg, b: Reg, c: Reg) "a = b rotated right by c mod 32.";
    I32Clz "i32.clz" (a: Reg, b: Reg) "a = leading zero bits of i32(b).";
    I32Ctz "i32.ctz" (a: Reg, b: Reg) "a = trailing zero bits of i32(b).";
    I32Popcnt "i32.popcnt" (a: Reg, b: Reg) "a = one bits of i32(b).";
    I32Eqz "i32.eqz" (a: Reg, b: Reg) "a = 1 if i32(b) = 0 else 0.";
    I32Extend8S "i32.extend8_s" (a: Reg, b: Reg) "a = low 8 bits of b sign-extended to 32 bits.";
    I32Extend16S "i32.extend16_s" (a: Reg, b: Reg) "a = low 16 bits of b sign-extended to 32 bits.";
    I32AddImm "i32.add_imm" (a: Reg, b: Reg, c: I16) "a = b + sext(c) (wrapping).";
    I32MulImm "i32.mul_imm" (a: Reg, b: Reg, c: I16) "a = b × sext(c) (wrapping).";
    I32AndImm "i32.and_imm" (a: Reg, b: Reg, c: I16) "a = b & sext(c).";
    I32OrImm "i32.or_imm" (a: Reg, b: Reg, c: I16) "a = b | sext(c).";
    I32XorImm "i32.xor_imm" (a: Reg, b: Reg, c: I16) "a = b ^ sext(c).";
    I32ShlImm "i32.shl_imm" (a: Reg, b: Reg, c: I16) "a = b << (c mod 32).";
    I32ShrSImm "i32.shr_s_imm" (a: Reg, b: Reg, c: I16) "a = b >> (c mod 32), arithmetic.";
    I32ShrUImm "i32.shr_u_imm" (a: Reg, b: Reg, c: I16) "a = b >> (c mod 32), logical.";
}
group "i32 comparisons (result 1 or 0)" {
    I32Eq "i32.eq" (a: Reg, b: Reg, c: Reg) "a = i32(b) = i32(c).";
    I32Ne "i32.ne" (a: Reg, b: Reg, c: Reg) "a = i32(b) ≠ i32(c).";
    I32LtS "i32.lt_s" (a: Reg, b: Reg, c: Reg) "a = b < c, signed.";
    I32LtU "i32.lt_u" (a: Reg, b: Reg, c: Reg) "a = b < c, unsigned.";
    I32GtS "i32.gt_s" (a: Reg, b: Reg, c: Reg) "a = b > c, signed.";
    I32GtU "i32.gt_u" (a: Reg, b: Reg, c: Reg) "a = b > c, unsigned.";
    I32LeS "i32.le_s" (a: Reg, b: Reg, c: Reg) "a = b ≤ c, signed.";
    I32LeU "i32.le_u" (a: Reg, b: Reg, c: Reg) "a = b ≤ c, unsigned.";
    I32GeS "i32.ge_s" (a: Reg, b: Reg, c: Reg) "a = b ≥ c, signed.";
    I32GeU "i32.ge_u" (a: Reg, b: Reg, c: Reg) "a = b ≥ c, unsigned.";
}
group "i64 arithmetic" {
    I64Add "i64.add" (a: Reg, b: Reg, c: Reg) "a = b + c (wrapping).";
    I64Sub "i64.sub" (a: Reg, b: Reg, c: Reg) "a = b - c (wrapping).";
    I64Mul "i64.mul" (a: Reg, b: Reg, c: Reg) "a = b × c (wrapping).";
    I64DivS "i64.div_s" (a: Reg, b: Reg, c: Reg) "a = b / c signed, toward zero; traps on c = 0 and on overflow.";
    I64DivU "i64.div_u" (a: Reg, b: Reg, c: Reg) "a = b / c unsigned; traps on c = 0.";
    I64RemS "i64.rem_s" (a: Reg, b: Reg, c: Reg) "a = b rem c signed (sign of b); traps on c = 0.";
    I64RemU "i64.rem_u" (a: Reg, b: Reg, c: Reg) "a = b rem c unsigned; traps on c = 0.";
    I64And "i64.and" (a: Reg, b: Reg, c: Reg) "a = b & c.";
    I64Or "i64.or" (a: Reg, b: Reg, c: Reg) "a = b | c.";
    I64Xor "i64.xor" (a: Reg, b: Reg, c: Reg) "a = b ^ c.";
    I64Shl "i64.shl" (a: Reg, b: Reg, c: Reg) "a = b << (c mod 64).";
    I64ShrS "i64.shr_s" (a: Reg, b: Reg, c: Reg) "a = b >> (c mod 64), arithmetic.";
    I64ShrU "i64.shr_u" (a: Reg, b: Reg, c: Reg) "a = b >> (c mod 64), logical.";
    I64Rotl "i64.rotl" (a: Reg, b: Reg, c: Reg) "a = b rotated left by c mod 64.";
    I64Rotr "i64.rotr" (a: Reg, b: Reg, c: Reg) "a = b rotated right by c mod 64.";
    I64Clz "i64.clz" (a: Reg, b: Reg) "a = leading zero bits of b.";
    I64Ctz "i64.ctz" (a: Reg, b: Reg) "a = trailing zero bits of b.";
    I64Popcnt "i64.popcnt" (a: Reg, b: Reg) "a = one bits of b.";
    I64Eqz "i64.eqz" (a: Reg, b: Reg) "a = 1 if b = 0 else 0.";
    I64Extend8S "i64.extend8_s" (a: Reg, b: Reg) "a = low 8 bits of b sign-extended.";
    I64Extend16S "i64.extend16_s" (a: Reg, b: Reg) "a = low 16 bits of b sign-extended.";
    I64Extend32S "i64.extend32_s" (a: Reg, b: Reg) "a = low 32 bits of b sign-extended (also `i64.extend_i32_s`).";
    I64AddImm "i64.add_imm" (a: Reg, b: Reg, c: I16) "a = b + sext(c) (wrapping).";
    I64MulImm "i64.mul_imm" (a: Reg, b: Reg, c: I16) "a = b × sext(c) (wrapping).";
    I64AndImm "i64.and_imm" (a: Reg, b: Reg, c: I16) "a = b & sext(c).";
    I64OrImm "i64.or_imm" (a: Reg, b: Reg, c: I16) "a = b | sext(c).";
    I64XorImm "i64.xor_imm" (a: Reg, b: Reg, c: I16) "a = b ^ sext(c).";
    I64ShlImm "i64.shl_imm" (a: Reg, b: Reg, c: I16) "a = b << (c mod 64).";
    I64ShrSImm "i64.shr_s_imm" (a: Reg, b: Reg, c: I16) "a = b >> (c mod 64), arithmetic.";
    I64ShrUImm "i64.shr_u_imm" (a: Reg, b: Reg, c: I16) "a = b >> (c mod 64), logical.";
}
group "i64 comparisons (result 1 or 0)" {
    I64Eq "i64.eq" (a: Reg, b: Reg, c: Reg) "a = b = c.";
    I64Ne "i64.ne" (a: Reg, b: Reg, c: Reg) "a = b ≠ c.";
    I64LtS "i64.lt_s" (a: Reg, b: Reg, c: Reg) "a = b < c, signed.";
    I64LtU "i64.lt_u" (a: Reg, b: Reg, c: Reg) "a = b < c, unsigned.";
    I64GtS "i64.gt_s" (a: Reg, b: Reg, c: Reg) "a = b > c, signed.";
    I64GtU "i64.gt_u" (a: Reg, b: Reg, c: Reg) "a = b > c, unsigned.";
    I64LeS "i64.le_s" (a: Reg, b: Reg, c: Reg) "a = b ≤ c, signed.";
    I64LeU "i64.le_u" (a: Reg, b: Reg, c: Reg) "a = b ≤ c, unsigned.";
    I64GeS "i64.ge_s" (a: Reg, b: Reg, c: Reg) "a = b ≥ c, signed.";
    I64GeU "i64.ge_u" (a: Reg, b: Reg, c: Reg) "a = b ≥ c, unsigned.";
}
group "f32 arithmetic (IEEE 754, WebAssembly NaN rules)" {
    F32Add "f32.add" (a: Reg, b: Reg, c: Reg) "a = b + c.";
    F32Sub "f32.sub" (a: Reg, b: Reg, c: Reg) "a = b - c.";
    F32Mul "f32.mul" (a: Reg, b: Reg, c: Reg) "a = b × c.";
    F32Div "f32.div" (a: Reg, b: Reg, c: Reg) "a = b / c.";
    F32Min "f32.min" (a: Reg, b: Reg, c: Reg) "a = min(b, c): NaN if either is NaN, -0 < +0.";
    F32Max "f32.max" (a: Reg, b: Reg, c: Reg) "a = max(b, c): NaN if either is NaN, -0 < +0.";
    F32Copysign "f32.copysign" (a: Reg, b: Reg, c: Reg) "a = b with the sign of c.";
    F32Abs "f32.abs" (a: Reg, b: Reg) "a = |b| (clears the sign bit).";
    F32Neg "f32.neg" (a: Reg, b: Reg) "a = -b (flips the sign bit).";
    F32Sqrt "f32.sqrt" (a: Reg, b: Reg) "a = √b, correctly rounded.";
    F32Ceil "f32.ceil" (a: Reg, b: Reg) "a = b rounded toward +∞.";
    F32Floor "f32.floor" (a: Reg, b: Reg) "a = b rounded toward -∞.";
    F32Trunc "f32.trunc" (a: Reg, b: Reg) "a = b rounded toward zero.";
    F32Nearest "f32.nearest" (a: Reg, b: Reg) "a = b rounded to the nearest integer, ties to even.";
}
group "f32 comparisons (result 1 or 0; false if a NaN is involved, except ne)" {
    F32Eq "f32.eq" (a: Reg, b: Reg, c: Reg) "a = b = c.";
    F32Ne "f32.ne" (a: Reg, b: Reg, c: Reg) "a = b ≠ c.";
    F32Lt "f32.lt" (a: Reg, b: Reg, c: Reg) "a = b < c.";
    F32Gt "f32.gt" (a: Reg, b: Reg, c: Reg) "a = b > c.";
    F32Le "f32.le" (a: Reg, b: Reg, c: Reg) "a = b ≤ c.";
    F32Ge "f32.ge" (a: Reg, b: Reg, c: Reg) "a = b ≥ c.";
}
group "f64 arithmetic (IEEE 754, WebAssembly NaN rules)" {
    F64Add "f64.add" (a: Reg, b: Reg, c: Reg) "a = b + c.";
    F64Sub "f64.sub" (a: Reg, b: Reg, c: Reg) "a = b - c.";
    F64Mul "f64.mul" (a: Reg, b: Reg, c: Reg) "a = b × c.";
    F64Div "f64.div" (a: Reg, b: Reg, c: Reg) "a = b / c.";
    F64Min "f64.min" (a: Reg, b: Reg, c: Reg) "a = min(b, c): NaN if either is NaN, -0 < +0.";
    F64Max "f64.max" (a: Reg, b: Reg, c: Reg) "a = max(b, c): NaN if either is NaN, -0 < +0.";
    F64Copysign "f64.copysign" (a: Reg, b: Reg, c: Reg) "a = b with the sign of c.";
    F64Abs "f64.abs" (a: Reg, b: Reg) "a = |b| (clears the sign bit).";
    F64Neg "f64.neg" (a: Reg, b: Reg) "a = -b (flips the sign bit).";
    F64Sqrt "f64.sqrt" (a: Reg, b: Reg) "a = √b, correctly rounded.";
    F64Ceil "f64.ceil" (a: Reg, b: Reg) "a = b rounded toward +∞.";
    F64Floor "f64.floor" (a: Reg, b: Reg) "a = b rounded toward -∞.";
    F64Trunc "f64.trunc" (a: Reg, b: Reg) "a = b rounded toward zero.";
    F64Nearest "f64.nearest" (a: Reg, b: Reg) "a = b rounded to the nearest integer, ties to even.";
}
group "f64 comparisons (result 1 or 0; false if a NaN is involved, except ne)" {
    F64Eq "f64.eq" (a: Reg, b: Reg, c: Reg) "a = b = c.";
    F64Ne "f64.ne" (a: Reg, b: Reg, c: Reg) "a = b ≠ c.";
    F64Lt "f64.lt" (a: Reg, b: Reg, c: Reg) "a = b < c.";
    F64Gt "f64.gt" (a: Reg, b: Reg, c: Reg) "a = b > c.";
    F64Le "f64.le" (a: Reg, b: Reg, c: Reg) "a = b ≤ c.";
    F64Ge "f64.ge" (a: Reg, b: Reg, c: Reg) "a = b ≥ c.";
}
group "Conversions" {
    I32WrapI64 "i32.wrap_i64" (a: Reg, b: Reg) "a = i32(b), zero-extended (also `i64.extend_i32_u`).";
    I32TruncF32S "i32.trunc_f32_s" (a: Reg, b: Reg) "a = f32 b truncated to signed i32; traps on NaN or out of range.";
    I32TruncF32U "i32.trunc_f32_u" (a: Reg, b: Reg) "a = f32 b truncated to unsigned i32; traps on NaN or out of range.";
    I32TruncF64S "i32.trunc_f64_s" (a: Reg, b: Reg) "a = f64 b truncated to signed i32; traps on NaN or out of range.";
    I32TruncF64U "i32.trunc_f64_u" (a: Reg, b: Reg) "a = f64 b truncated to unsigned i32; traps on NaN or out of range.";
    I64TruncF32S "i64.trunc_f32_s" (a: Reg, b: Reg) "a = f32 b truncated to signed i64; traps on NaN or out of range.";
    I64TruncF32U "i64.trunc_f32_u" (a: Reg, b: Reg) "a = f32 b truncated to unsigned i64; traps on NaN or out of range.";
    I64TruncF64S "i64.trunc_f64_s" (a: Reg, b: Reg) "a = f64 b truncated to signed i64; traps on NaN or out of range.";
    I64TruncF64U "i64.trunc_f64_u" (a: Reg, b: Reg) "a = f64 b truncated to unsigned i64; traps on NaN or out of range.";
    I32TruncSatF32S "i32.trunc_sat_f32_s" (a: Reg, b: Reg) "As `i32.trunc_f32_s`, but NaN gives 0 and out-of-range values saturate.";
    I32TruncSatF32U "i32.trunc_sat_f32_u" (a: Reg, b: Reg) "As `i32.trunc_f32_u`, but NaN gives 0 and out-of-range values saturate.";
    I32TruncSatF64S "i32.trunc_sat_f64_s" (a: Reg, b: Reg) "As `i32.trunc_f64_s`, but NaN gives 0 and out-of-range values saturate.";
    I32TruncSatF64U "i32.trunc_sat_f64_u" (a: Reg, b: Reg) "As `i32.trunc_f64_u`, but NaN gives 0 and out-of-range values saturate.";
    I64TruncSatF32S "i64.trunc_sat_f32_s" (a: Reg, b: Reg) "As `i64.trunc_f32_s`, but NaN gives 0 and out-of-range values saturate.";
    I64TruncSatF32U "i64.trunc_sat_f32_u" (a: Reg, b: Reg) "As `i64.trunc_f32_u`, but NaN gives 0 and out-of-range values saturate.";
    I64TruncSatF64S "i64.trunc_sat_f64_s" (a: Reg, b: Reg) "As `i64.trunc_f64_s`, but NaN gives 0 and out-of-range values saturate.";
    I64TruncSatF64U "i64.trunc_sat_f64_u" (a: Reg, b: Reg) "As `i64.trunc_f64_u`, but NaN gives 0 and out-of-range values saturate.";
    F32ConvertI32S "f32.convert_i32_s" (a: Reg, b: Reg) "a = signed i32(b) rounded to f32.";
    F32ConvertI32U "f32.convert_i32_u" (a: Reg, b: Reg) "a = unsigned i32(b) rounded to f32.";
    F32ConvertI64S "f32.convert_i64_s" (a: Reg, b: Reg) "a = signed b rounded to f32.";
    F32ConvertI64U "f32.convert_i64_u" (a: Reg, b: Reg) "a = unsigned b rounded to f32.";
    F64ConvertI32S "f64.convert_i32_s" (a: Reg, b: Reg) "a = signed i32(b) as f64.";
    F64ConvertI32U "f64.convert_i32_u" (a: Reg, b: Reg) "a = unsigned i32(b) as f64.";
    F64ConvertI64S "f64.convert_i64_s" (a: Reg, b: Reg) "a = signed b rounded to f64.";
    F64ConvertI64U "f64.convert_i64_u" (a: Reg, b: Reg) "a = unsigned b rounded to f64.";
    F32DemoteF64 "f32.demote_f64" (a: Reg, b: Reg) "a = f64 b rounded to f32.";
    F64PromoteF32 "f64.promote_f32" (a: Reg, b: Reg) "a = f32 b as f64.";
}
group "Memory (effective address b + c; a fault stops the thread before anything changes)" {
    Load8U "load8_u" (a: Reg, b: Reg, c: U16) "a = mem8[b + c] zero-extended (i32 and i64).";
    I32Load8S "i32.load8_s" (a: Reg, b: Reg, c: U16) "a = mem8[b + c] sign-extended to 32 bits.";
    I64Load8S "i64.load8_s" (a: Reg, b: Reg, c: U16) "a = mem8[b + c] sign-extended to 64 bits.";
    Load16U "load16_u" (a: Reg, b: Reg, c: U16) "a = mem16[b + c] zero-extended (i32 and i64).";
    I32Load16S "i32.load16_s" (a: Reg, b: Reg, c: U16) "a = mem16[b + c] sign-extended to 32 bits.";
    I64Load16S "i64.load16_s" (a: Reg, b: Reg, c: U16) "a = mem16[b + c] sign-extended to 64 bits.";
    Load32U "load32_u" (a: Reg, b: Reg, c: U16) "a = mem32[b + c] zero-extended (i32.load, f32.load, i64.load32_u).";
    I64Load32S "i64.load32_s" (a: Reg, b: Reg, c: U16) "a = mem32[b + c] sign-extended to 64 bits.";
    Load64 "load64" (a: Reg, b: Reg, c: U16) "a = mem64[b + c] (i64.load, f64.load).";
    Store8 "store8" (a: Reg, b: Reg, c: U16) "mem8[b + c] = low 8 bits of a.";
    Store16 "store16" (a: Reg, b: Reg, c: U16) "mem16[b + c] = low 16 bits of a.";
    Store32 "store32" (a: Reg, b: Reg, c: U16) "mem32[b + c] = low 32 bits of a.";
    Store64 "store64" (a: Reg, b: Reg, c: U16) "mem64[b + c] = a.";
    MemorySize "memory.size" (a: Reg) "a = the memory's size in 64 KiB pages.";
    MemoryGrow "memory.grow" (a: Reg, b: Reg) "Stops the thread for the embedder to grow memory by i32(b) pages; it sets a = old size in pages or -1 (i32).";
    MemoryCopy "memory.copy" (a: Reg, b: Reg, c: Reg) "Copies i32(c) bytes from b to a (overlap allowed), in chunks; the registers (three distinct ones) track progress, so it resumes after a stop.";
    MemoryFill "memory.fill" (a: Reg, b: Reg, c: Reg) "Sets i32(c) bytes at a to the low 8 bits of b, in chunks; the registers (three distinct ones) track progress, so it resumes after a stop.";
}
group "Tables and references (a null reference is all ones)" {
    TableGet "table.get" (a: Reg, b: Reg, c: Table) "a = element i32(b) of table c; traps if out of bounds.";
    TableSet "table.set" (a: Reg, b: Reg, c: Table) "Element i32(b) of table c = a; traps if out of bounds.";
    TableSize "table.size" (a: Reg, b: Table) "a = the size of table b.";
    TableGrow "table.grow" (a: Reg, b: Reg, c: Table) "Grows table c by i32(b) elements set to a; a = old size, or -1 (i32) beyond the table's maximum.";
    RefNull "ref.null" (a: Reg) "a = the null reference.";
    RefIsNull "ref.is_null" (a: Reg, b: Reg) "a = 1 if b is the null reference else 0.";
    RefFunc "ref.func" (a: Reg, bc: Func) "a = a reference to function bc.";
}
group "Superinstructions (each replaces a pair chosen by measured dynamic counts, docs/benchmarks.md)" {
    I64IncBrLtS "i64.inc_br_lt_s" (a: Reg, b: Reg, c: Jump16) "a = a + 1 (wrapping); if a < b (signed): pc += c. A counted loop's step and test (`i64.add_imm a, a, 1` + `i64.br_lt_s a, b, c`).";
    Load64X8 "load64.x8" (a: Reg, b: Reg, c: Reg) "a = mem64[b + 8 × c] (wrapping): an f64/i64 array element (`i64.shl_imm t, c, 3` + `i64.add t, t, b` + `load64 a, t, 0`).";
}
group "Segments, table bulk operations and calls through references" {
    MemoryInit "memory.init" (a: Reg) "Copies i32(a+2) bytes from byte i32(a+1) of the data segment whose descriptor is a+3 to address a, in chunks; a…a+2 track progress, so it resumes after a stop.";
    TableInit "table.init" (a: Reg, b: Table) "Copies i32(a+2) elements from element i32(a+1) of the element segment whose descriptor is a+3 to table b from index i32(a); traps if either range is out of bounds.";
    TableCopy "table.copy" (a: Reg, b: Table, c: Table) "Copies i32(a+2) elements of table c from index i32(a+1) to table b from index i32(a) (overlap allowed); traps if either range is out of bounds.";
    TableFill "table.fill" (a: Reg, b: Table) "Sets i32(a+2) elements of table b from index i32(a) to a+1; traps if out of bounds.";
    CallRef "call_ref" (a: Reg, b: Reg, c: Type) "Calls the function referenced by b, which must be of signature c (else a trap); frame as for `call`.";
}
group "Immediate forms chosen by measured dynamic counts (docs/benchmarks.md)" {
    I32RotlImm "i32.rotl_imm" (a: Reg, b: Reg, c: I16) "a = b rotated left by (c mod 32) bits (i32); `i32.rotr` by k is `i32.rotl_imm` by 32 - k.";
    I64RotlImm "i64.rotl_imm" (a: Reg, b: Reg, c: I16) "a = b rotated left by (c mod 64) bits; `i64.rotr` by k is `i64.rotl_imm` by 64 - k.";
}
}
