//! Checker self-tests: VSpace rules (ASID table, pools, page tables).

use super::*;
use crate::arch::sv39::Pte;
use crate::vspace::TlbFlush;
use selvm_abi::boot::{CAP_INIT_THREAD_ASID_POOL as POOL, CAP_INIT_THREAD_VSPACE as VSPACE};

const GIB1: Word = 0x4000_0000;

/// A legitimate mapping: two page tables and a 4 KiB frame at 1 GiB in the
/// boot VSpace. Returns the lower table's and the frame's addresses and the
/// frame's slot.
fn with_mapping(k: &mut Kernel<TestArch, &mut [u64]>, b: &BootSummary) -> (PAddr, PAddr, CPtr) {
    let first = b.empty.start;
    let ut = largest_untyped(b);
    retype(k, ut, ObjectType::PageTable, 0, first, 2);
    retype(k, ut, ObjectType::SmallPage, 0, first + 2, 1);
    for pt in [first, first + 1] {
        assert_eq!(
            send(k, pt, L::PageTableMap, &[GIB1, 0], &[VSPACE]),
            Outcome::Done
        );
    }
    let o = send(k, first + 2, L::PageMap, &[GIB1, 3, 0], &[VSPACE]);
    assert_eq!(o, Outcome::Done);
    clean(k);
    (object_at(k, first + 1), object_at(k, first + 2), first + 2)
}

#[test]
fn leaf_without_a_mapped_cap_is_noticed() {
    let mut words = ram();
    let (mut k, b) = boot(&mut words);
    let (_, _, f) = with_mapping(&mut k, &b);
    // The cap forgets its mapping while the entry stays.
    let cap = cap_at(&k, f);
    let Cap::Frame {
        ptr,
        size,
        rights,
        is_device,
        ..
    } = cap
    else {
        panic!("{cap:?}");
    };
    let unmapped = Cap::Frame {
        ptr,
        size,
        rights,
        is_device,
        mapping: None,
    };
    let fs = slot(&k, f);
    set_cap(&mut k, fs, unmapped);
    expect(
        &k,
        Violation::BadVspace("leaf not backed by a frame cap mapped there"),
    );
    // Or the cap allows less than the entry grants.
    set_cap(&mut k, fs, cap);
    clean(&k);
    let read_only = Cap::Frame {
        ptr,
        size,
        rights: VmRights::ReadOnly,
        is_device,
        mapping: Some((1, GIB1)),
    };
    set_cap(&mut k, fs, read_only);
    expect(
        &k,
        Violation::BadVspace("leaf not backed by a frame cap mapped there"),
    );
}

#[test]
fn entry_pointing_at_freed_memory_is_noticed() {
    let mut words = ram();
    let (mut k, b) = boot(&mut words);
    let (lower, _, _) = with_mapping(&mut k, &b);
    // A second leaf to memory no frame cap names.
    let stray = Pte::Leaf {
        paddr: RAM_BASE + 0x8_0000,
        read: true,
        write: false,
        execute: false,
        user: true,
        global: false,
    };
    mem(&mut k).write(lower + 8, stray.encode());
    expect(
        &k,
        Violation::BadVspace("leaf not backed by a frame cap mapped there"),
    );
    // A table entry to something that is not a page table mapped there.
    mem(&mut k).write(lower + 8, Pte::Table(RAM_BASE + 0x8_0000).encode());
    expect(
        &k,
        Violation::BadVspace("table entry to a page table not recorded there"),
    );
    // A non-canonical entry (reserved write-only encoding).
    mem(&mut k).write(lower + 8, 0b101);
    expect(
        &k,
        Violation::BadVspace("non-canonical page-table entry or entry above the user range"),
    );
}

#[test]
fn asid_bookkeeping_is_audited() {
    let mut words = ram();
    let (mut k, b) = boot(&mut words);
    let _ = with_mapping(&mut k, &b);
    // The ASID table loses the boot pool.
    let pool = k.asids.pools[0];
    k.asids.pools[0] = 0;
    expect(
        &k,
        Violation::BadVspace("ASID pool cap not in the ASID table"),
    );
    k.asids.pools[0] = pool;
    clean(&k);
    // A pool entry names a table no cap records as that ASID's root.
    let Cap::PageTable { ptr: root, .. } = cap_at(&k, VSPACE) else {
        panic!("boot vspace");
    };
    mem(&mut k).write(pool + 8 * 7, root);
    expect(
        &k,
        Violation::BadVspace("assigned ASID without a matching root page table cap"),
    );
    mem(&mut k).write(pool + 8 * 7, 0);
    clean(&k);
    // A pool cap whose base the table does not serve.
    let s = slot(&k, POOL);
    set_cap(
        &mut k,
        s,
        Cap::AsidPool {
            ptr: pool,
            asid_base: 512,
        },
    );
    expect(
        &k,
        Violation::BadVspace("ASID pool cap not in the ASID table"),
    );
}

#[test]
fn unmapped_page_table_must_be_empty() {
    let mut words = ram();
    let (mut k, b) = boot(&mut words);
    let (lower, _, _) = with_mapping(&mut k, &b);
    let first = b.empty.start;
    // Unlinking the lower table through the kernel leaves it empty ...
    assert_eq!(
        send(&mut k, first + 1, L::PageTableUnmap, &[], &[]),
        Outcome::Done
    );
    assert_eq!(
        k.arch().flush(k.arch().flushes_len - 1),
        Some(TlbFlush::Asid(1))
    );
    clean(&k);
    // ... and an unmapped table with an entry left is noticed.
    mem(&mut k).write(lower, Pte::Table(RAM_BASE).encode());
    expect(&k, Violation::BadVspace("unmapped page table is not empty"));
}
