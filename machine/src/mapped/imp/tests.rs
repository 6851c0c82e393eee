//! Tests of the mmap back end's regions against real mappings: a flush clears exactly
//! the pages it names, another address space never sees a frame it has not mapped,
//! and an ASID freed and reused, or a region given up, starts empty.

use super::{FLUSH_PAGES, MAX_SPACES, Regions};
use crate::ram::Ram;
use alloc::vec;
use alloc::vec::Vec;
use selvm_hostmem::PAGE;
use selvm_kernel::vspace::{Asid, TlbFlush};

/// Maps RAM frame 1 at page `vpn` of `asid`'s region, as the slow path would.
fn map(regions: &mut Regions, asid: Asid, vpn: u64) {
    let s = regions.space(asid).expect("a region");
    s.region.map(vpn * PAGE, PAGE, s.fd, PAGE, true).unwrap();
    s.mapped.insert(vpn, true);
}

fn sees(regions: &mut Regions, asid: Asid, vpn: u64) -> bool {
    let s = regions.space(asid).expect("a region");
    s.region.load::<1>(vpn * PAGE).is_some()
}

#[test]
fn flushes_clear_what_they_name_and_address_spaces_see_only_their_own_frames() {
    let ram = Ram::from(vec![0u64; 4 * 512]).into_memfd().unwrap();
    let mut regions = Regions::new(&ram, 0x8000_0000).unwrap();
    let far = 6 + FLUSH_PAGES; // just past the 1 GiB a page flush names
    for vpn in [5, 6, 7, far] {
        map(&mut regions, 1, vpn);
    }
    assert!(!sees(&mut regions, 2, 5), "ASID 2 has not mapped the frame");
    regions.flush(TlbFlush::Page {
        asid: 1,
        vaddr: 6 * PAGE,
    });
    let seen: Vec<bool> = [5, 6, 7, far]
        .iter()
        .map(|&v| sees(&mut regions, 1, v))
        .collect();
    assert_eq!(seen, [true, false, false, true]);
    assert!(regions.counts.clears >= 1);
    regions.flush(TlbFlush::Asid(1));
    assert!(
        !sees(&mut regions, 1, 5),
        "a reused ASID starts with nothing"
    );
    assert!(!sees(&mut regions, 1, far));
}

#[test]
fn the_least_recently_run_address_space_gives_its_region_up() {
    let ram = Ram::from(vec![0u64; 4 * 512]).into_memfd().unwrap();
    let mut regions = Regions::new(&ram, 0x8000_0000).unwrap();
    map(&mut regions, 1, 3);
    for asid in 2..=MAX_SPACES as Asid {
        map(&mut regions, asid, 3);
    }
    assert!(sees(&mut regions, 1, 3), "16 regions: all kept");
    map(&mut regions, 100, 3); // the 17th: ASID 2 ran least recently
    assert_eq!(regions.spaces.len(), MAX_SPACES);
    assert!(sees(&mut regions, 1, 3));
    assert!(!sees(&mut regions, 2, 3), "given up, then reserved afresh");
}
