//! CNode operations (SEL4-FACTS "CSpace and the derivation tree", "Errors"): copy,
//! delete, mint, move, mutate, cancel badged sends, revoke, rotate, save caller.

use crate::Test;
use crate::common::*;
use core::sync::atomic::Ordering::SeqCst;
use libsel4::{CapRights, Error, cnode, ipc};
use sel4rt::{Env, ROOT_CNODE, types};
use selvm_abi::ROOT_CNODE_GUARD_SIZE;

/// The tests of this area.
pub const TESTS: &[Test] = &[
    (
        "cnode.copy_works_and_keeps_badge [Copy: child of the original]",
        copy_works,
    ),
    (
        "cnode.copy_dest_occupied_DeleteFirst [errors: DeleteFirst]",
        copy_occupied,
    ),
    (
        "cnode.copy_src_empty_FailedLookup [FailedLookup: wasSource, MissingCapability]",
        copy_src_empty,
    ),
    (
        "cnode.copy_depth_0_RangeError [CNode op depth 1..64]",
        copy_depth0,
    ),
    (
        "cnode.copy_depth_32_GuardMismatch [lookup-failure words: GuardMismatch]",
        copy_depth32,
    ),
    (
        "cnode.copy_never_adds_rights [Mint/Copy never add rights]",
        copy_no_rights,
    ),
    (
        "cnode.mint_badges_unbadged [Mint badges an unbadged cap]",
        mint_badge,
    ),
    (
        "cnode.mint_rebadge_IllegalOperation [Mint only an unbadged cap]",
        mint_rebadge,
    ),
    (
        "cnode.delete_empty_ok [Delete removes one cap]",
        delete_empty,
    ),
    (
        "cnode.delete_last_cap_destroys_endpoint [Delete last cap: cancel all IPC]",
        delete_last_ep,
    ),
    ("cnode.move_empties_source [Move]", move_cap),
    (
        "cnode.move_to_occupied_DeleteFirst [Move: DeleteFirst]",
        move_occupied,
    ),
    (
        "cnode.mutate_endpoint_IllegalOperation [Mutate cannot badge]",
        mutate_ep,
    ),
    (
        "cnode.mutate_cnode_guard [Mutate sets CNode guard]",
        mutate_guard,
    ),
    (
        "cnode.revoke_deletes_copies [Revoke deletes all descendants]",
        revoke_copies,
    ),
    (
        "cnode.revoke_keeps_cap [Revoke keeps the cap itself]",
        revoke_keeps,
    ),
    (
        "cnode.revoke_badged_original_kills_its_copies [newly badged cap is an original]",
        revoke_badged,
    ),
    ("cnode.rotate_three_slots [Rotate]", rotate),
    (
        "cnode.rotate_pivot_is_src_IllegalOperation [Rotate]",
        rotate_bad,
    ),
    (
        "cnode.rotate_dest_occupied_DeleteFirst [Rotate]",
        rotate_occupied,
    ),
    (
        "cnode.cancel_badged_sends_dequeues [CancelBadgedSends]",
        cancel_badged,
    ),
    (
        "cnode.cancel_badged_sends_needs_all_rights [CancelBadgedSends: all rights]",
        cancel_rights,
    ),
    (
        "cnode.save_caller_moves_reply_cap [SaveCaller]",
        save_caller,
    ),
    (
        "cnode.save_caller_occupied_DeleteFirst [SaveCaller]",
        save_caller_occupied,
    ),
    (
        "cnode.save_caller_empty_is_noop [SaveCaller]",
        save_caller_empty,
    ),
    (
        "cnode.reply_cap_cannot_be_copied [Reply caps cannot be copied]",
        reply_no_copy,
    ),
];

fn ntfn(env: &mut Env) -> Result<u64, Fail> {
    ok(env.retype(types::NOTIFICATION, 0), "retype notification")
}

/// Signals through `cap` and returns what a poll of `n` sees.
fn signal_seen(cap: u64, n: u64) -> u64 {
    libsel4::signal(cap);
    libsel4::poll(n).1
}

fn copy_works(env: &mut Env) -> R {
    let n = ntfn(env)?;
    ok(root_mint(scratch(0), n, CapRights::ALL, 6), "mint")?;
    ok(root_copy(scratch(1), scratch(0), CapRights::ALL), "copy")?;
    eq(signal_seen(scratch(1), n), 6, "copy keeps the badge")
}

fn copy_occupied(env: &mut Env) -> R {
    let n = ntfn(env)?;
    ok(root_copy(scratch(0), n, CapRights::ALL), "copy")?;
    err(
        root_copy(scratch(0), n, CapRights::ALL),
        Error::DeleteFirst,
        "copy onto a cap",
    )
}

