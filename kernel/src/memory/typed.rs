//! Typed access to kernel objects in physical memory: the kernel's only `unsafe`.
//!
//! The argument, once: (1) a `WordStruct` is `#[repr(C)]` and made only of `u64`
//! words (the `word_struct!` macro writes the `repr` and checks the field types;
//! [`Prefixed`] is words followed by a `WordStruct`), so it has alignment 8 and no
//! padding, and *every* bit pattern is a valid value — reading an object through a
//! stale or forged address can give wrong numbers but never undefined behaviour;
//! (2) its offset in the region's `[u64]` is checked (one comparison: 8-aligned, the
//! whole object inside the slice), so the bytes are in range and 8-aligned; (3) the
//! reference borrows the whole `PhysMem` (shared or exclusive), so Rust's borrow
//! rules keep it unique while it lives. Which type lives where is the kernel's
//! invariant "a cap of type T at address A means a live T at A", checked by
//! `invariants`, not something memory safety depends on.
#![allow(unsafe_code)]

use super::Ram;
use super::{PAddr, PhysMem};

/// A kernel object layout that may be viewed in place. Implemented only through
/// [`word_struct!`], which writes the layout it promises, and by [`Prefixed`].
///
/// # Safety
/// Implementors must be `#[repr(C)]` structs whose fields are all `u64`, arrays
/// of `u64` or `WordStruct`s (so all their bytes are `u64`s: size is a multiple
/// of 8, alignment is 8 and there is no padding).
pub unsafe trait WordStruct: Sized {}

/// A field type a [`WordStruct`] may have: a word, an array of words, or a
/// `WordStruct` (a TCB's per-architecture part holds the portable fields).
/// Sealed: the three impls below are all there are.
pub trait WordField: sealed::Sealed {}

mod sealed {
    pub trait Sealed {}
    impl Sealed for u64 {}
    impl<const N: usize> Sealed for [u64; N] {}
    impl<T: super::WordStruct> Sealed for T {}
}

impl WordField for u64 {}
impl<const N: usize> WordField for [u64; N] {}
impl<T: WordStruct> WordField for T {}

/// Checks, at compile time, that `T` is a [`WordField`] (used by [`word_struct!`]).
#[doc(hidden)]
pub const fn word_field<T: WordField>() {}

