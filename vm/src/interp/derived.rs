//! Operand helpers shared by every dispatch technique, written in terms of the
//! primitive accessors each dispatcher defines (`get!`, `set!`, `jump!`, `stop!`,
//! `memory!`; see `semantics.rs`). Each takes the machine's name `$m` first, so the
//! same op semantics expand against a dispatcher's locals or its machine struct.

/// `if cond: pc += off`.
macro_rules! branch {
    ($m:ident, $cond:expr, $off:expr) => {
        if $cond {
            jump!($m, $off)
        }
    };
}

/// The value of a `Result`, or a stop with its trap.
macro_rules! try_trap {
    ($m:ident, $e:expr) => {
        match $e {
            Ok(v) => v,
            Err(t) => stop!($m, Stop::Trap(t)),
        }
    };
}

/// Binary and immediate integer operations: `|x, y| e` over the operand values.
macro_rules! i32op {
    ($m:ident, $a:ident = $b:ident, $c:ident; |$x:ident, $y:ident| $e:expr) => {{
        let ($x, $y) = (get!($m, $b) as u32, get!($m, $c) as u32);
        set!($m, $a, ($e) as u32 as u64)
    }};
}
macro_rules! i64op {
    ($m:ident, $a:ident = $b:ident, $c:ident; |$x:ident, $y:ident| $e:expr) => {{
        let ($x, $y) = (get!($m, $b), get!($m, $c));
        set!($m, $a, ($e) as u64)
    }};
}
macro_rules! i32imm {
    ($m:ident, $a:ident = $b:ident, $c:ident; |$x:ident, $k:ident| $e:expr) => {{
        let ($x, $k) = (get!($m, $b) as u32, $c.0 as i32 as u32);
        set!($m, $a, ($e) as u32 as u64)
    }};
}
macro_rules! i64imm {
    ($m:ident, $a:ident = $b:ident, $c:ident; |$x:ident, $k:ident| $e:expr) => {{
        let ($x, $k) = (get!($m, $b), $c.0 as i64 as u64);
        set!($m, $a, ($e) as u64)
    }};
}
macro_rules! unary {
    ($m:ident, $a:ident = $b:ident; |$x:ident| $e:expr) => {{
        let $x = get!($m, $b);
        set!($m, $a, $e)
    }};
}

/// Float operations on the low 32 bits (f32) or all 64 bits (f64) of registers.
macro_rules! f32op {
    ($m:ident, $a:ident = $b:ident, $c:ident; |$x:ident, $y:ident| $e:expr) => {{
        let $x = f32::from_bits(get!($m, $b) as u32);
        let $y = f32::from_bits(get!($m, $c) as u32);
        set!($m, $a, f32::to_bits($e) as u64)
    }};
}
macro_rules! f64op {
    ($m:ident, $a:ident = $b:ident, $c:ident; |$x:ident, $y:ident| $e:expr) => {{
        let ($x, $y) = (f64::from_bits(get!($m, $b)), f64::from_bits(get!($m, $c)));
        set!($m, $a, f64::to_bits($e))
    }};
}
macro_rules! f32cmp {
    ($m:ident, $a:ident = $b:ident, $c:ident; |$x:ident, $y:ident| $e:expr) => {{
        let $x = f32::from_bits(get!($m, $b) as u32);
        let $y = f32::from_bits(get!($m, $c) as u32);
        set!($m, $a, ($e) as u64)
    }};
}
macro_rules! f64cmp {
    ($m:ident, $a:ident = $b:ident, $c:ident; |$x:ident, $y:ident| $e:expr) => {{
        let ($x, $y) = (f64::from_bits(get!($m, $b)), f64::from_bits(get!($m, $c)));
        set!($m, $a, ($e) as u64)
    }};
}
macro_rules! f32un {
    ($m:ident, $a:ident = $b:ident; |$x:ident| $e:expr) => {{
        let $x = f32::from_bits(get!($m, $b) as u32);
        set!($m, $a, f32::to_bits($e) as u64)
    }};
}
macro_rules! f64un {
    ($m:ident, $a:ident = $b:ident; |$x:ident| $e:expr) => {{
        let $x = f64::from_bits(get!($m, $b));
        set!($m, $a, f64::to_bits($e))
    }};
}

/// Loads `$n` bytes at `b + c` into `a` through `|x| e`; a fault stops the thread.
macro_rules! load {
    ($m:ident, $a:ident = $b:ident, $c:ident; $n:literal, |$x:ident| $e:expr) => {{
        let address = get!($m, $b).wrapping_add($c.0 as u64);
        match memory!($m).load::<$n>(address) {
            Ok($x) => set!($m, $a, $e),
            Err(fault) => stop!($m, Stop::Fault(fault)),
        }
    }};
}

/// Stores the low bytes of `a` (as `$t`) at `b + c`; a fault stops the thread.
macro_rules! store {
    ($m:ident, $a:ident, $b:ident, $c:ident; $t:ty) => {{
        let bytes = (get!($m, $a) as $t).to_le_bytes();
        let address = get!($m, $b).wrapping_add($c.0 as u64);
        if let Err(fault) = memory!($m).store(address, bytes) {
            stop!($m, Stop::Fault(fault));
        }
    }};
}
