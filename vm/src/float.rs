//! Floating-point operations that `core` lacks (rounding, square root), WebAssembly's
//! min/max, and float-to-integer truncation with wasm's trapping rules. f32 versions go
//! through f64, which is exact for rounding and correctly rounded for the square root
//! (53 ≥ 2·24 + 2 bits, so the double rounding is innocuous).

use crate::thread::Trap;

/// 2^52: every f64 at least this large in magnitude is an integer.
const INTEGRAL: f64 = 4503599627370496.0;

/// Rounds toward zero.
pub fn trunc(x: f64) -> f64 {
    if x.is_nan() {
        return x + x;
    }
    if x.abs() >= INTEGRAL {
        return x;
    }
    let bits = x.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i32 - 1023;
    if exponent < 0 {
        return f64::from_bits(bits & (1 << 63));
    }
    let fraction = (1u64 << (52 - exponent)) - 1;
    f64::from_bits(bits & !fraction)
}

/// Rounds toward -∞.
pub fn floor(x: f64) -> f64 {
    let t = trunc(x);
    if t > x { t - 1.0 } else { t }
}

/// Rounds toward +∞.
pub fn ceil(x: f64) -> f64 {
    let t = trunc(x);
    if t < x { t + 1.0 } else { t }
}

/// Rounds to the nearest integer, ties to even.
pub fn nearest(x: f64) -> f64 {
    if x.is_nan() {
        return x + x;
    }
    if x.abs() >= INTEGRAL {
        return x;
    }
    // Adding and removing 2^52 rounds the fraction away in round-to-nearest-even.
    ((x.abs() + INTEGRAL) - INTEGRAL).copysign(x)
}

/// The correctly rounded square root.
pub fn sqrt(x: f64) -> f64 {
    if x.is_nan() {
        return x + x;
    }
    if x == 0.0 || x == f64::INFINITY {
        return x;
    }
    if x < 0.0 {
        return f64::NAN;
    }
    let bits = x.to_bits();
    let (mut mantissa, mut exponent) = match (bits >> 52) as i64 {
        0 => {
            // Subnormal: normalize so the leading one is at bit 52.
            let m = bits & ((1 << 52) - 1);
            let shift = m.leading_zeros() as i64 - 11;
            (m << shift, -1022 - 52 - shift)
        }
        e => ((bits & ((1 << 52) - 1)) | (1 << 52), e - 1023 - 52),
    };
    // x = mantissa · 2^exponent, with an even exponent.
    if exponent & 1 != 0 {
        mantissa <<= 1;
        exponent -= 1;
    }
    let scaled = (mantissa as u128) << 52;
    let mut root = scaled.isqrt();
    if scaled - root * root > root {
        root += 1;
    }
    // sqrt(x) = root · 2^(exponent/2 - 26), root in [2^52, 2^53].
    let mut biased = exponent / 2 + 26 + 1023;
    if root == 1 << 53 {
        root >>= 1;
        biased += 1;
    }
    f64::from_bits(((biased as u64) << 52) | (root as u64 & ((1 << 52) - 1)))
}

/// WebAssembly's `min`: NaN if either operand is, and -0 below +0.
pub fn min(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        x + y
    } else if x == y {
        f64::from_bits(x.to_bits() | y.to_bits())
    } else if x < y {
        x
    } else {
        y
    }
}

/// WebAssembly's `max`: NaN if either operand is, and +0 above -0.
pub fn max(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        x + y
    } else if x == y {
        f64::from_bits(x.to_bits() & y.to_bits())
    } else if x > y {
        x
    } else {
        y
    }
}

/// `min` on f32 bits.
pub fn min32(x: f32, y: f32) -> f32 {
    if x.is_nan() || y.is_nan() {
        x + y
    } else if x == y {
        f32::from_bits(x.to_bits() | y.to_bits())
    } else if x < y {
        x
    } else {
        y
    }
}

/// `max` on f32 bits.
pub fn max32(x: f32, y: f32) -> f32 {
    if x.is_nan() || y.is_nan() {
        x + y
    } else if x == y {
        f32::from_bits(x.to_bits() & y.to_bits())
    } else if x > y {
        x
    } else {
        y
    }
}

/// Applies an f64 rounding function to an f32 (exact: the result is an f32 value).
pub fn via64(x: f32, f: fn(f64) -> f64) -> f32 {
    f(x as f64) as f32
}

#[cold]
#[inline(never)]
fn conversion_trap(x: f64) -> Trap {
    if x.is_nan() {
        Trap::InvalidConversion
    } else {
        Trap::IntegerOverflow
    }
}

