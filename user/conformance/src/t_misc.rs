//! IPC-buffer rules and thread creation with bad arguments [SEL4-FACTS "IPC buffer
//! rules", "thread creation with bad arguments"; docs/vm-abi.md labels 38-43].
use crate::Test;
use crate::common::*;
use core::sync::atomic::Ordering::SeqCst;
#[cfg(not(target_arch = "riscv64"))]
use libsel4::vm::{module, vm_tcb};
use libsel4::{Error, ipc, tcb};
use sel4rt::{Env, ROOT_CNODE, types};

/// The tests of this area.
pub const TESTS: &[Test] = &[
    (
        "misc.ipc_buffer_misaligned_AlignmentError [IPC buffer: 1 KiB aligned]",
        buffer_misaligned,
    ),
    (
        "misc.ipc_buffer_not_a_frame_IllegalOperation [IPC buffer: a frame]",
        buffer_not_frame,
    ),
    vm_only!(
        "misc.bind_unsealed_module_InvalidCapability [vm: BindModule sealed only]",
        bind_unsealed,
        "vm only: module objects, label 40"
    ),
    vm_only!(
        "misc.register_stack_depth_0_RangeError [vm: BindRegisterStack depth >= 1]",
        depth_0,
        "vm only: register stacks, label 41"
    ),
    vm_only!(
        "misc.set_entry_without_code_IllegalOperation [vm: SetEntry needs module and stack]",
        entry_without_code,
        "vm only: TcbSetEntry, label 42"
    ),
    vm_only!(
        "misc.set_memory_limit_too_large_RangeError [vm: SetMemory limit <= 65536]",
        memory_limit,
        "vm only: wasm linear memory, TcbSetMemory, label 43"
    ),
    vm_only!(
        "misc.seal_garbage_InvalidArgument [vm: ModuleSeal runs the verifier]",
        seal_garbage,
        "vm only: module objects, label 39"
    ),
    (
        "misc.length_above_120_is_clamped [a length above 120 is clamped to 120]",
        length_clamped,
    ),
    (
        "misc.receiver_without_buffer_gets_4_mrs [without an IPC buffer the length is cut to 4]",
        receiver_no_buffer,
    ),
    (
        "misc.sender_without_buffer_sends_4_mrs [without an IPC buffer the length is cut to 4]",
        sender_no_buffer,
    ),
    (
        "misc.revoking_the_buffer_frame_removes_the_buffer [IPC buffer: a frame cap in the TCB]",
        buffer_revoked,
    ),
    vm_only!(
        "misc.invoking_a_register_stack_InvalidCapability [a cap without invocations: InvalidCapability]",
        invoke_register_stack,
        "vm only: register stack objects"
    ),
];

/// A register stack has no invocations: any label answers InvalidCapability (cap 0),
/// as seL4 answers for a cap type without invocations.
#[cfg(not(target_arch = "riscv64"))]
fn invoke_register_stack(env: &mut Env) -> R {
    let stack = ok(
        env.retype(types::REGISTER_STACK, sel4rt::REGISTER_STACK_BITS),
        "retype register stack",
    )?;
    for label in [0, 1, 17, 41] {
        err_mrs(
            libsel4::invoke(stack, label, &[1, 2], &[]),
            Error::InvalidCapability,
            &[0],
            "invoke register stack",
        )?;
    }
    Ok(())
}

fn tcb_obj(env: &mut Env) -> Result<u64, Fail> {
    ok(env.retype(types::TCB, 0), "retype TCB")
}

fn buffer_misaligned(env: &mut Env) -> R {
    let (t, f) = (tcb_obj(env)?, ok(env.retype(types::FRAME, 0), "frame")?);
    err(
        tcb::set_ipc_buffer(t, 0x1004, f),
        Error::AlignmentError,
        "buffer at 0x1004",
    )
}

fn buffer_not_frame(env: &mut Env) -> R {
    let (t, ep) = (
        tcb_obj(env)?,
        ok(env.retype(types::ENDPOINT, 0), "endpoint")?,
    );
    err(
        tcb::set_ipc_buffer(t, 0x1000, ep),
        Error::IllegalOperation,
        "an endpoint as buffer",
    )
}

#[cfg(not(target_arch = "riscv64"))]
fn bind_unsealed(env: &mut Env) -> R {
    let (t, m) = (tcb_obj(env)?, ok(env.retype(types::MODULE, 12), "module")?);
    err_mrs(
        vm_tcb::bind_module(t, m),
        Error::InvalidCapability,
        &[0],
        "unsealed module",
    )
}

#[cfg(not(target_arch = "riscv64"))]
fn depth_0(env: &mut Env) -> R {
    let (t, s) = (
        tcb_obj(env)?,
        ok(env.retype(types::REGISTER_STACK, 12), "stack")?,
    );
    // 4 KiB: 512 words, at most 256 call records.
    err_mrs(
        vm_tcb::bind_register_stack(t, s, 0),
        Error::RangeError,
        &[1, 256],
        "depth 0",
    )
}