fn copy_src_empty(_: &mut Env) -> R {
    let r = root_copy(scratch(0), scratch(1), CapRights::ALL);
    err_mrs(
        r,
        Error::FailedLookup,
        &[1, 2, 64],
        "copy from an empty slot",
    )
}

fn copy_depth0(_: &mut Env) -> R {
    let r = cnode::copy(
        ROOT_CNODE,
        scratch(0),
        0,
        ROOT_CNODE,
        test_ep(),
        64,
        CapRights::ALL,
    );
    err_mrs(r, Error::RangeError, &[1, 64], "depth 0")
}

fn copy_depth32(_: &mut Env) -> R {
    let r = cnode::copy(
        ROOT_CNODE,
        scratch(0),
        32,
        ROOT_CNODE,
        test_ep(),
        64,
        CapRights::ALL,
    );
    // Destination lookup: the root's guard (52 bits on the vm, 51 on riscv64) is longer
    // than the 32 bits left: GuardMismatch (bitsLeft 32, guardFound 0, bitsFound the
    // guard's size), as seL4 checks the guard first.
    err_mrs(
        r,
        Error::FailedLookup,
        &[0, 4, 32, 0, ROOT_CNODE_GUARD_SIZE.into()],
        "depth 32 on the root CNode",
    )
}

fn copy_no_rights(env: &mut Env) -> R {
    let ep = ok(env.retype(types::ENDPOINT, 0), "retype")?;
    ok(root_copy(scratch(0), ep, CapRights::READ), "copy read-only")?;
    ok(
        root_copy(scratch(1), scratch(0), CapRights::ALL),
        "copy with all rights",
    )?;
    // A Call through a cap without Write answers InvalidCapability 0.
    err_mrs(
        libsel4::invoke(scratch(1), 0, &[], &[]),
        Error::InvalidCapability,
        &[0],
        "call through the copy",
    )
}

fn mint_badge(env: &mut Env) -> R {
    let n = ntfn(env)?;
    ok(root_mint(scratch(0), n, CapRights::ALL, 0x1234), "mint")?;
    eq(signal_seen(scratch(0), n), 0x1234, "badge")
}

fn mint_rebadge(env: &mut Env) -> R {
    let n = ntfn(env)?;
    ok(root_mint(scratch(0), n, CapRights::ALL, 5), "mint")?;
    err(
        root_mint(scratch(1), scratch(0), CapRights::ALL, 7),
        Error::IllegalOperation,
        "mint a badged cap",
    )
}

fn delete_empty(_: &mut Env) -> R {
    ok(
        cnode::delete(ROOT_CNODE, scratch(5), 64),
        "delete empty slot",
    )
}

extern "C" fn blocked_receiver(_: u64) {
    let ep = super::common::SHARED[0].load(SeqCst);
    let (i, _) = libsel4::recv(ep);
    // Deleting the endpoint restarts nobody: a receive that returns is a failure.
    done(0x77, &[i.label()]);
}

fn delete_last_ep(env: &mut Env) -> R {
    let ep = ok(env.retype(types::ENDPOINT, 0), "retype")?;
    set_shared(0, ep);
    spawn(env, blocked_receiver, 0, 255)?;
    yields(2);
    ok(env.delete(ep), "delete the endpoint")?;
    // Cancelling all IPC restarts the receiver: its Recv on the now empty slot is a
    // CapFault in the receive phase (MissingCapability).
    fault(1)?;
    eq(mr(1), ep, "CapFault address")?;
    eq(mr(2), 1, "in receive phase")?;
    eq(mr(3), 2, "MissingCapability")
}

fn move_cap(env: &mut Env) -> R {
    let n = ntfn(env)?;
    ok(root_mint(scratch(0), n, CapRights::ALL, 3), "mint")?;
    ok(
        cnode::move_(ROOT_CNODE, scratch(1), 64, ROOT_CNODE, scratch(0), 64),
        "move",
    )?;
    eq(signal_seen(scratch(1), n), 3, "moved cap works")?;
    let r = root_copy(scratch(2), scratch(0), CapRights::ALL);
    err(r, Error::FailedLookup, "source is empty after move")
}

fn move_occupied(env: &mut Env) -> R {
    let n = ntfn(env)?;
    ok(root_copy(scratch(0), n, CapRights::ALL), "copy")?;
    ok(root_copy(scratch(1), n, CapRights::ALL), "copy")?;
    err(
        cnode::move_(ROOT_CNODE, scratch(1), 64, ROOT_CNODE, scratch(0), 64),
        Error::DeleteFirst,
        "move onto a cap",
    )
}

