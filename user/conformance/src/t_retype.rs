//! Retype tests [SEL4-FACTS "Retype": check order, sizes, fan-out, device rule].
use crate::Test;
use crate::common::*;
use core::ptr::{read_volatile, write_volatile};
use libsel4::vspace::page;
use libsel4::{CapRights, Error, cnode, untyped};
use sel4rt::{Env, ROOT_CNODE, ROOT_VSPACE, types};
use selvm_abi::TCB_BITS;

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
    vm_only!(
        "retype.module_size_out_of_range_InvalidArgument_1 [vm: Module 12..28 bits]",
        module_size,
        "vm only: module objects"
    ),
    (
        "retype.incremental_retype_appends [Retype: objects appended]",
        incremental,
    ),
    (
        "retype.childless_untyped_is_reset_and_zeroed [Retype: no children, reset first]",
        reset_and_zeroed,
    ),
    (
        "retype.hundred_processes_in_turn_reuse_memory [Revoke deletes all descendants]",
        processes_reuse_memory,
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

#[cfg(not(target_arch = "riscv64"))]
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
    // A TCB is 2 KiB on the vm, 1 KiB on riscv64: two (four) fit in 4 KiB, one retype
    // at a time, then nothing is left.
    let fit = 1 << (12 - TCB_BITS);
    ok(retype_into(ut, types::TCB, 0, scratch(0), 1), "first TCB")?;
    for i in 1..fit {
        ok(
            retype_into(ut, types::TCB, 0, scratch(i), 1),
            "second TCB, appended",
        )?;
    }
    err_mrs(
        retype_into(ut, types::TCB, 0, scratch(fit), 1),
        Error::NotEnoughMemory,
        &[0],
        "a third",
    )
}

/// A 4 KiB frame from a 4 KiB untyped, written through a mapping, then deleted: the
/// untyped has no children again, so the next retype starts at its beginning (no
/// NotEnoughMemory) and the new frame reads zero.
fn reset_and_zeroed(env: &mut Env) -> R {
    let ut = small_untyped(env)?;
    let v = env.alloc_vaddr(1);
    ok(
        retype_into(ut, types::FRAME, 0, scratch(0), 1),
        "first frame",
    )?;
    ok(
        env.map_frame(ROOT_VSPACE, scratch(0), v, CapRights::ALL),
        "map the first frame",
    )?;
    // SAFETY: `v` is the page just mapped read-write into this address space.
    unsafe { write_volatile((v + 64) as *mut u64, 0x5eed) };
    ok(page::unmap(scratch(0)), "unmap")?;
    ok(
        cnode::delete(ROOT_CNODE, scratch(0), 64),
        "delete the frame",
    )?;
    ok(
        retype_into(ut, types::FRAME, 0, scratch(1), 1),
        "a frame again: the untyped was reset",
    )?;
    ok(
        env.map_frame(ROOT_VSPACE, scratch(1), v, CapRights::ALL),
        "map the second frame",
    )?;
    // SAFETY: as above, now the second frame.
    let seen = unsafe { read_volatile((v + 64) as *const u64) };
    eq(seen, 0, "the reused memory was zeroed")?;
    ok(page::unmap(scratch(1)), "unmap the second frame")
}

/// A word of a forked process's memory that is a fresh frame, not a copy: address 64
/// of its page 0 on the vm (sel4rt maps it zeroed); natively the second half of its IPC
/// buffer's frame (fresh, and beyond the 1 KiB IPC buffer the kernel writes).
fn fresh_word() -> usize {
    if cfg!(target_arch = "riscv64") {
        libsel4::ipc::buffer_address() + 2048
    } else {
        64
    }
}

/// A forked process reports the word at [`fresh_word`] (a fresh frame, not a copy) and
/// leaves its own mark there.
extern "C" fn mark_page_zero(round: u64) {
    let word = fresh_word();
    // SAFETY: the word lies in a frame of this process's own, mapped read-write, that
    // nothing else in it uses.
    let seen = unsafe { read_volatile(word as *const u64) };
    // SAFETY: as above.
    unsafe { write_volatile(word as *mut u64, 0xdead_0000 + round) };
    done(0x44, &[round, seen]);
}

/// A hundred processes of about 1.4 MB each, one after another, on a machine of 64 MiB:
/// each destroy revokes the process's untyped (sel4rt), so the next fork retypes the
/// same memory again, zeroed. Before sel4rt gave each process an untyped of its own,
/// destroyed processes' memory was never reused and these forks ran out of memory
/// (NotEnoughMemory); without the zeroing a process would see its predecessor's mark.
fn processes_reuse_memory(env: &mut Env) -> R {
    for round in 0..100 {
        spawn_process(env, mark_page_zero, round, 100)?;
        let m = report()?;
        eq(m.label, 0x44, "the process's report")?;
        eq(mr(0), round, "its round")?;
        eq(mr(1), 0, "page 0 of a new process reads zero")?;
        end_processes(env);
    }
    Ok(())
}
