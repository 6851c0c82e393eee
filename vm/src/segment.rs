//! Passive data and element segments, which live in the module's constant pool: a header
//! constant (the segment's length in bytes or elements) followed by its payload (bytes
//! packed eight to a constant, little-endian, or one element per constant). A program
//! names a segment with a *descriptor*, a 64-bit value whose high half is the header's
//! constant index and whose low half is the segment's current length (0 once dropped);
//! the translator keeps descriptors in globals so `data.drop`/`elem.drop` can shrink them.
//! Nothing about a descriptor is trusted: it is checked against the pool on every use.

use crate::thread::Trap;

/// What a segment's payload holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Payload {
    /// Bytes, eight to a constant.
    Bytes,
    /// Elements, one to a constant.
    Elements,
}

/// The index of the first payload constant of the segment `descriptor` names, if the
/// range `start .. start + count` lies inside its current length (and the header inside
/// the pool).
pub(crate) fn range(
    constants: &[u64],
    descriptor: u64,
    payload: Payload,
    start: u64,
    count: u64,
) -> Result<usize, Trap> {
    let header = (descriptor >> 32) as usize;
    let current = descriptor as u32 as u64;
    let length = *constants.get(header).ok_or(Trap::SegmentOutOfBounds)?;
    let words = match payload {
        Payload::Bytes => length.div_ceil(8),
        Payload::Elements => length,
    };
    let room = (constants.len() - header - 1) as u64;
    if current > length || words > room || start + count > current {
        return Err(Trap::SegmentOutOfBounds);
    }
    Ok(header + 1)
}

/// Byte `offset` of the byte payload starting at constant `first`.
#[inline]
pub(crate) fn byte(constants: &[u64], first: usize, offset: u64) -> u8 {
    (constants[first + (offset / 8) as usize] >> (8 * (offset % 8))) as u8
}
