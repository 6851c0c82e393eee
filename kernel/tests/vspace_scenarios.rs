//! VSpace scenarios: the boot VSpace and ASID pool, building a walk of page
//! tables and mapping 4 KiB and 2 MiB frames with seL4 13.0's checks in order,
//! translations and rights, unmapping and remapping, copies coming out
//! unmapped, deletes of frames, page tables, VSpace roots and pools (with the
//! TLB flushes each must send), ASID pool and ASID exhaustion and reuse, and
//! separate address spaces.

mod common;

use common::*;
use selvm_abi::args::{
    AsidPoolAssign, PageGetAddress, PageMap, PageTableMap, PageTableUnmap, PageUnmap,
};
use selvm_abi::{CapRights, InvocationLabel as L, LookupFault, ObjectType, Word, boot};
use selvm_kernel::arch::test_double::TestArch;
use selvm_kernel::cap::{Cap, FrameSize, VmRights};
use selvm_kernel::vspace::TlbFlush;
use selvm_kernel::vspace::translate::{Access, Translation, VmFault, translate};
use selvm_kernel::{BootConfig, Outcome, SyscallError as E};
use selvm_kernel_testkit::msg;
use selvm_kernel_testkit::system::largest_untyped;
use selvm_kernel_testkit::{Client, TestMemory};

const VSPACE: Word = boot::CAP_INIT_THREAD_VSPACE;
const POOL: Word = boot::CAP_INIT_THREAD_ASID_POOL;
const GIB1: Word = 0x4000_0000;
/// Rights for PageMap.
const RW: CapRights = CapRights::new(false, false, true, true);
const RO: CapRights = CapRights::READ;

fn map_table(s: &mut Sys<'_, '_>, pt: Word, vaddr: Word, vspace: Word) -> Outcome {
    s.invoke(
        pt,
        &PageTableMap {
            vaddr,
            attr: 0,
            vspace,
        },
    )
}

fn map_frame(
    s: &mut Sys<'_, '_>,
    f: Word,
    vaddr: Word,
    rights: CapRights,
    vspace: Word,
) -> Outcome {
    s.invoke(
        f,
        &PageMap {
            vaddr,
            rights,
            attr: 0,
            vspace,
        },
    )
}

/// Translates `vaddr` in the VSpace of `asid`.
fn tr(s: &Sys<'_, '_>, asid: u16, vaddr: Word, access: Access) -> Result<Translation, VmFault> {
    let root = s.k.find_vspace_for_asid(asid).expect("a live ASID");
    translate(s.k.memory(), root, vaddr, access)
}

/// The flushes recorded from number `from` on.
fn flushes_since(arch: &TestArch, from: usize) -> Vec<TlbFlush> {
    (from..arch.flushes_len)
        .filter_map(|i| arch.flush(i))
        .collect()
}

/// Two page tables at FREE, FREE+1 make a walk down to 4 KiB entries for the
/// first 2 MiB of the second GiB of `vspace`.
fn walk_at_gib1(s: &mut Sys<'_, '_>, vspace: Word) {
    s.make(ObjectType::PageTable, 0, FREE, 2);
    ok(map_table(s, FREE, GIB1, vspace));
    ok(map_table(s, FREE + 1, GIB1, vspace));
}

#[test]
fn boot_gives_the_root_task_an_asid_pool_and_a_vspace() {
    run(|s| {
        let Cap::PageTable {
            ptr,
            mapping: Some((1, 0)),
        } = s.cap(VSPACE)
        else {
            panic!("slot 3: {:?}", s.cap(VSPACE));
        };
        assert_eq!(s.k.find_vspace_for_asid(1), Ok(ptr));
        assert_eq!(s.k.thread_vspace(s.b.root_tcb), Some((1, ptr)));
        assert!(matches!(s.cap(POOL), Cap::AsidPool { asid_base: 0, .. }));
        assert_eq!(s.k.find_vspace_for_asid(2), Err(LookupFault::InvalidRoot));
        // Nothing is mapped yet: every access faults, with its address and kind.
        let fault =
            s.k.translate_for_thread(s.b.root_tcb, 0x1000, Access::Write);
        assert_eq!(
            fault,
            Err(VmFault {
                address: 0x1000,
                access: Access::Write
            })
        );
    });
}

