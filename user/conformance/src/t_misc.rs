//! IPC-buffer rules and thread creation with bad arguments [SEL4-FACTS "IPC buffer
//! rules", "thread creation with bad arguments"; docs/vm-abi.md labels 38-43].
use crate::Test;
use crate::common::*;
use libsel4::vm::{module, vm_tcb};
use libsel4::{Error, tcb};
use sel4rt::{Env, types};

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
    (
        "misc.bind_unsealed_module_InvalidCapability [vm: BindModule sealed only]",
        bind_unsealed,
    ),
    (
        "misc.register_stack_depth_0_RangeError [vm: BindRegisterStack depth >= 1]",
        depth_0,
    ),
    (
        "misc.set_entry_without_code_IllegalOperation [vm: SetEntry needs module and stack]",
        entry_without_code,
    ),
    (
        "misc.set_memory_limit_too_large_RangeError [vm: SetMemory limit <= 65536]",
        memory_limit,
    ),
    (
        "misc.seal_garbage_InvalidArgument [vm: ModuleSeal runs the verifier]",
        seal_garbage,
    ),
];

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

fn bind_unsealed(env: &mut Env) -> R {
    let (t, m) = (tcb_obj(env)?, ok(env.retype(types::MODULE, 12), "module")?);
    err_mrs(
        vm_tcb::bind_module(t, m),
        Error::InvalidCapability,
        &[0],
        "unsealed module",
    )
}

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

fn entry_without_code(env: &mut Env) -> R {
    let t = tcb_obj(env)?;
    err(
        vm_tcb::set_entry(t, 0, 0, 0),
        Error::IllegalOperation,
        "no module or stack",
    )
}

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

fn seal_garbage(env: &mut Env) -> R {
    let m = ok(env.retype(types::MODULE, 12), "module")?;
    // A fresh module is all zeros: no .sbc magic.
    let r = module::seal(m, 64);
    err(r, Error::InvalidArgument, "seal zeros")?;
    eq(mr(0), 0, "MR0: the image")
}
