//! Choosing among the root task's untypeds: BootInfo's `untyped` slot region and its
//! descriptors (the kernel's boot summary carries the same pair).

use crate::{BootInfo, CPtr, SlotRegion, UntypedDesc, Word};

/// The slot of the largest RAM (non-device) untyped of `region`, whose descriptors are
/// `list` (entry i describes slot `region.start + i`); among equals the last. `None`
/// if there is no RAM untyped.
pub fn largest_ram_untyped(region: SlotRegion, list: &[UntypedDesc]) -> Option<CPtr> {
    let n = region.len().min(list.len() as Word) as usize;
    list[..n]
        .iter()
        .enumerate()
        .filter(|(_, d)| d.is_device == 0)
        .max_by_key(|(_, d)| d.size_bits)
        .map(|(i, _)| region.start + i as CPtr)
}

impl BootInfo {
    /// The slot of the largest RAM untyped ([`largest_ram_untyped`]).
    pub fn largest_ram_untyped(&self) -> Option<CPtr> {
        largest_ram_untyped(self.untyped, &self.untyped_list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desc(size_bits: u8, is_device: u8) -> UntypedDesc {
        UntypedDesc {
            size_bits,
            is_device,
            ..UntypedDesc::ZERO
        }
    }

    #[test]
    fn picks_the_largest_ram_untyped_last_among_equals() {
        let mut bi = BootInfo::ZERO;
        bi.untyped = SlotRegion { start: 16, end: 21 };
        bi.untyped_list[..5].copy_from_slice(&[
            desc(12, 0),
            desc(19, 0),
            desc(30, 1),
            desc(19, 0),
            desc(4, 0),
        ]);
        assert_eq!(bi.largest_ram_untyped(), Some(19));
        // Entries beyond the region do not count.
        bi.untyped_list[5] = desc(25, 0);
        assert_eq!(bi.largest_ram_untyped(), Some(19));
        bi.untyped.end = 16;
        assert_eq!(bi.largest_ram_untyped(), None);
        let only_device = [desc(20, 1)];
        let region = SlotRegion { start: 3, end: 4 };
        assert_eq!(largest_ram_untyped(region, &only_device), None);
    }
}