#[test]
fn page_map_checks_in_sel4s_order() {
    run(|s| {
        walk_at_gib1(s, VSPACE);
        s.make(ObjectType::SmallPage, 0, FREE + 2, 2);
        s.make(ObjectType::PageTable, 0, FREE + 4, 1);
        let f = FREE + 2;
        illegal(s.send(f, L::CNodeCopy, &[], &[]));
        truncated(s.send(f, L::PageMap, &[GIB1, RW.word(), 0], &[]));
        truncated(s.send(f, L::PageMap, &[GIB1, RW.word()], &[VSPACE]));
        // An unassigned page table is no VSpace.
        err(
            map_frame(s, f, GIB1, RW, FREE + 4),
            E::InvalidCapability { cap: 1 },
            2,
            &[1],
        );
        err(
            map_frame(s, f, 0x3f_ffff_f000, RW, VSPACE),
            E::InvalidArgument { arg: 0 },
            1,
            &[0],
        );
        err(
            map_frame(s, f, GIB1 + 8, RW, VSPACE),
            E::AlignmentError,
            5,
            &[],
        );
        // No page table for 4 KiB pages below the third GiB: the walk stops
        // at the root, 30 bits from the bottom.
        err(
            map_frame(s, f, 2 * GIB1, RW, VSPACE),
            E::FailedLookup {
                was_source: false,
                fault: LookupFault::MissingCapability { bits_left: 30 },
            },
            6,
            &[0, 2, 30],
        );
        ok(map_frame(s, f, GIB1, RW, VSPACE));
        // The address is taken.
        delete_first(map_frame(s, f + 1, GIB1, RW, VSPACE));
        // A mapped cap maps again only where it is (a remap).
        err(
            map_frame(s, f, GIB1 + 0x1000, RW, VSPACE),
            E::InvalidArgument { arg: 0 },
            1,
            &[0],
        );
        ok(map_frame(s, f, GIB1, RO, VSPACE));
        // GetAddress answers the physical address.
        let o = s.invoke(f, &PageGetAddress {});
        let Outcome::Reply(words) = o else {
            panic!("{o:?}");
        };
        assert_eq!(words.as_slice(), &[s.ptr(f)]);
    });
}

#[test]
fn page_table_map_checks_in_sel4s_order() {
    run(|s| {
        s.make(ObjectType::PageTable, 0, FREE, 4);
        truncated(s.send(FREE, L::PageTableMap, &[GIB1], &[VSPACE]));
        illegal(s.invoke(
            FREE,
            &PageMap {
                vaddr: GIB1,
                rights: CapRights::NONE,
                attr: 0,
                vspace: VSPACE,
            },
        ));
        err(
            map_table(s, FREE, GIB1, FREE + 1),
            E::InvalidCapability { cap: 1 },
            2,
            &[1],
        );
        err(
            map_table(s, FREE, 0x3f_ffff_f000, VSPACE),
            E::InvalidArgument { arg: 0 },
            1,
            &[0],
        );
        ok(map_table(s, FREE, GIB1, VSPACE));
        err(
            map_table(s, FREE, 2 * GIB1, VSPACE),
            E::InvalidCapability { cap: 0 },
            2,
            &[0],
        );
        ok(map_table(s, FREE + 1, GIB1, VSPACE));
        // Both levels above the pages are filled at this address.
        delete_first(map_table(s, FREE + 2, GIB1, VSPACE));
        // An unmapped page table cannot be copied (it could be mapped twice).
        illegal(s.copy(FREE + 10, FREE + 3, ALL));
        // A mapped one can, and the copy is mapped too.
        ok(s.copy(FREE + 10, FREE, ALL));
        assert_eq!(s.cap(FREE + 10), s.cap(FREE));
    });
}

