//! Loop-invariant constants hoisted out of loops. A function is translated once while
//! noting every constant that a loop reads from a register (one that no immediate form
//! took); if there are any, it is translated again with the most used of them *pinned*:
//! each gets a register of its own between the locals and the operand-stack homes,
//! loaded once before the outermost loop that reads it, and read from there inside.
//!
//! Why this is sound: wasm loops are entered only through their top, so the loads
//! before an outermost loop's label run before any instruction in it; nothing else
//! writes a pinned register (locals lie below them, stack homes, scratch registers
//! and call windows above); and one register always holds the same constant, so two
//! loops loading it agree. The price is one load per entry into the outermost loop.

/// Most constants pinned in one function.
const MAX_PINS: usize = 16;

/// What hoisting knows while a function is translated.
#[derive(Default)]
pub(super) struct Hoist {
    /// First pass: for each constant read from a register inside a loop, its outermost
    /// loop (by order of appearance) and its bits.
    seen: Vec<(u32, u64)>,
    /// Second pass: the pinned constants (register `locals + i` holds `pins[i]`)...
    pins: Vec<u64>,
    /// ...and, per outermost loop, which pins it loads.
    plan: Vec<(u32, u16)>,
    /// Whether this is the second pass.
    planned: bool,
    /// Outermost loops opened so far.
    next_outer: u32,
    /// The outermost loop the translation is in.
    current: Option<u32>,
}

impl Hoist {
    /// The second pass's state, if the first found anything worth pinning.
    pub fn plan(&self) -> Option<Hoist> {
        if self.planned || self.seen.is_empty() {
            return None;
        }
        // The constants most often read in loops (ties: first seen).
        let mut counts: Vec<(u64, usize, usize)> = Vec::new();
        for (i, &(_, bits)) in self.seen.iter().enumerate() {
            match counts.iter_mut().find(|c| c.0 == bits) {
                Some(c) => c.1 += 1,
                None => counts.push((bits, 1, i)),
            }
        }
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)));
        counts.truncate(MAX_PINS);
        let pins: Vec<u64> = counts.iter().map(|c| c.0).collect();
        let mut plan: Vec<(u32, u16)> = Vec::new();
        for &(outer, bits) in &self.seen {
            if let Some(i) = pins.iter().position(|&p| p == bits) {
                let entry = (outer, i as u16);
                if !plan.contains(&entry) {
                    plan.push(entry);
                }
            }
        }
        Some(Hoist {
            pins,
            plan,
            planned: true,
            ..Hoist::default()
        })
    }

    /// No hoisting (a frame with the pins would be too large).
    pub fn off() -> Hoist {
        Hoist {
            planned: true,
            ..Hoist::default()
        }
    }

    /// The same plan for another attempt at the same function (from its start).
    pub fn restart(&mut self) {
        self.next_outer = 0;
        self.current = None;
        if !self.planned {
            self.seen.clear();
        }
    }

    /// Registers the pinned constants take (between the locals and the stack homes).
    pub fn registers(&self) -> u32 {
        self.pins.len() as u32
    }

    /// An outermost loop opens: the pins it loads, as (pin index, bits).
    pub fn enter_outer(&mut self) -> Vec<(u16, u64)> {
        let n = self.next_outer;
        self.next_outer += 1;
        self.current = Some(n);
        self.plan
            .iter()
            .filter(|&&(outer, _)| outer == n)
            .map(|&(_, i)| (i, self.pins[i as usize]))
            .collect()
    }

    /// The outermost loop closed.
    pub fn leave_outer(&mut self) {
        self.current = None;
    }

    /// The pin index holding `bits` inside the current loop, if it is pinned there;
    /// otherwise notes (first pass) that the loop reads it from a register.
    pub fn lookup(&mut self, bits: u64) -> Option<u16> {
        let outer = self.current?;
        if !self.planned {
            self.seen.push((outer, bits));
            return None;
        }
        self.plan
            .iter()
            .find(|&&(o, i)| o == outer && self.pins[i as usize] == bits)
            .map(|&(_, i)| i)
    }
}
