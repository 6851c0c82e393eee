//! VSpace tests [SEL4-FACTS "VSpace (separate spaces, ASID pools, unmap after
//! delete)"; docs/kernel.md "VSpaces"]: mapping and unmapping, the check order of
//! PageMap and PageTableMap, unmap on delete, ASID assignment.
use crate::Test;
use crate::common::*;
use libsel4::vspace::{asid_pool, page, page_table};
use libsel4::{CapRights, Error, cnode};
use sel4rt::{ASID_POOL, Env, ROOT_CNODE, ROOT_VSPACE, types};

/// The tests of this area.
pub const TESTS: &[Test] = &[
    (
        "vspace.deleting_a_mapped_frame_unmaps_it [delete unmaps]",
        delete_unmaps,
    ),
    (
        "vspace.page_unmap_frees_the_address [PageUnmap]",
        unmap_frees,
    ),
    (
        "vspace.mapped_address_DeleteFirst [PageMap: slot taken]",
        map_taken,
    ),
    (
        "vspace.misaligned_AlignmentError [PageMap: alignment]",
        map_misaligned,
    ),
    (
        "vspace.missing_table_FailedLookup [PageMap: bits left]",
        map_no_table,
    ),
    (
        "vspace.copy_of_mapped_frame_is_unmapped [copies come out unmapped]",
        copy_unmapped,
    ),
    (
        "vspace.assign_gives_a_fresh_asid_root [ASIDPool_Assign]",
        assign_root,
    ),
    (
        "vspace.assign_needs_an_unmapped_table [ASIDPool_Assign: InvalidCapability 1]",
        assign_mapped,
    ),
    (
        "vspace.table_above_user_top_InvalidArgument [PageTableMap: user top]",
        table_above_user_top,
    ),
];

/// A fresh page-aligned address far from the root task's memory.
fn addr(env: &mut Env) -> u64 {
    env.alloc_vaddr(1) as u64
}

fn frame(env: &mut Env) -> Result<u64, Fail> {
    ok(env.retype(types::FRAME, 0), "retype frame")
}

fn delete_unmaps(env: &mut Env) -> R {
    let (f1, f2, v) = (frame(env)?, frame(env)?, addr(env));
    ok(
        env.map_frame(ROOT_VSPACE, f1, v as usize, CapRights::ALL),
        "map F1",
    )?;
    ok(cnode::delete(ROOT_CNODE, f1, 64), "delete F1")?;
    // The address is free again: another frame maps there.
    ok(
        page::map(f2, ROOT_VSPACE, v, CapRights::ALL, 0),
        "map F2 where F1 was",
    )
}

fn unmap_frees(env: &mut Env) -> R {
    let (f1, f2, v) = (frame(env)?, frame(env)?, addr(env));
    ok(
        env.map_frame(ROOT_VSPACE, f1, v as usize, CapRights::ALL),
        "map F1",
    )?;
    ok(page::unmap(f1), "unmap F1")?;
    ok(
        page::map(f2, ROOT_VSPACE, v, CapRights::ALL, 0),
        "map F2 there",
    )?;
    // Unmapping an unmapped frame does nothing.
    ok(page::unmap(f1), "unmap F1 again")
}

fn map_taken(env: &mut Env) -> R {
    let (f1, f2, v) = (frame(env)?, frame(env)?, addr(env));
    ok(
        env.map_frame(ROOT_VSPACE, f1, v as usize, CapRights::ALL),
        "map F1",
    )?;
    err(
        page::map(f2, ROOT_VSPACE, v, CapRights::ALL, 0),
        Error::DeleteFirst,
        "map F2 on F1",
    )
}

fn map_misaligned(env: &mut Env) -> R {
    let (f, v) = (frame(env)?, addr(env));
    err(
        page::map(f, ROOT_VSPACE, v + 8, CapRights::ALL, 0),
        Error::AlignmentError,
        "map at +8",
    )
}

fn map_no_table(env: &mut Env) -> R {
    let f = frame(env)?;
    // 200 GiB: no page table covers it; the walk stops at the root, 30 bits left.
    let r = page::map(f, ROOT_VSPACE, 200 << 30, CapRights::ALL, 0);
    err_mrs(
        r,
        Error::FailedLookup,
        &[0, 2, 30],
        "map with no page table",
    )
}

fn copy_unmapped(env: &mut Env) -> R {
    let (f, v) = (frame(env)?, addr(env));
    ok(
        env.map_frame(ROOT_VSPACE, f, v as usize, CapRights::ALL),
        "map",
    )?;
    ok(root_copy(scratch(0), f, CapRights::ALL), "copy")?;
    // The copy is unmapped: unmapping it leaves the original's mapping alone,
    // so the address is still taken.
    ok(page::unmap(scratch(0)), "unmap the copy")?;
    let f2 = frame(env)?;
    err(
        page::map(f2, ROOT_VSPACE, v, CapRights::ALL, 0),
        Error::DeleteFirst,
        "still mapped",
    )
}

fn assign_root(env: &mut Env) -> R {
    let pt = ok(env.retype(types::PAGE_TABLE, 0), "retype table")?;
    ok(asid_pool::assign(ASID_POOL, pt), "assign")?;
    // A VSpace root maps pages (after its own page tables).
    let f = frame(env)?;
    ok(
        env.map_frame(pt, f, 0x1000, CapRights::ALL),
        "map in the new space",
    )
}

fn assign_mapped(env: &mut Env) -> R {
    let pt = ok(env.retype(types::PAGE_TABLE, 0), "retype table")?;
    ok(
        page_table::map(pt, ROOT_VSPACE, 100 << 30, 0),
        "map the table",
    )?;
    err_mrs(
        asid_pool::assign(ASID_POOL, pt),
        Error::InvalidCapability,
        &[1],
        "assign a mapped table",
    )
}

// [PageTableMap: InvalidArgument 0 at or above seL4_UserTop]
fn table_above_user_top(env: &mut Env) -> R {
    let pt = ok(env.retype(types::PAGE_TABLE, 0), "retype table")?;
    err_mrs(
        page_table::map(pt, ROOT_VSPACE, 300 << 30, 0),
        Error::InvalidArgument,
        &[0],
        "map at 300 GiB",
    )
}