#[test]
fn translations_follow_mappings_and_rights() {
    run(|s| {
        walk_at_gib1(s, VSPACE);
        s.make(ObjectType::SmallPage, 0, FREE + 2, 3);
        let (a, b, c) = (FREE + 2, FREE + 3, FREE + 4);
        ok(map_frame(s, a, GIB1, RW, VSPACE));
        ok(map_frame(s, b, GIB1 + 0x1000, RO, VSPACE));
        let t = tr(s, 1, GIB1 + 0x123, Access::Write).expect("writable");
        assert_eq!(
            (t.page, t.mapping_bits, t.read, t.write),
            (s.ptr(a), 12, true, true)
        );
        // Read-only: loads work, stores fault with their address.
        assert!(tr(s, 1, GIB1 + 0x1008, Access::Read).is_ok());
        assert_eq!(
            tr(s, 1, GIB1 + 0x1008, Access::Write),
            Err(VmFault {
                address: GIB1 + 0x1008,
                access: Access::Write
            })
        );
        // Rights are the cap's, masked by the request: a read-only copy maps
        // read-only even when asked for read-write.
        ok(s.copy(FREE + 10, c, CapRights::READ));
        assert!(matches!(
            s.cap(FREE + 10),
            Cap::Frame {
                rights: VmRights::ReadOnly,
                mapping: None,
                ..
            }
        ));
        ok(map_frame(s, FREE + 10, GIB1 + 0x2000, RW, VSPACE));
        assert!(tr(s, 1, GIB1 + 0x2000, Access::Write).is_err());
        assert!(tr(s, 1, GIB1 + 0x2000, Access::Read).is_ok());
        // No rights and execute-never: the cap records a mapping, the
        // tables hold none.
        ok(s.invoke(
            c,
            &PageMap {
                vaddr: GIB1 + 0x3000,
                rights: CapRights::NONE,
                attr: 1,
                vspace: VSPACE,
            },
        ));
        assert!(tr(s, 1, GIB1 + 0x3000, Access::Read).is_err());
        // Execute-never is honoured; without it pages are executable.
        assert!(tr(s, 1, GIB1, Access::Execute).is_ok());
        ok(s.invoke(
            a,
            &PageMap {
                vaddr: GIB1,
                rights: RW,
                attr: 1,
                vspace: VSPACE,
            },
        ));
        assert!(tr(s, 1, GIB1, Access::Execute).is_err());
        // Beyond the user range nothing translates.
        assert!(tr(s, 1, 0x40_0000_0000, Access::Read).is_err());
    });
}

#[test]
fn remapping_with_fewer_rights_flushes_the_page() {
    run(|s| {
        walk_at_gib1(s, VSPACE);
        s.make(ObjectType::SmallPage, 0, FREE + 2, 1);
        let f = FREE + 2;
        let before = s.k.arch().flushes_len;
        ok(map_frame(s, f, GIB1, RW, VSPACE));
        assert_eq!(
            flushes_since(s.k.arch(), before),
            [],
            "a new mapping needs no flush"
        );
        ok(map_frame(s, f, GIB1, RO, VSPACE));
        assert_eq!(
            flushes_since(s.k.arch(), before),
            [TlbFlush::Page {
                asid: 1,
                vaddr: GIB1
            }]
        );
        assert!(tr(s, 1, GIB1, Access::Write).is_err());
    });
}

#[test]
fn unmap_delete_and_copies_of_frames() {
    run(|s| {
        walk_at_gib1(s, VSPACE);
        s.make(ObjectType::SmallPage, 0, FREE + 2, 1);
        let f = FREE + 2;
        ok(map_frame(s, f, GIB1, RW, VSPACE));
        // A copy of a mapped frame cap comes out unmapped.
        ok(s.copy(FREE + 10, f, ALL));
        assert!(matches!(s.cap(FREE + 10), Cap::Frame { mapping: None, .. }));
        assert!(matches!(
            s.cap(f),
            Cap::Frame {
                mapping: Some((1, GIB1)),
                ..
            }
        ));
        // The copy can map the same frame elsewhere.
        ok(map_frame(s, FREE + 10, GIB1 + 0x1000, RW, VSPACE));
        let before = s.k.arch().flushes_len;
        ok(s.invoke(f, &PageUnmap {}));
        assert!(tr(s, 1, GIB1, Access::Read).is_err());
        assert!(matches!(s.cap(f), Cap::Frame { mapping: None, .. }));
        assert_eq!(
            flushes_since(s.k.arch(), before),
            [TlbFlush::Page {
                asid: 1,
                vaddr: GIB1
            }]
        );
        // Unmapping an unmapped cap does nothing.
        ok(s.invoke(f, &PageUnmap {}));
        // Deleting a mapped (not final) cap removes its mapping.
        ok(s.op(L::CNodeDelete, FREE + 10));
        assert!(tr(s, 1, GIB1 + 0x1000, Access::Read).is_err());
        assert_eq!(s.k.arch().flushes_len, before + 2);
        // The frame maps again where it was.
        ok(map_frame(s, f, GIB1, RW, VSPACE));
        assert!(tr(s, 1, GIB1, Access::Write).is_ok());
    });
}