fn mutate_ep(env: &mut Env) -> R {
    let ep = ok(env.retype(types::ENDPOINT, 0), "retype")?;
    ok(root_copy(scratch(0), ep, CapRights::ALL), "copy")?;
    err(
        cnode::mutate(ROOT_CNODE, scratch(1), 64, ROOT_CNODE, scratch(0), 64, 9),
        Error::IllegalOperation,
        "mutate an endpoint with data",
    )
}

fn mutate_guard(env: &mut Env) -> R {
    // A radix-4 CNode, mutated to guard size 60 (guard 0): 64 bits resolve in it.
    let cn = ok(env.retype(types::CNODE, 4), "retype CNode")?;
    ok(
        cnode::mutate(ROOT_CNODE, scratch(0), 64, ROOT_CNODE, cn, 64, 60),
        "mutate guard size 60",
    )?;
    ok(
        cnode::copy(scratch(0), 7, 64, ROOT_CNODE, test_ep(), 64, CapRights::ALL),
        "copy into it at depth 64",
    )?;
    ok(
        cnode::copy(
            ROOT_CNODE,
            scratch(1),
            64,
            scratch(0),
            7,
            64,
            CapRights::ALL,
        ),
        "copy back",
    )?;
    // The original cap moved away: the slot is empty.
    err(
        root_copy(scratch(2), cn, CapRights::ALL),
        Error::FailedLookup,
        "mutate moves",
    )
}

fn revoke_copies(env: &mut Env) -> R {
    let n = ntfn(env)?;
    ok(root_mint(scratch(0), n, CapRights::ALL, 0), "copy")?;
    ok(
        root_copy(scratch(1), scratch(0), CapRights::ALL),
        "copy of copy",
    )?;
    ok(cnode::revoke(ROOT_CNODE, n, 64), "revoke")?;
    for i in 0..2 {
        err(
            root_copy(scratch(2), scratch(i), CapRights::ALL),
            Error::FailedLookup,
            "copy is gone",
        )?;
    }
    Ok(())
}

fn revoke_keeps(env: &mut Env) -> R {
    let n = ntfn(env)?;
    ok(root_copy(scratch(0), n, CapRights::ALL), "copy")?;
    ok(cnode::revoke(ROOT_CNODE, n, 64), "revoke")?;
    ok(
        root_copy(scratch(1), n, CapRights::ALL),
        "original still there",
    )
}

fn revoke_badged(env: &mut Env) -> R {
    let n = ntfn(env)?;
    ok(root_mint(scratch(0), n, CapRights::ALL, 9), "mint")?;
    ok(
        root_copy(scratch(1), scratch(0), CapRights::ALL),
        "copy badged",
    )?;
    ok(root_mint(scratch(2), n, CapRights::ALL, 10), "other badge")?;
    ok(
        cnode::revoke(ROOT_CNODE, scratch(0), 64),
        "revoke the badged original",
    )?;
    err(
        root_copy(scratch(3), scratch(1), CapRights::ALL),
        Error::FailedLookup,
        "its copy is gone",
    )?;
    eq(signal_seen(scratch(2), n), 10, "the other badge survives")?;
    eq(signal_seen(scratch(0), n), 9, "the original survives")
}

fn rotate(env: &mut Env) -> R {
    // Frames: Rotate's data words do not change them (endpoint and notification caps
    // would become null under updateCapData with preserve set).
    let f = ok(env.retype_many(types::FRAME, 0, 2), "retype frames")?;
    let a = ok(libsel4::vspace::page::get_address(f), "address A")?;
    let b = ok(libsel4::vspace::page::get_address(f + 1), "address B")?;
    ok(
        cnode::move_(ROOT_CNODE, scratch(0), 64, ROOT_CNODE, f, 64),
        "move A",
    )?;
    ok(
        cnode::move_(ROOT_CNODE, scratch(1), 64, ROOT_CNODE, f + 1, 64),
        "move B",
    )?;
    // src A (0) -> pivot (1), pivot's B -> dest (2).
    ok(
        cnode::rotate(
            ROOT_CNODE,
            scratch(2),
            64,
            ROOT_CNODE,
            scratch(1),
            64,
            0,
            ROOT_CNODE,
            scratch(0),
            64,
            0,
        ),
        "rotate",
    )?;
    eq(
        ok(libsel4::vspace::page::get_address(scratch(1)), "pivot")?,
        a,
        "pivot holds A",
    )?;
    eq(
        ok(libsel4::vspace::page::get_address(scratch(2)), "dest")?,
        b,
        "dest holds B",
    )?;
    err(
        root_copy(scratch(3), scratch(0), CapRights::ALL),
        Error::FailedLookup,
        "src empty",
    )
}

