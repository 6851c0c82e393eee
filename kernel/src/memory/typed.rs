//! Typed access to kernel objects in physical memory: the kernel's only `unsafe`.
//!
//! The argument, once: (1) a `WordStruct` is `#[repr(C)]` and made only of `u64`
//! words, so it has alignment 8 and no padding, and *every* bit pattern is a valid
//! value — reading an object through a stale or forged address can give wrong
//! numbers but never undefined behaviour; (2) the bytes come from a bounds-checked
//! sub-slice of the region's `[u64]`, so they are in range and 8-aligned; (3) the
//! reference borrows the whole `PhysMem` (shared or exclusive), so Rust's borrow
//! rules keep it unique while it lives. Which type lives where is the kernel's
//! invariant "a cap of type T at address A means a live T at A", checked by
//! `invariants`, not something memory safety depends on.
#![allow(unsafe_code)]

use super::{PAddr, PhysMem};

/// A kernel object layout that may be viewed in place.
///
/// # Safety
/// Implementors must be `#[repr(C)]` structs whose fields are all `u64` or arrays
/// of `u64` (so size is a multiple of 8, alignment is 8 and there is no padding).
pub unsafe trait WordStruct: Sized {}

const fn words_of<T>() -> usize {
    assert!(core::mem::align_of::<T>() == 8 && core::mem::size_of::<T>() % 8 == 0);
    core::mem::size_of::<T>() / 8
}

impl PhysMem<'_> {
    /// Views the object of type `T` at `pa`.
    pub fn object<T: WordStruct>(&self, pa: PAddr) -> &T {
        let words = self.words(pa, const { words_of::<T>() });
        // SAFETY: `words` is exactly size_of::<T>() bytes, 8-aligned, and borrowed
        // shared for the returned lifetime; T is repr(C) of u64s (WordStruct), so
        // any contents are a valid T (module comment, points 1-3).
        unsafe { &*words.as_ptr().cast::<T>() }
    }

    /// Views the object of type `T` at `pa`, writable.
    pub fn object_mut<T: WordStruct>(&mut self, pa: PAddr) -> &mut T {
        let words = self.words_mut(pa, const { words_of::<T>() });
        // SAFETY: as in `object`, and the borrow is exclusive, so no other
        // reference into this memory exists while the returned one lives.
        unsafe { &mut *words.as_mut_ptr().cast::<T>() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[repr(C)]
    struct Pair {
        a: u64,
        b: [u64; 3],
    }
    // SAFETY: repr(C), fields are u64 and [u64; 3].
    unsafe impl WordStruct for Pair {}

    #[test]
    fn typed_view_reads_and_writes_the_words() {
        let mut w = [0u64; 512];
        let mut m = PhysMem::new(0x4000, &mut w).unwrap();
        m.object_mut::<Pair>(0x4020).b[2] = 9;
        m.object_mut::<Pair>(0x4020).a = 1;
        assert_eq!(m.read(0x4020), 1);
        assert_eq!(m.read(0x4038), 9);
        assert_eq!(m.object::<Pair>(0x4020).b, [0, 0, 9]);
    }
}
