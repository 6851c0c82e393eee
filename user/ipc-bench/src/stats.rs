//! Min, median, mean and max of a run's measurements, without allocation.

/// Most values a summary takes (the rounds of one case).
const MAX: usize = crate::ROUNDS;

/// The summary of one case's measurements.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    pub min: u64,
    pub median: u64,
    pub mean: u64,
    pub max: u64,
}

impl Summary {
    /// Summarises up to [`MAX`] values (more are ignored).
    pub fn of(values: impl Iterator<Item = u64>) -> Summary {
        let mut v = [0u64; MAX];
        let mut n = 0;
        for x in values.take(MAX) {
            v[n] = x;
            n += 1;
        }
        let v = &mut v[..n];
        v.sort_unstable();
        let sum: u64 = v.iter().sum();
        Summary {
            min: v.first().copied().unwrap_or(0),
            median: v.get(n / 2).copied().unwrap_or(0),
            mean: if n == 0 { 0 } else { sum / n as u64 },
            max: v.last().copied().unwrap_or(0),
        }
    }
}

/// A short label formatted without allocation (for padding in the table).
#[derive(Default)]
pub struct Label {
    bytes: [u8; 32],
    len: usize,
}

impl Label {
    /// The text written so far.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("?")
    }
}

impl core::fmt::Write for Label {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.len + s.len();
        if end > self.bytes.len() {
            return Err(core::fmt::Error);
        }
        self.bytes[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}
