//! What every benchmark program shares: a panic handler (a trap) and [`Static`], a
//! buffer in linear memory's data area, so the programs need neither an allocator nor
//! a large shadow stack.

#![no_std]
// `f64.sqrt` as a function (build-user.sh builds with RUSTC_BOOTSTRAP=1 for -Zbuild-std anyway).
#![feature(wasm_numeric_instr)]

use core::cell::UnsafeCell;

/// A value in a `static`, handed out mutably. The programs are single-threaded and
/// each takes the reference once per run, so no two references are alive at once.
pub struct Static<T>(UnsafeCell<T>);

// SAFETY: wasm32 programs without the threads feature have one thread.
unsafe impl<T> Sync for Static<T> {}

impl<T> Static<T> {
    /// A static holding `value`.
    pub const fn new(value: T) -> Static<T> {
        Static(UnsafeCell::new(value))
    }

    /// The value.
    ///
    /// # Safety
    /// No other reference obtained from this static may be alive.
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn get(&self) -> &mut T {
        // SAFETY: the caller guarantees exclusivity.
        unsafe { &mut *self.0.get() }
    }
}

/// A 32-bit linear congruential generator (Numerical Recipes' constants): the
/// programs' deterministic input data.
pub struct Lcg(pub u32);

impl Lcg {
    /// The next value.
    #[inline]
    pub fn next_u32(&mut self) -> u32 {
        self.0 = self.0.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        self.0
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

/// Square root: WebAssembly's `f64.sqrt` (`core` has no `f64::sqrt` without `std`).
#[inline]
pub fn sqrt(x: f64) -> f64 {
    core::arch::wasm32::f64_sqrt(x)
}