/// Truncates to a signed 32-bit integer, trapping on NaN and out-of-range values.
pub fn to_i32(x: f64) -> Result<u32, Trap> {
    if x > -2147483649.0 && x < 2147483648.0 {
        Ok(x as i32 as u32)
    } else {
        Err(conversion_trap(x))
    }
}

/// Truncates to an unsigned 32-bit integer, trapping on NaN and out-of-range values.
pub fn to_u32(x: f64) -> Result<u32, Trap> {
    if x > -1.0 && x < 4294967296.0 {
        Ok(x as u32)
    } else {
        Err(conversion_trap(x))
    }
}

/// Truncates to a signed 64-bit integer, trapping on NaN and out-of-range values.
pub fn to_i64(x: f64) -> Result<u64, Trap> {
    if (-9223372036854775808.0..9223372036854775808.0).contains(&x) {
        Ok(x as i64 as u64)
    } else {
        Err(conversion_trap(x))
    }
}

/// Truncates to an unsigned 64-bit integer, trapping on NaN and out-of-range values.
pub fn to_u64(x: f64) -> Result<u64, Trap> {
    if x > -1.0 && x < 18446744073709551616.0 {
        Ok(x as u64)
    } else {
        Err(conversion_trap(x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;

    fn samples() -> impl Iterator<Item = f64> {
        let specials = [
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.5,
            -1.5,
            2.5,
            -2.5,
            1e300,
            -1e300,
            4503599627370495.5,
            4503599627370497.0,
            f64::MIN_POSITIVE,
            5e-324,
            f64::MAX,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.49999999999999994,
            2.0,
            3.0,
            1e-310,
        ];
        let mut seed = 0x9e3779b97f4a7c15u64;
        let random = (0..20000).map(move |_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            f64::from_bits(seed)
        });
        specials.into_iter().chain(random)
    }

    fn same(a: f64, b: f64) -> bool {
        a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
    }

    #[test]
    fn rounding_and_sqrt_match_std() {
        for x in samples() {
            assert!(same(trunc(x), x.trunc()), "trunc {x:e}");
            assert!(same(floor(x), x.floor()), "floor {x:e}");
            assert!(same(ceil(x), x.ceil()), "ceil {x:e}");
            assert!(same(nearest(x), x.round_ties_even()), "nearest {x:e}");
            assert!(same(sqrt(x), x.sqrt()), "sqrt {x:e}");
            assert!(same(sqrt(x.abs()), x.abs().sqrt()), "sqrt {x:e}");
            let y = x as f32;
            assert!(same(via64(y, sqrt) as f64, y.sqrt() as f64), "sqrt32 {y:e}");
            assert!(same(via64(y, nearest) as f64, y.round_ties_even() as f64));
        }
    }

    #[test]
    fn min_max_follow_wasm() {
        assert!(min(0.0, -0.0).is_sign_negative());
        assert!(min(-0.0, 0.0).is_sign_negative());
        assert!(max(-0.0, 0.0).is_sign_positive());
        assert!(min(f64::NAN, 1.0).is_nan() && max(1.0, f64::NAN).is_nan());
        assert_eq!(min(1.0, 2.0), 1.0);
        assert_eq!(max32(1.0, 2.0), 2.0);
        assert!(min32(0.0, -0.0).is_sign_negative());
    }

    #[test]
    fn truncation_limits() {
        assert_eq!(to_i32(2147483647.9), Ok(i32::MAX as u32));
        assert_eq!(to_i32(-2147483648.9), Ok(i32::MIN as u32));
        assert_eq!(to_i32(2147483648.0), Err(Trap::IntegerOverflow));
        assert_eq!(to_i32(-2147483649.0), Err(Trap::IntegerOverflow));
        assert_eq!(to_i32(f64::NAN), Err(Trap::InvalidConversion));
        assert_eq!(to_u32(-0.9), Ok(0));
        assert_eq!(to_u32(-1.0), Err(Trap::IntegerOverflow));
        assert_eq!(to_u32(4294967295.9), Ok(u32::MAX));
        assert_eq!(to_i64(-9223372036854775808.0), Ok(i64::MIN as u64));
        assert_eq!(to_i64(9223372036854775808.0), Err(Trap::IntegerOverflow));
        assert_eq!(to_u64(18446744073709549568.0), Ok(18446744073709549568));
        assert_eq!(to_u64(18446744073709551616.0), Err(Trap::IntegerOverflow));
        assert_eq!(to_u64(f64::INFINITY), Err(Trap::IntegerOverflow));
    }
}
