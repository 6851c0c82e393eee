//! Integer division and remainder with WebAssembly's traps; the trap paths are cold.

use crate::thread::Trap;

#[cold]
#[inline(never)]
fn divide_by_zero() -> Trap {
    Trap::DivideByZero
}

#[cold]
#[inline(never)]
fn overflow() -> Trap {
    Trap::IntegerOverflow
}

/// Signed 32-bit division.
#[inline(always)]
pub fn div_s32(x: u32, y: u32) -> Result<u32, Trap> {
    let (x, y) = (x as i32, y as i32);
    if y == 0 {
        return Err(divide_by_zero());
    }
    if x == i32::MIN && y == -1 {
        return Err(overflow());
    }
    Ok((x / y) as u32)
}

/// Unsigned 32-bit division.
#[inline(always)]
pub fn div_u32(x: u32, y: u32) -> Result<u32, Trap> {
    x.checked_div(y).ok_or_else(divide_by_zero)
}

/// Signed 32-bit remainder (`i32::MIN rem -1` is 0).
#[inline(always)]
pub fn rem_s32(x: u32, y: u32) -> Result<u32, Trap> {
    if y == 0 {
        return Err(divide_by_zero());
    }
    Ok((x as i32).wrapping_rem(y as i32) as u32)
}

/// Unsigned 32-bit remainder.
#[inline(always)]
pub fn rem_u32(x: u32, y: u32) -> Result<u32, Trap> {
    x.checked_rem(y).ok_or_else(divide_by_zero)
}

/// Signed 64-bit division.
#[inline(always)]
pub fn div_s64(x: u64, y: u64) -> Result<u64, Trap> {
    let (x, y) = (x as i64, y as i64);
    if y == 0 {
        return Err(divide_by_zero());
    }
    if x == i64::MIN && y == -1 {
        return Err(overflow());
    }
    Ok((x / y) as u64)
}

/// Unsigned 64-bit division.
#[inline(always)]
pub fn div_u64(x: u64, y: u64) -> Result<u64, Trap> {
    x.checked_div(y).ok_or_else(divide_by_zero)
}

/// Signed 64-bit remainder (`i64::MIN rem -1` is 0).
#[inline(always)]
pub fn rem_s64(x: u64, y: u64) -> Result<u64, Trap> {
    if y == 0 {
        return Err(divide_by_zero());
    }
    Ok((x as i64).wrapping_rem(y as i64) as u64)
}

/// Unsigned 64-bit remainder.
#[inline(always)]
pub fn rem_u64(x: u64, y: u64) -> Result<u64, Trap> {
    x.checked_rem(y).ok_or_else(divide_by_zero)
}
