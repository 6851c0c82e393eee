//! Lamport's bakery lock from plain loads and stores on shared pages: the register VM
//! has no atomic instructions, and the bakery lock needs none, only sequentially
//! consistent memory, which the DSM gives (docs/cluster.md). Participant `i` writes
//! only its own `choosing` and `number` words; those of one node's participants share
//! a page of their own, so writing them moves no other node's entries.

use super::{read, write};

/// A bakery lock for `nodes * per_node` participants (participant `i` is on node
/// `i / per_node + 1`); node n's entries are on page `pages[n - 1]`.
pub struct Bakery<'a> {
    /// Each node's page of entries.
    pub pages: &'a [usize],
    /// Participants a node.
    pub per_node: usize,
}

impl Bakery<'_> {
    fn participants(&self) -> usize {
        self.pages.len() * self.per_node
    }

    /// Participant `i`'s `choosing` word (page, word); `number` is the next word.
    fn entry(&self, i: usize) -> (usize, usize) {
        (self.pages[i / self.per_node], 2 * (i % self.per_node))
    }

    fn choosing(&self, i: usize) -> u64 {
        let (p, w) = self.entry(i);
        read(p, w)
    }

    fn number(&self, i: usize) -> u64 {
        let (p, w) = self.entry(i);
        read(p, w + 1)
    }

    /// Takes the lock as participant `i` (waiting, yielding, while others hold it or
    /// come first).
    pub fn lock(&self, i: usize) {
        let (page, word) = self.entry(i);
        write(page, word, 1);
        let max = (0..self.participants())
            .map(|j| self.number(j))
            .max()
            .unwrap_or(0);
        let mine = max + 1;
        write(page, word + 1, mine);
        write(page, word, 0);
        for j in (0..self.participants()).filter(|&j| j != i) {
            while self.choosing(j) != 0 {
                libsel4::yield_now();
            }
            loop {
                let theirs = self.number(j);
                if theirs == 0 || (theirs, j) > (mine, i) {
                    break;
                }
                libsel4::yield_now();
            }
        }
    }

    /// Releases the lock participant `i` holds.
    pub fn unlock(&self, i: usize) {
        let (page, word) = self.entry(i);
        write(page, word + 1, 0);
    }
}