#[test]
fn page_table_unmap_rules_and_stale_frame_caps() {
    run(|s| {
        walk_at_gib1(s, VSPACE);
        s.make(ObjectType::SmallPage, 0, FREE + 2, 1);
        let (l1, l0, f) = (FREE, FREE + 1, FREE + 2);
        ok(map_frame(s, f, GIB1, RW, VSPACE));
        // The boot VSpace root goes only by revoke or delete.
        err(s.invoke(VSPACE, &PageTableUnmap {}), E::RevokeFirst, 9, &[]);
        // Not the last cap: RevokeFirst.
        ok(s.copy(FREE + 10, l0, ALL));
        err(s.invoke(l0, &PageTableUnmap {}), E::RevokeFirst, 9, &[]);
        ok(s.op(L::CNodeDelete, FREE + 10));
        let before = s.k.arch().flushes_len;
        ok(s.invoke(l0, &PageTableUnmap {}));
        assert_eq!(flushes_since(s.k.arch(), before), [TlbFlush::Asid(1)]);
        assert!(tr(s, 1, GIB1, Access::Read).is_err());
        assert!(matches!(s.cap(l0), Cap::PageTable { mapping: None, .. }));
        // The table was cleared; the frame cap still records its mapping.
        assert!(s.k.memory().is_zero(s.ptr(l0), 4096));
        assert!(matches!(
            s.cap(f),
            Cap::Frame {
                mapping: Some((1, GIB1)),
                ..
            }
        ));
        // The table maps again elsewhere, and a new frame maps where the
        // stale cap says it is; unmapping the stale cap leaves that alone.
        ok(map_table(s, l0, GIB1 + 0x20_0000, VSPACE));
        s.make(ObjectType::SmallPage, 0, FREE + 3, 1);
        ok(map_frame(s, FREE + 3, GIB1 + 0x20_0000, RW, VSPACE));
        ok(s.invoke(f, &PageUnmap {}));
        assert_eq!(
            tr(s, 1, GIB1 + 0x20_0000, Access::Read).map(|t| t.page),
            Ok(s.ptr(FREE + 3))
        );
        // Deleting the upper table unlinks the whole subtree.
        ok(s.op(L::CNodeDelete, l1));
        assert!(tr(s, 1, GIB1 + 0x20_0000, Access::Read).is_err());
    });
}

#[test]
fn a_deleted_vspace_frees_its_asid_and_can_be_rebuilt() {
    run(|s| {
        s.make(ObjectType::PageTable, 0, FREE, 4);
        s.make(ObjectType::SmallPage, 0, FREE + 4, 1);
        let root = FREE;
        ok(s.invoke(POOL, &AsidPoolAssign { vspace: root }));
        // ASID 0 is never handed out and 1 is the boot VSpace's.
        assert!(matches!(
            s.cap(root),
            Cap::PageTable {
                mapping: Some((2, 0)),
                ..
            }
        ));
        ok(map_table(s, FREE + 1, GIB1, root));
        ok(map_table(s, FREE + 2, GIB1, root));
        ok(map_frame(s, FREE + 4, GIB1, RW, root));
        assert!(tr(s, 2, GIB1, Access::Read).is_ok());
        let before = s.k.arch().flushes_len;
        ok(s.op(L::CNodeDelete, root));
        assert_eq!(flushes_since(s.k.arch(), before), [TlbFlush::Asid(2)]);
        assert_eq!(s.k.find_vspace_for_asid(2), Err(LookupFault::InvalidRoot));
        // The orphaned tables and frame keep stale records; a new root gets
        // ASID 2 again and starts empty.
        s.make(ObjectType::PageTable, 0, root, 1);
        ok(s.invoke(POOL, &AsidPoolAssign { vspace: root }));
        assert!(matches!(
            s.cap(root),
            Cap::PageTable {
                mapping: Some((2, 0)),
                ..
            }
        ));
        assert!(tr(s, 2, GIB1, Access::Read).is_err());
        // A stale page-table cap cannot be mapped again until unmapped.
        err(
            map_table(s, FREE + 1, GIB1, root),
            E::InvalidCapability { cap: 0 },
            2,
            &[0],
        );
        ok(s.invoke(FREE + 1, &PageTableUnmap {}));
        ok(map_table(s, FREE + 1, GIB1, root));
        // Deleting the stale frame cap does not touch the new space.
        ok(s.op(L::CNodeDelete, FREE + 4));
        ok(s.op(L::CNodeDelete, FREE + 2));
    });
}