fn rotate_bad(env: &mut Env) -> R {
    let n = ntfn(env)?;
    ok(root_mint(scratch(0), n, CapRights::ALL, 1), "mint")?;
    let r = cnode::rotate(
        ROOT_CNODE,
        scratch(2),
        64,
        ROOT_CNODE,
        scratch(0),
        64,
        0,
        ROOT_CNODE,
        scratch(0),
        64,
        0,
    );
    err(r, Error::IllegalOperation, "pivot == src")
}

fn rotate_occupied(env: &mut Env) -> R {
    let n = ntfn(env)?;
    for i in 0..3 {
        ok(
            root_mint(scratch(i), n, CapRights::ALL, i as u64 + 1),
            "mint",
        )?;
    }
    let r = cnode::rotate(
        ROOT_CNODE,
        scratch(2),
        64,
        ROOT_CNODE,
        scratch(1),
        64,
        0,
        ROOT_CNODE,
        scratch(0),
        64,
        0,
    );
    err(r, Error::DeleteFirst, "dest occupied")
}

extern "C" fn badged_sender(_: u64) {
    ipc::set_mr(0, 1);
    libsel4::send(super::common::SHARED[0].load(SeqCst), info(1, 1));
}

fn cancel_badged(env: &mut Env) -> R {
    let ep = ok(env.retype(types::ENDPOINT, 0), "retype")?;
    ok(root_mint(scratch(0), ep, CapRights::ALL, 5), "mint")?;
    set_shared(0, scratch(0));
    // The sender at 255 blocks on the endpoint when the root yields to it.
    spawn(env, badged_sender, 0, 255)?;
    yields(2);
    ok(
        cnode::cancel_badged_sends(ROOT_CNODE, scratch(0), 64),
        "cancel",
    )?;
    // The sender is restarted, not yet sending again: nothing to receive now.
    let (_, b) = libsel4::nb_recv(ep);
    eq(b, 0, "queue empty after cancel")?;
    yields(2);
    let (_, b) = libsel4::nb_recv(ep);
    eq(b, 5, "the restarted sender sends again")
}

fn cancel_rights(env: &mut Env) -> R {
    let ep = ok(env.retype(types::ENDPOINT, 0), "retype")?;
    ok(root_mint(scratch(0), ep, CapRights::WRITE, 5), "mint")?;
    err(
        cnode::cancel_badged_sends(ROOT_CNODE, scratch(0), 64),
        Error::IllegalOperation,
        "cancel without all rights",
    )
}

extern "C" fn call_shared(arg: u64) {
    ipc::set_mr(0, arg);
    let r = libsel4::call(DONE.load(SeqCst), info(4, 1));
    done(0x99, &[r.label(), ipc::get_mr(0)]);
}

fn save_caller(env: &mut Env) -> R {
    spawn(env, call_shared, 11, 100)?;
    let m = collect();
    eq(m.label, 4, "call label")?;
    ok(
        cnode::save_caller(ROOT_CNODE, scratch(0), 64),
        "save caller",
    )?;
    // The caller slot is now empty: Reply is a no-op; the saved cap answers.
    libsel4::reply(info(1, 0));
    ipc::set_mr(0, 123);
    libsel4::send(scratch(0), info(6, 1));
    let m = report()?;
    eq(m.label, 0x99, "report")?;
    eq(mr(0), 6, "reply label through the saved cap")?;
    eq(mr(1), 123, "reply MR0")
}

fn save_caller_occupied(env: &mut Env) -> R {
    spawn(env, call_shared, 11, 100)?;
    collect();
    ok(root_copy(scratch(0), test_ep(), CapRights::ALL), "copy")?;
    err(
        cnode::save_caller(ROOT_CNODE, scratch(0), 64),
        Error::DeleteFirst,
        "save onto a cap",
    )?;
    libsel4::reply(info(0, 0));
    report().map(drop)
}

fn save_caller_empty(_: &mut Env) -> R {
    ok(
        cnode::save_caller(ROOT_CNODE, scratch(0), 64),
        "save with an empty caller slot",
    )?;
    ok(cnode::delete(ROOT_CNODE, scratch(0), 64), "delete")?;
    let r = root_copy(scratch(1), scratch(0), CapRights::ALL);
    err(r, Error::FailedLookup, "nothing was saved")
}

fn reply_no_copy(env: &mut Env) -> R {
    spawn(env, call_shared, 11, 100)?;
    collect();
    ok(cnode::save_caller(ROOT_CNODE, scratch(0), 64), "save")?;
    let r = root_copy(scratch(1), scratch(0), CapRights::ALL);
    err(r, Error::IllegalOperation, "copy a reply cap")?;
    libsel4::send(scratch(0), info(0, 0));
    report().map(drop)
}