#[cfg(not(target_arch = "riscv64"))]
fn entry_without_code(env: &mut Env) -> R {
    let t = tcb_obj(env)?;
    err(
        vm_tcb::set_entry(t, 0, 0, 0),
        Error::IllegalOperation,
        "no module or stack",
    )
}

#[cfg(not(target_arch = "riscv64"))]
fn memory_limit(env: &mut Env) -> R {
    let t = tcb_obj(env)?;
    err_mrs(
        vm_tcb::set_memory(t, 1, 65537),
        Error::RangeError,
        &[0, 65536],
        "limit 65537",
    )?;
    err_mrs(
        vm_tcb::set_memory(t, 9, 8),
        Error::RangeError,
        &[0, 8],
        "size above limit",
    )
}

#[cfg(not(target_arch = "riscv64"))]
fn seal_garbage(env: &mut Env) -> R {
    let m = ok(env.retype(types::MODULE, 12), "module")?;
    // A fresh module is all zeros: no .sbc magic.
    let r = module::seal(m, 64);
    err(r, Error::InvalidArgument, "seal zeros")?;
    eq(mr(0), 0, "MR0: the image")
}

// The raw system calls (`send_word`, `recv_word`) pass and show MessageInfo words
// libsel4's typed MessageInfo would clamp on the user side (the kernel must clamp them
// itself).

/// Sends MRs 0..120 and a user word through the reports endpoint with length 127.
extern "C" fn sends_127(_: u64) {
    (0..120).for_each(|i| ipc::set_mr(i, 500 + i as u64));
    ipc::set_user_data(0xBAD);
    libsel4::send_word(DONE.load(SeqCst), 0x31 << 12 | 127);
}

fn length_clamped(env: &mut Env) -> R {
    ipc::set_user_data(0x5EED);
    spawn(env, sends_127, 0, 100)?;
    let (word, badge) = libsel4::recv_word(test_ep());
    let user = ipc::user_data();
    ipc::set_user_data(0);
    eq(badge, DONE_BADGE, "badge")?;
    eq(word >> 12, 0x31, "label")?;
    eq(word & 0x7f, 120, "length clamped to 120")?;
    eq(mr(119), 619, "MR119")?;
    eq(user, 0x5EED, "the word after MR119 (userData) untouched")
}

/// Receives on shared word 0's endpoint and reports (label << 8 | length) as a label.
extern "C" fn receives_length(_: u64) {
    let (i, _) = libsel4::recv(shared(0));
    libsel4::send(
        DONE.load(SeqCst),
        info(i.label() << 8 | i.length() as u64, 0),
    );
}

/// Sends label 0x31 with length 10 to shared word 0's endpoint, then reports.
extern "C" fn sends_10(_: u64) {
    libsel4::send(shared(0), info(0x31, 10));
    libsel4::send(DONE.load(SeqCst), info(0x32, 0));
}

/// Sends 10 MRs (100..110) with label 0x31 to `ep`.
fn send_10(ep: u64) {
    (0..10).for_each(|i| ipc::set_mr(i, 100 + i as u64));
    libsel4::send(ep, info(0x31, 10));
}

/// A thread of `entry`, without an IPC buffer.
fn no_buffer(env: &mut Env, entry: sel4rt::Entry) -> R {
    let t = thread(env, entry, 0, 100)?;
    // Address 0: no buffer (the frame argument is the empty slot 0).
    ok(tcb::set_ipc_buffer(t.tcb, 0, 0), "remove the IPC buffer")?;
    ok(tcb::resume(t.tcb), "resume")
}

fn receiver_no_buffer(env: &mut Env) -> R {
    let ep = ok(env.retype(types::ENDPOINT, 0), "endpoint")?;
    set_shared(0, ep);
    no_buffer(env, receives_length)?;
    send_10(ep);
    eq(report()?.label, 0x31 << 8 | 4, "label and length received")
}

fn sender_no_buffer(env: &mut Env) -> R {
    let ep = ok(env.retype(types::ENDPOINT, 0), "endpoint")?;
    set_shared(0, ep);
    no_buffer(env, sends_10)?;
    (0..10).for_each(|i| ipc::set_mr(i, 7));
    let m = recv_on(ep);
    eq(m.label, 0x31, "label")?;
    eq(m.len as u64, 4, "length cut to 4")?;
    eq(mr(4), 7, "MR4 of the receiver untouched")?;
    eq(report()?.label, 0x32, "sender's report")
}

fn buffer_revoked(env: &mut Env) -> R {
    let ep = ok(env.retype(types::ENDPOINT, 0), "endpoint")?;
    set_shared(0, ep);
    let t = thread(env, receives_length, 0, 100)?;
    // The TCB holds a derived copy of the frame cap: a child the revoke deletes.
    ok(
        libsel4::cnode::revoke(ROOT_CNODE, t.ipc_frame, 64),
        "revoke the buffer frame",
    )?;
    ok(tcb::resume(t.tcb), "resume")?;
    send_10(ep);
    eq(report()?.label, 0x31 << 8 | 4, "label and length received")
}
