//! `memory.copy`, `memory.fill` and `memory.init`: restartable bulk operations. The operand registers
//! hold the remaining work and are updated after every chunk, so a stop (budget, fault)
//! leaves the instruction ready to resume; bounds of the remaining range are checked
//! before any byte of it is written.

use crate::memory::{Access, CHUNK, Fault, Memory};
use crate::segment::{self, Payload};
use crate::thread::Trap;

/// Whether the operation finished or ran out of budget (it resumes when run again).
pub(crate) enum Bulk {
    Done,
    OutOfBudget,
    /// A check before any byte was written failed (`memory.init`'s segment range).
    Trapped(Trap),
}

/// Registers holding a bulk operation's operands (destination, source or byte, length).
type Operands = (usize, usize, usize);

/// [`copy_chunks`] with the fuel passed and returned by value, so the interpreter's
/// fuel never has its address taken and can stay in a register.
#[cold]
#[inline(never)]
pub(crate) fn copy<M: Memory>(
    memory: &mut M,
    _constants: &[u64],
    regs: &mut [u64],
    operands: Operands,
    mut fuel: u64,
) -> (Result<Bulk, Fault>, u64) {
    (copy_chunks(memory, regs, operands, &mut fuel), fuel)
}

/// [`fill_chunks`], fuel by value.
#[cold]
#[inline(never)]
pub(crate) fn fill<M: Memory>(
    memory: &mut M,
    _constants: &[u64],
    regs: &mut [u64],
    operands: Operands,
    mut fuel: u64,
) -> (Result<Bulk, Fault>, u64) {
    (fill_chunks(memory, regs, operands, &mut fuel), fuel)
}

/// [`init_chunks`], fuel by value. `operands.0` is the first of the instruction's four
/// consecutive registers (the other two are ignored).
#[cold]
#[inline(never)]
pub(crate) fn init<M: Memory>(
    memory: &mut M,
    constants: &[u64],
    regs: &mut [u64],
    operands: Operands,
    mut fuel: u64,
) -> (Result<Bulk, Fault>, u64) {
    (
        init_chunks(memory, constants, regs, operands.0, &mut fuel),
        fuel,
    )
}

/// Copies `len` bytes from byte `src` of the data segment named by descriptor `desc` to
/// `dst` (registers `a`, `a + 1`, `a + 2`, `a + 3`). The segment range is checked first
/// (it is unchanged by progress: `src + len` stays the same), then the memory range.
fn init_chunks<M: Memory>(
    memory: &mut M,
    constants: &[u64],
    regs: &mut [u64],
    a: usize,
    fuel: &mut u64,
) -> Result<Bulk, Fault> {
    let (mut dst, mut src, mut len) = (
        regs[a],
        regs[a + 1] as u32 as u64,
        regs[a + 2] as u32 as u64,
    );
    let first = match segment::range(constants, regs[a + 3], Payload::Bytes, src, len) {
        Ok(first) => first,
        Err(trap) => return Ok(Bulk::Trapped(trap)),
    };
    memory.check(dst, len, Access::Write)?;
    while len > 0 {
        let n = len.min(CHUNK as u64);
        let mut i = 0;
        while i + 8 <= n {
            let word: [u8; 8] =
                core::array::from_fn(|k| segment::byte(constants, first, src + i + k as u64));
            memory.store(dst.wrapping_add(i), word)?;
            i += 8;
        }
        while i < n {
            memory.store(
                dst.wrapping_add(i),
                [segment::byte(constants, first, src + i)],
            )?;
            i += 1;
        }
        dst = dst.wrapping_add(n);
        src += n;
        len -= n;
        (regs[a], regs[a + 1], regs[a + 2]) = (dst, src, len);
        if len > 0 {
            if *fuel == 0 {
                return Ok(Bulk::OutOfBudget);
            }
            *fuel -= 1;
        }
    }
    Ok(Bulk::Done)
}

/// Copies `len` bytes from `src` to `dst` (registers `d`, `s`, `l`); overlapping ranges
/// copy as if through a buffer: backwards, from the end, when `dst` lies inside the
/// source range.
fn copy_chunks<M: Memory>(
    memory: &mut M,
    regs: &mut [u64],
    (d, s, l): (usize, usize, usize),
    fuel: &mut u64,
) -> Result<Bulk, Fault> {
    let (mut dst, mut src, mut len) = (regs[d], regs[s], regs[l] as u32 as u64);
    memory.check(src, len, Access::Read)?;
    memory.check(dst, len, Access::Write)?;
    while len > 0 {
        let n = len.min(CHUNK as u64);
        if src < dst && dst - src < len {
            let back = len - n;
            memory.copy(dst.wrapping_add(back), src.wrapping_add(back), n as usize)?;
        } else {
            memory.copy(dst, src, n as usize)?;
            dst = dst.wrapping_add(n);
            src = src.wrapping_add(n);
        }
        len -= n;
        (regs[d], regs[s], regs[l]) = (dst, src, len);
        if len > 0 {
            if *fuel == 0 {
                return Ok(Bulk::OutOfBudget);
            }
            *fuel -= 1;
        }
    }
    Ok(Bulk::Done)
}

/// Sets `len` bytes at `dst` to `byte` (registers `d`, `v`, `l`).
fn fill_chunks<M: Memory>(
    memory: &mut M,
    regs: &mut [u64],
    (d, v, l): (usize, usize, usize),
    fuel: &mut u64,
) -> Result<Bulk, Fault> {
    let (mut dst, byte, mut len) = (regs[d], regs[v] as u8, regs[l] as u32 as u64);
    memory.check(dst, len, Access::Write)?;
    while len > 0 {
        let n = len.min(CHUNK as u64);
        memory.fill(dst, byte, n as usize)?;
        dst = dst.wrapping_add(n);
        len -= n;
        (regs[d], regs[l]) = (dst, len);
        if len > 0 {
            if *fuel == 0 {
                return Ok(Bulk::OutOfBudget);
            }
            *fuel -= 1;
        }
    }
    Ok(Bulk::Done)
}