#[test]
fn separate_address_spaces_translate_separately() {
    run(|s| {
        s.make(ObjectType::PageTable, 0, FREE, 3);
        s.make(ObjectType::SmallPage, 0, FREE + 3, 2);
        let other = FREE;
        ok(s.invoke(POOL, &AsidPoolAssign { vspace: other }));
        // The boot space gets its own walk at the same address.
        s.make(ObjectType::PageTable, 0, FREE + 10, 2);
        ok(map_table(s, FREE + 10, GIB1, VSPACE));
        ok(map_table(s, FREE + 11, GIB1, VSPACE));
        ok(map_table(s, FREE + 1, GIB1, other));
        ok(map_table(s, FREE + 2, GIB1, other));
        ok(map_frame(s, FREE + 3, GIB1, RW, VSPACE));
        ok(map_frame(s, FREE + 4, GIB1, RO, other));
        let mine = tr(s, 1, GIB1, Access::Write).expect("mapped in ASID 1");
        let theirs = tr(s, 2, GIB1, Access::Read).expect("mapped in ASID 2");
        assert_eq!((mine.page, theirs.page), (s.ptr(FREE + 3), s.ptr(FREE + 4)));
        assert!(tr(s, 2, GIB1, Access::Write).is_err());
        // A frame cap maps in one space at a time.
        err(
            map_frame(s, FREE + 3, GIB1, RW, other),
            E::InvalidCapability { cap: 1 },
            2,
            &[1],
        );
    });
}

#[test]
fn make_pool_checks_in_sel4s_order() {
    run(|s| {
        let ctl = boot::CAP_ASID_CONTROL;
        let u12 = s.untyped(12);
        illegal(s.send(ctl, L::AsidPoolAssign, &[FREE, 64], &[u12, ROOT]));
        truncated(s.send(ctl, L::AsidControlMakePool, &[FREE, 64], &[u12]));
        let big = s.big();
        err(
            s.invoke(ctl, &msg::make_pool(big, FREE)),
            E::InvalidCapability { cap: 1 },
            2,
            &[1],
        );
        ok(s.retype(u12, ObjectType::Endpoint, 0, FREE + 1, 1));
        err(
            s.invoke(ctl, &msg::make_pool(u12, FREE)),
            E::RevokeFirst,
            9,
            &[],
        );
        ok(s.op(L::CNodeRevoke, u12));
        delete_first(s.invoke(ctl, &msg::make_pool(u12, VSPACE)));
        ok(s.invoke(ctl, &msg::make_pool(u12, FREE)));
        assert!(matches!(s.cap(FREE), Cap::AsidPool { asid_base: 512, .. }));
        // The new pool hands out 512 first (no ASID 0 rule beyond pool 0).
        s.make(ObjectType::PageTable, 0, FREE + 2, 1);
        ok(s.invoke(FREE, &AsidPoolAssign { vspace: FREE + 2 }));
        assert!(matches!(
            s.cap(FREE + 2),
            Cap::PageTable {
                mapping: Some((512, 0)),
                ..
            }
        ));
        // Assign wants an unmapped page table.
        err(
            s.invoke(FREE, &AsidPoolAssign { vspace: FREE + 2 }),
            E::InvalidCapability { cap: 1 },
            2,
            &[1],
        );
        truncated(s.send(FREE, L::AsidPoolAssign, &[], &[]));
        // Deleting the pool frees every ASID it gave.
        let before = s.k.arch().flushes_len;
        ok(s.op(L::CNodeDelete, FREE));
        assert_eq!(flushes_since(s.k.arch(), before), [TlbFlush::Asid(512)]);
        assert_eq!(s.k.find_vspace_for_asid(512), Err(LookupFault::InvalidRoot));
    });
}

/// A system with 8 MiB of RAM and a radix-12 root CNode, for the exhaustion
/// tests (hundreds of pools and page tables).
fn run_large(f: impl FnOnce(&mut Sys<'_, '_>)) {
    let mut mem = TestMemory::new(8 << 20);
    let (mut k, b) = mem.boot(&BootConfig {
        root_radix: 12,
        devices: &[],
        ..Default::default()
    });
    let c = Client::new(b.root_tcb);
    check(&k);
    f(&mut Sys {
        k: &mut k,
        b: &b,
        c: &c,
    });
    check(&k);
}