/// Defines a struct of words that the kernel views in place: the only way to
/// implement [`WordStruct`], so the kernel's one `unsafe impl` is here. The macro
/// writes `#[repr(C)]` itself and checks at compile time that every field is a
/// `u64`, a `[u64; N]` or a `WordStruct` (a [`WordField`]), and that the result
/// has alignment 8 and a size that is a multiple of 8: everything `WordStruct`
/// requires.
///
/// ```ignore
/// word_struct! {
///     /// An endpoint's stored layout.
///     pub struct EndpointObj {
///         /// First queued TCB, 0 if none.
///         pub queue_head: u64,
///         pub queue_tail_and_state: u64,
///     }
/// }
/// ```
macro_rules! word_struct {
    (
        $(#[$attr:meta])*
        $vis:vis struct $name:ident {
            $(
                $(#[$field_attr:meta])*
                $field_vis:vis $field:ident : $field_ty:ty
            ),* $(,)?
        }
    ) => {
        $(#[$attr])*
        #[repr(C)]
        $vis struct $name {
            $(
                $(#[$field_attr])*
                $field_vis $field: $field_ty,
            )*
        }

        const _: () = {
            $( $crate::memory::word_field::<$field_ty>(); )*
            assert!(
                ::core::mem::align_of::<$name>() == 8
                    && ::core::mem::size_of::<$name>() % 8 == 0
            );
        };

        // SAFETY: `word_struct!` wrote `#[repr(C)]` on the struct and checked just
        // above that every field is a `u64`, a `[u64; N]` or a `WordStruct` (the
        // only `WordField` types), with alignment 8 and a size that is a multiple
        // of 8: the layout `WordStruct` requires.
        #[allow(unsafe_code)]
        unsafe impl $crate::memory::WordStruct for $name {}
    };
}
pub(crate) use word_struct;

/// `N` words followed by a `T`, viewed as one object: a TCB's capability region and
/// its kernel part (`object::tcb::TcbView`), so that the IPC fastpath checks one
/// address per thread rather than one per slot and field.
#[repr(C)]
pub struct Prefixed<const N: usize, T> {
    /// The first `N` words.
    pub head: [u64; N],
    /// What follows them.
    pub tail: T,
}

// SAFETY: `repr(C)` of a `[u64; N]` (alignment 8, 8N bytes) followed by a `WordStruct`
// (alignment 8, a multiple of 8 bytes, all `u64`s): no padding, every byte part of a
// `u64`, alignment 8 — the layout `WordStruct` requires.
unsafe impl<const N: usize, T: WordStruct> WordStruct for Prefixed<N, T> {}

/// Byte offset of an object of `size` bytes at `pa` in a region of `len` words at
/// `base`, which must be 8-aligned and leave the whole object inside the region (an
/// address below the base wraps to an offset past it). A bad address is a kernel
/// bug and stops here.
#[inline(always)]
fn object_offset(base: PAddr, len: usize, pa: PAddr, size: usize) -> usize {
    let offset = pa.wrapping_sub(base);
    // A slice of u64s holds fewer than 2^61 of them: `8 * len` cannot overflow.
    let bytes = len as u64 * 8;
    // The last offset the object may start at; it wrapped if the object is larger
    // than the region (a test that depends on the region and the type only).
    let last = bytes.wrapping_sub(size as u64);
    if offset & 7 != 0 || offset > last || last > bytes {
        outside(pa);
    }
    offset as usize
}

/// Stops the kernel at a bad physical address (out of line: the checks stay short).
#[cold]
#[inline(never)]
pub(super) fn outside(pa: PAddr) -> ! {
    panic!("kernel bug: physical address {pa:#x} outside memory or misaligned")
}

impl<R: Ram> PhysMem<R> {
    /// Views the object of type `T` at `pa`.
    #[inline(always)]
    pub fn object<T: WordStruct>(&self, pa: PAddr) -> &T {
        let words: &[u64] = &self.words;
        let offset = object_offset(self.base, words.len(), pa, core::mem::size_of::<T>());
        // SAFETY: `offset` is a multiple of 8 with `offset + size_of::<T>()` at most
        // the slice's length in bytes (`object_offset`), so the bytes lie inside
        // `words`, 8-aligned, borrowed shared for the returned lifetime; T is repr(C)
        // of u64s (WordStruct), so any contents are a valid T (module comment, points
        // 1-3).
        unsafe { &*words.as_ptr().cast::<u8>().add(offset).cast::<T>() }
    }

    /// Views the object of type `T` at `pa`, writable.
    #[inline(always)]
    pub fn object_mut<T: WordStruct>(&mut self, pa: PAddr) -> &mut T {
        let base = self.base;
        let words: &mut [u64] = &mut self.words;
        let offset = object_offset(base, words.len(), pa, core::mem::size_of::<T>());
        // SAFETY: as in `object`, and the borrow is exclusive, so no other
        // reference into this memory exists while the returned one lives.
        unsafe { &mut *words.as_mut_ptr().cast::<u8>().add(offset).cast::<T>() }
    }
}

impl<R: Ram> PhysMem<R> {
    /// Views two objects at once, both writable: a `T` at `a` and a `U` at `b`
    /// (two threads of an IPC). Objects that overlap are a kernel bug, which stops
    /// here like an address outside memory.
    #[inline(always)]
    pub fn object_pair_mut<T: WordStruct, U: WordStruct>(
        &mut self,
        a: PAddr,
        b: PAddr,
    ) -> (&mut T, &mut U) {
        let (ta, tb) = (core::mem::size_of::<T>(), core::mem::size_of::<U>());
        let base = self.base;
        let words: &mut [u64] = &mut self.words;
        let oa = object_offset(base, words.len(), a, ta);
        let ob = object_offset(base, words.len(), b, tb);
        // Both ends are at most the slice's length in bytes, so the sums cannot wrap.
        if oa + ta > ob && ob + tb > oa {
            outside(b);
        }
        let bytes = words.as_mut_ptr().cast::<u8>();
        // SAFETY: each object lies inside `words`, 8-aligned (`object_offset`), and the
        // two do not overlap (just checked), so two exclusive references to them, both
        // derived from the exclusive borrow of `words` for the returned lifetime, never
        // alias; both types are repr(C) of u64s (module comment, points 1-3).
        unsafe {
            (
                &mut *bytes.add(oa).cast::<T>(),
                &mut *bytes.add(ob).cast::<U>(),
            )
        }
    }
}

// Byte views below read a word's bytes in memory order; every host we build
// for is little-endian, which makes that the word's little-endian encoding, as
// user programs and the IPC buffer layout expect.
#[cfg(target_endian = "big")]
compile_error!("the kernel's byte views assume a little-endian host");

/// The bytes of `words`, in memory order.
pub fn as_bytes(words: &[u64]) -> &[u8] {
    // SAFETY: `words` is a valid shared borrow of initialised u64s; u8 has
    // alignment 1 and every byte of a u64 is an initialised u8, so viewing
    // the same `8 * len` bytes as u8 for the same lifetime is sound.
    unsafe { core::slice::from_raw_parts(words.as_ptr().cast::<u8>(), words.len() * 8) }
}

/// The bytes of `words`, in memory order, writable.
pub fn as_bytes_mut(words: &mut [u64]) -> &mut [u8] {
    let n = words.len() * 8;
    // SAFETY: as in `as_bytes`; the borrow is exclusive, and any byte pattern
    // written through the view leaves every u64 valid.
    unsafe { core::slice::from_raw_parts_mut(words.as_mut_ptr().cast::<u8>(), n) }
}

impl<R: Ram> PhysMem<R> {
    /// The `len` bytes at `pa` (any alignment).
    pub fn bytes(&self, pa: PAddr, len: usize) -> &[u8] {
        let first = pa & !7;
        let end = (pa + len as u64 + 7) & !7;
        let all = as_bytes(self.words(first, ((end - first) / 8) as usize));
        &all[(pa - first) as usize..][..len]
    }

    /// The `len` bytes at `pa` (any alignment), writable.
    pub fn bytes_mut(&mut self, pa: PAddr, len: usize) -> &mut [u8] {
        let first = pa & !7;
        let end = (pa + len as u64 + 7) & !7;
        let all = as_bytes_mut(self.words_mut(first, ((end - first) / 8) as usize));
        &mut all[(pa - first) as usize..][..len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    word_struct! {
        struct Pair {
            a: u64,
            b: [u64; 3],
        }
    }

    #[test]
    fn typed_view_reads_and_writes_the_words() {
        let mut w = [0u64; 512];
        let mut m = PhysMem::new(0x4000, &mut w[..]).unwrap();
        m.object_mut::<Pair>(0x4020).b[2] = 9;
        m.object_mut::<Pair>(0x4020).a = 1;
        assert_eq!(m.read(0x4020), 1);
        assert_eq!(m.read(0x4038), 9);
        assert_eq!(m.object::<Pair>(0x4020).b, [0, 0, 9]);
    }

    #[test]
    fn a_pair_of_views_is_refused_when_the_objects_overlap() {
        let mut w = [0u64; 512];
        let mut m = PhysMem::new(0x4000, &mut w[..]).unwrap();
        let (p, q) = m.object_pair_mut::<Pair, Pair>(0x4000, 0x4020);
        (p.a, q.a) = (1, 2);
        assert_eq!((m.read(0x4000), m.read(0x4020)), (1, 2));
        let (p, q) = m.object_pair_mut::<Pair, Pair>(0x4020, 0x4000);
        assert_eq!((p.a, q.a), (2, 1));
        for (a, b) in [(0x4000, 0x4018), (0x4018, 0x4000), (0x4020, 0x4020)] {
            let caught = std::panic::catch_unwind(|| {
                let mut w = [0u64; 512];
                let mut m = PhysMem::new(0x4000, &mut w[..]).unwrap();
                m.object_pair_mut::<Pair, Pair>(a, b).0.a
            });
            assert!(caught.is_err(), "{a:#x} and {b:#x} were accepted");
        }
    }

    #[test]
    fn views_refuse_objects_that_do_not_fit() {
        let mut w = [0u64; 512];
        let m = PhysMem::new(0x4000, &mut w[..]).unwrap();
        let _ = m.object::<Pair>(0x4000 + 4096 - 32);
        for pa in [
            0x4000 + 4096 - 24,
            0x4000 + 4096,
            0x3ff8,
            0x4004,
            u64::MAX - 7,
        ] {
            let caught = std::panic::catch_unwind(|| {
                let mut w = [0u64; 512];
                let m = PhysMem::new(0x4000, &mut w[..]).unwrap();
                m.object::<Pair>(pa).a
            });
            assert!(caught.is_err(), "{pa:#x} was accepted");
        }
    }

    #[test]
    fn byte_views_are_little_endian_at_any_alignment() {
        let mut w = [0u64; 512];
        let mut m = PhysMem::new(0x1000, &mut w[..]).unwrap();
        m.write(0x1008, 0x0807_0605_0403_0201);
        assert_eq!(m.bytes(0x100a, 3), &[3, 4, 5]);
        m.bytes_mut(0x100f, 2).copy_from_slice(&[0xaa, 0xbb]);
        assert_eq!(m.read(0x1008) >> 56, 0xaa);
        assert_eq!(m.read(0x1010), 0xbb);
    }
}
