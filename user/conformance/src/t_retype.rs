//! Retype tests [SEL4-FACTS "Retype": check order, sizes, fan-out, device rule].
use crate::Test;
use crate::common::*;
use libsel4::{Error, untyped};
use sel4rt::{Env, ROOT_CNODE, types};

/// The tests of this area.
pub const TESTS: &[Test] = &[
    (
        "retype.unknown_type_InvalidArgument_0 [Retype: type]",
        bad_type,
    ),
    (
        "retype.cnode_radix_0_InvalidArgument_1 [Retype: CNode radix >= 1]",
        cnode_radix_0,
    ),
    ("retype.count_0_RangeError [Retype: count 1..256]", count_0),
    (
        "retype.dest_occupied_DeleteFirst [Retype: DeleteFirst]",
        dest_occupied,
    ),
    (
        "retype.child_bigger_than_parent_NotEnoughMemory [Retype: NotEnoughMemory]",
        too_big,
    ),
    (
        "retype.module_size_out_of_range_InvalidArgument_1 [vm: Module 12..28 bits]",
        module_size,
    ),
    (
        "retype.incremental_retype_appends [Retype: objects appended]",
        incremental,
    ),
];

/// A private 4 KiB untyped.
fn small_untyped(env: &mut Env) -> Result<u64, Fail> {
    ok(env.retype(types::UNTYPED, 12), "retype a 4 KiB untyped")
}

fn retype_into(ut: u64, ty: u64, size: u64, dest: u64, n: u64) -> Result<(), Error> {
    untyped::retype(ut, ty, size, ROOT_CNODE, 0, 0, dest, n)
}

fn bad_type(env: &mut Env) -> R {
    let ut = small_untyped(env)?;
    err_mrs(
        retype_into(ut, 11, 0, scratch(0), 1),
        Error::InvalidArgument,
        &[0],
        "type 11",
    )
}

fn cnode_radix_0(env: &mut Env) -> R {
    let ut = small_untyped(env)?;
    err_mrs(
        retype_into(ut, types::CNODE, 0, scratch(0), 1),
        Error::InvalidArgument,
        &[1],
        "radix 0",
    )
}

fn count_0(env: &mut Env) -> R {
    let ut = small_untyped(env)?;
    err_mrs(
        retype_into(ut, types::ENDPOINT, 0, scratch(0), 0),
        Error::RangeError,
        &[1, 256],
        "count 0",
    )
}

fn dest_occupied(env: &mut Env) -> R {
    let ut = small_untyped(env)?;
    ok(retype_into(ut, types::ENDPOINT, 0, scratch(0), 1), "first")?;
    err(
        retype_into(ut, types::ENDPOINT, 0, scratch(0), 1),
        Error::DeleteFirst,
        "second into the same slot",
    )
}

fn too_big(env: &mut Env) -> R {
    let ut = small_untyped(env)?;
    err_mrs(
        retype_into(ut, types::UNTYPED, 13, scratch(0), 1),
        Error::NotEnoughMemory,
        &[4096],
        "8 KiB from 4 KiB",
    )
}

fn module_size(env: &mut Env) -> R {
    let ut = small_untyped(env)?;
    err_mrs(
        retype_into(ut, types::MODULE, 11, scratch(0), 1),
        Error::InvalidArgument,
        &[1],
        "module of 2 KiB",
    )
}

fn incremental(env: &mut Env) -> R {
    let ut = small_untyped(env)?;
    // A TCB is 2 KiB: two fit in 4 KiB, one retype at a time, then nothing is left.
    ok(retype_into(ut, types::TCB, 0, scratch(0), 1), "first TCB")?;
    ok(
        retype_into(ut, types::TCB, 0, scratch(1), 1),
        "second TCB, appended",
    )?;
    err_mrs(
        retype_into(ut, types::TCB, 0, scratch(2), 1),
        Error::NotEnoughMemory,
        &[0],
        "a third",
    )
}