#[test]
fn asid_pools_and_asids_run_out_and_are_reused() {
    run_large(|s| {
        let ctl = boot::CAP_ASID_CONTROL;
        let ut = largest_untyped(s.b);
        let (pools, untypeds, tables) = (1000, 1200, 2000);
        // 127 more pools fill the ASID table (pool 0 came with boot).
        ok(s.retype(ut, ObjectType::Untyped, 12, untypeds, 128));
        for i in 0..127 {
            ok(s.invoke(ctl, &msg::make_pool(untypeds + i, pools + i)));
        }
        delete_first(s.invoke(ctl, &msg::make_pool(untypeds + 127, pools + 127)));
        // Deleting one frees its block of ASIDs for a new pool.
        ok(s.op(L::CNodeDelete, pools + 5));
        ok(s.op(L::CNodeRevoke, untypeds + 5));
        ok(s.invoke(ctl, &msg::make_pool(untypeds + 127, pools + 127)));
        assert!(
            matches!(s.cap(pools + 127), Cap::AsidPool { asid_base, .. } if asid_base == 6 * 512)
        );
        // One pool gives out 512 ASIDs, then DeleteFirst.
        for (first, n) in [(0, 256), (256, 256), (512, 1)] {
            ok(s.retype(ut, ObjectType::PageTable, 0, tables + first, n));
        }
        let pool = pools + 9; // base 10 * 512
        for i in 0..512 {
            ok(s.invoke(pool, &AsidPoolAssign { vspace: tables + i }));
        }
        delete_first(s.invoke(
            pool,
            &AsidPoolAssign {
                vspace: tables + 512,
            },
        ));
        // Deleting a root frees exactly its ASID, which is handed out next.
        let freed = match s.cap(tables + 300) {
            Cap::PageTable {
                mapping: Some((asid, 0)),
                ..
            } => asid,
            other => panic!("{other:?}"),
        };
        ok(s.op(L::CNodeDelete, tables + 300));
        ok(s.invoke(
            pool,
            &AsidPoolAssign {
                vspace: tables + 512,
            },
        ));
        assert!(matches!(
            s.cap(tables + 512),
            Cap::PageTable { mapping: Some((asid, 0)), .. } if asid == freed
        ));
    });
}

#[test]
fn large_frames_map_one_level_up() {
    run_large(|s| {
        let ut = largest_untyped(s.b);
        ok(s.retype(ut, ObjectType::LargePage, 0, 101, 1));
        ok(s.retype(ut, ObjectType::PageTable, 0, 100, 1));
        ok(map_table(s, 100, GIB1, VSPACE));
        err(
            map_frame(s, 101, GIB1 + 0x1000, RW, VSPACE),
            E::AlignmentError,
            5,
            &[],
        );
        ok(map_frame(s, 101, GIB1 + 0x20_0000, RW, VSPACE));
        let t = tr(s, 1, GIB1 + 0x20_0000 + 0x5123, Access::Write).expect("mapped");
        assert_eq!((t.page, t.mapping_bits), (s.ptr(101) + 0x5000, 21));
        assert!(matches!(
            s.cap(101),
            Cap::Frame {
                size: FrameSize::Large,
                ..
            }
        ));
        // A page table cannot go where the large frame is.
        ok(s.retype(ut, ObjectType::PageTable, 0, 102, 1));
        delete_first(map_table(s, 102, GIB1 + 0x20_0000, VSPACE));
        // Revoking the untyped everything came from unmaps it all.
        ok(s.op(L::CNodeRevoke, ut));
        assert!(tr(s, 1, GIB1 + 0x20_0000, Access::Read).is_err());
    });
}

#[test]
fn page_get_address_through_a_call_replies_once_and_the_caller_runs_on() {
    // Found by the conformance suite on the hosted machine: a reply with data
    // from an object invocation left the caller in Restart, so it ran the
    // syscall again (with the reply in its registers).
    use selvm_kernel::object::tcb::ThreadState;
    use selvm_kernel_testkit::threads::invoke;
    run(|s| {
        s.make(ObjectType::SmallPage, 0, FREE, 1);
        let r = invoke(s.k, FREE, &PageGetAddress {});
        assert_eq!((r.label, r.mrs.as_slice()), (0, &[s.ptr(FREE)][..]));
        let me = s.b.root_tcb;
        assert_eq!(s.k.thread_state(me), ThreadState::Running);
        let ctx = s.k.context(me);
        assert_ne!(
            ctx[selvm_kernel::arch::riscv64::NEXT_IP],
            ctx[selvm_kernel::arch::riscv64::FAULT_IP],
            "resumes after the syscall, not on it"
        );
    });
}
